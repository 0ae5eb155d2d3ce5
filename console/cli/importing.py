"""``escalation-console import``: tickets from a CSV export or a JSON Lines file."""

from __future__ import annotations

import argparse
import sys

from .common import EXIT_INVALID, EXIT_OK, EXIT_STORE, EXIT_USAGE, open_store, text


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    imp = sub.add_parser(
        "import", help="import tickets from a CSV helpdesk export or a JSON Lines file",
        description="Import tickets into the local store, all or nothing: every row is "
                    "checked first and any bad row stops the import (unless --skip-bad). "
                    "Importing the same file again adds nothing. See docs/import.md. "
                    "Exit status: 0 imported, 1 bad rows or an unreadable file, 2 usage "
                    "error, 3 the local store failed.")
    imp.add_argument("file", metavar="FILE", help="a .csv, .jsonl or .ndjson file, or - for "
                                                  "stdin (with --format)")
    imp.add_argument("--format", choices=("csv", "jsonl"),
                     help="the file's format (default: from its extension)")
    imp.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN,...",
                     help="CSV: read a field from another column, e.g. "
                          "--map id=\"Ticket ID\",title=Subject (repeatable)")
    imp.add_argument("--preset", choices=("zendesk",),
                     help="CSV: column names of a helpdesk export (--map overrides them)")
    imp.add_argument("--timezone", metavar="TZ",
                     help="the zone of times written without a UTC offset, e.g. "
                          "Europe/Berlin or +01:00 (default: refuse such times)")
    imp.add_argument("--skip-bad", action="store_true",
                     help="import the good rows, report the bad ones, and exit 0")
    imp.add_argument("--author", metavar="NAME", type=text,
                     help="author of every imported event (default: CSV: import; an "
                          "event file: each line's author, else import)")
    imp.set_defaults(func=_cmd_import)


def _error(message: str) -> None:
    print(f"escalation-console import: {message}", file=sys.stderr)


def _cmd_import(args: argparse.Namespace) -> int:
    from console.app.usecases import importer as imp
    from console.app.usecases.import_values import resolve_timezone
    from console.app.usecases.progress import Progress
    from console.store.errors import StoreError

    name = "<stdin>" if args.file == "-" else args.file
    try:
        if args.format:
            fmt = args.format
        elif args.file == "-":
            raise ValueError("reading standard input needs --format csv or --format jsonl")
        else:
            fmt = imp.infer_format(args.file)
        if fmt == "jsonl" and (args.map or args.preset):
            raise ValueError("--map and --preset apply to CSV files only")
        columns, explicit = imp.columns_for(args.preset, imp.parse_mapping(args.map))
        tz = resolve_timezone(args.timezone) if args.timezone else None
        if args.author is not None and not args.author.strip():
            raise ValueError("--author: give a name")
    except ValueError as exc:
        _error(str(exc))
        return EXIT_USAGE
    try:
        data = sys.stdin.buffer.read() if args.file == "-" else _read(args.file)
    except OSError as exc:
        _error(f"{name}: cannot read: {exc.strerror or exc}")
        return EXIT_USAGE

    bars: list[Progress] = []

    def bar(total: int) -> Progress:
        bars.append(Progress(total, stream=sys.stderr, label="reading  "))
        return bars[-1]

    try:
        text = imp.decode(data, name)
        store = open_store(args)
        try:
            if fmt == "csv":
                plan = imp.plan_csv(text, name, store.matrix, columns=columns,
                                    explicit=explicit, tz=tz, author=args.author or "import",
                                    progress=bar)
            else:
                plan = imp.plan_jsonl(text, name, store.matrix, tz=tz, author=args.author,
                                      progress=bar)
            for reading in bars:
                reading.finish()
            writing = Progress(len(plan.events), stream=sys.stderr, unit="tickets")
            result = imp.apply_plan(store, plan, skip_bad=args.skip_bad, progress=writing)
        finally:
            store.close()
    except imp.ImportFailure as exc:
        _finish_line()
        _error(str(exc))
        return EXIT_INVALID
    except StoreError as exc:
        _finish_line()
        _error(str(exc))
        return EXIT_STORE
    for note in plan.notes:
        print(f"note: {note}", file=sys.stderr)
    for line in imp.describe_bad(plan, name):
        print(line, file=sys.stderr)
    unit = "row" if fmt == "csv" else "line"
    if plan.bad and not args.skip_bad:
        good = plan.rows - plan.bad_rows
        _error(f"nothing imported: {plan.bad_rows:,} bad {unit}(s) in {name}; fix them, or "
               f"pass --skip-bad to import the {good:,} good one(s)")
        return EXIT_INVALID
    print(imp.summary(result, name))
    if plan.bad:
        print(f"warning: {plan.bad_rows:,} bad {unit}(s) skipped (--skip-bad)", file=sys.stderr)
    return EXIT_OK


def _read(path: str) -> bytes:
    from pathlib import Path

    if Path(path).is_dir():
        raise IsADirectoryError(21, "is a directory")
    return Path(path).read_bytes()


def _finish_line() -> None:
    """End a progress bar's line before an error message."""
    if sys.stderr.isatty():
        sys.stderr.write("\r\x1b[K")
