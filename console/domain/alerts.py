"""Which SLA alerts fall due, and when: a heap over every ticket's clocks.

The app feeds it each ticket's clock views when the ticket changes; ``next_fire()`` is
the instant the scheduler should wake at, and ``due(now)`` pops what fell due. Each
alert has a stable key, so a console can record what it already showed and never
show it twice, across restarts too. ``triage`` sorts a batch of due alerts into what
is shown on its own, what is caught up after downtime, and what is history from
before the console first started (summarised, never replayed one by one).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

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


# -- what to do with a batch of due alerts ---------------------------------------------
@dataclass(frozen=True, slots=True)
class Triage:
    """A batch of due alerts, sorted by what the console should do with each."""

    live: tuple[Alert, ...]     # fell due while the console ran: shown one by one
    late: tuple[Alert, ...]     # fell due while it was closed (or arrived late): listed,
                                # but one desktop notification for the lot
    backlog: tuple[Alert, ...]  # fell due before this console first started: history,
                                # only summarised, since the ticket still needs action
    silent: tuple[Alert, ...]   # a pre-breach whose breach is in the same batch


def triage(due: Iterable[Alert], *, now: datetime, since: datetime, started: datetime,
           late_after: timedelta) -> Triage:
    """Sort due alerts: ``since`` is when this console first started alerting, ``started``
    when this run began; an alert more than ``late_after`` old at ``now`` is late."""
    batch = list(due)
    breached = {(a.ticket, a.clock, a.due) for a in batch if a.threshold == "breach"}
    live, late, backlog, silent = [], [], [], []
    for a in batch:
        if a.threshold == "pre_breach" and (a.ticket, a.clock, a.due) in breached:
            silent.append(a)  # "about to breach" is moot once it has breached
        elif a.at < since:
            backlog.append(a)
        elif a.at < started or now - a.at > late_after:
            late.append(a)
        else:
            live.append(a)
    return Triage(tuple(live), tuple(late), tuple(backlog), tuple(silent))


@dataclass(frozen=True, slots=True)
class Attention:
    """One ticket that needs action now, as a summary lists it."""

    ticket: str
    severity: str
    state: str      # breached | pre_breach
    clock: str
    due: datetime
    title: str = ""

    @property
    def rank(self) -> tuple[int, str, datetime]:
        return (0 if self.state == "breached" else 1, self.severity, self.due)


def attention(alerts: Iterable[Alert], titles: dict[str, str] | None = None,
              earlier: Iterable[Attention] = ()) -> tuple[Attention, ...]:
    """One entry per ticket, its most pressing clock; breached first, then severity,
    then due time. ``earlier`` entries are merged in (a summary that grows)."""
    titles = titles or {}
    best: dict[str, Attention] = {a.ticket: a for a in earlier}
    for a in alerts:
        state = "breached" if a.threshold == "breach" else "pre_breach"
        item = Attention(a.ticket, a.severity, state, a.clock, a.due,
                         titles.get(a.ticket, best[a.ticket].title if a.ticket in best else ""))
        if a.ticket not in best or item.rank < best[a.ticket].rank:
            best[a.ticket] = item
    return tuple(sorted(best.values(), key=lambda x: (x.rank, x.ticket)))


def by_severity(severities: Iterable[str]) -> str:
    """``3 P1, 5 P2, 1 P4``: counts in severity order."""
    counts: dict[str, int] = {}
    for s in severities:
        counts[s] = counts.get(s, 0) + 1
    return ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def backlog_headline(items: Iterable[Attention]) -> str:
    """``5 tickets need action: 3 breached (2 P1, 1 P3), 2 about to breach (2 P2)``."""
    items = list(items)
    parts = []
    for state, words in (("breached", "breached"), ("pre_breach", "about to breach")):
        group = [i.severity for i in items if i.state == state]
        if group:
            parts.append(f"{len(group)} {words} ({by_severity(group)})")
    verb = "needs" if len(items) == 1 else "need"
    return f"{_plural(len(items), 'ticket')} {verb} action: " + ", ".join(parts)


def catch_up_headline(alerts: Iterable[Alert], *, while_closed: bool) -> str:
    """``12 alerts while closed: 3 P1, 5 P2, 4 P3`` (or ``12 late alerts: …``)."""
    alerts = list(alerts)
    what = (f"{_plural(len(alerts), 'alert')} while closed" if while_closed
            else f"{len(alerts)} late {'alert' if len(alerts) == 1 else 'alerts'}")
    return f"{what}: {by_severity(a.severity for a in alerts)}"
