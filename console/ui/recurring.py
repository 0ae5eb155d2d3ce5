"""Triage > Recurring fixes: the tickets resolved by the same steps lately, so a
recurring issue is visible ("7 tickets in the last 30 days resolved by clearing the SSO
cache"). Read and grouped in the background (``service.triage.recurring``); a ticket
chosen in the list is shown in the main window."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.app.runtime.port import ConsoleServicePort

DEFAULT_DAYS = 30


class RecurringDialog(QDialog):
    """The recurring fixes of the last N days, the largest group first."""

    ticketChosen = Signal(str)

    def __init__(self, service: ConsoleServicePort, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.setWindowTitle("Recurring fixes")
        self.resize(760, 460)
        self.days = QSpinBox(minimum=1, maximum=366, value=DEFAULT_DAYS, suffix=" days")
        self.days.setAccessibleName("Days")
        self.status = QLabel("Reading the resolved tickets…")
        self.status.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Steps that resolved them", "Tickets", "Last resolved"])
        self.tree.setColumnWidth(0, 520)
        self.tree.setColumnWidth(1, 70)
        self.tree.setWordWrap(True)
        self.tree.setAlternatingRowColors(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("Tickets resolved in the last"))
        top.addWidget(self.days)
        top.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.tree, 1)
        layout.addWidget(QLabel("Groups tickets whose resolution steps are nearly the same "
                                "words; double-click a ticket to show it."))
        layout.addWidget(buttons)
        self._asked = 0  # answers to an earlier question are dropped
        # each question reads every ticket resolved in the window: not one a spin step
        self._settle = QTimer(self, singleShot=True, interval=400)
        self._settle.timeout.connect(self.refresh)
        self.days.valueChanged.connect(self._settle.start)
        self.tree.itemActivated.connect(self._activated)

    def refresh(self) -> None:
        """Ask again for the spin box's window."""
        self._asked += 1
        asked, days = self._asked, self.days.value()
        self.status.setText("Reading the resolved tickets…")
        self.service.triage.recurring(days, self._answer(asked, days), self._failed(asked))

    def _answer(self, asked: int, days: int) -> Callable[[list[Any], int], None]:
        def shown(groups: list[Any], resolved: int) -> None:
            # the dialog may have been closed (and deleted) while the answer was read
            if shiboken6.isValid(self) and asked == self._asked:
                self.show_groups(groups, resolved, days)
        return shown

    def _failed(self, asked: int) -> Callable[[BaseException], None]:
        def said(error: BaseException) -> None:
            if shiboken6.isValid(self) and asked == self._asked:
                self.status.setText(f"The resolved tickets could not be read: {error}")
        return said

    def show_groups(self, groups: list[Any], resolved: int, days: int) -> None:
        period = "in the last day" if days == 1 else f"in the last {days} days"
        self.tree.clear()
        if not groups:
            self.status.setText(f"No fix recurs {period} ({resolved} resolved "
                                f"ticket{'' if resolved == 1 else 's'}).")
            return
        self.status.setText(f"{len(groups)} fix{'es' if len(groups) != 1 else ''} recur "
                            f"among {resolved} tickets resolved {period}.")
        for group in groups:
            item = QTreeWidgetItem([group.phrase, str(len(group.tickets)),
                                    f"{group.last:%d %b %Y}"])
            item.setToolTip(0, group.describe(period))  # "7 tickets ... resolved by ..."
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            for ticket in group.tickets:
                child = QTreeWidgetItem([ticket, "", ""])
                child.setData(0, Qt.ItemDataRole.UserRole, ticket)
                item.addChild(child)
            self.tree.addTopLevelItem(item)

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        ticket = item.data(0, Qt.ItemDataRole.UserRole)
        if ticket:
            self.ticketChosen.emit(str(ticket))
