"""Who is at this console and what the shared database refused, in the main window's
status bar: "you: alice (agent)", "2 changes refused" beside the sync state (it opens
the Refused changes window), and a message when a new refusal arrives.

With a shared database the server says who the person is, and ``--role`` is ignored
(said once in the status bar); in local-only mode ``--role`` (or the settings' role)
is the person's role.
"""

from __future__ import annotations

import logging

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QMainWindow, QPushButton, QWidget

from console.app.runtime.port import ConsoleServicePort, Person, Refused, SyncState

from .refused import RefusedDialog
from .theme import named

log = logging.getLogger(__name__)
REFUSED_STYLE = ("QPushButton#refusedCount { background: #fdecea; color: #b3261e; "
                 "font-weight: bold; border: 1px solid #b3261e; border-radius: 4px; "
                 "padding: 1px 10px; }")
# MainWindow's permanent status-bar widgets: the ticket count (0), the sync state (1),
# who pages (2): the refusals go just right of the sync state
AFTER_SYNC_STATE = 2
ARRIVED_MS = 30000


def person_text(person: Person | None, local_only: bool, *, known: bool = False,
                login: str = "", state: SyncState | None = None) -> str:
    """``you: Alice (agent)`` for the status bar; with a shared database that has not
    answered yet (``known`` false) ``you: not known yet``, and once it has, what an admin
    must do for a ``login`` that is no person, or disabled."""
    if person is None:
        if local_only:
            return ""
        if not known:
            return "you: not known yet"
        login = login or "this login"
        if state is not None and state.status == "online":  # no people table: no checks
            return f"you: {login} (this shared database has no people yet)"
        return (f"you: {login} is not a person of this database: ask an admin to run "
                f"'escalation-console people add {login} --role ROLE'")
    if person.disabled and not local_only:
        return (f"you: {person.login} is disabled: ask an admin to run "
                f"'escalation-console people enable {person.login}'")
    return f"you: {person.name} ({person.role}{', local only' if local_only else ''})"


def person_tooltip(person: Person | None, local_only: bool, *, known: bool = False,
                   state: SyncState | None = None) -> str:
    if person is None and not known:
        return ("The shared database has not said who this console's login is yet: it is "
                "asked on each connection.")
    if person is None:
        if state is not None and state.status == "online":
            return ("The shared database is from before people and roles: it checks "
                    "nothing. An admin upgrades it with 'escalation-console db upgrade URL'.")
        return ("The shared database does not know this login as a person, so it would "
                "refuse every change: nothing is pushed until an admin adds it; your "
                "changes wait in the outbox.")
    if local_only:
        return (f"Local only: {person.login} acts as {person.role} (--role or the settings' "
                "role). With a shared database, the database decides.")
    roles = ", ".join(person.matrix_roles) or "none"
    may = "may publish the matrix" if person.may_publish else "may not publish the matrix"
    if person.disabled:
        return (f"The shared database's login {person.login} ({person.role}) is disabled: "
                "it may write nothing; your changes wait in the outbox.")
    return (f"The shared database's login {person.login}: {person.role}, {may}; "
            f"matrix roles: {roles}")


def refused_text(count: int) -> str:
    return f"{count} change{'s' if count != 1 else ''} refused"


def arrived_text(refusals: list[Refused]) -> str:
    """The status-bar message when the shared database refuses what this console wrote."""
    if len(refusals) == 1:
        return (f"Refused by the shared database: {refusals[0].describe()}. "
                "See Ticket > Refused changes.")
    return (f"The shared database refused {len(refusals)} changes "
            f"(one: {refusals[0].describe()}). See Ticket > Refused changes.")


def role_ignored_text(role: str, person: Person | None) -> str:
    """Why ``--role ROLE`` does nothing with a shared database configured."""
    who = (f": you are {person.login}, {person.role}" if person is not None
           else ": it says who you are")
    return (f"--role {role} is ignored with a shared database; the database decides{who} "
            "(--role applies with --local-only)")


class PeopleStatus:
    """The person label and the refused-changes button of a main window."""

    def __init__(self, window: QMainWindow, service: ConsoleServicePort,
                 ignored_role: str | None = None) -> None:
        self.window, self.service = window, service
        self.dialog: RefusedDialog | None = None
        bar = window.statusBar()
        self.button = named(QPushButton(), "refusedCount")
        self.button.setStyleSheet(REFUSED_STYLE)
        self.button.setFlat(True)
        self.button.setToolTip("Changes the shared database refused: open the list")
        self.button.clicked.connect(self.open_refused)
        self.button.hide()
        bar.insertPermanentWidget(AFTER_SYNC_STATE, self.button)
        self.person_label = named(QLabel(), "person")
        self.person_label.setMargin(2)
        bar.addPermanentWidget(self.person_label)
        self.action = QAction("&Refused changes…", window)
        self.action.triggered.connect(self.open_refused)
        service.personChanged.connect(self.show_person)
        # "no person" reads differently on a database that has no people at all
        service.syncStateChanged.connect(lambda _state: self.show_person(service.person))
        service.refusedChanged.connect(self.show_count)
        service.refusalsArrived.connect(self.arrived)
        if ignored_role:
            service.ready.connect(lambda: self.role_ignored(ignored_role))
        self.show_person(service.person)
        self.show_count(service.refused)

    def show_person(self, person: Person | None) -> None:
        service, local = self.service, self.service.local_only
        known, state = service.person_known, service.sync_state
        self.person_label.setText(person_text(person, local, known=known, login=service.user,
                                              state=state))
        self.person_label.setToolTip(person_tooltip(person, local, known=known, state=state))

    def show_count(self, refused: list[Refused]) -> None:
        count = max(self.service.refused_count, len(refused))
        self.button.setText(refused_text(count))
        self.button.setVisible(count > 0)

    def arrived(self, refusals: list[Refused]) -> None:
        if refusals:
            self.window.statusBar().showMessage(arrived_text(refusals), ARRIVED_MS)

    def role_ignored(self, role: str) -> None:
        if not self.service.local_only:
            text = role_ignored_text(role, self.service.person)
            log.warning("%s", text)
            self.window.statusBar().showMessage(text, ARRIVED_MS)

    def open_refused(self) -> QWidget:
        """Open the Refused changes window (or raise the open one)."""
        if self.dialog is None:
            self.dialog = RefusedDialog(self.service, parent=self.window)
            self.dialog.finished.connect(self._closed)
            self.dialog.show()
        else:  # open already, perhaps behind the queue
            self.dialog.raise_()
            self.dialog.activateWindow()
        return self.dialog

    def _closed(self, _result: int) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
            self.dialog = None
