"""A small generated history for the risk tests, with patterns the tests know: 40 % of
tickets are answered late (after the P2 response target of 1 h), and a quarter get an
angry customer message followed 20 minutes later by an escalation."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from console.domain.tickets import TicketEvent

START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
ANGRY = "This is unacceptable, we are cancelling our contract, terrible service."
CALM = "Thanks, here are the logs you asked for."


def opened(at: datetime, ticket: str, tier: str = "standard") -> list[TicketEvent]:
    """A P2 ticket opened at ``at``, its severity set by Support and confirmed."""
    return [TicketEvent(at, ticket, "opened", {
                "title": "Reports fail for some users", "text": "Details attached.",
                "account": "acct-1", "account_tier": tier, "category": "bug",
                "severity": "P2", "by": "support"}),
            TicketEvent(at + timedelta(minutes=2), ticket, "severity",
                        {"severity": "P2", "by": "engineering"})]


def history(tickets: int = 500, seed: int = 3, every: timedelta = timedelta(minutes=9)
            ) -> list[TicketEvent]:
    """``tickets`` P2 tickets opened ``every`` apart, each resolved 3 to 5 h later."""
    rng = random.Random(seed)
    out: list[TicketEvent] = []
    for i in range(tickets):
        tid = f"R{i:04d}"
        t0 = START + i * every
        end = t0 + timedelta(hours=rng.uniform(3, 5))
        events = opened(t0, tid, rng.choice(("enterprise", "standard")))
        late = rng.random() < 0.4
        answer = t0 + timedelta(minutes=rng.uniform(70, 100) if late else rng.uniform(5, 40))
        events.append(TicketEvent(answer, tid, "responded"))
        at = answer + timedelta(minutes=40)
        while at < end:
            events.append(TicketEvent(at, tid, "update_sent"))
            at += timedelta(minutes=40)
        if rng.random() < 0.25:
            said = t0 + timedelta(minutes=rng.uniform(20, 150))
            events.append(_message(said, tid, CALM))
            events.append(_message(said + timedelta(minutes=5), tid, ANGRY))
            events.append(TicketEvent(said + timedelta(minutes=25), tid, "escalated",
                                      {"team": "incident-response", "tier": "T3",
                                       "mode": "functional"}))
        elif rng.random() < 0.3:  # as many words, all calm, and no escalation
            said = t0 + timedelta(minutes=rng.uniform(20, 150))
            events.append(_message(said, tid, CALM))
            events.append(_message(said + timedelta(minutes=5), tid, CALM))
        events.append(TicketEvent(end, tid, "resolved"))
        out.extend(e for e in events if e.at <= end)
    out.sort(key=lambda e: e.at)  # stable: a ticket's opening stays first
    return out


def _message(at: datetime, ticket: str, text: str) -> TicketEvent:
    return TicketEvent(at, ticket, "message", {"text": text})


def by_ticket(events: list[TicketEvent]) -> dict[str, list[TicketEvent]]:
    out: dict[str, list[TicketEvent]] = {}
    for e in events:
        out.setdefault(e.ticket, []).append(e)
    return out


def to_json_line(e: TicketEvent) -> dict[str, Any]:
    """The event as an event file's line (docs/import.md)."""
    return {"at": e.at.isoformat(), "ticket": e.ticket, "type": e.type, **e.data}
