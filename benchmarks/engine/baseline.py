"""The naive baseline: rescan every open ticket every simulated minute.

At each minute boundary it folds the events that arrived since the last scan into the
ticket states (``apply_event``), recomputes every open ticket's clocks with
``ticket_clocks`` and fires each pre_breach/breach whose instant has passed, once,
at the minute boundary (so late by up to a minute). This is what a polling scheduler
would do, and what the engine's timer heap is meant to beat.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from console.domain.clocks import ticket_clocks
from console.domain.engine import build_calendars
from console.domain.matrix import Matrix
from console.domain.scoring import score
from console.domain.tickets import TicketEvent, TicketState, apply_event

# (fired at, ticket, kind, clock, cycle, instant)
NaiveFire = tuple[datetime, str, str, str, int, datetime]


class NaiveScanner:
    def __init__(self, matrix: Matrix) -> None:
        self.matrix = matrix
        self.cals = build_calendars(matrix)
        self.open: dict[str, TicketState] = {}
        self.closed: dict[str, TicketState] = {}
        self.scored: dict[str, str] = {}
        self.fired: set[tuple[str, str, str, int]] = set()

    def fold(self, event: TicketEvent) -> None:
        tid = event.ticket
        state = self.open.get(tid) or self.closed.get(tid)
        new = apply_event(state, event)
        if new is None:
            return
        if state is None:
            self.scored[tid] = score(self.matrix, new.intake).severity
        self.open[tid] = new
        if not new.open:  # scanned once more, then dropped
            self.closed[tid] = new

    def scan(self, now: datetime, record: bool = True) -> list[NaiveFire]:
        out: list[NaiveFire] = []
        matrix, cals, fired, scored = self.matrix, self.cals, self.fired, self.scored
        for tid, st in self.open.items():
            resolved = st.resolved_at
            for c in ticket_clocks(st, matrix, cals, st.severity or scored[tid]):
                if c.due is None:
                    continue  # paused
                for kind, instant in (("pre_breach", c.pre_breach_at), ("breach", c.due)):
                    if instant is None or instant > now:
                        continue
                    if c.stopped_at is not None and c.stopped_at <= instant:
                        continue
                    if resolved is not None and resolved <= instant:
                        continue
                    key = (tid, kind, c.name, c.cycle)
                    if key in fired:
                        continue
                    fired.add(key)
                    if record:
                        out.append((now, tid, kind, c.name, c.cycle, instant))
        for tid in self.closed:
            self.open.pop(tid, None)
        self.closed.clear()
        return out


@dataclass(frozen=True, slots=True)
class BaselineRun:
    minutes: int
    cpu: float
    wall: float
    events: int
    fires: list[NaiveFire]
    open_tickets: int

    @property
    def cpu_per_minute(self) -> float:
        return self.cpu / self.minutes if self.minutes else 0.0

    def extrapolate(self, hours: float) -> float:
        return self.cpu_per_minute * hours * 60

    def as_dict(self, hours: float) -> dict[str, Any]:
        return {"minutes_measured": self.minutes, "cpu_s": round(self.cpu, 3),
                "wall_s": round(self.wall, 3), "events": self.events,
                "cpu_per_minute_s": round(self.cpu_per_minute, 4),
                "extrapolated_cpu_s": round(self.extrapolate(hours), 1),
                "fires": len(self.fires), "open_tickets": self.open_tickets}


def run_baseline(events: list[TicketEvent], warmup: int, start: datetime, matrix: Matrix,
                 minutes: int) -> BaselineRun:
    """Scan ``minutes`` simulated minutes from ``start``. Folding the backlog and the
    first scan at ``start`` (which only marks past deadlines as already fired) are
    setup and not measured."""
    scanner = NaiveScanner(matrix)
    for e in events[:warmup]:
        scanner.fold(e)
    scanner.scan(start, record=False)
    open_tickets = len(scanner.open)
    gc.collect()
    fires: list[NaiveFire] = []
    i, n = warmup, len(events)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for minute in range(1, minutes + 1):
        now = start + timedelta(minutes=minute)
        while i < n and events[i].at <= now:
            scanner.fold(events[i])
            i += 1
        fires.extend(scanner.scan(now))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return BaselineRun(minutes, cpu, wall, i - warmup, fires, open_tickets)
