"""The 1 Hz countdown tick: GUI-thread time per tick, paint included.

Ours: MainWindow.tick() (model.set_now + viewport().update() + the details panel)
then QApplication.processEvents(), which runs the resulting paint of the visible rows.

Baseline, in the same window: the naive tick that emits dataChanged for the three
countdown columns of every row (0..N-1) through a plain QSortFilterProxyModel with
dynamicSortFilter=True, the view sorted by the Response countdown (time left), then
the same update() + processEvents().
"""

from __future__ import annotations

import gc
import time
from typing import Any

from PySide6.QtCore import QEvent, QObject, QRect, QSortFilterProxyModel, Qt
from PySide6.QtGui import QRegion
from PySide6.QtWidgets import QApplication

from console.ui.queue_model import CLOCK_COLUMNS, SORT_ROLE, Column

from .common import BenchClock, bool_refcount, none_refcount, summary_ms


class PaintCounter(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.paints = 0

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False


def _settle(app: QApplication) -> None:
    for _ in range(5):
        app.processEvents()
    gc.collect()


def measure_ours(app: QApplication, window: Any, clock: BenchClock, ticks: int,
                 warmup: int = 10) -> dict[str, Any]:
    view = window.view
    counter = PaintCounter()
    view.viewport().installEventFilter(counter)
    _settle(app)
    times: list[float] = []
    cpu: list[float] = []
    paints_before = counter.paints
    none_before, bools_before = none_refcount(), bool_refcount()
    for i in range(warmup + ticks):
        clock.step(1.0)
        c0, t0 = time.thread_time(), time.perf_counter()
        window.tick()
        app.processEvents()
        dt, dc = time.perf_counter() - t0, time.thread_time() - c0
        if i >= warmup:
            times.append(dt)
            cpu.append(dc)
    n = warmup + ticks
    none_drift = (none_refcount() - none_before) / n
    bool_drift = (bool_refcount() - bools_before) / n
    painted = counter.paints - paints_before
    view.viewport().removeEventFilter(counter)
    visible = view.rowAt(view.viewport().height() - 1) - view.rowAt(0) + 1
    return {**summary_ms(times), "cpu": summary_ms(cpu), "paints": painted, "ticks": n,
            "visible_rows": visible, "visible_columns": _visible_columns(view),
            "viewport": [view.viewport().width(), view.viewport().height()],
            "rows": window.model.rowCount(),
            "none_refs_per_tick": round(none_drift, 1),
            "bool_refs_per_tick": round(bool_drift, 1)}


def _visible_columns(view: Any) -> int:
    header = view.horizontalHeader()
    return sum(1 for c in range(header.count()) if not header.isSectionHidden(c))


def measure_baseline(app: QApplication, window: Any, clock: BenchClock, ticks: int,
                     warmup: int = 2) -> dict[str, Any]:
    model, view = window.model, window.view
    naive = QSortFilterProxyModel(window)
    naive.setSourceModel(model)
    naive.setSortRole(SORT_ROLE)
    naive.setDynamicSortFilter(True)
    view.setModel(naive)
    view.setSortingEnabled(True)
    view.sortByColumn(Column.RESPONSE, Qt.SortOrder.AscendingOrder)
    counter = PaintCounter()
    view.viewport().installEventFilter(counter)
    _settle(app)
    n = model.rowCount()
    first, last = Column.RESPONSE, Column.RESOLUTION
    times: list[float] = []
    cpu: list[float] = []
    paints_before = counter.paints
    for i in range(warmup + ticks):
        clock.step(1.0)
        c0, t0 = time.thread_time(), time.perf_counter()
        model.set_now(clock())
        model.dataChanged.emit(model.index(0, first), model.index(n - 1, last))
        view.viewport().update()
        app.processEvents()
        dt, dc = time.perf_counter() - t0, time.thread_time() - c0
        if i >= warmup:
            times.append(dt)
            cpu.append(dc)
    painted = counter.paints - paints_before
    view.viewport().removeEventFilter(counter)
    # put the window back as it was
    view.setModel(window.proxy)
    view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
    window.proxy.sort_by_next_due()
    naive.deleteLater()
    return {**summary_ms(times), "cpu": summary_ms(cpu), "paints": painted,
            "ticks": warmup + ticks, "rows": n, "sorted_by": "Response (time left)"}


def measure_columns_only(app: QApplication, window: Any, clock: BenchClock, ticks: int,
                         warmup: int = 10) -> dict[str, Any]:
    """An experiment, not the app's tick: the same tick repainting only the cells that
    change every second (the three countdown columns and the SLA column)."""
    view = window.view
    header = view.horizontalHeader()
    height = view.viewport().height()
    region = QRegion()
    for column in (*CLOCK_COLUMNS, Column.SLA):
        if not header.isSectionHidden(column):
            region += QRect(header.sectionViewportPosition(column), 0,
                            header.sectionSize(column), height)
    _settle(app)
    times: list[float] = []
    cpu: list[float] = []
    for i in range(warmup + ticks):
        clock.step(1.0)
        c0, t0 = time.thread_time(), time.perf_counter()
        window.model.set_now(clock())
        view.viewport().update(region)
        app.processEvents()
        dt, dc = time.perf_counter() - t0, time.thread_time() - c0
        if i >= warmup:
            times.append(dt)
            cpu.append(dc)
    return {**summary_ms(times), "cpu": summary_ms(cpu), "ticks": warmup + ticks}
