"""``escalation-console simulate``: replay events through the engine."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from .common import EXIT_INVALID, EXIT_OK, EXIT_USAGE

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from console.domain.tickets import TicketEvent


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sim = sub.add_parser(
        "simulate", help="replay ticket events and print what the engine fires",
        description="Replay ticket events (JSON Lines) through a matrix and print what the "
                    "engine fires, one JSON object a line, in time order. See docs/simulate.md.")
    sim.add_argument("events", metavar="EVENTS.jsonl", help="event file, or - for stdin")
    sim.add_argument("--matrix", metavar="FILE",
                     help="matrix file (default: the shipped default matrix)")
    sim.add_argument("--until", metavar="ISO-8601",
                     help="run the clock to this instant (default: the last event's time)")
    sim.add_argument("--strict", action="store_true", help="stop at the first bad input line")
    sim.add_argument("--no-sentiment", action="store_true",
                     help="judge sentiment by the matrix's phrases only, without VADER")
    sim.set_defaults(func=_cmd_simulate)


def _cmd_simulate(args: argparse.Namespace) -> int:
    from console.app.matrices import check_matrix_file
    from console.app.usecases.simulate import BadLine, parse_instant, read_events, simulate
    from console.paths import default_matrix_path

    matrix_path = args.matrix or str(default_matrix_path())
    matrix, problems = check_matrix_file(matrix_path)
    if matrix is None:
        for problem in problems:
            print(problem, file=sys.stderr)
        return EXIT_INVALID
    until = None
    if args.until is not None:
        try:
            until = parse_instant(args.until, "--until")
        except ValueError as exc:
            print(f"escalation-console simulate: {exc}", file=sys.stderr)
            return EXIT_USAGE
    name = "<stdin>" if args.events == "-" else args.events
    bad: list[BadLine] = []

    def report(line: BadLine) -> None:
        bad.append(line)
        print(f"{name}:{line.line}: {line.reason}", file=sys.stderr)

    try:
        if args.events == "-":
            events = read_events(sys.stdin, matrix, args.strict, report)
        else:
            with open(args.events, encoding="utf-8") as handle:
                events = read_events(handle, matrix, args.strict, report)
    except OSError as exc:
        print(f"{name}: cannot read: {exc.strerror}", file=sys.stderr)
        return EXIT_USAGE
    except UnicodeDecodeError:
        print(f"{name}: not UTF-8 text", file=sys.stderr)
        return EXIT_INVALID
    if bad and args.strict:
        return EXIT_INVALID
    if not events:
        reason = f" ({len(bad)} bad line(s) skipped)" if bad else ""
        print(f"{name}: no events to replay{reason}", file=sys.stderr)
        return EXIT_INVALID
    if until is not None:
        _warn_about_until(until, events)
    sentiment = None
    if not args.no_sentiment:
        from console.app.sentiment import vader_compound

        sentiment = vader_compound
    out = sys.stdout
    for fire in simulate(matrix, events, until, sentiment):
        out.write(json.dumps(fire.to_json()) + "\n")
    if bad:
        print(f"{name}: {len(bad)} bad line(s) skipped", file=sys.stderr)
        return EXIT_INVALID
    return EXIT_OK


def _warn_about_until(until: datetime, events: Sequence[TicketEvent]) -> None:
    """Say when --until leaves events out: a too-early --until otherwise prints nothing
    and looks like a matrix that never fires."""
    after = sum(1 for event in events if event.at > until)
    if after == len(events):
        print(f"warning: --until {until.isoformat()} is earlier than every event (the "
              f"first is at {events[0].at.isoformat()}); nothing was replayed",
              file=sys.stderr)
    elif after:
        print(f"note: {after} event(s) after --until {until.isoformat()} were not replayed",
              file=sys.stderr)
