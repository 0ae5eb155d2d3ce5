"""Refused changes: what the shared database refused, why, and what the person wrote.

A console writes offline and pushes later, so a refusal (a permission the shared
database enforces, see docs/security.md) comes after the fact. The refused change is
out of the log and the queue, which show again what the server holds; this window
keeps what was written so nothing is lost: Copy puts it on the clipboard as text (to do
it again the right way, or to hand to someone who may), Dismiss forgets it once read.

The list is the service's (``refused``, kept current by ``refusedChanged``): opening
the window reads nothing; Dismiss runs on the service's database worker.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.app.runtime.port import ConsoleServicePort, Refused

from .theme import named

COLUMNS = ("Refused", "Ticket", "Change", "Why the shared database refused it")
INTRO = ("The shared database refused these changes, so they are not in the queue. Read "
         "why, copy what you wrote to do it again the right way (or to send it to someone "
         "who may), then dismiss them.")


def change_name(kind: str) -> str:
    """``matrix_published`` as people say it: ``matrix published``."""
    return kind.replace("_", " ")


def _when(at: datetime, long: bool = False) -> str:
    local = at.astimezone()
    return local.strftime("%Y-%m-%d %H:%M:%S %Z" if long else "%a %d %b %H:%M")


def payload_lines(value: Any, indent: str = "  ") -> list[str]:
    """What was written, as indented ``key: value`` lines: the plain values first (a
    comment, a severity), then multi-line text, which keeps its lines (a matrix's YAML,
    a long reason), then nested objects, indented further (a matrix's authority rows)."""
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in sorted(value.items(), key=lambda kv: _weight(kv[1])):
            label = f"{indent}{str(key).replace('_', ' ')}:"
            if isinstance(item, dict | list) and item and not _flat(item):
                lines.append(label)
                lines.extend(payload_lines(item, indent + "  "))
            elif isinstance(item, str) and "\n" in item:
                lines.append(label)
                lines.extend(f"{indent}  {line}" for line in item.rstrip("\n").split("\n"))
            else:
                lines.append(f"{label} {_scalar(item)}")
    elif isinstance(value, list):
        for item in value:
            sub = payload_lines(item, indent + "  ")
            if isinstance(item, dict | list) and sub:
                lines.append(f"{indent}- {sub[0].strip()}")
                lines.extend(sub[1:])
            else:
                lines.append(f"{indent}- {_scalar(item)}")
    else:
        lines.append(f"{indent}{_scalar(value)}")
    return lines


def _weight(value: Any) -> int:
    """Where a value goes in a payload's lines: plain, multi-line text, nested."""
    if isinstance(value, dict | list) and value and not _flat(value):
        return 2
    return 1 if isinstance(value, str) and "\n" in value else 0


def _flat(value: dict[str, Any] | list[Any]) -> bool:
    """A short list of plain values, shown on one line."""
    return isinstance(value, list) and all(
        not isinstance(v, dict | list) and "\n" not in str(v) for v in value)


def _scalar(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_scalar(v) for v in value) or "(none)"
    if isinstance(value, dict):
        return "(none)"
    return str(value)


def refusal_text(refused: Refused) -> str:
    """One refusal as plain text: what Copy puts on the clipboard."""
    return "\n".join([
        f"{refused.ticket}: {change_name(refused.kind)} (refused)",
        f"Why: {refused.reason}",
        f"Written: {_when(refused.at, long=True)} by {refused.author}",
        f"Refused: {_when(refused.refused_at, long=True)}",
        f"Event id: {refused.event_id}",
        "What you wrote:",
        *payload_lines(refused.payload),
    ])


class RefusedDialog(QDialog):
    """The Refused changes window: the list, the selected change in full, Copy and
    Dismiss. It follows the service's list while it is open."""

    def __init__(self, service: ConsoleServicePort, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Refused changes")
        self.setObjectName("refusedChanges")
        self.service = service
        self.rows: list[Refused] = []
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        self.table = named(QTableWidget(0, len(COLUMNS)), "refusedTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        for column in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.detail = named(QPlainTextEdit(), "refusedDetail")
        self.detail.setReadOnly(True)
        self.detail.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.detail.setPlaceholderText("Choose a refused change to read it in full.")
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        self.status = named(QLabel(), "refusedStatus")
        self.copy_button = named(QPushButton("&Copy"), "copyRefused")
        self.copy_button.setToolTip("Copy the chosen changes (all of them if none is "
                                    "chosen) as text: what you wrote, and why it was refused")
        self.dismiss_button = named(QPushButton("&Dismiss"), "dismissRefused")
        self.dismiss_button.setToolTip("Forget the chosen changes: you have read them")
        close = QPushButton("Close")
        self.copy_button.clicked.connect(self.copy)
        self.dismiss_button.clicked.connect(self.dismiss)
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.dismiss_button)
        buttons.addWidget(self.status, 1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(split, 1)
        layout.addLayout(buttons)
        self.resize(1000, 620)
        service.refusedChanged.connect(self.show_refused)
        self.show_refused(service.refused)

    def show_refused(self, rows: list[Refused]) -> None:
        """Show this list (the service's, newest first), keeping the selection."""
        chosen = set(self.selected_ids())
        self.rows = list(rows)
        self.table.setRowCount(len(self.rows))
        for i, r in enumerate(self.rows):
            for j, value in enumerate((_when(r.refused_at), r.ticket, change_name(r.kind),
                                       r.reason)):
                item = QTableWidgetItem(value)
                item.setToolTip(r.reason)
                self.table.setItem(i, j, item)
        self.table.clearSelection()
        for i, r in enumerate(self.rows):
            if r.event_id in chosen:
                self.table.selectRow(i)
        if self.rows and not self.table.selectedItems():
            self.table.selectRow(0)  # the newest, in full below
        total = max(self.service.refused_count, len(self.rows))
        if not self.rows:
            self.status.setText("No refused changes: the shared database took everything.")
        elif total > len(self.rows):
            self.status.setText(f"The newest {len(self.rows)} of {total} refused changes")
        else:
            self.status.setText(f"{total} refused change{'s' if total != 1 else ''}")
        self._selection_changed()

    def selected(self) -> list[Refused]:
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        return [self.rows[r] for r in rows if r < len(self.rows)]

    def selected_ids(self) -> list[str]:
        return [r.event_id for r in self.selected()]

    def _selection_changed(self) -> None:
        chosen = self.selected()
        self.detail.setPlainText("\n\n".join(refusal_text(r) for r in chosen))
        self.dismiss_button.setEnabled(bool(chosen))
        self.copy_button.setEnabled(bool(self.rows))

    def copy(self) -> None:
        """The chosen refusals (all when none is chosen) as text, on the clipboard."""
        chosen = self.selected() or self.rows
        if not chosen:
            return
        QGuiApplication.clipboard().setText("\n\n".join(refusal_text(r) for r in chosen) + "\n")
        self.status.setText(f"Copied {len(chosen)} refused change"
                            f"{'s' if len(chosen) != 1 else ''} to the clipboard")

    def dismiss(self) -> None:
        ids = self.selected_ids()
        if ids:
            self.dismiss_button.setEnabled(False)
            self.service.dismiss_refused(ids)
