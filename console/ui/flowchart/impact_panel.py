"""The impact preview's panel (a dock of the flowchart editor): the window and the run
controls, then the headlines in plain words, the one sentence on what replay cannot
know, the side-by-side table with each difference coloured (worse red, better green),
the tickets the selected row changed, and the daily breaches under both versions.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.app.usecases.whatif import Impact
from console.domain.matrix import Matrix

from ..theme import named
from .impact_chart import ImpactChart
from .impact_rows import BETTER, SAME, WORSE, Line, instants, lines, window_text

DEFAULT_DAYS = 30
MAX_DAYS = 365
HONESTY = ("Replay cannot know how people would have acted under the draft: the "
           "recorded human events (responses, updates, acknowledgements, resolutions) are "
           "replayed at their recorded times under both versions.")
STALE = "The draft changed since this preview: Preview impact again to see its effect."
STALE_ACTIVE = ("A new version came into force since this preview: Preview impact again "
                "to compare the draft with it.")
COLOURS = {WORSE: "#c62828", BETTER: "#2e7d32"}
HEADERS = ("Figure", "About", "In force", "Draft", "Change", "Tickets")
CHANGE_COLUMN = 4
SPLIT = (800, 360, 440)  # px: the table, the tickets, the chart


class _KeepColour(QStyledItemDelegate):
    """A selected cell keeps its own colour: a difference stays red or green."""

    def initStyleOption(self, option: QStyleOptionViewItem,
                        index: QModelIndex | QPersistentModelIndex) -> None:
        super().initStyleOption(option, index)
        brush = index.data(Qt.ItemDataRole.ForegroundRole)
        if brush is not None:
            option.palette.setBrush(QPalette.ColorRole.HighlightedText, brush)


def _item(text: str, align_right: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setToolTip(text)
    if align_right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


class ImpactPanel(QWidget):
    """See the module docstring. ``runRequested`` and ``cancelRequested`` are the lead's
    clicks; the controller (``impact_preview``) answers with the ``show_*`` calls."""

    runRequested = Signal()
    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lines: list[Line] = []
        column = QVBoxLayout(self)
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Replay the tickets of the last"))
        self.days = named(QSpinBox(), "impactDays")
        self.days.setRange(1, MAX_DAYS)
        self.days.setValue(DEFAULT_DAYS)
        self.days.setSuffix(" days")
        controls.addWidget(self.days)
        self.run_button = named(QPushButton("Preview impact"), "impactRun")
        self.run_button.setToolTip("Replay them through the draft and the version in force")
        self.run_button.clicked.connect(self.runRequested.emit)
        controls.addWidget(self.run_button)
        self.progress = named(QProgressBar(), "impactProgress")
        self.progress.setMinimumWidth(260)
        self.progress.hide()
        controls.addWidget(self.progress)
        self.cancel_button = named(QPushButton("Cancel"), "impactCancel")
        self.cancel_button.clicked.connect(self.cancelRequested.emit)
        self.cancel_button.hide()
        controls.addWidget(self.cancel_button)
        self.status = named(QLabel(), "impactStatus")
        self.status.setWordWrap(True)
        controls.addWidget(self.status, 1)
        column.addLayout(controls)
        self.stale = named(QLabel(), "impactStale")
        self.stale.setStyleSheet("background: #fff3cd; color: #5d4037; padding: 6px;"
                                 " font-weight: bold;")
        self.stale.setWordWrap(True)
        self.stale.hide()
        column.addWidget(self.stale)
        self.so_far = named(QLabel(), "impactSoFar")  # says the figures are provisional
        self.so_far.setStyleSheet("background: #e3f2fd; color: #0d47a1; padding: 6px;"
                                  " font-weight: bold;")
        self.so_far.setWordWrap(True)
        self.so_far.hide()
        column.addWidget(self.so_far)
        self.headlines = named(QLabel("Preview impact replays real tickets through the "
                                      "draft and the version in force."), "impactHeadlines")
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.headlines.setFont(font)
        self.headlines.setWordWrap(True)
        self.headlines.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        column.addWidget(self.headlines)
        self.window_label = named(QLabel(), "impactWindow")
        column.addWidget(self.window_label)
        self.honesty = named(QLabel(HONESTY), "impactHonesty")
        self.honesty.setWordWrap(True)
        self.honesty.setStyleSheet("color: #555555; font-style: italic;")
        column.addWidget(self.honesty)
        column.addWidget(self._body(), 1)

    def _body(self) -> QSplitter:
        split = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        left_column = QVBoxLayout(left)
        left_column.setContentsMargins(0, 0, 0, 0)
        self.table = named(QTableWidget(0, len(HEADERS)), "impactTable")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        # a light selection, on which the red and green differences still read
        palette = self.table.palette()
        palette.setColor(QPalette.ColorRole.Highlight, QColor("#cfe3fa"))
        palette.setColor(QPalette.ColorRole.HighlightedText, QColor("#212121"))
        self.table.setPalette(palette)
        self.table.setItemDelegateForColumn(CHANGE_COLUMN, _KeepColour(self.table))
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._row_chosen)
        left_column.addWidget(self.table, 1)
        self.all_rows = named(QCheckBox("Show the rows that did not change"), "impactAllRows")
        self.all_rows.toggled.connect(lambda _: self._filter())
        left_column.addWidget(self.all_rows)
        split.addWidget(left)
        right = QWidget()
        right_column = QVBoxLayout(right)
        right_column.setContentsMargins(0, 0, 0, 0)
        self.tickets_title = named(QLabel("Choose a row to see the tickets it changed."),
                                   "impactTicketsTitle")
        self.tickets_title.setWordWrap(True)
        right_column.addWidget(self.tickets_title)
        self.tickets = named(QTableWidget(0, 3), "impactTickets")
        self.tickets.setHorizontalHeaderLabels(("Ticket", "In force (UTC)", "Draft (UTC)"))
        self.tickets.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.tickets.verticalHeader().hide()
        self.tickets.horizontalHeader().setStretchLastSection(True)
        right_column.addWidget(self.tickets, 1)
        split.addWidget(right)
        self.chart = ImpactChart()
        split.addWidget(self.chart)
        # the numbers first: the table as wide as its columns, then the tickets
        split.setSizes(list(SPLIT))
        split.setStretchFactor(2, 1)
        return split

    # -- the run --------------------------------------------------------------------------
    def show_running(self, text: str, done: int = 0, total: int = 0,
                     cancelling: bool = False) -> None:
        """A run is going: the bar (busy while ``total`` is 0) and Cancel."""
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.progress.show()
        self.cancel_button.show()
        self.cancel_button.setEnabled(not cancelling)
        self.run_button.setEnabled(False)
        self._say(text)

    def show_stopped(self, text: str, error: bool = False) -> None:
        """No run goes on any more (done, cancelled, failed or refused): say ``text``."""
        self.progress.hide()
        self.cancel_button.hide()
        self.run_button.setEnabled(True)
        self._say(text, error)

    def _say(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color: #b00020; font-weight: bold;" if error else "")

    def show_stale(self, text: str) -> None:
        """The result shown no longer answers for the draft (``text``: why; empty: it
        does)."""
        self.stale.setText(text)
        self.stale.setVisible(bool(text))

    # -- the result -----------------------------------------------------------------------
    def show_impact(self, result: Impact, matrix: Matrix | None = None,
                    so_far: str = "") -> None:
        """Show ``result``: headlines first (under ``so_far``, which says why a result
        is provisional), then the table, the tickets and the chart. A row chosen stays
        chosen when the new result has it."""
        chosen = self._chosen()
        self.show_so_far(so_far)
        self.headlines.setText("\n".join(result.headlines))
        self.window_label.setText(("So far: " if so_far else "") + window_text(result) + ".")
        self.lines = lines(result, matrix)
        self.table.clearSelection()
        self.table.setRowCount(len(self.lines))
        bold = QFont(self.table.font())
        bold.setBold(True)
        for row, line in enumerate(self.lines):
            cells = (line.figure, line.about, line.active, line.draft, line.change,
                     str(len(line.changed)) if line.changed else "")
            for col, text in enumerate(cells):
                item = _item(text, align_right=col >= 2)
                if col == CHANGE_COLUMN and line.tone != SAME:
                    item.setFont(bold)
                    if line.tone in COLOURS:
                        item.setForeground(QColor(COLOURS[line.tone]))
                        item.setToolTip(f"{text}: {line.tone}")
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()
        self._filter()
        self.show_tickets(None)
        for row, line in enumerate(self.lines):
            if (line.kind, line.about) == chosen and not self.table.isRowHidden(row):
                self.table.selectRow(row)
        self.chart.show_impact(result)
        self.show_stale("")

    def show_so_far(self, text: str) -> None:
        """Say why the figures shown are provisional (``text``; empty: they are not)."""
        self.so_far.setText(text)
        self.so_far.setVisible(bool(text))

    def _chosen(self) -> tuple[str, str] | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        line = self.lines[rows[0].row()]
        return line.kind, line.about

    def _filter(self) -> None:
        """Rows that did not change are hidden unless asked for (the rates never are)."""
        every = self.all_rows.isChecked()
        for row, line in enumerate(self.lines):
            keep = every or line.tone != SAME or line.kind in ("t1_resolution",
                                                                "escalation_rate")
            self.table.setRowHidden(row, not keep)

    def _row_chosen(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        self.show_tickets(self.lines[rows[0].row()] if rows else None)

    def show_tickets(self, line: Line | None) -> None:
        """The tickets ``line`` changed: when each version counted them."""
        changed = line.changed if line is not None else ()
        if line is None:
            self.tickets_title.setText("Choose a row to see the tickets it changed.")
        elif not changed:
            self.tickets_title.setText(line.note or f"{line.figure}, {line.about}: no ticket "
                                                    "counted differently.")
        else:
            self.tickets_title.setText(f"{line.figure}, {line.about}: {len(changed)} "
                                       f"ticket{'s' if len(changed) != 1 else ''} changed")
        self.tickets.setRowCount(len(changed))
        for row, change in enumerate(changed):
            for col, text in enumerate((change.ticket, instants(change.active),
                                        instants(change.draft))):
                self.tickets.setItem(row, col, _item(text))
        self.tickets.resizeColumnsToContents()
