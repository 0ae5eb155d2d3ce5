"""``import`` of an event file: the ``simulate`` format, JSON Lines, one event a line,
holding any kind the log holds (docs/import.md), as ``export`` writes it.

A line's ``id`` and ``author`` are kept (so an exported log imports as it was, and
importing it where it came from adds nothing; an id that is not a UUID is turned into
one); without them the id is derived from the event (``event_id``) and the author is
the import's (``--author``, default ``import``).
Teams, tiers and severities are checked against the matrix in force and those the file
publishes (``matrix_published`` lines).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any

from console.app.usecases.event_kinds import MATRIX_STREAM, Vocabulary, published_matrix
from console.app.usecases.import_plan import BadRow, Plan, event_id, given_event_id
from console.app.usecases.import_values import check_ticket_id, parse_time
from console.app.usecases.progress import Progress
from console.app.usecases.simulate import load_json_line, parse_line
from console.domain.matrix import Matrix
from console.store.local import NewEvent

DEFAULT_AUTHOR = "import"


def _published(decoded: list[tuple[int, Any]]) -> list[Matrix]:
    """The valid matrices the file publishes (a bad one is its line's problem later)."""
    found = []
    for _, obj in decoded:
        if isinstance(obj, dict) and obj.get("type") == "matrix_published":
            try:
                found.append(published_matrix({k: v for k, v in obj.items()
                                               if k not in ("at", "ticket", "type")}))
            except ValueError:
                continue
    return found


def plan_jsonl(text: str, name: str, matrix: Matrix, *, tz: tzinfo | None = None,
               author: str | None = None, progress: Callable[[int], Progress] | None = None
               ) -> Plan:
    """Parse and check an event file. ``author`` replaces every line's author; without
    it a line's own is kept, else ``import``."""
    plan = Plan()
    # physical lines, as editors number them: a JSON string may hold U+2028 and the like,
    # which splitlines() would also break on
    lines = text.split("\n")
    bar = progress(len(lines)) if progress else None
    decoded: list[tuple[int, Any]] = []
    for number, line in enumerate(lines, start=1):
        if bar:
            bar.update(number)
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        plan.rows += 1
        try:
            obj = load_json_line(line)
            if tz is not None and isinstance(obj, dict) and isinstance(obj.get("at"), str):
                obj["at"] = parse_time(obj["at"], tz).isoformat()
        except ValueError as exc:
            plan.bad.append(BadRow(number, "", str(exc)))
            continue
        decoded.append((number, obj))
    vocabulary = Vocabulary.of(matrix, *_published(decoded))
    planned: list[tuple[datetime, int, NewEvent]] = []
    for number, obj in decoded:
        try:
            line_event = parse_line(obj, matrix, vocabulary)
            event = line_event.event
            if event.ticket != MATRIX_STREAM:
                check_ticket_id(event.ticket)
        except ValueError as exc:
            plan.bad.append(BadRow(number, "", str(exc)))
            continue
        eid = (given_event_id(line_event.id) if line_event.id
               else event_id(event.ticket, event.type, event.at, event.data))
        who = author or line_event.author or DEFAULT_AUTHOR
        planned.append((event.at, len(planned),
                        NewEvent(event.ticket, event.type, event.data, who, event.at, eid)))
    planned.sort(key=lambda p: p[:2])
    plan.bad.sort(key=lambda b: b.line)  # stable: a line's problems keep their order
    plan.events = [p[2] for p in planned]
    return plan
