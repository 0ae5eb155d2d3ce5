"""Everything the editor asks a person, in one object the tests can replace."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

from console.app.runtime.port import MatrixVersion

from .dialogs import DiffDialog, HistoryDialog, PublishDialog
from .export import FORMATS

if TYPE_CHECKING:
    from .editor import FlowEditor

CONTACT_ROLES = ("primary", "backup", "cc")


class Prompts:
    def __init__(self, editor: FlowEditor) -> None:
        self.editor = editor
        self.last_comment = ""
        self.open_dialogs: list[object] = []

    def text(self, title: str, label: str, default: str = "") -> str | None:
        text, ok = QInputDialog.getText(self.editor, title, label, text=default)
        return text.strip() if ok and text.strip() else None

    def contact_role(self) -> str | None:
        role, ok = QInputDialog.getItem(self.editor, "Connect a contact",
                                        "The contact is this step's:", list(CONTACT_ROLES),
                                        1, False)
        return role if ok else None

    def open_path(self) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self.editor, "Open a matrix", "",
                                              "Matrix files (*.yaml *.yml)")
        return path or None

    def save_path(self, suggested: str, draft: bool) -> str | None:
        title = "Save a draft (the matrix has problems)" if draft else "Save the matrix"
        path, _ = QFileDialog.getSaveFileName(self.editor, title, suggested,
                                              "Matrix files (*.yaml *.yml)")
        return path or None

    def export_path(self, fmt: str, suggested: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self.editor, f"Export {fmt.upper()}", suggested,
                                              FORMATS[fmt])
        return path or None

    def publish(self, name: str, against: str, lines: list[str],
                preview: list[str] | None = None) -> bool:
        dialog = PublishDialog(name, against, lines, self.editor, preview=preview)
        ok = bool(dialog.exec())
        self.last_comment = dialog.text()
        return ok and bool(self.last_comment)

    def diff(self, title: str, lines: list[str]) -> None:
        dialog = DiffDialog(title, lines, self.editor)
        self._keep(dialog)
        dialog.show()

    def history(self, versions: list[MatrixVersion], active: MatrixVersion | None,
                can_restore: bool) -> None:
        dialog = HistoryDialog(versions, active, can_restore, self.editor)
        dialog.loadRequested.connect(self.editor.open_version)
        dialog.compareRequested.connect(self.editor.compare_version)
        dialog.restoreRequested.connect(self._confirm_restore)
        self._keep(dialog)
        dialog.show()

    def _confirm_restore(self, version: MatrixVersion) -> None:
        answer = QMessageBox.question(
            self.editor, "Restore a version",
            f"Publish version {version.number} again as a new version for every console?")
        if answer == QMessageBox.StandardButton.Yes:
            self.editor.restore_version(version)

    def discard_changes(self) -> bool:
        answer = QMessageBox.question(self.editor, "Unsaved changes",
                                      "Close the flowchart and lose the unsaved changes?")
        return answer == QMessageBox.StandardButton.Yes

    def _keep(self, dialog: object) -> None:
        self.open_dialogs = [d for d in self.open_dialogs if d.isVisible()]  # type: ignore[attr-defined]
        self.open_dialogs.append(dialog)
