"""The agents' forms: intake, two-stage severity, handoff and decision authority.

The main window wires these to menu actions and buttons. Each opens a non-modal
dialog (or raises the one already open for the same form and ticket, so two windows
never write the same draft), restores its draft, and returns it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from console.app.runtime.port import ConsoleServicePort
from console.app.runtime.rows import QueueRow
from console.domain.matrix import Matrix

from .approval import ApprovalDialog
from .base import FormDialog
from .handoff import HandoffDialog
from .intake import IntakeDialog
from .severity import ConfirmSeverityDialog

__all__ = ["ApprovalDialog", "ConfirmSeverityDialog", "FormDialog", "HandoffDialog",
           "IntakeDialog", "open_approval", "open_handoff", "open_intake", "open_severity"]

_open: dict[str, FormDialog] = {}
_Form = TypeVar("_Form", bound=FormDialog)


def _show(key: str, make: Callable[[], _Form]) -> _Form:
    dialog = _open.get(key)
    if dialog is not None:
        try:
            dialog.show()
            dialog.raise_()
            dialog.activateWindow()
            # the key names the form, so the dialog kept under it is of make's class
            return cast(_Form, dialog)
        except RuntimeError:  # already deleted
            _open.pop(key, None)
    made = make()
    made.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    made.destroyed.connect(lambda *_: _open.pop(key, None))
    _open[key] = made
    made.show()
    made.raise_()
    made.activateWindow()
    return made


def open_intake(service: ConsoleServicePort, matrix: Matrix,
                parent: QWidget | None = None) -> IntakeDialog:
    """New ticket. ``dialog.submitted`` carries the new ticket's id."""
    return _show("intake", lambda: IntakeDialog(service, matrix, parent))


def open_severity(service: ConsoleServicePort, matrix: Matrix, ticket_row: QueueRow, stage: str,
                  parent: QWidget | None = None) -> ConfirmSeverityDialog:
    """``stage`` "support" sets the initial severity; "engineering" confirms or adjusts."""
    return _show(f"severity-{stage}:{ticket_row.id}",
                 lambda: ConfirmSeverityDialog(service, matrix, ticket_row, stage, parent))


def open_handoff(service: ConsoleServicePort, matrix: Matrix, ticket_row: QueueRow,
                 parent: QWidget | None = None, reason: str = "") -> HandoffDialog:
    """Hand the ticket off; ``reason`` pre-fills the escalation reason (e.g. a trigger's)."""
    return _show(f"handoff:{ticket_row.id}",
                 lambda: HandoffDialog(service, matrix, ticket_row, reason, parent))


def open_approval(service: ConsoleServicePort, matrix: Matrix, ticket_row: QueueRow,
                  parent: QWidget | None = None) -> ApprovalDialog:
    """Request a decision (checked against the authority table) or answer requests."""
    return _show(f"approval:{ticket_row.id}",
                 lambda: ApprovalDialog(service, matrix, ticket_row, parent))
