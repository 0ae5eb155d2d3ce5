"""``escalation-console export``: the local store's events as an event file."""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from .common import EXIT_INVALID, EXIT_OK, EXIT_STORE, EXIT_USAGE, opened, text


def utc_instant(value: str) -> datetime:
    """An argparse type: an ISO-8601 instant with its UTC offset, or a bare date
    (``2026-11-01``: that day's midnight UTC, the usual edge of a window). A time of
    day without an offset is refused: it could mean any zone."""
    text = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        text += "T00:00:00+00:00"
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO-8601 time "
                                         "(e.g. 2026-11-01T00:00:00Z)") from None
    if at.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{value!r} has no UTC offset; add one "
                                         "(e.g. Z or +01:00)")
    return at


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    exp = sub.add_parser(
        "export", help="write the local store's events as an event file (JSON Lines)",
        description="Write every event of the local store (or of a time window or one "
                    "ticket) in the event file format that import and simulate read, in "
                    "time order. Importing the file into an empty store and exporting "
                    "again gives the same file. See docs/import.md. Exit status: 0 "
                    "written, 1 an event the format cannot carry, 2 usage error or the "
                    "file cannot be written, 3 the local store failed.")
    exp.add_argument("file", metavar="FILE", help="the file to write (replaced if it "
                                                  "exists), or - for standard output")
    exp.add_argument("--from", dest="start", metavar="ISO-8601", type=utc_instant,
                     help="only events at or after this instant (with a UTC offset; a bare "
                          "date is its midnight UTC)")
    exp.add_argument("--to", dest="end", metavar="ISO-8601", type=utc_instant,
                     help="only events before this instant (with a UTC offset)")
    exp.add_argument("--ticket", metavar="ID", type=text,
                     help="only this ticket's events (no matrix versions)")
    exp.set_defaults(func=_cmd_export)


def _error(message: str) -> None:
    print(f"escalation-console export: {message}", file=sys.stderr)


def _cmd_export(args: argparse.Namespace) -> int:
    from console.app.usecases.export import ExportError, Window, export_events, export_lines
    from console.store.errors import StoreError

    from .common import open_store

    if args.start and args.end and args.end <= args.start:
        _error("--to must be after --from")
        return EXIT_USAGE
    try:
        with opened(open_store(args, lock=False)) as store:  # reads: beside a running console
            events = export_events(store, Window(args.start, args.end, args.ticket))
    except StoreError as exc:
        _error(str(exc))
        return EXIT_STORE
    try:
        if args.file == "-":
            for line in export_lines(events):
                sys.stdout.write(line)
        else:
            _write(Path(args.file), export_lines(events))
    except ExportError as exc:
        _error(str(exc))
        return EXIT_INVALID
    except OSError as exc:
        _error(f"{args.file}: cannot write: {exc.strerror or exc}")
        return EXIT_USAGE
    tickets = len({e.ticket for e in events if e.kind != "matrix_published"})
    versions = sum(1 for e in events if e.kind == "matrix_published")
    print(f"exported {len(events):,} event{'s' if len(events) != 1 else ''} of "
          f"{tickets:,} ticket{'s' if tickets != 1 else ''}"
          + (f" and {versions:,} matrix version{'s' if versions != 1 else ''}" if versions else "")
          + ("" if args.file == "-" else f" to {args.file}"), file=sys.stderr)
    return EXIT_OK


def _write(path: Path, lines: Iterable[str]) -> None:
    """Write the whole file or leave what was there: a temporary file beside it,
    renamed over it once complete. A device or a pipe (/dev/stdout, a FIFO) is written
    to as it is: renaming over it would replace it."""
    if path.is_dir():
        raise IsADirectoryError(21, "is a directory")
    if path.exists() and not path.is_file():
        with path.open("w", encoding="utf-8", newline="\n") as out:
            out.writelines(lines)
        return
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                dir=path.parent if str(path.parent) else ".")
    try:
        with open(fd, "w", encoding="utf-8", newline="\n") as out:
            out.writelines(lines)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
