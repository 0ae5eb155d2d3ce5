"""The incident commander's main window: the live queue, its filters and details.

Everything that touches data goes through the ConsoleService (its DB worker); the
window only reacts to its signals. A parented 1 Hz timer moves the countdowns by
repainting the visible clock cells whose text changed; it never resets or re-sorts the
model.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHeaderView,
    QLabel,
    QMainWindow,
    QTableView,
    QWidget,
)

from console.app.runtime.port import ConsoleServicePort, SyncState
from console.app.runtime.rows import QueueRow
from console.domain.matrix import Matrix

from .details import DetailsPanel
from .filter_bar import FilterBar
from .filter_value import QueueFilter
from .queue_columns import ColumnFitter
from .queue_delegates import (
    CountdownDelegate,
    SeverityBadgeDelegate,
    SlaPillDelegate,
    TextDelegate,
    stale_clock_cells,
)
from .queue_filters import QueueFilterProxy
from .queue_model import CLOCK_COLUMNS, HEADERS, ROW_ROLE, Column, QueueModel
from .theme import named
from .triage_wiring import wire_triage

WINDOW_TITLE = "Escalation Console"
ROW_HEIGHT = 30
BASE_POINT_SIZE = 10
TABLE_POINT_SIZE = 11
DETAILS_START_WIDTH = 320  # its minimum: the first start shows no ticket in it yet
_PILL = "padding: 2px 10px; border-radius: 4px;"
SYNC_STYLES = {
    "offline": f"background: #c62828; color: #ffffff; font-weight: bold; {_PILL}",
    "online": f"background: #e8f5e9; color: #1b5e20; font-weight: bold; {_PILL}",
    "syncing": f"background: #ddf4ff; color: #0969da; {_PILL}",
}
K_GEOMETRY, K_STATE = "window/geometry", "window/state"
# v2: fitted columns and a stretching Title; "queue/header" (v1) kept the cramped layout
K_HEADER, K_FILTERS = "queue/header-v2", "queue/filters"
K_USER_SIZED = "queue/header-v2-user-sized"  # the columns the user resized by hand


class QueueView(QTableView):
    """A table of whole rows: Home and End go to the first and last ticket."""

    def moveCursor(self, action: QAbstractItemView.CursorAction,
                   modifiers: Qt.KeyboardModifier) -> QModelIndex:
        if action in (QAbstractItemView.CursorAction.MoveHome,
                      QAbstractItemView.CursorAction.MoveEnd):
            modifiers |= Qt.KeyboardModifier.ControlModifier
        return super().moveCursor(action, modifiers)


class MainWindow(QMainWindow):
    """The live queue. ``settings`` defaults to QSettings("EscalationConsole", "console").

    The matrix is the service's: the window and its parts follow ``matrixChanged``."""

    wallRequested = Signal()
    # what the composition root (console/ui/app.py) keeps alive with the window
    _startup_probe: object
    _refusal: QWidget
    _raise_server: object
    _wall: QWidget
    _flowchart: QWidget
    _reports: QWidget
    _notifications: object
    _people: object  # PeopleStatus: who is here, and the refused changes

    def __init__(self, service: ConsoleServicePort, settings: QSettings | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        matrix = service.matrix
        self.settings = settings if settings is not None else QSettings(
            "EscalationConsole", "console")
        self.setWindowTitle(WINDOW_TITLE)
        if 0 < self.font().pointSizeF() < BASE_POINT_SIZE:  # e.g. a 9 pt desktop default
            font = self.font()
            font.setPointSizeF(BASE_POINT_SIZE)
            self.setFont(font)

        self.model = QueueModel(matrix, service.clock(), self)
        self.proxy = QueueFilterProxy(service.user, self)
        self.proxy.setSourceModel(self.model)
        self.view = self._build_view()
        self.setCentralWidget(self.view)

        self.filters = FilterBar(matrix, service.user, self)
        self.filters.filterChanged.connect(self._filter_changed)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.filters)

        self.details = DetailsPanel(matrix)
        self.details.acknowledgeRequested.connect(lambda t: self.service.acknowledge(t, ""))
        self.details_dock = self.add_dock(self.details, "Details",
                                          Qt.DockWidgetArea.RightDockWidgetArea)
        self.details_dock.setMinimumWidth(DETAILS_START_WIDTH)
        self._build_menus()
        self._build_status_bar()
        wire_triage(self)  # the Risk column, the details' risk and KB capture
        self.paging_label = QLabel()  # who sends the pages: a service or this console
        self.paging_label.setObjectName("paging")
        self.paging_label.setMargin(2)
        self.statusBar().addPermanentWidget(self.paging_label)

        for signal in (self.proxy.rowsInserted, self.proxy.rowsRemoved,
                       self.proxy.modelReset, self.proxy.layoutChanged):
            signal.connect(self._update_counts)
        service.rowsReset.connect(self.reset_rows)
        service.rowsChanged.connect(self.apply_changes)
        service.syncStateChanged.connect(self.set_sync_state)
        service.pagingChanged.connect(self.set_paging)
        service.historyLoaded.connect(self.details.set_history)
        service.matrixChanged.connect(self.set_matrix)

        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self.tick)
        self.timer.start()

        self.resize(1600, 940)
        self.restore_settings()
        self.set_sync_state(service.sync_state)
        self.set_paging(service.paging)
        self._update_counts()

    # -- building ----------------------------------------------------------------------------
    def _build_view(self) -> QTableView:
        view = QueueView(self)
        view.setObjectName("queueView")
        view.setModel(self.proxy)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setAlternatingRowColors(True)
        view.setTabKeyNavigation(False)
        view.setShowGrid(False)
        view.setWordWrap(False)
        view.setTextElideMode(Qt.TextElideMode.ElideRight)
        # a widget's own style sheet beats the app's "QWidget { font-size }" rule
        view.setStyleSheet(f"QTableView#queueView {{ font-size: {TABLE_POINT_SIZE}pt; }}")
        vertical = view.verticalHeader()
        vertical.hide()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(ROW_HEIGHT)
        header = view.horizontalHeader()
        header.setSectionsMovable(True)
        header.setHighlightSections(False)
        header.setSortIndicatorClearable(True)  # a third click goes back to next-due order
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.columns = ColumnFitter(view)  # fitted columns; the Title stretches
        header.setMinimumSectionSize(48)
        view.setSortingEnabled(True)
        self._delegates = (TextDelegate(view), SeverityBadgeDelegate(self.service.matrix, view),
                           SlaPillDelegate(view), CountdownDelegate(view))
        view.setItemDelegate(self._delegates[0])
        view.setItemDelegateForColumn(Column.SEVERITY, self._delegates[1])
        view.setItemDelegateForColumn(Column.SLA, self._delegates[2])
        for column in CLOCK_COLUMNS:
            view.setItemDelegateForColumn(column, self._delegates[3])
        view.selectionModel().currentRowChanged.connect(self._current_changed)
        view.activated.connect(self.open_details)
        return view

    def _build_menus(self) -> None:
        console_menu = self.menuBar().addMenu("&Console")
        quit_action = console_menu.addAction("&Quit")
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        view_menu = self.menuBar().addMenu("&View")
        wall = view_menu.addAction("&Wall screen")
        wall.setObjectName("wallAction")
        wall.setShortcut(QKeySequence(Qt.Key.Key_F11))
        wall.triggered.connect(self.wallRequested)
        view_menu.addSeparator()
        self.find_action = view_menu.addAction("&Search tickets")
        self.find_action.setShortcut(QKeySequence.StandardKey.Find)
        self.find_action.triggered.connect(self.focus_search)
        self.sort_action = view_menu.addAction("Sort by &next due")
        self.sort_action.setShortcut(QKeySequence("Ctrl+0"))
        self.sort_action.triggered.connect(self.sort_by_next_due)
        view_menu.addAction(self.filters.reset_action)
        view_menu.addSeparator()
        self.columns_menu = view_menu.addMenu("&Columns")
        self.column_actions: dict[Column, QAction] = {}
        for column in Column:
            action = self.columns_menu.addAction(HEADERS[column])
            action.setCheckable(True)
            action.setChecked(True)
            action.toggled.connect(lambda on, c=column: self.set_column_visible(c, on))
            self.column_actions[column] = action
        self.panels_menu = view_menu.addMenu("&Panels")
        self.panels_menu.addAction(self.details_dock.toggleViewAction())

    def _build_status_bar(self) -> None:
        self.count_label = named(QLabel(), "ticketCount")
        self.sync_label = named(QLabel(), "syncState")
        self.sync_label.setMargin(2)
        bar = self.statusBar()
        bar.addPermanentWidget(self.count_label)
        bar.addPermanentWidget(self.sync_label)

    def add_dock(self, widget: QWidget, title: str,
                 area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea) -> QDockWidget:
        """Add a panel (the alert list, ...) as a dock whose place is remembered."""
        dock = QDockWidget(title, self)
        dock.setObjectName("dock_" + re.sub(r"\W+", "_", title.lower()))
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.restoreDockWidget(dock)  # docks added after restoreState() get their place
        if hasattr(self, "panels_menu"):
            self.panels_menu.addAction(dock.toggleViewAction())
        return dock

    # -- the service's signals -----------------------------------------------------------------
    def reset_rows(self, rows: list[QueueRow]) -> None:
        selected = self.details.ticket_id
        self.model.set_now(self.service.clock())
        self.model.reset_rows(rows)
        if selected and self.model.row_of(selected) >= 0:
            self.show_ticket(selected, reveal=False)
            self.details.show_row(self.model.get(selected), self.model.now)  # fresh data
            self.service.load_history(selected)
        else:
            self.details.show_row(None, self.model.now)

    def apply_changes(self, rows: list[QueueRow], removed: list[str]) -> None:
        self.model.apply(rows, removed)
        selected = self.details.ticket_id
        if selected in removed:
            self.details.show_row(None, self.model.now)
        elif selected and any(r.id == selected for r in rows):
            self.details.show_row(self.model.get(selected), self.model.now)
            self.service.load_history(selected)
        self._update_counts()

    def set_matrix(self, matrix: Matrix) -> None:
        """A new version is in force: team names, severity names, ranks and colours,
        calendars and the filter choices follow at once, in place. The rows recomputed
        for it (new due times) arrive next through rowsReset."""
        self.model.set_matrix(matrix)
        self.proxy.resort()
        self._delegates[1].set_matrix(matrix)
        self.filters.set_matrix(matrix)
        self.details.set_matrix(matrix, self.model.now)
        self.view.viewport().update()

    def set_sync_state(self, state: SyncState) -> None:
        # the refused changes have a button of their own beside it (people_status)
        self.sync_label.setText(f"Sync: {replace(state, refused=0).describe()}")
        self.sync_label.setStyleSheet(SYNC_STYLES.get(state.status, f"color: #57606a; {_PILL}"))
        self.sync_label.setToolTip(state.last_error or "")

    def set_paging(self, paging: str) -> None:
        """Who sends the pages: "paging: service host-a" or "paging: this console (no
        service)" (a console stands by while a service is live)."""
        self.paging_label.setText(f"paging: {paging}")

    # -- the 1 Hz tick ----------------------------------------------------------------------
    def tick(self) -> None:
        """Move the countdowns: new time, repaint the clock cells whose text changed."""
        now = self.service.clock()
        self.model.set_now(now)
        viewport = self.view.viewport()
        stale = stale_clock_cells(self.view)
        if stale is None:
            viewport.update()
        for rect in stale or ():
            viewport.update(rect)
        if self.details_dock.isVisible():
            self.details.update_now(now)

    # -- selection, filters, sorting -----------------------------------------------------------
    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row: QueueRow | None = current.data(ROW_ROLE) if current.isValid() else None
        if row is not None and row.id == self.details.ticket_id:
            return
        self.details.show_row(row, self.model.now)
        self.details.set_risk(self.model.risk(row.id) if row is not None else None)
        if row is not None:
            self.service.load_history(row.id)

    def open_details(self, *_: Any) -> None:
        """Enter (or double-click) on a row brings up its details."""
        self.details_dock.show()
        self.details_dock.raise_()

    def show_ticket(self, ticket_id: str, reveal: bool = True) -> bool:
        """Select a ticket and scroll to it, clearing filters that hide it."""
        source_row = self.model.row_of(ticket_id)
        if source_row < 0:
            self.statusBar().showMessage(f"{ticket_id} is not in the queue", 5000)
            return False
        index = self.proxy.mapFromSource(self.model.index(source_row, 0))
        if not index.isValid():
            self.filters.reset()
            index = self.proxy.mapFromSource(self.model.index(source_row, 0))
        flags = (QItemSelectionModel.SelectionFlag.ClearAndSelect
                 | QItemSelectionModel.SelectionFlag.Rows)
        self.view.selectionModel().setCurrentIndex(index, flags)
        self.view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        if reveal:
            self.open_details()
            self.view.setFocus()
        return True

    def current_rows(self) -> list[QueueRow]:
        """Every row in queue (next due) order, for the wall screen."""
        return self.model.rows()

    def focus_search(self) -> None:
        self.filters.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filters.search.selectAll()

    def _filter_changed(self, new: QueueFilter) -> None:
        self.proxy.set_filter(new)
        self._update_counts()

    def sort_by_next_due(self) -> None:
        self.view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.proxy.sort_by_next_due()

    def set_column_visible(self, column: Column, visible: bool) -> None:
        header = self.view.horizontalHeader()
        if not visible and header.count() - header.hiddenSectionCount() <= 1:
            self.column_actions[column].setChecked(True)  # keep at least one column
            return
        header.setSectionHidden(column, not visible)
        self.columns.fit()  # the room a column leaves or takes is the Title's

    def _update_counts(self, *_: Any) -> None:
        total, shown = self.model.rowCount(), self.proxy.rowCount()
        text = f"{total} ticket{'s' if total != 1 else ''}"
        if shown != total:
            text = f"{shown} shown of {text}"
        self.count_label.setText(text)

    # -- settings ------------------------------------------------------------------------------
    def save_settings(self) -> None:
        s = self.settings
        s.setValue(K_GEOMETRY, self.saveGeometry())
        s.setValue(K_STATE, self.saveState())
        s.setValue(K_HEADER, self.view.horizontalHeader().saveState())
        s.setValue(K_USER_SIZED, self.columns.saved_user_sized())
        s.setValue(K_FILTERS, self.filters.filter.to_json())
        s.sync()

    def restore_settings(self) -> None:
        s = self.settings
        if (geometry := s.value(K_GEOMETRY)) is not None:
            self.restoreGeometry(geometry)
        if (state := s.value(K_STATE)) is not None:
            self.restoreState(state)
        else:
            # narrow while no ticket is selected: the queue's titles get the room
            self.resizeDocks([self.details_dock], [DETAILS_START_WIDTH],
                             Qt.Orientation.Horizontal)
        header = self.view.horizontalHeader()
        if (header_state := s.value(K_HEADER)) is not None:
            self.columns.restore(header_state, str(s.value(K_USER_SIZED) or ""))
        for column, action in self.column_actions.items():
            action.blockSignals(True)
            action.setChecked(not header.isSectionHidden(column))
            action.blockSignals(False)
        self.filters.set_filter(QueueFilter.from_json(s.value(K_FILTERS)))

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_settings()
        super().closeEvent(event)
