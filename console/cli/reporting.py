"""``escalation-console report``: is the matrix working? The report over a window as a
table, JSON or CSV, and as a multi-page PDF with the charts (docs/reports.md)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from .common import EXIT_OK, EXIT_STORE, EXIT_USAGE, opened, text
from .exporting import utc_instant

if TYPE_CHECKING:
    from console.app.usecases.reports import ReportStore
    from console.domain.matrix import Matrix
    from console.domain.reports import PagingLoad, Report

DEFAULT_DAYS = 28


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rep = sub.add_parser(
        "report", help="escalation rates, response and resolve times, SLA attainment and "
                       "severity disagreement over a window",
        description="Report on the local store (--shared: the shared database) over the "
                    "window [--from, --to) in UTC "
                    f"(default: the last {DEFAULT_DAYS} days to now): escalation rates "
                    "overall and per team, agent and severity against the matrix's kpis "
                    "(flagged when over their threshold, never over fewer than 10 "
                    "tickets), T1 resolution, time to first response and to resolve, SLA "
                    "attainment, severity disagreement, reassignments and root causes. "
                    "See docs/reports.md. Exit status: 0 done, 1 the shared database could "
                    "not be read, 2 usage error or the PDF cannot be written, 3 the local "
                    "store failed.")
    rep.add_argument("--from", dest="start", metavar="ISO-8601", type=utc_instant,
                     help=f"the window's start, included (default: --to minus {DEFAULT_DAYS} "
                          "days)")
    rep.add_argument("--to", dest="end", metavar="ISO-8601", type=utc_instant,
                     help="the window's end, excluded (default and at most: now)")
    rep.add_argument("--team", metavar="TEAM", type=text,
                     help="only the tickets this team held (a team id of the matrix)")
    rep.add_argument("--severity", metavar="SEVERITY", type=text,
                     help="only the tickets of this effective severity (e.g. P1)")
    rep.add_argument("--format", choices=("table", "json", "csv"), default="table",
                     help="standard output's format (default: table)")
    rep.add_argument("--pdf", metavar="FILE", type=_pdf_path,
                     help="also write a multi-page PDF: the window, the filters and the "
                          "flags, then every chart")
    shared = rep.add_argument_group("the shared database")
    shared.add_argument("--shared", action="store_true",
                        help="report from the shared PostgreSQL database's rollup (kept by "
                             "'escalation-console serve'), with its matrix in force, "
                             "instead of the local store")
    shared.add_argument("--url", metavar="URL", type=text,
                        help="the shared database, postgresql://you@host:port/database "
                             "(implies --shared; default: the one 'connect' configured)")
    shared.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of standard input "
                             "(default: the OS keyring, then $PGPASSWORD)")
    rep.set_defaults(func=_cmd_report)


def _pdf_path(value: str) -> Path:
    if not value.strip():
        raise argparse.ArgumentTypeError("give a file name")
    return Path(value)


def _error(message: str) -> None:
    print(f"escalation-console report: {message}", file=sys.stderr)


def window(start: datetime | None, end: datetime | None, now: datetime
           ) -> tuple[datetime, datetime]:
    """``[from, to)`` in UTC: ``to`` defaults to now, ``from`` to ``DEFAULT_DAYS`` before
    ``to``."""
    to = (end or now).astimezone(UTC)
    return (start.astimezone(UTC) if start else to - timedelta(days=DEFAULT_DAYS)), to


def _unknown(kind: str, given: str, valid: list[str], plural: str) -> int:
    _error(f"no {kind} {given!r} in the matrix in force; the {plural} are: "
           + ", ".join(valid))
    return EXIT_USAGE


def _cmd_report(args: argparse.Namespace) -> int:
    from console.app.usecases.reports import paging_pages
    from console.domain.reports import paging_load
    from console.store.errors import StoreError

    from .common import open_store

    now = datetime.now(UTC)
    start, end = window(args.start, args.end, now)
    if end <= start:
        _error("--to must be after --from")
        return EXIT_USAGE
    if args.shared or args.url is not None:
        from .report_shared import shared_report

        return shared_report(args, lambda store: _compute(store, args, start, end, now),
                             lambda done: _emit(args, done, now))
    if args.password_stdin:
        _error("--password-stdin is for --shared")
        return EXIT_USAGE
    try:
        with opened(open_store(args, lock=False)) as store:  # reads: beside a running console
            done = _compute(store, args, start, end, now)
            if isinstance(done, int):
                return done
            # pages go to people, not tickets: the team and severity filters do not apply
            paging = paging_load(paging_pages(store, start, done[0].window_to), start,
                                 done[0].window_to)
    except StoreError as exc:
        _error(str(exc))
        return EXIT_STORE
    return _emit(args, (done[0], done[1], paging), now)


Done = tuple["Report", "Matrix", "PagingLoad | None"]


def _compute(store: ReportStore, args: argparse.Namespace, start: datetime, end: datetime,
             now: datetime) -> tuple[Report, Matrix] | int:
    """The report of ``store`` with the matrix in force there, or a usage error's exit
    status (an unknown team or severity, a window in the future)."""
    from console.app.usecases.reports import ReportWindowError, load_report

    matrix = store.matrix
    teams, severities = [t.id for t in matrix.teams], [s.id for s in matrix.severities]
    if args.team is not None and args.team not in teams:
        return _unknown("team", args.team, teams, "teams")
    if args.severity is not None and args.severity not in severities:
        return _unknown("severity", args.severity, severities, "severities")
    try:
        return load_report(store, start, end, team=args.team, severity=args.severity,
                           now=now), matrix
    except ReportWindowError:
        _error(f"--from {start.isoformat()} is in the future: nothing to report yet")
        return EXIT_USAGE


def _emit(args: argparse.Namespace, done: Done, now: datetime) -> int:
    """The PDF when asked, then standard output in the chosen format."""
    result, matrix, paging = done
    if args.pdf is not None:
        from console.app.report_pdf import write_pdf

        try:
            pages = write_pdf(result, matrix, args.pdf, generated_at=now, paging=paging)
        except OSError as exc:
            _error(f"{args.pdf}: cannot write: {exc.strerror or exc}")
            return EXIT_USAGE
        print(f"wrote {pages} pages to {args.pdf}", file=sys.stderr)
    _print(result, matrix, paging, args.format)
    return EXIT_OK


def _print(result: Report, matrix: Matrix, paging: PagingLoad | None, form: str) -> None:
    from console.app.report_words import filters_text, flag_lines, window_text

    from .report_formats import csv_text, table

    teams = {t.id: t.name for t in matrix.teams}  # people read names; JSON keeps ids
    if form == "json":
        data = {**result.to_json(), "paging": None if paging is None else paging.to_json()}
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    elif form == "csv":
        sys.stdout.write(csv_text(result, paging, teams))
    else:
        sys.stdout.write(table(result, paging, window=window_text(result),
                               filters=filters_text(result, matrix),
                               flags=flag_lines(result, matrix), teams=teams))
