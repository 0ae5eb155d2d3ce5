"""A year of tickets, about ten events each (deterministic for a seed): what the
reports benchmark loads. Severities, escalations, two-stage disagreements, waits on
the customer, reassignments, handoffs, update cycles and reopens in realistic shares."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

START = datetime(2025, 1, 6, 8, tzinfo=UTC)
YEAR = timedelta(days=365)
AGENTS = tuple(f"agent-{n:02d}" for n in range(24))
CATEGORIES = ("bug", "billing", "how-to", "outage", "integration", "account")
SEVERITIES = ("P1", "P2", "P3", "P4")
WEIGHTS = (2, 18, 50, 30)
MIN = timedelta(minutes=1)


def ticket_events(rng: random.Random, n: int, opened: datetime
                  ) -> list[tuple[datetime, str, dict[str, Any]]]:
    """One ticket's life as (instant, kind, payload), in time order."""
    sev = rng.choices(SEVERITIES, WEIGHTS)[0]
    owner = rng.choice(AGENTS)
    out: list[tuple[datetime, str, dict[str, Any]]] = [(opened, "opened", {
        "title": f"ticket {n}", "account": f"acct-{n % 997}", "severity": sev,
        "by": "support", "owner": owner, "category": rng.choice(CATEGORIES),
        "users_affected_pct": rng.choice((1, 5, 20, 60)), "workaround": "partial"})]
    at = opened
    if rng.random() < 0.4:  # Engineering confirms, now and then differently
        at += rng.randint(2, 30) * MIN
        confirmed = sev if rng.random() < 0.84 else rng.choice(SEVERITIES)
        out.append((at, "severity", {"severity": confirmed, "by": "engineering"}))
    if rng.random() < 0.7:
        at += rng.randint(1, 20) * MIN
        out.append((at, "acknowledged", {"by": owner}))
    at += rng.randint(3, 90) * MIN
    out.append((at, "responded", {}))
    for _ in range(rng.randint(1, 4)):  # update cycles
        at += rng.randint(30, 300) * MIN
        out.append((at, "update_sent", {"text": "working on it"}))
    if rng.random() < 0.45:
        at += rng.randint(10, 120) * MIN
        out.append((at, "status", {"status": "waiting_on_customer"}))
        at += rng.randint(30, 1440) * MIN
        out.append((at, "status", {"status": "open"}))
    if rng.random() < 0.09:
        at += rng.randint(10, 240) * MIN
        out.append((at, "escalated", {"team": "specialists", "tier": "T2",
                                      "from_team": "frontline", "kind": "functional",
                                      "by": owner}))
        if rng.random() < 0.3:
            at += rng.randint(10, 240) * MIN
            out.append((at, "escalated", {"team": "senior-engineering", "tier": "T3",
                                          "from_team": "specialists",
                                          "kind": "hierarchical", "by": owner}))
    if rng.random() < 0.2:
        at += rng.randint(5, 60) * MIN
        out.append((at, "assigned", {"owner": rng.choice(AGENTS)}))
    if rng.random() < 0.1:
        at += rng.randint(5, 60) * MIN
        out.append((at, "handoff_submitted", {"target": "specialists", "by": owner}))
    for _ in range(rng.randint(1, 3)):
        at += rng.randint(5, 120) * MIN
        out.append((at, "message", {"text": "note"}))
    at += rng.randint(30, 2880) * MIN
    out.append((at, "resolved", {}))
    if rng.random() < 0.03:
        at += rng.randint(60, 2880) * MIN
        out.append((at, "reopened", {}))
        at += rng.randint(60, 1440) * MIN
        out.append((at, "resolved", {}))
    return out


def tickets(count: int, seed: int = 15) -> Iterator[tuple[str, list[tuple[datetime, str,
                                                                           dict[str, Any]]]]]:
    """``count`` tickets opened evenly over a year from ``START``, each with its events."""
    rng = random.Random(seed)
    step = YEAR / count
    for n in range(count):
        opened = START + n * step + rng.randint(0, 59) * MIN
        yield f"INC-{n:06d}", ticket_events(rng, n, opened)
