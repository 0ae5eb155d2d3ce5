"""Timed runs of the engine: the event replay and the matrix change."""

from __future__ import annotations

import gc
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from console.domain.engine import Engine
from console.domain.fires import Fire
from console.domain.matrix import Matrix, parse_matrix_text
from console.paths import default_matrix_path

from .checks import SLA_KINDS, SlaFire
from .workload import Workload

# The matrix change: P2 response 1h -> 45m, P3 response 24h -> 20h.
EDITS = (("targets: {calendar: 24x7, response: 1h, update: 1h, resolution: 8h}",
          "targets: {calendar: 24x7, response: 45m, update: 1h, resolution: 8h}"),
         ("targets: {calendar: 24x7, response: 24h, update: 7d}",
          "targets: {calendar: 24x7, response: 20h, update: 7d}"))


def load_matrices() -> tuple[Matrix, Matrix]:
    """The default matrix and the modified one, edited as YAML text and parsed."""
    path = default_matrix_path()
    text = path.read_text(encoding="utf-8")
    modified = text
    for old, new in EDITS:
        if modified.count(old) != 1:
            raise SystemExit(f"cannot build the modified matrix: {old!r} not found once")
        modified = modified.replace(old, new)
    base, changed = parse_matrix_text(text, str(path)), parse_matrix_text(modified, "modified")
    assert changed.severity("P2").target("response") == timedelta(minutes=45)
    assert changed.severity("P3").target("response") == timedelta(hours=20)
    return base, changed


@dataclass(slots=True)
class EngineRun:
    engine: Engine
    sla: list[SlaFire]          # compact copies of the pre_breach/breach fires
    kinds: Counter[str]         # every fire, by kind
    cpu_warmup: float
    wall_warmup: float
    cpu_window: float
    wall_window: float
    window_fires: int

    @property
    def cpu(self) -> float:
        return self.cpu_warmup + self.cpu_window

    @property
    def wall(self) -> float:
        return self.wall_warmup + self.wall_window

    @property
    def fires(self) -> int:
        return sum(self.kinds.values())

    def heap_stats(self) -> tuple[int, int]:
        """(heap entries, live entries): stale ones wait to be popped."""
        heap, tickets = self.engine._heap, self.engine.tickets
        live = sum(1 for e in heap if tickets[e[2]].version == e[3])
        return len(heap), live


class _Sink:
    """The consumer of fires: counts every kind and keeps a compact record of SLA fires
    for the checks. (Keeping a million ``Fire`` objects alive would bill the engine for
    the garbage collector's walks over the benchmark's own list.)"""

    def __init__(self) -> None:
        self.kinds: Counter[str] = Counter()
        self.sla: list[SlaFire] = []

    def take(self, fires: list[Fire]) -> None:
        kinds, keep = self.kinds, self.sla.append
        for f in fires:
            kinds[f.kind] += 1
            if f.kind in SLA_KINDS:
                x = f.extra
                keep(SlaFire(f.at, f.ticket, f.kind, f.clock, x.get("cycle", 0), x.get("due"),
                             bool(x.get("late"))))


def run_engine(workload: Workload, matrix: Matrix) -> EngineRun:
    """Feed every event in time order, then advance to the end. The backlog (events at
    or before the start) and the window are timed separately."""
    engine = Engine(matrix)
    events, split = workload.events, workload.warmup
    sink = _Sink()
    take, apply = sink.take, engine.apply
    gc.collect()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for e in events[:split]:
        take(apply(e))
    cpu1, wall1 = time.process_time(), time.perf_counter()
    before = sum(sink.kinds.values())
    for e in events[split:]:
        take(apply(e))
    take(engine.advance_to(workload.end))
    cpu2, wall2 = time.process_time(), time.perf_counter()
    return EngineRun(engine, sink.sla, sink.kinds, cpu1 - cpu0, wall1 - wall0, cpu2 - cpu1,
                     wall2 - wall1, sum(sink.kinds.values()) - before)


@dataclass(frozen=True, slots=True)
class MatrixChange:
    deadlines: int          # what set_matrix returned: clocks with a due time
    running: int            # of those, clocks still running (not met, not paused)
    open_tickets: int
    tracked_tickets: int    # everything the engine keeps, resolved tickets included
    cpu: float
    wall: float
    moved: Counter[str]     # deadlines whose instant changed, by "severity clock"
    released: int           # fires right after: deadlines moved into the past
    released_late: int

    def as_dict(self) -> dict[str, Any]:
        per_s = self.deadlines / self.cpu if self.cpu else 0.0
        per_150k = self.cpu * 150_000 / self.deadlines if self.deadlines else 0.0
        return {"deadlines": self.deadlines, "running_deadlines": self.running,
                "open_tickets": self.open_tickets, "tracked_tickets": self.tracked_tickets,
                "cpu_s": round(self.cpu, 3), "wall_s": round(self.wall, 3),
                "deadlines_per_s": round(per_s), "projected_s_per_150k": round(per_150k, 3),
                "target_met": per_150k <= 2.0,
                "moved": dict(self.moved), "released_fires": self.released,
                "released_late": self.released_late}


def _snapshot(engine: Engine) -> dict[tuple[str, str], tuple[Any, Any]]:
    return {(tid, c.name): (c.due, c.pre_breach_at)
            for tid, t in engine.tickets.items() if t.state.open for c in engine.clocks(tid)}


def change_matrix(engine: Engine, matrix: Matrix) -> MatrixChange:
    """Switch the engine to ``matrix`` (timed), then count what moved and what fires."""
    before = _snapshot(engine)
    gc.collect()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    count = engine.set_matrix(matrix)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    after = _snapshot(engine)
    moved: Counter[str] = Counter()
    for key, instants in after.items():
        if before.get(key, instants) != instants:
            moved[f"{engine.severity(key[0])} {key[1]}"] += 1
    running = sum(1 for tid in engine.tickets for c in engine.clocks(tid)
                  if c.due is not None and c.stopped_at is None)
    open_tickets = sum(1 for t in engine.tickets.values() if t.state.open)
    assert engine.now is not None
    released = [f for f in engine.advance_to(engine.now) if f.kind in ("pre_breach", "breach")]
    late = sum(1 for f in released if f.extra.get("late"))
    return MatrixChange(count, running, open_tickets, len(engine.tickets), cpu, wall,
                        moved, len(released), late)


def change_matrix_at_start(workload: Workload, base: Matrix, matrix: Matrix) -> MatrixChange:
    """A fresh engine fed only the backlog (untimed), so all N tickets are open, then
    the timed switch to ``matrix`` at the start instant."""
    engine = Engine(base)
    for e in workload.events[:workload.warmup]:
        engine.apply(e)
    engine.advance_to(workload.start)
    gc.collect()
    gc.freeze()
    return change_matrix(engine, matrix)
