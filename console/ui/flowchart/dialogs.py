"""Dialogs of the flowchart editor: the words diff, publishing, and the version history."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.app.runtime.port import MatrixVersion


def diff_text(lines: list[str]) -> str:
    return "\n".join(f"• {line}" for line in lines) if lines else "No changes."


class DiffDialog(QDialog):
    def __init__(self, title: str, lines: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(720, 460)
        layout = QVBoxLayout(self)
        self.text = QPlainTextEdit(diff_text(lines))
        self.text.setReadOnly(True)
        layout.addWidget(self.text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class PublishDialog(QDialog):
    """Shows what changes against the published version, the impact preview of this
    draft (its window and headlines; ``preview`` None: none was run), and asks for a
    comment."""

    def __init__(self, name: str, against: str, lines: list[str],
                 parent: QWidget | None = None, *, preview: list[str] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Publish {name}")
        self.resize(720, 520)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Changes against {against}:"))
        changes = QPlainTextEdit(diff_text(lines))
        changes.setReadOnly(True)
        layout.addWidget(changes, 1)
        # the preview's window, then its headlines; or the hint to run one
        self.preview = QLabel(
            f"Impact preview: {escape(preview[0])}<br><b>"
            + "<br>".join(escape(line) for line in preview[1:]) + "</b>" if preview else
            "No impact preview was run for this draft: Preview impact (next to Publish) "
            "replays the last 30 days' tickets through it first.")
        self.preview.setObjectName("publishPreview")
        self.preview.setWordWrap(True)
        self.preview.setTextFormat(Qt.TextFormat.RichText if preview
                                   else Qt.TextFormat.PlainText)
        self.preview.setStyleSheet("" if preview else "color: #555555;")
        layout.addWidget(self.preview)
        layout.addWidget(QLabel("Comment, required (who asked for it, and why):"))
        self.comment = QPlainTextEdit()
        self.comment.setPlaceholderText("e.g. P2 response tightened after the Q3 review")
        self.comment.setTabChangesFocus(True)  # Tab reaches the buttons, as in a form
        self.comment.setMaximumHeight(90)
        layout.addWidget(self.comment)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.publish_button = self.buttons.addButton(
            "Publish to every console", QDialogButtonBox.ButtonRole.AcceptRole)
        self.publish_button.setEnabled(False)
        self.comment.textChanged.connect(
            lambda: self.publish_button.setEnabled(bool(self.comment.toPlainText().strip())))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.comment.setFocus()  # the lead types the comment first, not in the diff

    def text(self) -> str:
        return self.comment.toPlainText().strip()


class HistoryDialog(QDialog):
    """Every published version; load one into the editor, compare, or restore it."""

    loadRequested = Signal(object)     # MatrixVersion
    compareRequested = Signal(object)
    restoreRequested = Signal(object)

    HEADERS = ("Version", "Published (UTC)", "Author", "Name", "Comment", "Valid")

    def __init__(self, versions: list[MatrixVersion], active: MatrixVersion | None,
                 can_restore: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Matrix versions")
        self.resize(980, 480)
        self.versions = list(reversed(versions))  # newest first
        layout = QVBoxLayout(self)
        self.table = QTableWidget(len(self.versions), len(self.HEADERS))
        self.table.setHorizontalHeaderLabels(self.HEADERS)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, v in enumerate(self.versions):
            number = f"{v.number}" + ("  (active)" if active and v.event_id == active.event_id
                                      else "")
            cells = (number, f"{v.published_at:%Y-%m-%d %H:%M}", v.author, v.name, v.comment,
                     "yes" if v.valid else "no")
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(row, col, item)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(
            4, self.table.horizontalHeader().ResizeMode.Stretch)
        if self.versions:
            self.table.selectRow(0)
        layout.addWidget(self.table)
        if not self.versions:
            layout.addWidget(QLabel("No version has been published yet: every console runs "
                                    "the shipped default matrix."))
        buttons = QHBoxLayout()
        self.load_button = QPushButton("Open in editor")
        self.compare_button = QPushButton("Compare with working copy")
        self.restore_button = QPushButton("Restore as new version…")
        self.restore_button.setEnabled(can_restore)
        if not can_restore:
            self.restore_button.setToolTip(
                "Only a lead or an admin may publish or restore versions")
        for button, signal in ((self.load_button, self.loadRequested),
                               (self.compare_button, self.compareRequested),
                               (self.restore_button, self.restoreRequested)):
            button.clicked.connect(lambda _=False, s=signal: self._emit(s))
            button.setEnabled(button.isEnabled() and bool(self.versions))
            buttons.addWidget(button)
        buttons.addStretch(1)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def selected(self) -> MatrixVersion | None:
        rows = self.table.selectionModel().selectedRows()
        return self.versions[rows[0].row()] if rows else None

    def _emit(self, signal: SignalInstance) -> None:
        version = self.selected()
        if version is not None:
            signal.emit(version)
