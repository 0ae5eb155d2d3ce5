"""The Reports window (Reports menu): is the matrix working?

A date range in the user's time zone (presets: the last 7, 28 or 90 days) and team and
severity filters; the headline figures and flags; the charts of
``app.report_charts`` in Qt canvases; a click on a bar, a week or a heat-map cell lists
its tickets at the side, and activating one shows it in the queue
(``ticketActivated``). The report is computed on the DB worker: while it runs the
window says "Computing…" and keeps the last result on screen.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date

from matplotlib.figure import Figure
from PySide6.QtCore import QDate, QDateTime, Qt, QTimeZone, Signal
from PySide6.QtGui import QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from console.app.report_charts import SIZE, figures
from console.app.report_words import team_name
from console.app.runtime.port import ConsoleServicePort
from console.app.runtime.reports_ops import ReportQuery, ReportTicket, Selection
from console.domain.matrix import Matrix
from console.domain.reports import Report

from ..theme import named
from .charts import ChartCanvas, Picked
from .dates import DEFAULT_DAYS, PRESETS, day_window, local_today, preset_days
from .summary import GREY, RED, Summary

Charts = Callable[[Report, Matrix], Mapping[str, Figure]]
CUSTOM = 0  # the preset box's "Custom" entry
CHART_WIDTH = 620  # a chart narrower than this crowds its labels: one column instead
ASPECT = SIZE[1] / SIZE[0]  # a chart's height for its width: as drawn (A4 landscape)
# what a ticket in a rate's numerator is, as the side list marks it (●)
COUNTED = {"team": "escalated away", "agent": "escalated while owned",
           "escalation_rate": "escalated", "t1_resolution": "resolved at T1"}



def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _day(day: QDate) -> date:
    return date(day.year(), day.month(), day.day())


class _Scroll(QScrollArea):
    """The charts' scroll area: says when its width changes (the window or the
    splitter resized), so the charts re-flow."""

    def __init__(self, resized: Callable[[], None]) -> None:
        super().__init__()
        self._resized = resized

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._resized()


class ReportsWindow(QWidget):
    """See the module docstring. ``zone`` is the user's time zone (the system's)."""

    ticketActivated = Signal(str)  # a ticket to show in the queue

    def __init__(self, service: ConsoleServicePort, *, zone: QTimeZone | None = None,
                 charts: Charts = figures, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Reports — is the matrix working?")
        self.service, self._charts = service, charts
        self.zone = zone or QTimeZone.systemTimeZone()
        self.report: Report | None = None
        self.query: ReportQuery | None = None
        self._serial = 0  # the newest request; older answers are not drawn
        self._build()
        self._fill_filters(service.matrix)
        service.matrixChanged.connect(self._matrix_changed)
        self.apply_preset(DEFAULT_DAYS)

    # -- layout ------------------------------------------------------------------------
    def _build(self) -> None:
        self.preset_box = named(QComboBox(), "presetBox")
        self.preset_box.addItem("Custom", 0)
        for text, days in PRESETS:
            self.preset_box.addItem(text, days)
        self.preset_box.activated.connect(self._preset_chosen)
        self.from_edit = named(QDateEdit(), "fromDate")
        self.to_edit = named(QDateEdit(), "toDate")
        for edit in (self.from_edit, self.to_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.userDateChanged.connect(self._dates_edited)
        self.team_box = named(QComboBox(), "teamBox")
        self.severity_box = named(QComboBox(), "severityBox")
        for box in (self.team_box, self.severity_box):
            box.activated.connect(lambda _i: self.refresh())
        self.status = named(QLabel(), "reportStatus")
        self.refresh_button = named(QPushButton("&Refresh"), "refreshReport")
        self.refresh_button.setShortcut(QKeySequence.StandardKey.Refresh)
        self.refresh_button.setToolTip("Compute the report again with the newest events (F5)")
        self.refresh_button.clicked.connect(self.refresh)
        bar = QHBoxLayout()
        for text, widget in (("Period", self.preset_box), ("From", self.from_edit),
                             ("to", self.to_edit), ("Team", self.team_box),
                             ("Severity", self.severity_box)):
            bar.addWidget(QLabel(text))
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(self.status)
        bar.addWidget(self.refresh_button)

        self.summary = Summary()
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.chart_area = scroll = _Scroll(self._lay_out)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.grid_host)
        self.empty = named(QLabel(), "emptyState")
        self.empty.setStyleSheet(f"color: {GREY}; font-size: 20pt;")
        self.empty.setWordWrap(True)
        self.pages = QStackedWidget()
        self.pages.addWidget(scroll)
        self.pages.addWidget(self.empty)

        self.list_title = named(QLabel("Click a bar, a week or a cell to list its tickets"),
                                "ticketsTitle")
        self.list_title.setWordWrap(True)
        self.tickets = named(QListWidget(), "reportTickets")
        self.tickets.itemActivated.connect(self._open_ticket)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.list_title)
        side_layout.addWidget(self.tickets)
        splitter = QSplitter()
        splitter.addWidget(self.pages)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 1)
        splitter.setSizes([1400, 280])  # the charts get the width, the list a column

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.summary)
        layout.addWidget(splitter, 1)
        self.canvases: dict[str, ChartCanvas] = {}

    def _fill_filters(self, matrix: Matrix) -> None:
        team, severity = self.team_box.currentData(), self.severity_box.currentData()
        self.team_box.clear()
        self.team_box.addItem("All teams", None)
        for t in matrix.teams:
            self.team_box.addItem(f"{t.name} ({t.tier})", t.id)
        self.severity_box.clear()
        self.severity_box.addItem("All severities", None)
        for s in matrix.severities:
            self.severity_box.addItem(s.id, s.id)
        self.team_box.setCurrentIndex(max(0, self.team_box.findData(team)))
        self.severity_box.setCurrentIndex(max(0, self.severity_box.findData(severity)))

    def _matrix_changed(self, matrix: Matrix) -> None:
        """New teams, severities or thresholds: the filters and the report follow."""
        self._fill_filters(matrix)
        self.refresh()

    # -- the filters -------------------------------------------------------------------
    def apply_preset(self, days: int) -> None:
        """Show the last ``days`` days (today included) and re-query."""
        today = local_today(self.service.clock(), self.zone)
        first, last = preset_days(today, days)
        self.preset_box.setCurrentIndex(max(0, self.preset_box.findData(days)))
        for edit, day in ((self.from_edit, first), (self.to_edit, last)):
            edit.blockSignals(True)
            edit.setMaximumDate(_qdate(today))  # a report ends now at the latest
            edit.setDate(_qdate(day))
            edit.blockSignals(False)
        self.refresh()

    def _preset_chosen(self, index: int) -> None:
        days = self.preset_box.itemData(index)
        if days:
            self.apply_preset(days)

    def _dates_edited(self, _date: QDate) -> None:
        self.preset_box.setCurrentIndex(CUSTOM)
        self.refresh()

    def current_query(self) -> ReportQuery:
        """The filters on screen as a query: whole days in the user's zone, in UTC."""
        start, end = day_window(_day(self.from_edit.date()), _day(self.to_edit.date()),
                                 self.zone)
        return ReportQuery(start, end, self.team_box.currentData(),
                           self.severity_box.currentData())

    # -- computing ---------------------------------------------------------------------
    def refresh(self) -> None:
        """Compute the report for the filters on the DB worker; the last one stays."""
        self._serial += 1
        serial, query = self._serial, self.current_query()
        self._say("Computing…", GREY)
        self.service.reports.load(query, lambda report: self._loaded(serial, query, report),
                                  lambda error: self._failed(serial, error))

    @property
    def computing(self) -> bool:
        return self.status.text() == "Computing…"

    def _say(self, text: str, colour: str) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {colour}; font-size: 12pt;")

    def _failed(self, serial: int, error: BaseException) -> None:
        if serial == self._serial:
            self._say(f"Could not compute the report: {error}", RED)

    def _loaded(self, serial: int, query: ReportQuery, report: Report) -> None:
        if serial != self._serial:
            return  # the filters changed while it ran: a newer report is on its way
        self.report, self.query = report, query
        self.summary.show_report(report, self.service.matrix)
        self._say(f"{report.opened:,} opened, {report.resolved:,} resolved · "
                  f"as of {self.service.clock().astimezone():%H:%M}", GREY)
        if not (report.opened or report.resolved or report.sla):
            self.empty.setText("No tickets in this period. Choose a longer period, "
                               "or another team or severity.")
            self.pages.setCurrentWidget(self.empty)
            return
        self._draw(report)

    def _draw(self, report: Report) -> None:
        for canvas in self.canvases.values():
            self.grid.removeWidget(canvas)
            canvas.deleteLater()
        self.canvases = {}
        for name, figure in self._charts(report, self.service.matrix).items():
            canvas = ChartCanvas(name, figure, report, self.show_selection)
            self.canvases[name] = canvas
        self._lay_out()
        self.pages.setCurrentIndex(0)

    def _lay_out(self) -> None:
        """As many columns as fit at a legible width (two on a wide screen, one on a
        laptop), each chart as high as its width asks; the page scrolls down."""
        width = self.chart_area.viewport().width() - 12
        columns = max(1, width // CHART_WIDTH)
        height = int(width / columns * ASPECT)
        for n, canvas in enumerate(self.canvases.values()):
            self.grid.removeWidget(canvas)
            self.grid.addWidget(canvas, n // columns, n % columns)
            canvas.setFixedHeight(height)

    # -- the tickets behind a bar ------------------------------------------------------
    def selection_of(self, picked: Picked) -> tuple[Selection, str] | None:
        """The rate behind a click, and how the list names it."""
        query = self.query
        if query is None or self.report is None:
            return None
        if picked.kind == "week":
            week = next((w for w in self.report.weekly
                         if w.start.isoformat() == picked.key), None)
            if week is None:
                return None
            week_query = ReportQuery(week.start, week.end, query.team, query.severity)
            day = QDateTime.fromSecsSinceEpoch(int(week.start.timestamp()), self.zone)
            return (Selection(week_query, "escalation_rate"),
                    f"the week of {day.toString('d MMM')}")
        if picked.kind == "disagreement":
            return (Selection(query, "disagreement", (picked.key, picked.other)),
                    f"Support {picked.key} → Engineering {picked.other}")
        names = {"team": "team", "agent": "agent", "escalation_rate": "severity",
                 "root_cause": "root cause"}
        shown = (team_name(self.service.matrix, picked.key) if picked.kind == "team"
                 else picked.key)
        return Selection(query, picked.kind, picked.key), f"{names[picked.kind]} {shown}"

    def show_selection(self, picked: Picked) -> None:
        """List the tickets behind ``picked`` (on the worker)."""
        chosen = self.selection_of(picked)
        if chosen is None:
            return
        selection, what = chosen
        self.list_title.setText(f"Tickets of {what}: loading…")
        self.service.reports.tickets(selection,
                                     lambda found: self._listed(selection, what, found))

    def _listed(self, selection: Selection, what: str, found: list[ReportTicket]) -> None:
        if self.query is None or (selection.query.team, selection.query.severity) != (
                self.query.team, self.query.severity):
            return  # the filters changed since the click
        counted = sum(t.counted for t in found)
        meaning = COUNTED.get(selection.metric, "")
        self.list_title.setText(f"<b>Tickets of {what}</b>: {len(found)}"
                                + (f", ● {counted} {meaning}" if meaning else ""))
        self.tickets.clear()
        for ticket in found:
            mark = "●" if ticket.counted and COUNTED.get(selection.metric) else "○"
            words = [mark, ticket.id, ticket.severity, ticket.status.replace("_", " ")]
            item = QListWidgetItem("  ".join(w for w in words if w))
            item.setToolTip(ticket.title)
            item.setData(Qt.ItemDataRole.UserRole, ticket.id)
            self.tickets.addItem(item)

    def _open_ticket(self, item: QListWidgetItem) -> None:
        self.ticketActivated.emit(item.data(Qt.ItemDataRole.UserRole))
