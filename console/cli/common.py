"""Shared bits of the command line: exit codes, argument types, the options every
command takes, and opening the local store."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from pathlib import Path

    from console.domain.matrix import Matrix
    from console.domain.tickets import TicketEvent
    from console.store.local import LocalStore

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
EXIT_STORE = 3  # the local store could not be opened or written

DATA_DIR_HELP = ("where the local store and settings live (default: "
                 "$ESCALATION_CONSOLE_DATA_DIR, else the user data dir)")
DEBUG_HELP = ("show the full traceback of an unexpected error (or set "
              "ESCALATION_CONSOLE_DEBUG=1)")


def fail(message: str, code: int = EXIT_INVALID) -> int:
    print(f"escalation-console: {message}", file=sys.stderr)
    return code


def event_file(path: str, matrix: Matrix, prog: str) -> list[TicketEvent] | int:
    """An event file's events (docs/import.md), checked against ``matrix``; or the exit
    status, every bad line said as ``FILE:LINE: reason`` (1), or the file unreadable (2)
    or empty (1), said after ``prog:``."""
    from console.app.usecases.simulate import BadLine, read_events

    bad: list[BadLine] = []

    def report(line: BadLine) -> None:
        bad.append(line)
        print(f"{path}:{line.line}: {line.reason}", file=sys.stderr)

    try:
        with open(path, encoding="utf-8") as handle:
            events = read_events(handle, matrix, False, report)
    except OSError as exc:
        print(f"{prog}: {path}: cannot read: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    if bad:
        return EXIT_INVALID
    if not events:
        print(f"{prog}: {path}: no events", file=sys.stderr)
        return EXIT_INVALID
    return events


def text(value: str) -> str:
    """An argparse type for words, names and ids: text, not a file name. Bytes that are
    not UTF-8 reach Python as lone surrogates, which no database, keyring or terminal
    accepts; refuse them here, naming the argument, rather than fail deep inside."""
    if not value:
        raise argparse.ArgumentTypeError("give a value")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise argparse.ArgumentTypeError("not UTF-8 text") from None
    return value


def directory(value: str) -> str:
    """An argparse type for --data-dir: an empty one (say, an unset $VARIABLE) must not
    quietly mean the default data dir, the user's real store."""
    if not value.strip():
        raise argparse.ArgumentTypeError("give a directory")
    return value


def positive_int(value: str) -> int:
    """An argparse type for counts: a whole number of 1 or more."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError("give a number of 1 or more")
    return number


def add_common_options(parser: argparse.ArgumentParser) -> None:
    """--data-dir and --debug on a sub-command, so they work after it as well as before.
    SUPPRESS keeps a value given before the sub-command when none is given after."""
    group = parser.add_argument_group("common options")
    group.add_argument("--data-dir", metavar="DIR", default=argparse.SUPPRESS, type=directory,
                       help=DATA_DIR_HELP)
    group.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help=DEBUG_HELP)


def data_dir(args: argparse.Namespace) -> Path:
    """The data dir: --data-dir, else $ESCALATION_CONSOLE_DATA_DIR, else the user's."""
    from console.app.datadir import resolve_data_dir

    return resolve_data_dir(args.data_dir)


def open_store(args: argparse.Namespace, *, lock: bool = True) -> LocalStore:
    """Open the local store of ``--data-dir`` (or the default) with the default matrix.
    The store comes back open: close it, or use :func:`opened`, never ``with`` (which
    would open it a second time)."""
    from console.app.datadir import resolve_data_dir
    from console.app.matrices import load_matrix_file
    from console.paths import default_matrix_path
    from console.store.local import LocalStore

    return LocalStore(resolve_data_dir(args.data_dir), load_matrix_file(default_matrix_path()),
                      lock=lock).open()


@contextlib.contextmanager
def opened(store: LocalStore) -> Iterator[LocalStore]:
    """Close an already open store when the block ends."""
    try:
        yield store
    finally:
        store.close()


def store_events(args: argparse.Namespace) -> tuple[Matrix, list[TicketEvent]]:
    """The local store's matrix in force and its ticket events (no matrix publishes), in
    an exported file's order, read beside a running console. Raises StoreError."""
    from console.app.usecases.event_kinds import MATRIX_STREAM
    from console.app.usecases.export import export_events

    with opened(open_store(args, lock=False)) as store:
        events = [e.to_domain() for e in export_events(store) if e.ticket != MATRIX_STREAM]
        return store.matrix, events


class OutputError(Exception):
    """Standard output could not be written (a full disk, a closed pipe's reader...)."""


class GuardedOutput:
    """Standard output whose write failures raise :class:`OutputError`, so main() can
    tell them from other OSErrors and say so in one line."""

    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream

    def write(self, data: str) -> int:
        if self._stream is None:  # started with standard output closed (>&-)
            raise OutputError("standard output is closed")
        try:
            return self._stream.write(data)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(exc.strerror or str(exc)) from None

    def flush(self) -> None:
        if self._stream is None:
            return
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(exc.strerror or str(exc)) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def guarded_streams() -> Iterator[Any]:
    """Standard output as a :class:`GuardedOutput` for the block; yields the real stream.
    A strict stream (a UTF-8 locale other than C) writes lone surrogates as the bytes
    they stand for, as Python does under the C locale: file names are echoed as the OS
    gave them, even when they are not UTF-8. A closed standard input (<&-) reads as
    empty, so ``-`` and --password-stdin say "empty" rather than crash on None."""
    # whatever file object sys.stdout is: reconfigure() is looked for, not assumed
    stream: Any = sys.stdout
    stdin = sys.stdin
    strict = getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure")
    if strict:
        stream.reconfigure(errors="surrogateescape")
    sys.stdout = GuardedOutput(stream)
    if stdin is None:
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 (closed below)
    try:
        yield stream
    finally:
        sys.stdout = stream
        if strict:
            with contextlib.suppress(OSError, ValueError):
                stream.reconfigure(errors="strict")
        if stdin is None:
            sys.stdin.close()
            sys.stdin = stdin
