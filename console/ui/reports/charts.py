"""The report's charts in Qt: each of ``app.report_charts``' figures in a
``FigureCanvasQTAgg``, and what a click on one means (which bar, which heat-map cell).

A click picks by row or cell, not by the painted bar, so a team at 0% (no bar to hit)
can still be clicked to list the tickets it held.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from matplotlib.axes import Axes
from matplotlib.backend_bases import MouseEvent
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent, QWheelEvent
from PySide6.QtWidgets import QSizePolicy

from console.app.report_charts import team_rows
from console.domain.reports import Report

# the horizontal-bar charts a click lists tickets of, and the rate each bar is
# (``usecases.reports.tickets_for``'s metric; the bar's label is its key)
BAR_KINDS = {"escalation_by_team": "team", "escalation_by_agent": "agent",
             "escalation_by_severity": "escalation_rate", "root_causes": "root_cause"}
TEAMS = "escalation_by_team"
WEEKLY = "escalation_over_time"
HEATMAP = "disagreement_heatmap"
CLICKABLE = (*BAR_KINDS, WEEKLY, HEATMAP)


@dataclass(frozen=True, slots=True)
class Picked:
    """What a click chose: a ``kind`` (one of ``BAR_KINDS``' rates, ``week`` or
    ``disagreement``), its ``key`` (a bar's label or a team's id, a week's start in ISO,
    a heat-map row) and, for a heat-map cell, its column ``other``."""

    kind: str
    key: str
    other: str = ""


def _labels(ax: Axes, axis: str) -> list[str]:
    ticks = ax.get_yticklabels() if axis == "y" else ax.get_xticklabels()
    return [t.get_text() for t in ticks]


def _index(value: float | None, count: int) -> int | None:
    if value is None:
        return None
    i = round(value)
    return i if 0 <= i < count and abs(value - i) <= 0.5 else None


def pick(name: str, figure: Figure, report: Report, x: float, y: float) -> Picked | None:
    """What the click at display point ``(x, y)`` of chart ``name`` selects, if any."""
    for ax in figure.axes:
        if not ax.get_visible() or not ax.axison or not ax.bbox.contains(x, y):
            continue
        xdata, ydata = ax.transData.inverted().transform((x, y))
        if name in BAR_KINDS:
            # teams are labelled by name: their ids come in the bars' order
            labels = team_rows(report) if name == TEAMS else _labels(ax, "y")
            row = _index(ydata, len(labels))
            return None if row is None else Picked(BAR_KINDS[name], labels[row])
        if name == WEEKLY:
            week = _index(xdata, len(report.weekly))
            return None if week is None else Picked(
                "week", report.weekly[week].start.isoformat())
        if name == HEATMAP:
            rows, cols = _labels(ax, "y"), _labels(ax, "x")
            i, j = _index(ydata, len(rows)), _index(xdata, len(cols))
            if i is None or j is None:
                return None
            return Picked("disagreement", rows[i], cols[j])
    return None


class ChartCanvas(FigureCanvasQTAgg):
    """One chart; a click on a bar, a week or a cell calls ``on_pick``."""

    def __init__(self, name: str, figure: Figure, report: Report,
                 on_pick: Callable[[Picked], None]) -> None:
        self._inches = float(figure.get_figwidth())  # as drawn, before any resize
        super().__init__(figure)  # type: ignore[no-untyped-call]
        self.name, self.report = name, report
        self.setObjectName(f"chart_{name}")
        self.setMinimumWidth(480)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._on_pick = on_pick
        if name in CLICKABLE:
            self.setCursor(Qt.CursorShape.PointingHandCursor)
            self.setToolTip("Click a bar or a cell to list its tickets")
            self.mpl_connect("button_press_event", self._clicked)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Scale the figure, never re-flow it: the chart keeps the size in inches it
        was drawn for (an A4 page), so it looks as in the PDF at any width and its
        fonts never crowd a narrow column."""
        width = event.size().width()
        if width > 0:
            logical = width / self._inches
            # matplotlib's dpi before the screen's pixel ratio, which it re-applies
            setattr(self.figure, "_original_dpi", logical)  # noqa: B010 (private)
            self.figure.set_dpi(logical * self.device_pixel_ratio)
        super().resizeEvent(event)  # type: ignore[no-untyped-call]

    def wheelEvent(self, event: QWheelEvent) -> None:
        """The wheel scrolls the page of charts: a chart zooms nothing."""
        event.ignore()

    def _clicked(self, event: Any) -> None:
        if not isinstance(event, MouseEvent) or event.x is None or event.y is None:
            return
        picked = pick(self.name, self.figure, self.report, event.x, event.y)
        if picked is not None:
            self._on_pick(picked)
