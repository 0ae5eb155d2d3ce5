"""Notifications > Dead letters: deliveries that could not be sent, with a retry button.

The list is read through the console service's port (on its database worker). A retry
puts the delivery back in the outbox with a fresh retry budget; ``retried`` is emitted
so the app can wake the notification runner at once.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.app.runtime.port import ConsoleServicePort, DeadLetter

COLUMNS = ("Created", "Ticket", "Channel", "To", "Tries", "Error")


class DeadLettersDialog(QDialog):
    retried = Signal(str)  # delivery id

    def __init__(self, service: ConsoleServicePort, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Dead letters")
        self.service = service
        self.rows: list[DeadLetter] = []
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(len(COLUMNS) - 1,
                                                           QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.status = QLabel("Loading…")
        self.retry_button = QPushButton("Retry")
        self.retry_button.setEnabled(False)
        self.retry_all_button = QPushButton("Retry all")
        self.refresh_button = QPushButton("Refresh")
        close = QPushButton("Close")
        self.retry_button.clicked.connect(self.retry_selected)
        self.retry_all_button.clicked.connect(self.retry_all)
        self.refresh_button.clicked.connect(self.refresh)
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        for b in (self.retry_button, self.retry_all_button, self.refresh_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.resize(900, 400)
        self.refresh()

    def refresh(self) -> None:
        self.service.dead_letters(self._show, self._failed)

    def _show(self, rows: list[DeadLetter]) -> None:
        self.rows = rows
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            values = (r.created_at.strftime("%Y-%m-%d %H:%M:%S"), r.ticket, r.channel,
                      r.contact or "-", str(r.attempts), r.last_error)
            for j, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, r.id)
                if j == len(values) - 1:
                    item.setToolTip(value)
                self.table.setItem(i, j, item)
        self.retry_all_button.setEnabled(bool(rows))
        self.status.setText(f"{len(rows)} dead letter{'s' if len(rows) != 1 else ''}"
                            if rows else "No dead letters: every notification went out.")
        self._selection_changed()

    def _failed(self, error: BaseException) -> None:
        self.status.setText(f"Could not read the outbox: {error}")

    def _selection_changed(self) -> None:
        self.retry_button.setEnabled(bool(self.selected_ids()))

    def selected_ids(self) -> list[str]:
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        return [self.rows[r].id for r in rows if r < len(self.rows)]

    def retry_selected(self) -> None:
        self._retry(self.selected_ids())

    def retry_all(self) -> None:
        self._retry([r.id for r in self.rows])

    def _retry(self, ids: list[str]) -> None:
        if not ids:
            return

        def done(retried: list[str]) -> None:
            for delivery_id in retried:
                self.retried.emit(delivery_id)
            self.status.setText(f"{len(retried)} queued again")
            self.refresh()

        self.service.retry_dead_letters(ids, done, self._failed)
