"""Churn: rows changing under the live queue while its 1 Hz tick runs.

Every second brings ``updates`` new versions of existing rows (their next due time
moves, so they move in the queue), ``inserts`` new tickets and ``closes`` removed
tickets, split into ``batches`` batches per second, each applied on a QTimer through
MainWindow.apply_changes (the slot the service's rowsChanged signal drives: upsert +
remove + counts). The window's own 1 Hz tick runs on the wall clock meanwhile.

A 1 ms heartbeat timer records the gaps between its wake-ups: the largest gap is the
longest the event loop was blocked (the stall). Batches are planned before the run,
as the DB worker would build QueueRows off the GUI thread. A run ends after
``seconds`` of wall time even when the batches fall behind.
"""

from __future__ import annotations

import itertools
import random
import time
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QApplication

from console.app.runtime.rows import QueueRow

from .common import BenchClock, percentile, summary_ms


def shifted(row: QueueRow, delta: timedelta, **changes: Any) -> QueueRow:
    """A new version of a row whose clocks (and so next due time) moved by ``delta``."""
    def move(t: datetime | None) -> datetime | None:
        return None if t is None else t + delta

    clocks = tuple(replace(c, due=move(c.due), pre_breach_at=move(c.pre_breach_at))
                   for c in row.clocks)
    return replace(row, clocks=clocks, next_due=move(row.next_due), **changes)


def plan_batches(rows: list[QueueRow], now: datetime, seconds: int, per_second: int,
                 updates: int, inserts: int, closes: int,
                 seed: int = 11) -> list[tuple[list[QueueRow], list[str]]]:
    rng = random.Random(seed)
    live = [r.id for r in rows]
    by_id = {r.id: r for r in rows}
    batches = []
    serial = 0

    def share(total: int, k: int) -> int:  # spread a per-second count over the batches
        return total * (k + 1) // per_second - total * k // per_second

    for _second in range(seconds):
        for k in range(per_second):
            changed: dict[str, QueueRow] = {}
            for _ in range(share(updates, k)):
                ticket = rng.choice(live)
                delta = timedelta(minutes=rng.randint(-120, 240))
                changed[ticket] = by_id[ticket] = shifted(by_id[ticket], delta)
            for _ in range(share(inserts, k)):
                serial += 1
                template = by_id[rng.choice(live)]
                new_id = f"NEW-{serial:06d}"
                due = now + timedelta(minutes=rng.randint(5, 600))
                delta = due - (template.next_due or due)
                row = shifted(template, delta, id=new_id, opened_at=now)
                changed[new_id] = by_id[new_id] = row
                live.append(new_id)
            removed = []
            for _ in range(share(closes, k)):
                i = rng.randrange(len(live))
                ticket = live[i]
                live[i] = live[-1]
                live.pop()
                changed.pop(ticket, None)
                removed.append(ticket)
            batches.append((list(changed.values()), removed))
    return batches


def run_churn(app: QApplication, window: Any, clock: BenchClock, rows: list[QueueRow],
              seconds: int, per_second: int, updates: int = 200, inserts: int = 20,
              closes: int = 20) -> dict[str, Any]:
    clock.follow_wall()
    batches = plan_batches(rows, clock(), seconds, per_second, updates, inserts, closes)
    handler: list[float] = []
    ticks: list[float] = []
    beats: list[float] = []
    loop = QEventLoop()
    pending = iter(batches)

    def stop() -> None:
        driver.stop()
        QTimer.singleShot(200, loop.quit)

    def apply_next() -> None:
        batch = next(pending, None)
        if batch is None or time.perf_counter() - started > seconds:
            stop()
            return
        t0 = time.perf_counter()
        window.apply_changes(*batch)
        handler.append(time.perf_counter() - t0)

    def beat() -> None:
        beats.append(time.perf_counter())

    real_tick = window.tick

    def timed_tick() -> None:
        t0 = time.perf_counter()
        real_tick()
        ticks.append(time.perf_counter() - t0)

    window.timer.timeout.disconnect()
    window.timer.timeout.connect(timed_tick)
    driver = QTimer()
    driver.setTimerType(Qt.TimerType.PreciseTimer)
    driver.setInterval(1000 // per_second)
    driver.timeout.connect(apply_next)
    heartbeat = QTimer()
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.setInterval(1)
    heartbeat.timeout.connect(beat)
    rows_before = window.model.rowCount()
    heartbeat.start()
    window.timer.start()
    started = time.perf_counter()
    driver.start()
    loop.exec()
    elapsed = time.perf_counter() - started
    heartbeat.stop()
    window.timer.stop()
    window.timer.timeout.disconnect()
    window.timer.timeout.connect(real_tick)
    app.processEvents()
    gaps = [b - a for a, b in itertools.pairwise(beats)]
    return {
        "seconds": round(elapsed, 1), "batches": len(batches), "batches_applied": len(handler),
        "batches_per_second": per_second,
        "per_second": {"updates": updates, "inserts": inserts, "closes": closes},
        "rows_before": rows_before, "rows_after": window.model.rowCount(),
        "shown_after": window.proxy.rowCount(),
        "max_stall_ms": round(max(gaps) * 1000, 1) if gaps else None,
        "p99_gap_ms": round(percentile(gaps, 99) * 1000, 2) if gaps else None,
        "gaps_over_16ms": sum(g > 0.016 for g in gaps),
        "gaps_over_50ms": sum(g > 0.050 for g in gaps),
        "batch_handler": summary_ms(handler),
        "tick_handler": summary_ms(ticks) if ticks else None,
    }
