"""Undo commands: every edit of the flowchart changes the document's records.

Each command keeps the records before and after (they are immutable plain data), so
undo and redo restore exactly. The edit runs when the command is made: an edit the
matrix rules refuse raises FlowEditError before anything reaches the undo stack."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand

from console.domain.flow import Records, move

from .document import FlowDocument, Point


class EditCommand(QUndoCommand):
    """One edit: ``edit(records) -> records`` (see console.domain.flow)."""

    def __init__(self, document: FlowDocument, edit: Callable[[Records], Records], text: str,
                 parent: QUndoCommand | None = None) -> None:
        super().__init__(text, parent)
        self.document = document
        self.before = document.records
        self.after = edit(self.before)

    def redo(self) -> None:
        self.document.set_records(self.after)

    def undo(self) -> None:
        self.document.set_records(self.before)


class MoveCommand(EditCommand):
    """A whole drag of one or more nodes: one command, made when the mouse is released."""

    def __init__(self, document: FlowDocument, old: dict[str, Point], new: dict[str, Point],
                 parent: QUndoCommand | None = None) -> None:
        count = len(new)
        text = f"Move {next(iter(new))}" if count == 1 else f"Move {count} nodes"
        super().__init__(document, lambda records: move(records, new), text, parent)
        self.old = old
        self.new = new
