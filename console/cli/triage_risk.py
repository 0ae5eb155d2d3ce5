"""``escalation-console triage risk-backtest``: the risk model's time-split backtest on
the local store or an event file, and optionally training it (docs/triage.md "## Risk").

``register(sub)`` adds the sub-command under ``triage`` (console/cli/triage.py calls it).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .common import EXIT_INVALID, EXIT_OK, EXIT_STORE, EXIT_USAGE, event_file
from .exporting import utc_instant

if TYPE_CHECKING:
    from console.domain.matrix import Matrix
    from console.domain.tickets import TicketEvent

PROG = "escalation-console triage risk-backtest"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``risk-backtest`` to the ``triage`` sub-commands."""
    cmd = sub.add_parser(
        "risk-backtest", help="measure the risk model with a time split (train earlier, "
                              "test later)",
        description="Build hourly snapshots of each ticket's open life from the event log "
                    "(features from the events up to each instant only; a leak guard "
                    "checks it), label each with a breach or escalation within the next "
                    "hour, train on the earlier snapshots and test on the later: ROC AUC, "
                    "Brier score, a reliability table and the lift over ranking by the SLA "
                    "clock alone. See docs/triage.md. Exit status: 0 measured, 1 bad "
                    "input or too little data, 2 usage error, 3 the local store failed.")
    cmd.add_argument("--events", metavar="FILE.jsonl",
                     help="an event file (docs/import.md) instead of the local store; "
                          "judged by the shipped default matrix")
    cmd.add_argument("--from", dest="start", metavar="ISO-8601", type=utc_instant,
                     help="only tickets opened at or after this instant (with a UTC offset)")
    cmd.add_argument("--to", dest="end", metavar="ISO-8601", type=utc_instant,
                     help="the end of the data: events after it are left out (default: "
                          "now for the store, the last event for a file)")
    cmd.add_argument("--format", choices=("table", "json"), default="table",
                     help="table (default) or json")
    cmd.add_argument("--save", action="store_true",
                     help="then train on every snapshot and save the model as a new "
                          "'risk' version in the data dir (usable only if it beat the "
                          "baseline); not with --events")
    cmd.set_defaults(func=cmd_risk_backtest)


def _error(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr)


def _from_store(args: argparse.Namespace) -> tuple[Matrix, list[TicketEvent]] | int:
    """The store's matrix in force and its ticket events."""
    from console.store.errors import StoreError

    from .common import store_events

    try:
        return store_events(args)
    except StoreError as exc:
        _error(str(exc))
        return EXIT_STORE


def _store_name(args: argparse.Namespace) -> str:
    """The local store, said to be generated when it is a demo store."""
    from console.app.usecases.demo import MARKER

    from .common import data_dir

    if (data_dir(args) / MARKER).exists():
        return "the local store (a demo store: GENERATED data)"
    return "the local store"


def cmd_risk_backtest(args: argparse.Namespace) -> int:
    """Run the backtest; print its figures; with --save train and save the model."""
    from console.app.matrices import load_matrix_file
    from console.app.triage.risk_backtest import (
        LeakError,
        TooLittleData,
        backtest,
        format_backtest,
    )
    from console.app.triage.risk_train import by_ticket
    from console.paths import default_matrix_path

    if args.start and args.end and args.end <= args.start:
        _error("--to must be after --from")
        return EXIT_USAGE
    if args.save and args.events:
        _error("--save trains the store's model: not with --events")
        return EXIT_USAGE
    if args.events is not None:
        default = load_matrix_file(default_matrix_path())
        read = event_file(args.events, default, PROG)
        if isinstance(read, int):
            return read
        matrix, events, source = default, read, f"{args.events}"
        end = args.end or max(e.at for e in events)
    else:
        got = _from_store(args)
        if isinstance(got, int):
            return got
        matrix, events = got
        source = _store_name(args)
        end = args.end or datetime.now(UTC)
    tickets = by_ticket(e for e in events if e.at <= end)
    if args.start is not None:
        tickets = {t: ev for t, ev in tickets.items() if ev[0].at >= args.start}
    try:
        _, figures = backtest(tickets, matrix, end)
    except (LeakError, TooLittleData) as exc:
        _error(str(exc))
        return EXIT_INVALID
    if args.format == "json":
        sys.stdout.write(json.dumps(figures.to_json(), indent=2) + "\n")
    else:
        sys.stdout.write(format_backtest(figures, source) + "\n")
    if args.save:
        return _save(args, tickets, matrix, end)
    return EXIT_OK


def _save(args: argparse.Namespace, tickets: dict[str, list[TicketEvent]], matrix: Matrix,
          end: datetime) -> int:
    from console.app.triage.registry import Registry
    from console.app.triage.risk_train import train_risk

    from .common import data_dir

    try:
        done = train_risk(tickets, matrix, Registry(data_dir(args) / "triage"), end)
    except OSError as exc:
        _error(f"cannot save the model: {exc.strerror or exc}")
        return EXIT_STORE
    if done.info is None:
        print(done.declined, file=sys.stderr)
        return EXIT_INVALID
    usable = "usable" if done.info.usable else f"not usable: {done.info.why_not}"
    print(f"saved risk model v{done.info.version} ({usable})", file=sys.stderr)
    return EXIT_OK
