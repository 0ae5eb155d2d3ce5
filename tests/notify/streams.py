"""Random ticket event streams for the checkpoint tests: every kind the engine folds,
resolutions, reopenings and late messages on resolved tickets included."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from console.domain.matrix.model import Matrix
from console.domain.tickets import TicketEvent

CALM = ("Any news on this?", "Thanks, that works.", "Here are the logs.")
ANGRY = ("This is unacceptable, we are cancelling our contract.",
         "Terrible support, refund now or we switch to a competitor.")
KINDS = (("severity", 4), ("responded", 3), ("update_sent", 3), ("status", 3),
         ("message", 4), ("acknowledged", 2), ("resolved", 3), ("reopened", 2),
         ("escalated", 1), ("handoff_submitted", 1))
STEPS = (1, 20, 90, 300, 900, 1800, 3600, 4 * 3600)


@dataclass(frozen=True, slots=True)
class Logged:
    """An event as the store's log holds it: its rowid and the domain event."""

    rowid: int
    event: TicketEvent

    @property
    def ticket(self) -> str:
        return self.event.ticket

    def to_domain(self) -> TicketEvent:
        return self.event


def intake(rng: random.Random, n: int) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": rng.choice(("Checkout down", "Payment failed", "Slow dashboard",
                             "How do I export?")) + f" #{n}",
        "text": rng.choice(CALM + ANGRY),
        "account": f"Account {rng.randrange(5)}",
        "account_tier": rng.choice(("enterprise", "standard", "")),
        "users_affected_pct": rng.choice((0, 1, 10, 40, 80)),
        "workaround": rng.choice(("none", "partial", "full")),
        "revenue_risk": rng.random() < 0.2,
        "security_breach": rng.random() < 0.05,
        "category": rng.choice(("bug", "outage", "payments", "question", "")),
    }
    if rng.random() < 0.4:
        data.update(severity=rng.choice(("P1", "P2", "P3", "P4")), by="support")
    return data


def payload(rng: random.Random, kind: str, matrix: Matrix) -> dict[str, Any]:
    if kind == "severity":
        return {"severity": rng.choice(("P1", "P2", "P3", "P4")),
                "by": rng.choice(("support", "engineering"))}
    if kind == "status":
        return {"status": rng.choice(("waiting_on_customer", "open"))}
    if kind == "message":
        return {"text": rng.choice(CALM + ANGRY)}
    if kind == "escalated":
        team = rng.choice(matrix.teams)
        return {"team": team.id, "tier": team.tier}
    if kind == "handoff_submitted":
        return {"note": "over to you"}
    return {}


def stream(seed: int, events: int, start: datetime, matrix: Matrix) -> list[TicketEvent]:
    """``events`` events on a growing set of tickets, strictly later one after another."""
    rng = random.Random(seed)
    kinds = [k for k, w in KINDS for _ in range(w)]
    at, out, tickets = start, [], []
    for _ in range(events):
        at += timedelta(seconds=rng.choice(STEPS))
        if not tickets or rng.random() < 0.18:
            tid = f"T{len(tickets)}"
            tickets.append(tid)
            out.append(TicketEvent(at, tid, "opened", intake(rng, len(tickets)), "agent"))
            continue
        # recent tickets get most of the events; old ones come back now and then
        tid = tickets[-1 - min(len(tickets) - 1, int(rng.expovariate(0.3)))]
        kind = rng.choice(kinds)
        out.append(TicketEvent(at, tid, kind, payload(rng, kind, matrix), "agent"))
    return out
