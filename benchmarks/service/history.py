"""A year of history in the shared database, fast: about ``events`` events over 365
days, most tickets resolved, the last days' tickets still open, written with COPY.

Each ticket is opened, gets a support severity (P1 to P4), an engineering
confirmation for P1/P2, a response, a few updates and customer messages, and, unless
it was opened in the last days, a resolution. HLCs follow the events' instants, one
device, so the fold's order is the order of ``at``.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import psycopg

from console.domain.hlc import Timestamp, to_ms

COLUMNS = ("id", "ticket", "kind", "payload", "author", "device", "hlc", "at")
DEVICE = "history-bench"
SEVERITIES = ("P1", "P2", "P3", "P4")
WEIGHTS = (0.05, 0.2, 0.45, 0.3)
OPEN_DAYS = 3  # tickets opened in the last three days stay open


def _row(rng: random.Random, ticket: str, kind: str, payload: dict, author: str,
         at: datetime, counter: int) -> tuple[str, ...]:
    hlc = Timestamp(to_ms(at), counter, DEVICE).encode()
    return (str(uuid.UUID(int=rng.getrandbits(128), version=4)), ticket, kind,
            json.dumps(payload, sort_keys=True, separators=(",", ":")), author, DEVICE,
            hlc, at.isoformat())


def ticket_events(rng: random.Random, n: int, opened_at: datetime, now: datetime
                  ) -> list[tuple[str, ...]]:
    """The rows of ticket number n, opened at ``opened_at``."""
    ticket, sev = f"H-{n:07d}", rng.choices(SEVERITIES, WEIGHTS)[0]
    rows, at, c = [], opened_at, n % 1000
    rows.append(_row(rng, ticket, "opened", {
        "title": f"Checkout fails for region {n % 17}", "account": f"Account {n % 400}",
        "users_affected_pct": rng.choice((1, 5, 20, 60)),
        "workaround": rng.choice(("none", "partial", "full"))}, "agent", at, c))
    at += timedelta(minutes=rng.uniform(1, 9))
    rows.append(_row(rng, ticket, "severity", {"severity": sev, "by": "support"}, "agent", at, c))
    if sev in ("P1", "P2"):
        at += timedelta(minutes=rng.uniform(1, 9))
        rows.append(_row(rng, ticket, "severity", {"severity": sev, "by": "engineering"},
                         "engineer", at, c))
    at += timedelta(minutes=rng.uniform(5, 60))
    rows.append(_row(rng, ticket, "responded", {}, "agent", at, c))
    for _ in range(rng.randint(1, 3)):
        at += timedelta(hours=rng.uniform(0.5, 8))
        rows.append(_row(rng, ticket, "update_sent", {"text": "We are on it."}, "agent", at, c))
        rows.append(_row(rng, ticket, "message", {"text": "Any news? This is urgent."},
                         "customer", at + timedelta(minutes=3), c))
    if opened_at < now - timedelta(days=OPEN_DAYS):
        at += timedelta(hours=rng.uniform(1, 48))
        rows.append(_row(rng, ticket, "resolved", {}, "agent", min(at, now), c))
    return [r for r in rows if r[7] <= now.isoformat()]


def year_of_rows(events: int, now: datetime, seed: int = 7) -> Iterator[tuple[str, ...]]:
    """About ``events`` rows, tickets opened evenly over the 365 days before ``now``."""
    rng = random.Random(seed)
    tickets = max(1, events // 8)  # ~8 events a ticket on average
    start = now - timedelta(days=365)
    step = timedelta(days=365) / tickets
    for n in range(tickets):
        yield from ticket_events(rng, n, start + n * step, now)


def load(url: str, events: int, now: datetime, seed: int = 7) -> int:
    """COPY about ``events`` events into the shared database's events table, in the
    order of their instants (seq follows); returns how many."""
    rows = sorted(year_of_rows(events, now, seed), key=lambda r: r[6])
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy(f"COPY events ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
        cur.execute("ANALYZE events")
    return len(rows)
