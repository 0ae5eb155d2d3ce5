"""A deterministic, realistic ticket workload for the engine benchmark.

``N`` tickets are opened before the start (P1s in the last 3 hours, P2s in the last
6, P3s and P4s across the preceding 2 days), so all ``N`` are open at the start.
During the ``H`` simulated hours that follow, agents respond, send updates, wait on
the customer, customers write (some of it angry), Support and Engineering change
severities, on-call acknowledges pages, tickets are resolved and new tickets open.
Every random choice comes from one seeded ``random.Random``: same seed, same events.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from console.domain.tickets import TicketEvent

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # a Monday morning; the matrix is 24x7
MIN, HOUR = 60, 3600

SEVERITY_MIX = (("P1", 0.05), ("P2", 0.15), ("P3", 0.45), ("P4", 0.35))
# How long before the start the initially open tickets were opened (seconds).
OPENED_SPREAD = {"P1": 3 * HOUR, "P2": 6 * HOUR, "P3": 48 * HOUR, "P4": 48 * HOUR}
RESPONSE = {"P1": 15 * MIN, "P2": HOUR, "P3": 24 * HOUR, "P4": 48 * HOUR}
# What agents actually do about updates (the P3/P4 targets are 7d and 30d).
UPDATE_EVERY = {"P1": 30 * MIN, "P2": HOUR, "P3": 30 * HOUR, "P4": 72 * HOUR}
# Chance that an initially open ticket is resolved during the window (about 30% overall).
RESOLVE_P = {"P1": 0.85, "P2": 0.8, "P3": 0.25, "P4": 0.15}
RESOLVE_WITHIN = {"P1": 4 * HOUR, "P2": 9 * HOUR, "P3": 72 * HOUR, "P4": 96 * HOUR}
NEW_TICKETS_PER_HOUR = 1 / 96  # of N: steady arrivals, half of the 2-day backlog per day

INTAKE: dict[str, tuple[dict[str, Any], ...]] = {
    "P1": ({"users_affected_pct": 60, "workaround": "none", "revenue_risk": True,
            "category": "outage", "title": "Checkout down for everyone"},
           {"security_breach": True, "category": "security",
            "title": "Customer data visible to other tenants"}),
    "P2": ({"users_affected_pct": 12, "workaround": "partial", "category": "bug",
            "title": "Reports fail for some users"},
           {"account_tier": "enterprise", "workaround": "none", "category": "bug",
            "title": "Invoice export broken"},
           {"users_affected_pct": 8, "workaround": "none", "category": "bug",
            "title": "Payment confirmation emails missing"}),
    "P3": ({"workaround": "full", "category": "bug", "title": "Filter resets on reload"},
           {"workaround": "full", "category": "performance", "title": "Dashboard is slow"},
           {"workaround": "full", "category": "integration", "title": "Webhook retries"},
           {"workaround": "full", "category": "bug", "title": "Card declined message unclear"}),
    "P4": ({"workaround": "full", "category": "feature_request", "title": "Dark mode please"},
           {"workaround": "full", "category": "ui", "title": "Button misaligned"},
           {"workaround": "full", "category": "question", "title": "How do I export data?"}),
}
CALM = ("Any news on this?", "Thanks, we will try that.", "Here are the logs you asked for.",
        "It happened again this morning.", "Could you give us an ETA?")
ANGRY = ("This is unacceptable, we pay for premium support.",
         "We are cancelling our contract if this is not fixed today.",
         "Our lawyer will be in touch.", "Refund now or we are switching to a competitor.")
# Severity changes: (from, to, who). Upgrades make deadlines earlier, some already past.
CHANGES = {"P2": (("P1", "engineering"), ("P3", "engineering")),
           "P3": (("P2", "support"), ("P4", "support"), ("P2", "engineering")),
           "P4": (("P3", "support"),)}


@dataclass(frozen=True, slots=True)
class Workload:
    seed: int
    tickets: int             # open at the start
    new_tickets: int         # opened during the window
    start: datetime
    end: datetime
    events: list[TicketEvent]  # in time order
    warmup: int              # events[:warmup] happen at or before the start
    severities: dict[str, int]  # tickets by the severity their intake (or Support) gives

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for e in self.events:
            out[e.type] = out.get(e.type, 0) + 1
        return out


class _Ticket:
    """Collects one ticket's events as (second offset from START, type, data)."""

    def __init__(self, rng: random.Random, tid: str, sev: str, opened: int,
                 resolve: int | None, end: int) -> None:
        self.rng, self.tid, self.sev, self.opened = rng, tid, sev, opened
        self.stop = min(end, resolve) if resolve is not None else end
        self.resolve = resolve if resolve is not None and resolve <= end else None
        self.out: list[tuple[int, str, str, dict[str, Any]]] = []

    def add(self, at: int, kind: str, data: dict[str, Any] | None = None) -> None:
        if self.opened < at < self.stop or kind == "opened":
            self.out.append((at, self.tid, kind, data or {}))

    def delay(self, target: int, on_time: float, low: float = 0.05) -> int:
        """A delay relative to a target: mostly within it (from ``low`` of it), else over."""
        rng = self.rng
        factor = rng.uniform(low, 0.98) if rng.random() < on_time else rng.uniform(1.02, 1.6)
        return max(1, int(target * factor))


def _lifecycle(t: _Ticket) -> None:
    rng, sev, t0 = t.rng, t.sev, t.opened
    data = dict(rng.choice(INTAKE[sev]))
    data["account"] = f"acct-{rng.randrange(5000):04d}"
    data["text"] = "Details attached."
    two_stage = sev in ("P1", "P2")
    if not two_stage and rng.random() < 0.4:
        data["severity"], data["by"] = sev, "support"
    t.add(t0, "opened", data)
    if two_stage:  # Support sets the initial severity, Engineering confirms it
        initial = t0 + t.delay(10 * MIN, 0.9)
        t.add(initial, "severity", {"severity": sev, "by": "support"})
        t.add(initial + t.delay(10 * MIN, 0.85), "severity", {"severity": sev, "by": "engineering"})
        if rng.random() < 0.9:  # on-call acknowledges the page, sometimes after a timeout
            t.add(t0 + rng.randint(60, 25 * MIN), "acknowledged")
    responded = t0 + t.delay(RESPONSE[sev], 0.85)
    t.add(responded, "responded")
    at = responded
    while at < t.stop:  # update cadence
        at += t.delay(UPDATE_EVERY[sev], 0.9, low=0.7)
        t.add(at, "update_sent")
    if rng.random() < (0.06 if two_stage else 0.22):  # waiting on the customer
        pause = responded + rng.randint(5 * MIN, 8 * HOUR)
        back = pause + rng.randint(20 * MIN, 6 * HOUR)
        t.add(pause, "status", {"status": "waiting_on_customer"})
        t.add(back - 1, "message", {"text": rng.choice(CALM)})
        t.add(back, "status", {"status": "open"})
    for _ in range(rng.choice((0, 0, 0, 1, 1, 2))):  # customer messages
        text = rng.choice(ANGRY) if rng.random() < 0.08 else rng.choice(CALM)
        t.add(t0 + rng.randint(60, max(120, t.stop - t0)), "message", {"text": text})
    if sev in CHANGES and rng.random() < 0.05:  # a later severity change
        to, by = rng.choice(CHANGES[sev])
        t.add(t0 + rng.randint(5 * MIN, max(6 * MIN, t.stop - t0)), "severity",
              {"severity": to, "by": by, "reason": "re-assessed"})
    if t.resolve is not None:
        t.out.append((t.resolve, t.tid, "resolved", {}))


def _severity(rng: random.Random) -> str:
    x, acc = rng.random(), 0.0
    for sev, share in SEVERITY_MIX:
        acc += share
        if x < acc:
            return sev
    return SEVERITY_MIX[-1][0]


def generate(tickets: int, hours: float, seed: int) -> Workload:
    """Build the workload; events are sorted by time (ties keep generation order)."""
    rng = random.Random(seed)
    end = int(hours * HOUR)
    mix = dict.fromkeys(RESPONSE, 0)
    rows: list[tuple[int, str, str, dict[str, Any]]] = []
    for i in range(tickets):  # the backlog: open at the start
        sev = _severity(rng)
        mix[sev] += 1
        opened = -rng.randint(0, OPENED_SPREAD[sev])
        resolve = None
        if rng.random() < RESOLVE_P[sev]:
            resolve = rng.randint(60, min(end, RESOLVE_WITHIN[sev]) or 60)
        t = _Ticket(rng, f"TK{i:07d}", sev, opened, resolve, end)
        _lifecycle(t)
        rows.extend(t.out)
    new = int(tickets * NEW_TICKETS_PER_HOUR * hours)
    for j in range(new):  # arrivals during the window
        sev = _severity(rng)
        mix[sev] += 1
        opened = rng.randint(1, max(1, end - 1))
        resolve = None
        if rng.random() < RESOLVE_P[sev]:
            resolve = opened + rng.randint(10 * MIN, RESOLVE_WITHIN[sev])
        t = _Ticket(rng, f"TK{tickets + j:07d}", sev, opened, resolve, end)
        _lifecycle(t)
        rows.extend(t.out)
    rows.sort(key=lambda r: r[0])  # stable: a ticket's "opened" row precedes its others
    base = {s: START + timedelta(seconds=s) for s in {r[0] for r in rows}}
    events = [TicketEvent(base[s], tid, kind, data) for s, tid, kind, data in rows]
    warmup = sum(1 for r in rows if r[0] <= 0)
    return Workload(seed, tickets, new, START, START + timedelta(seconds=end), events, warmup,
                    mix)
