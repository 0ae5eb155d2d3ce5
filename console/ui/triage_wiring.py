"""Wire triage assistance into the main window: the Risk column and the details
panel's risk reasons follow the background risk refresh; "Capture as KB article"
writes the draft and says where; a menu entry chooses the KB folder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QFileDialog, QStyledItemDelegate

from .queue_model import Column

if TYPE_CHECKING:
    from .main_window import MainWindow


def wire_triage(window: MainWindow) -> None:
    """Connect ``window``'s queue model, details panel and menu to ``service.triage``."""
    service, details, model = window.service, window.details, window.model
    triage = service.triage

    def risks_changed(risks: dict[str, Any]) -> None:
        model.set_risks(risks)
        # shown once a model scores (a column of dashes helps nobody), unless the
        # user unticked it in View > Columns
        hide = not (risks and window.column_actions[Column.RISK].isChecked())
        if window.view.isColumnHidden(Column.RISK) != hide:
            window.view.setColumnHidden(Column.RISK, hide)
            window.columns.fit()  # the room it takes or leaves is the Title's
        ticket = details.ticket_id
        details.set_risk(model.risk(ticket) if ticket else None)

    def capture(ticket: str) -> None:
        def written(path: Path) -> None:
            if details.ticket_id == ticket:
                details.captured(f"KB draft written to {path}")

        def failed(error: BaseException) -> None:
            if details.ticket_id == ticket:
                details.captured(f"The KB draft could not be written: {error}")

        triage.capture_kb(ticket, written, failed)

    def choose_folder() -> None:
        def chosen_from(current: Path) -> None:
            picked = QFileDialog.getExistingDirectory(window, "Folder for KB drafts",
                                                      str(current))
            if picked:
                triage.set_kb_folder(Path(picked), lambda p: window.statusBar().showMessage(
                    f"KB drafts go to {p}", 8000))

        triage.kb_folder(chosen_from)

    # the lean text painter reads the cached texts of the columns before the clocks;
    # the Risk cell is a plain one, coloured through the model's roles
    window.view.setItemDelegateForColumn(Column.RISK, QStyledItemDelegate(window.view))
    window.view.setColumnHidden(Column.RISK, True)  # until a risk model scores
    triage.risk.changed.connect(risks_changed)
    details.captureRequested.connect(capture)
    menu = window.menuBar().addMenu("&Triage")
    action = menu.addAction("&KB folder…")
    action.setObjectName("kbFolderAction")
    action.setToolTip("Where \"Capture as KB article\" writes its Markdown drafts")
    action.triggered.connect(choose_folder)
    window.kb_folder_action = action
