"""``escalation-console triage summary|kb|recurring``: what a ticket's history says,
as the handoff's summary or a knowledge-base draft, and the fixes that keep recurring.

``register`` adds the three actions to the ``triage`` command's sub-parsers
(console/cli/triage.py). Everything reads the local store; nothing is written except
the KB draft (into ``--folder``, else the settings' KB folder: ``Settings.kb_folder``).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .common import EXIT_INVALID, EXIT_OK, EXIT_STORE, data_dir, fail, opened, positive_int, text

if TYPE_CHECKING:
    from console.store.records import StoredEvent

SIMILAR = 5


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``summary``, ``kb`` and ``recurring`` to the ``triage`` sub-parsers."""
    summary = sub.add_parser(
        "summary", help="a ticket's extractive summary, each sentence with its event",
        description="Print the summary that pre-fills a handoff's Triage context: what was "
                    "tried, what the customer was promised, what they said and the "
                    "history, each sentence quoted from one event and followed by that "
                    "event's id and time.")
    summary.add_argument("ticket", metavar="TICKET", type=text, help="the ticket's id")
    summary.add_argument("--json", action="store_true", help="print JSON")
    summary.set_defaults(func=cmd_summary)
    kb = sub.add_parser(
        "kb", help="write a resolved ticket's knowledge-base draft (Markdown)",
        description="Write a Markdown draft of a resolved ticket: symptoms, affected "
                    "versions, the steps that resolved it and links to similar resolved "
                    "tickets (by id and title only). Prints the draft's path; an earlier "
                    "draft is never overwritten.")
    kb.add_argument("ticket", metavar="TICKET", type=text, help="the ticket's id")
    kb.add_argument("--folder", metavar="DIR", type=text,
                    help="where to write it (default: the KB folder chosen in the settings, "
                         "else 'Escalation Console KB' in your Documents)")
    kb.set_defaults(func=cmd_kb)
    recurring = sub.add_parser(
        "recurring", help="resolved tickets grouped by the steps that resolved them",
        description="List groups of tickets resolved recently by near-identical steps "
                    "(a recurring issue), the largest first.")
    recurring.add_argument("--days", type=positive_int, default=30, metavar="N",
                           help="look at tickets resolved in the last N days (default 30)")
    recurring.set_defaults(func=cmd_recurring)


def _history(args: argparse.Namespace) -> tuple[list[StoredEvent], int]:
    """The ticket's events, or ([], exit code) after saying what is wrong."""
    from console.store.errors import StoreError

    from .common import open_store

    try:
        with opened(open_store(args, lock=False)) as store:  # read-only beside a console
            history = store.history(args.ticket)
    except StoreError as exc:
        return [], fail(str(exc), EXIT_STORE)
    if not history:
        return [], fail(f"no ticket {args.ticket!r} in this console's store", EXIT_INVALID)
    return history, EXIT_OK


def cmd_summary(args: argparse.Namespace) -> int:
    """``triage summary TICKET``."""
    from console.app.triage.summary import reference, summarise, summary_text

    history, code = _history(args)
    if not history:
        return code
    sentences = summarise(history)
    if args.json:
        print(json.dumps({"ticket": args.ticket, "text": summary_text(sentences), "sentences": [
            {"text": s.text, "kind": s.kind, "event": s.event_id, "at": s.at.isoformat()}
            for s in sentences]}, indent=2, ensure_ascii=False))
        return EXIT_OK
    if not sentences:
        print(f"{args.ticket}: nothing to quote (no text in its events)")
        return EXIT_OK
    print(summary_text(sentences))
    print("\nSources:")
    kinds = {e.id: e.kind for e in history}
    for event_id in dict.fromkeys(s.event_id for s in sentences):
        first = next(s for s in sentences if s.event_id == event_id)
        print(f"  {reference(first, with_date=True)}  {event_id}  {kinds[event_id]}")
    return EXIT_OK


def _folder(args: argparse.Namespace) -> Path:
    """--folder, else the folder chosen in the settings (as the console's "Capture as
    KB article" uses)."""
    if args.folder:
        return Path(args.folder).expanduser()
    from console.app.settings import Settings

    return Settings(data_dir(args)).kb_folder


def _similar(args: argparse.Namespace, title: str, body: str) -> list[Any]:
    """Up to ``SIMILAR`` resolved tickets like this one, from the trained models (none,
    with a note on standard error, when there are no usable models)."""
    from console.app.triage.registry import Registry
    from console.app.triage.suggest import Suggester

    suggestions = Suggester.load(Registry(data_dir(args) / "triage")).suggest(title, body)
    if not suggestions.similar and suggestions.declined:
        print(f"no similar tickets linked: {suggestions.declined}", file=sys.stderr)
    return [s for s in suggestions.similar if s.ticket != args.ticket][:SIMILAR]


def cmd_kb(args: argparse.Namespace) -> int:
    """``triage kb TICKET [--folder DIR]``."""
    from console.app.triage.kb import kb_draft, write_kb_draft
    from console.store.errors import StoreError

    from .common import open_store

    try:
        with opened(open_store(args, lock=False)) as store:
            history = store.history(args.ticket)
            if not history:
                return fail(f"no ticket {args.ticket!r} in this console's store")
            if not any(e.kind == "resolved" for e in history):
                return fail(f"{args.ticket} is not resolved; a KB article is captured "
                            "from a resolved ticket")
            intake = next((e.payload for e in history if e.kind == "opened"), {})
            similar = _similar(args, str(intake.get("title") or ""),
                               str(intake.get("text") or ""))
            # their accounts, which their titles may name: scrubbed from the draft
            records = (store.ticket(s.ticket) for s in similar)
            accounts = [r.account for r in records if r is not None]
    except StoreError as exc:
        return fail(str(exc), EXIT_STORE)
    folder = _folder(args)
    try:
        path = write_kb_draft(folder, args.ticket, kb_draft(history, similar,
                                                            private=accounts))
    except OSError as exc:
        return fail(f"cannot write the draft in {folder}: {exc.strerror or exc}", EXIT_INVALID)
    print(path)
    return EXIT_OK


def cmd_recurring(args: argparse.Namespace) -> int:
    """``triage recurring [--days N]``."""
    from console.app.triage.examples import resolved_examples
    from console.app.triage.kb_groups import recurring
    from console.store.errors import StoreError

    from .common import open_store

    try:
        with opened(open_store(args, lock=False)) as store:
            events = [e.to_domain() for e in store.all_events()]
            matrix = store.matrix
    except StoreError as exc:
        return fail(str(exc), EXIT_STORE)
    since = datetime.now(UTC) - timedelta(days=args.days)
    examples = resolved_examples(events, matrix)
    groups = recurring(examples, since)
    period = f"in the last {args.days} days"
    if not groups:
        recent = sum(e.resolved_at >= since for e in examples)
        print(f"No fix recurs {period} ({recent} resolved ticket"
              f"{'' if recent == 1 else 's'}).")
        return EXIT_OK
    for group in groups:
        print(group.describe(period))
        print(f"  {', '.join(group.tickets)}")
    return EXIT_OK
