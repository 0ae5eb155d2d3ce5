"""``escalation-console whatif``: a draft matrix's effect on real tickets, before
publishing it (docs/whatif.md)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from .common import (
    EXIT_INVALID,
    EXIT_OK,
    EXIT_STORE,
    EXIT_USAGE,
    event_file,
    opened,
    positive_int,
)
from .exporting import utc_instant

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from console.app.usecases.whatif import Impact
    from console.app.usecases.whatif.source import TicketStream
    from console.domain.matrix import Matrix
    from console.domain.tickets import TicketEvent

PROG = "escalation-console whatif"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cmd = sub.add_parser(
        "whatif", help="compare a draft matrix with the version in force on real tickets",
        description="Replay the tickets of a window (the local store's, or an event file's) "
                    "through a draft matrix and through the version in force, and show "
                    "each figure under both with the difference: breaches and pre-breach "
                    "alerts, escalations per team, pages per person and channel, night "
                    "pages, chains exhausted, T1 resolution and escalation rate. Recorded "
                    "human events are replayed at their recorded times. See docs/whatif.md. "
                    "Exit status: 0 compared, 1 an invalid matrix or a bad event line, "
                    "2 usage error, 3 the local store failed.")
    cmd.add_argument("--matrix", metavar="DRAFT.yaml", required=True,
                     help="the draft matrix file")
    cmd.add_argument("--against", metavar="active|FILE", default="active",
                     help="what to compare with: the version in force (default; the "
                          "shipped default matrix when none is published, or with --events) "
                          "or a matrix file")
    cmd.add_argument("--days", type=positive_int, metavar="N",
                     help="the last N days (default 30), up to now (the store) or the "
                          "last event (--events)")
    cmd.add_argument("--from", dest="start", metavar="ISO-8601", type=utc_instant,
                     help="window start (with a UTC offset; a bare date is its midnight UTC)")
    cmd.add_argument("--to", dest="end", metavar="ISO-8601", type=utc_instant,
                     help="window end, exclusive (with a UTC offset)")
    cmd.add_argument("--format", choices=("table", "json"), default="table",
                     help="table (default) or json (docs/whatif.md)")
    cmd.add_argument("--events", metavar="FILE.jsonl",
                     help="replay this event file instead of the local store")
    cmd.add_argument("--workers", type=positive_int, metavar="N", default=None,
                     help="worker processes the tickets are split across (default: the "
                          "CPU count; 1 replays in this process)")
    cmd.set_defaults(func=_cmd_whatif)


def _error(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr)


def _matrix(path: str) -> Matrix | None:
    from console.app.matrices import check_matrix_file

    matrix, problems = check_matrix_file(path)
    for problem in problems if matrix is None else ():
        print(problem, file=sys.stderr)
    return matrix


def _window(args: argparse.Namespace, end: datetime) -> tuple[datetime, datetime] | str:
    if args.days is not None and (args.start or args.end):
        return "--days and --from/--to are either-or"
    if args.start or args.end:
        if not (args.start and args.end):
            return "--from and --to go together"
        if args.end <= args.start:
            return "--to must be after --from"
        return args.start, args.end
    return end - timedelta(days=args.days or 30), end


def _cmd_whatif(args: argparse.Namespace) -> int:
    from console.app.usecases.whatif.source import from_events
    from console.paths import default_matrix_path

    draft = _matrix(args.matrix)
    if draft is None:
        return EXIT_INVALID
    active: Matrix | None = None
    if args.against != "active":
        active = _matrix(args.against)
        if active is None:
            return EXIT_INVALID
    if args.events is None:
        return _on_store(args, draft, active)
    active = active or _matrix(str(default_matrix_path()))
    if active is None:
        return EXIT_INVALID
    read = event_file(args.events, active, PROG)
    if isinstance(read, int):
        return read
    window = _window(args, read[-1].at)
    if isinstance(window, str):
        _error(window)
        return EXIT_USAGE
    return _compare(args, draft, active, from_events(read, *window), window)


def _on_store(args: argparse.Namespace, draft: Matrix, active: Matrix | None) -> int:
    """Compare on the local store's tickets, read a batch at a time while the workers
    replay them (the store stays open until the comparison is done)."""
    from console.app.usecases.whatif.source import from_store, store_reader
    from console.store.errors import StoreError

    from .common import open_store

    window = _window(args, datetime.now(UTC))
    if isinstance(window, str):
        _error(window)
        return EXIT_USAGE
    try:
        with opened(open_store(args, lock=False)) as store:  # reads: beside a running console
            in_force = store.matrix if active is None else active  # --against FILE wins
            return _compare(args, draft, in_force, from_store(store_reader(store), *window),
                            window)
    except StoreError as exc:
        _error(str(exc))
        return EXIT_STORE


def _compare(args: argparse.Namespace, draft: Matrix, active: Matrix, stream: TicketStream,
             window: tuple[datetime, datetime]) -> int:
    from console.app.sentiment import vader_compound
    from console.app.usecases.whatif.parallel import WorkerCrashed
    from console.app.usecases.whatif.preview import preview
    from console.app.usecases.whatif.source import TicketStream

    found: list[str] = []
    noted = TicketStream(stream.total, _noting(stream.groups, draft, found))
    try:
        result = preview(draft, active, noted, *window, vader_compound, workers=args.workers,
                         partial=_so_far if sys.stderr.isatty() else None)
    except WorkerCrashed as exc:
        _error(str(exc))
        return EXIT_INVALID
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        print(f"note: {len(found)} event(s) name what the draft does not have; they are "
              f"replayed as recorded. First: {found[0]}{more}", file=sys.stderr)
    if args.format == "json":
        sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(table(result))
    return EXIT_OK


def _so_far(result: Impact, done: int, total: int) -> None:
    """At a terminal, now and then: the comparison so far (a random sample of tickets)."""
    from console.app.usecases.whatif import share

    print(f"so far, {done:,} of {total:,} tickets ({share(done, total)}, a random "
          f"sample): {result.headlines[0]}", file=sys.stderr, flush=True)


def _noting(groups: Iterable[list[TicketEvent]], draft: Matrix, found: list[str]
            ) -> Iterator[list[TicketEvent]]:
    """The tickets, unchanged, noting the events that name what the draft does not
    have (a renamed or dropped severity, team or tier) as they pass."""
    from console.app.usecases.whatif import strangers

    for group in groups:
        found.extend(strangers(group, draft))
        yield group


def table(result: Impact) -> str:
    """The comparison as text: the headlines, then one line a figure, then the rates."""
    lines = [*result.headlines, "",
             f"{result.tickets} tickets opened {result.window_from.isoformat()} to "
             f"{result.window_to.isoformat()}. Recorded human events are replayed at their "
             "recorded times.", ""]
    rows = [("figure", "about", "in force", "draft", "change", "tickets changed")]
    for f in result.figures:
        kind, *about = f.row
        rows.append((kind, " ".join(about), str(f.active), str(f.draft),
                     f"{f.delta:+d}" if f.delta else "0", str(len(f.changed))))
    for name, (d, a) in result.rates.items():
        def pct(v: float | None) -> str:
            return "-" if v is None else f"{v:.1%}"
        change = ("-" if d.value is None or a.value is None
                  else f"{(d.value - a.value) * 100:+.1f} pts")
        rows.append((name, "", pct(a.value), pct(d.value), change, ""))
    for person, (d_week, a_week) in result.pages_per_week.items():
        if d_week or a_week:
            rows.append(("pages_per_week", person, f"{a_week:.1f}", f"{d_week:.1f}",
                         f"{d_week - a_week:+.1f}" if d_week != a_week else "0", ""))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
              for r in rows]
    return "\n".join(lines) + "\n"
