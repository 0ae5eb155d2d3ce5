"""Shared bits of the command line: exit codes and opening the local store."""

from __future__ import annotations

import argparse
import sys

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
EXIT_STORE = 3  # the local store could not be opened or written


def fail(message: str, code: int = EXIT_INVALID) -> int:
    print(f"escalation-console: {message}", file=sys.stderr)
    return code


def open_store(args: argparse.Namespace, *, lock: bool = True):  # type: ignore[no-untyped-def]
    """Open the local store of ``--data-dir`` (or the default) with the default matrix."""
    from console.app.datadir import resolve_data_dir
    from console.app.matrices import load_matrix_file
    from console.paths import default_matrix_path
    from console.store.local import LocalStore

    return LocalStore(resolve_data_dir(args.data_dir), load_matrix_file(default_matrix_path()),
                      lock=lock).open()
