"""Paging load, from the delivery outbox (not from ticket events): pages per person
per week, a burst of pages within 60 s counted once, and the time from a chain's
first page to its acknowledgement (MTTA)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .rates import Spread

BURST = timedelta(seconds=60)
_WEEK_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True, slots=True)
class Page:
    """One delivery that paged a person: who, when, for which chain run, and when that
    run was acknowledged (None: never)."""

    person: str
    sent_at: datetime
    chain: str
    acknowledged_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PagingLoad:
    window_from: datetime
    window_to: datetime
    pages: dict[str, int]   # per person, bursts counted once
    weeks: float            # the window's length in weeks
    chains: int             # chain runs whose first page is in the window
    unacknowledged: int     # of those, never acknowledged
    mtta: Spread            # seconds from first page to acknowledgement

    def per_week(self) -> dict[str, float]:
        return {p: n / self.weeks for p, n in self.pages.items()}

    def to_json(self) -> dict[str, Any]:
        return {"window": {"from": self.window_from.isoformat(),
                           "to": self.window_to.isoformat()},
                "weeks": self.weeks,
                "people": {p: {"pages": self.pages[p], "per_week": rate}
                           for p, rate in self.per_week().items()},
                "chains": self.chains, "unacknowledged": self.unacknowledged,
                "mtta": self.mtta.to_json()}


def paging_load(pages: Iterable[Page], window_from: datetime, window_to: datetime
                ) -> PagingLoad:
    """The paging load over ``[window_from, window_to)``. A person's page counts unless it
    comes within 60 s of the last page counted for them; a chain run's MTTA runs from its
    first page to the earliest acknowledgement at or after it."""
    if window_to <= window_from:
        raise ValueError("a report's window must end after it starts")
    by_person: defaultdict[str, list[datetime]] = defaultdict(list)
    first: dict[str, datetime] = {}
    acked: dict[str, datetime] = {}
    for p in pages:
        if window_from <= p.sent_at < window_to:
            by_person[p.person].append(p.sent_at)
        if p.chain not in first or p.sent_at < first[p.chain]:
            first[p.chain] = p.sent_at
        if p.acknowledged_at is not None and (
                p.chain not in acked or p.acknowledged_at < acked[p.chain]):
            acked[p.chain] = p.acknowledged_at
    counted: dict[str, int] = {}
    for person in sorted(by_person):
        last: datetime | None = None
        n = 0
        for at in sorted(by_person[person]):
            if last is None or at - last >= BURST:
                n, last = n + 1, at
        counted[person] = n
    runs = [c for c, at in first.items() if window_from <= at < window_to]
    waits = [(acked[c] - first[c]).total_seconds() for c in runs
             if c in acked and acked[c] >= first[c]]
    weeks = (window_to - window_from).total_seconds() / _WEEK_SECONDS
    return PagingLoad(window_from, window_to, counted, weeks, len(runs),
                      len(runs) - len(waits), Spread.of(waits))
