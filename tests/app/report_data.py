"""Event files for the report's tests: a small hand-made one whose answers
tests/test_cli_report.py states as computed by hand, and a larger generated one that
fills every chart. Until the store's rollup (``console.app.usecases.reports``) is used,
``facts_of`` folds the events into facts here, in the test only.

The hand-made file: twelve tickets R01..R12 opened a day apart from Monday
2026-11-02 09:00 UTC on the frontline team (T1), each responded 15 minutes and
resolved 2 hours after opening.

- R01, R02 (P1 by Support), R03..R06 (P2), category bug: owned by ann.
- R07..R12 (P3), category billing: owned by bob.
- ann escalates R01 and R02 to specialists (T2) 30 minutes after opening; bob
  escalates R07 the same way.
- Engineering confirms R01 as P1 (agrees) and R03 as P1 (Support said P2).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from console.domain.engine import build_calendars
from console.domain.matrix.model import Matrix
from console.domain.reports import TicketFacts, ticket_facts
from console.domain.tickets import TicketEvent

START = datetime(2026, 11, 2, 9, tzinfo=UTC)
MIN = timedelta(minutes=1)


def _line(at: datetime, ticket: str, kind: str, /, **data: Any) -> dict[str, Any]:
    return {"at": at.isoformat(), "ticket": ticket, "type": kind, **data}


def hand_made() -> list[dict[str, Any]]:
    """The twelve tickets of the module's docstring, in time order."""
    lines: list[dict[str, Any]] = []
    for i in range(12):
        ticket, t = f"R{i + 1:02}", START + timedelta(days=i)
        severity = "P1" if i < 2 else "P2" if i < 6 else "P3"
        owner, category = ("ann", "bug") if i < 6 else ("bob", "billing")
        lines.append(_line(t, ticket, "opened", title=f"Ticket {ticket}", severity=severity,
                           by="support", owner=owner, category=category))
        if ticket in ("R01", "R03"):
            lines.append(_line(t + 5 * MIN, ticket, "severity", severity="P1",
                               by="engineering"))
        lines.append(_line(t + 15 * MIN, ticket, "responded"))
        if ticket in ("R01", "R02", "R07"):
            lines.append(_line(t + 30 * MIN, ticket, "escalated", team="specialists",
                               tier="T2", kind="functional", from_team="frontline",
                               by=owner, reason="needs a specialist"))
        lines.append(_line(t + 120 * MIN, ticket, "resolved"))
    return lines


def generated(tickets: int = 80, weeks: int = 4) -> list[dict[str, Any]]:
    """A busy month: every severity, five agents (ann escalates half of hers), three
    teams, disagreements in both directions, waiting on the customer, late responses."""
    agents = ["ann", "bob", "cat", "dan", "eve"]
    categories = ["bug", "billing", "how-to", "outage", "access"]
    teams = [("specialists", "T2"), ("senior-engineering", "T3")]
    step = timedelta(days=7 * weeks) / tickets
    lines: list[dict[str, Any]] = []
    for i in range(tickets):
        ticket, t = f"G{i + 1:03}", START + i * step
        severity = ("P1", "P2", "P3", "P4")[i % 4 if i % 3 else 2]
        owner = agents[i % 5]
        lines.append(_line(t, ticket, "opened", title=f"Ticket {ticket}", severity=severity,
                           by="support", owner=owner, category=categories[i % 7 % 5]))
        if i % 2 == 0:
            confirmed = severity if i % 6 else ("P1", "P2", "P3", "P4")[(i // 6) % 4]
            lines.append(_line(t + 5 * MIN, ticket, "severity", severity=confirmed,
                               by="engineering"))
        lines.append(_line(t + (10 + 7 * (i % 9)) * MIN, ticket, "responded"))
        if (owner == "ann" and i % 2) or i % 11 == 0:
            team, tier = teams[i % 2]
            lines.append(_line(t + 40 * MIN, ticket, "escalated", team=team, tier=tier,
                               kind="functional", from_team="frontline", by=owner,
                               reason="needs a specialist"))
        if i % 5 == 3:
            lines.append(_line(t + 60 * MIN, ticket, "status", status="waiting_on_customer"))
            lines.append(_line(t + 180 * MIN, ticket, "status", status="open"))
        if i < tickets - 6:
            lines.append(_line(t + (90 + 45 * (i % 8)) * MIN, ticket, "resolved"))
    lines.sort(key=lambda line: line["at"])
    return lines


def jsonl(lines: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(line) + "\n" for line in lines)


def _events(lines: list[dict[str, Any]]) -> Iterator[tuple[str, TicketEvent]]:
    for line in lines:
        data = {k: v for k, v in line.items() if k not in ("at", "ticket", "type")}
        yield line["ticket"], TicketEvent(datetime.fromisoformat(line["at"]), line["ticket"],
                                          line["type"], data)


def facts_of(lines: list[dict[str, Any]], matrix: Matrix) -> list[TicketFacts]:
    """Each ticket's facts, folded here (a test's stand-in for the store's rollup)."""
    by_ticket: dict[str, list[TicketEvent]] = {}
    for ticket, event in _events(lines):
        by_ticket.setdefault(ticket, []).append(event)
    calendars = build_calendars(matrix)
    found = [ticket_facts(events, matrix, calendars) for events in by_ticket.values()]
    return [f for f in found if f is not None]
