"""Wire triage assistance into the main window: the Risk column and the details
panel's risk reasons follow the background risk refresh; "Capture as KB article"
writes the draft and says where; the Triage menu chooses the KB folder and lists the
recurring fixes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFileDialog, QStyledItemDelegate

from .queue_model import Column

K_RISK_CHOSEN = "queue/riskColumn"  # "shown" or "hidden", once the user ticked it

if TYPE_CHECKING:
    from .main_window import MainWindow


def wire_triage(window: MainWindow) -> None:
    """Connect ``window``'s queue model, details panel and menu to ``service.triage``."""
    service, details, model = window.service, window.details, window.model
    triage = service.triage

    risk_action = window.column_actions[Column.RISK]

    def user_wants() -> bool | None:
        """The user's own tick in View > Columns, kept across sessions (None: never
        given). The saved header state cannot say: the column is hidden until a model
        scores, whoever hid it."""
        chosen = window.settings.value(K_RISK_CHOSEN)
        return None if chosen not in ("shown", "hidden") else chosen == "shown"

    def chose(checked: bool) -> None:
        window.settings.setValue(K_RISK_CHOSEN, "shown" if checked else "hidden")

    def show_risk_column(scored: bool) -> None:
        # shown once a model scores (a column of dashes helps nobody), unless the user
        # ticked or unticked it themselves
        wanted = user_wants()
        want = scored if wanted is None else wanted
        if window.view.isColumnHidden(Column.RISK) == want:
            window.set_column_visible(Column.RISK, want)
            risk_action.blockSignals(True)
            risk_action.setChecked(want)
            risk_action.blockSignals(False)

    def risks_changed(risks: dict[str, Any]) -> None:
        model.set_risks(risks)
        show_risk_column(bool(risks))
        if window.view.horizontalHeader().sortIndicatorSection() == Column.RISK:
            window.proxy.resort()  # sorted by risk: the new figures reorder the queue
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
    risk_action.triggered.connect(chose)
    # until a risk model scores: now, for the columns' first fit, and again once the
    # window restored its saved header state (which cannot say what the user chose)
    show_risk_column(False)
    QTimer.singleShot(0, lambda: show_risk_column(bool(model.risk_count())))
    triage.risk.changed.connect(risks_changed)
    details.captureRequested.connect(capture)
    menu = window.menuBar().addMenu("&Triage")
    action = menu.addAction("&KB folder…")
    action.setObjectName("kbFolderAction")
    action.setToolTip("Where \"Capture as KB article\" writes its Markdown drafts")
    action.triggered.connect(choose_folder)

    def show_recurring() -> None:
        from .recurring import RecurringDialog

        dialog = RecurringDialog(service, window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.ticketChosen.connect(window.show_ticket)
        dialog.show()
        dialog.refresh()

    recurring = menu.addAction("&Recurring fixes…")
    recurring.setObjectName("recurringAction")
    recurring.setToolTip("Tickets resolved by the same steps lately: a recurring issue")
    recurring.triggered.connect(show_recurring)
