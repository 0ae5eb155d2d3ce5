"""Which SLA alerts fall due, and when: a heap over every ticket's clocks.

The app feeds it each ticket's clock views when the ticket changes; ``next_fire()`` is
the instant the scheduler should wake at, and ``due(now)`` pops what fell due. Each
alert has a stable key, so a console can record what it already showed and never
show it twice, across restarts too.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from .projection import ClockView


@dataclass(frozen=True, slots=True)
class Alert:
    ticket: str
    clock: str
    threshold: str  # pre_breach | breach
    at: datetime    # the instant it falls due
    due: datetime   # the clock's due instant
    severity: str

    @property
    def key(self) -> str:
        """(ticket, clock, threshold) identity; the update clock adds its due instant,
        since each cadence window is a new deadline."""
        base = f"{self.ticket}|{self.clock}|{self.threshold}"
        return f"{base}|{self.due.isoformat()}" if self.clock == "update" else base


def alerts_for(ticket: str, clocks: Iterable[ClockView]) -> list[Alert]:
    out = []
    for c in clocks:
        if c.stopped_at is not None or c.due is None:
            continue
        if c.pre_breach_at is not None:
            out.append(Alert(ticket, c.name, "pre_breach", c.pre_breach_at, c.due, c.severity))
        out.append(Alert(ticket, c.name, "breach", c.due, c.due, c.severity))
    return out


class AlertSchedule:
    """Upcoming alerts of all tickets, cheapest-first; stale entries are skipped lazily."""

    def __init__(self) -> None:
        self._heap: list[tuple[datetime, int, int, Alert]] = []
        self._version: dict[str, int] = {}
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._version)

    def set_ticket(self, ticket: str, clocks: Iterable[ClockView], resolved: bool = False
                   ) -> None:
        """Replace a ticket's alerts (after any change to it)."""
        version = self._version.get(ticket, 0) + 1
        if resolved:
            self._version.pop(ticket, None)
            return
        self._version[ticket] = version
        for alert in alerts_for(ticket, clocks):
            heapq.heappush(self._heap, (alert.at, next(self._seq), version, alert))

    def remove(self, ticket: str) -> None:
        self._version.pop(ticket, None)

    def _live(self, entry: tuple[datetime, int, int, Alert]) -> bool:
        return self._version.get(entry[3].ticket) == entry[2]

    def next_fire(self) -> datetime | None:
        while self._heap and not self._live(self._heap[0]):
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    def due(self, now: datetime) -> list[Alert]:
        """Pop every live alert due at or before ``now``, in time order."""
        out = []
        while self._heap and self._heap[0][0] <= now:
            entry = heapq.heappop(self._heap)
            if self._live(entry):
                out.append(entry[3])
        return out
