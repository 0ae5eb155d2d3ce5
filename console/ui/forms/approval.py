"""Decision authority: actions with limits (a refund, a credit, a contract exception)
checked against the matrix's authority table.

Within the agent's own limit the decision is recorded at once (a request granted by
the agent). Over it, the form says plainly who may approve, and the request goes to
the lowest-limit role that may. Pending requests on the ticket can be granted or
denied here by someone whose role may approve them.

"You act as" offers the matrix roles the person holds, as the shared database names
them (``people grant --matrix-role``; every role in local-only mode), and a request is
answered only in a role the person holds, never by its requester: the server refuses
anything else, so the form does not offer it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.app.runtime.forms_ops import Submitted
from console.app.runtime.port import ConsoleServicePort, TimelineEvent
from console.app.runtime.rows import QueueRow
from console.domain.handoff import (
    AuthorityDecision,
    PendingApproval,
    action_unit,
    authority_actions,
    check_authority,
    may_approve,
    pending_approvals,
    role_name,
)
from console.domain.matrix import Matrix
from console.domain.people import Person

from ..theme import named
from .base import FormDialog, SyncFollower
from .widgets import ERROR_COLOR, chain_tab_order, combo, line_height, refill, text_area

VERDICT_STYLES = {
    "allowed": "background: #dafbe1; color: #0f5323; border: 1px solid #4ac26b;",
    "approval": "background: #fff8c5; color: #4d2d00; border: 1px solid #d4a72c;",
    "blocked": f"background: #fdecea; color: {ERROR_COLOR}; border: 1px solid {ERROR_COLOR};",
}


class ApprovalDialog(FormDialog):
    """Request a decision on a ticket, and answer the requests waiting on it."""

    def __init__(self, service: ConsoleServicePort, matrix: Matrix, row: QueueRow,
                 parent: QWidget | None = None) -> None:
        super().__init__(service, matrix, form="approval", ticket=row.id,
                         title=f"Decision authority — {row.id}",
                         submit_text="Re&quest approval", parent=parent)
        self.row = row
        self.pending: list[PendingApproval] = []
        self.answer_follower: SyncFollower | None = None
        self.role_box = combo(self._offered_roles(), "Choose your role…")
        self.action_box = combo([(a.replace("_", " ").capitalize(), a)
                                 for a in authority_actions(matrix)], "Choose…")
        self.amount_box = QDoubleSpinBox()
        self.amount_box.setRange(0, 1e9)
        self.amount_box.setDecimals(2)
        self.amount_box.setGroupSeparatorShown(True)
        self.amount_box.setAccelerated(True)
        self.reason_edit = text_area(2, "Why: what happened, what the customer was promised")
        self.add_field("role", "&You act as", self.role_box, required=True)
        self.add_field("action", "&Action", self.action_box, required=True)
        self.add_field("amount", "A&mount", self.amount_box, required=True)
        self.add_field("reason", "&Reason", self.reason_edit, required=True)
        self.verdict = named(QLabel(), "authorityVerdict")
        self.verdict.setWordWrap(True)
        self.verdict.setMinimumHeight(line_height(self.verdict, 2.5))  # no jumping layout
        self.role_box.activated.connect(self._role_picked)
        service.personChanged.connect(self.set_person)  # the server said who this is
        self._build()
        self.on_fields_changed()
        service.forms.roles(self.guard(self._roles_loaded))
        self.reload_pending()
        self.start()
        self.fit_to_screen()

    def _build(self) -> None:
        ask = QGroupBox("Ask for a decision")
        form = QVBoxLayout(ask)
        head = QHBoxLayout()
        head.addWidget(self.fields["role"])
        head.addWidget(self.fields["action"])
        head.addWidget(self.fields["amount"])
        form.addLayout(head)
        form.addWidget(self.verdict)
        form.addWidget(self.fields["reason"])

        answer = QGroupBox("Waiting for approval on this ticket")
        self.pending_list = named(QListWidget(), "pendingApprovals")
        self.pending_list.setMinimumHeight(line_height(self.pending_list, 3))
        self.pending_list.setMaximumHeight(line_height(self.pending_list, 6))
        self.pending_list.currentRowChanged.connect(lambda _r: self._update_answer())
        self.answer_note = QLineEdit(placeholderText="Note for the requester (optional)")
        self.answer_who = named(QLabel(), "approverNote")
        self.answer_who.setWordWrap(True)
        self.approve_button = named(QPushButton("A&pprove"), "approveButton")
        self.deny_button = named(QPushButton("D&eny"), "denyButton")
        for button, granted in ((self.approve_button, True), (self.deny_button, False)):
            button.setAutoDefault(False)
            button.clicked.connect(lambda _=False, g=granted: self.answer(g))
        buttons = QHBoxLayout()
        buttons.addWidget(self.answer_note, 1)
        buttons.addWidget(self.approve_button)
        buttons.addWidget(self.deny_button)
        box = QVBoxLayout(answer)
        box.addWidget(self.pending_list)
        box.addWidget(self.answer_who)
        box.addLayout(buttons)

        layout = QVBoxLayout(self.body)
        title = QLabel(f"<b>{self.row.id}</b> · {self.row.severity} · {self.row.title}")
        title.setWordWrap(True)
        layout.addWidget(title)
        layout.addWidget(ask)
        layout.addWidget(answer)
        layout.addStretch(1)
        order = [self.role_box, self.action_box, self.amount_box, self.reason_edit,
                 self.submit_button, self.pending_list, self.answer_note, self.approve_button,
                 self.deny_button, self.close_button, self.discard_button]
        chain_tab_order(order)
        self.preferred_chars = 105
        self.action_box.setFocus()

    # -- the role ---------------------------------------------------------------------------
    def may_act_as(self, role: str) -> bool:
        """Whether the person may act in this matrix role: one the shared database says
        they hold (any role in local-only mode, where the person owns the data)."""
        person = self.service.person
        return bool(role) and (self.service.local_only
                               or (person is not None and person.holds(role)))

    def _offered_roles(self) -> list[tuple[str, str]]:
        return [(r.name, r.id) for r in self.matrix.roles if self.may_act_as(r.id)]

    def set_person(self, _person: Person | None) -> None:
        """Who the person is changed (the server answered): offer their roles."""
        if self._closed:
            return
        refill(self.role_box, self._offered_roles())
        self._roles_loaded([])
        self.on_fields_changed()
        self._update_answer()

    def _roles_loaded(self, roles: list[str]) -> None:
        if self.role_box.currentIndex() >= 0:
            return
        # the role used last time if it is offered, else the only one the person holds
        index = self.role_box.findData(roles[0]) if roles else -1
        if index < 0 and self.role_box.count() == 1:
            index = 0
        if index >= 0:
            with_signals = self.role_box.blockSignals(True)
            self.role_box.setCurrentIndex(index)
            self.role_box.blockSignals(with_signals)
            self.on_fields_changed()

    def _role_picked(self, _index: int) -> None:
        role = self.role()
        if role:
            self.service.forms.save_roles([role])  # remembered for next time
        self._update_answer()

    def role(self) -> str:
        return str(self.role_box.currentData() or "")

    # -- the verdict --------------------------------------------------------------------------
    def action(self) -> str:
        return str(self.action_box.currentData() or "")

    def amount(self) -> float | None:
        return self.amount_box.value() if action_unit(self.matrix, self.action()) is not None \
            else None

    def authority(self) -> AuthorityDecision | None:
        if not self.action() or not self.role():
            return None
        return check_authority(self.matrix, self.action(), self.amount(), self.role(),
                               self.row.severity)

    def on_matrix_changed(self) -> None:
        refill(self.role_box, self._offered_roles())
        refill(self.action_box, [(a.replace("_", " ").capitalize(), a)
                                 for a in authority_actions(self.matrix)])

    def on_fields_changed(self) -> None:
        unit = action_unit(self.matrix, self.action())
        self.fields["amount"].setVisible(unit is not None)
        self.amount_box.setSuffix(f" {unit}" if unit else "")
        decision = self.authority()
        if decision is None:
            self.verdict.setText(self._no_role_text() or
                                 "Choose your role and the action to see who may approve it.")
            self.verdict.setStyleSheet("color: #57606a;")
            self.submit_button.setText("Re&quest approval")
            return
        kind = "allowed" if decision.allowed else (
            "approval" if decision.route_to_role else "blocked")
        mark = {"allowed": "✔", "approval": "➜", "blocked": "✖"}[kind]
        self.verdict.setText(f"{mark} {decision.message}")
        self.verdict.setStyleSheet(VERDICT_STYLES[kind] + " padding: 6px; border-radius: 4px;")
        if decision.allowed:
            self.submit_button.setText("Record &decision")
        elif decision.route_to_role:
            self.submit_button.setText(
                f"Re&quest approval from {role_name(self.matrix, decision.route_to_role)}")
        else:
            self.submit_button.setText("Re&quest approval")
        self._update_answer()

    def _no_role_text(self) -> str:
        """Why no role is offered, if none is: who the person is is not known yet, or
        they hold no matrix role of this matrix."""
        if self.role_box.count():
            return ""
        person = self.service.person
        if person is None:
            return ("The shared database has not said who you are yet: your matrix roles "
                    "appear once it answers.")
        return (f"{person.name} holds no matrix role of this matrix, so cannot ask or "
                "answer here. An admin grants one: escalation-console people grant "
                f"{person.login} --matrix-role ROLE")

    def errors(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        if not self.role():
            errors["role"] = (self._no_role_text()
                              or "Choose the role you act in: the limits depend on it.")
        if not self.action():
            errors["action"] = "Choose the action."
        elif (amount := self.amount()) is not None and amount <= 0:
            errors["amount"] = "Enter the amount."
        if not self.reason_edit.toPlainText().strip():
            errors["reason"] = "Say why: the approver reads this first."
        decision = self.authority()
        if decision is not None and not decision.allowed and not decision.route_to_role:
            errors["action"] = decision.message
        return errors

    def submit(self) -> None:
        self.service.forms.request_approval(
            self.matrix, self.row.id, self.action(), self.amount(), self.role(),
            self.reason_edit.toPlainText().strip(), self.row.severity, self.submit_id,
            self.guard(self._requested), self.guard(self.submit_failed),
            draft_key=self.autosaver.key)

    def _requested(self, result: Submitted) -> None:
        self.submit_done(result)
        self.reload_pending()

    def done_text(self, result: Submitted) -> str:
        decision = self.authority()
        if result.duplicate:
            return f"{result.ticket}: this request was already recorded."
        if decision is not None and decision.allowed:
            return f"{result.ticket}: decision recorded (within your authority)."
        who = role_name(self.matrix, decision.route_to_role or "") if decision else ""
        return f"{result.ticket}: approval requested from {who}."

    # -- answering requests ------------------------------------------------------------------
    def reload_pending(self) -> None:
        self.service.forms.history(self.row.id, self.guard(self._history_loaded),
                                   lambda e: None)

    def _history_loaded(self, events: list[TimelineEvent]) -> None:
        self.pending = pending_approvals(events)
        self.pending_list.clear()
        for request in self.pending:
            item = QListWidgetItem(request.describe(self.matrix))
            item.setData(Qt.ItemDataRole.UserRole, request.request_id)
            self.pending_list.addItem(item)
        if not self.pending:
            self.pending_list.addItem("No requests waiting.")
        else:
            self.pending_list.setCurrentRow(0)
        self._update_answer()

    def selected_request(self) -> PendingApproval | None:
        row = self.pending_list.currentRow()
        return self.pending[row] if 0 <= row < len(self.pending) else None

    def _own(self, request: PendingApproval) -> bool:
        """Whether the person asked for this themselves (the server lets nobody answer
        their own request; in local-only mode the person owns the data)."""
        return (not self.service.local_only
                and request.request.get("requested_by") == self.service.user)

    def answer_role(self, request: PendingApproval | None) -> str | None:
        """The matrix role the person answers ``request`` in: the one they act as when
        it may approve, else the first role they hold that may (an approver in a hurry
        need not pick it first); None when they may not answer it. In local-only mode
        every role is offered, so there the one chosen answers."""
        if request is None or self._own(request):
            return None
        held = ([] if self.service.local_only else
                [str(self.role_box.itemData(i)) for i in range(self.role_box.count())])
        for role in dict.fromkeys([self.role(), *held]):
            if self.may_act_as(role) and may_approve(self.matrix, request.request, role):
                return role
        return None

    def may_answer(self, request: PendingApproval | None) -> bool:
        """Whether the person may answer ``request`` in a matrix role they hold."""
        return self.answer_role(request) is not None

    def _update_answer(self) -> None:
        request = self.selected_request()
        allowed = self.may_answer(request)
        for button in (self.approve_button, self.deny_button):
            button.setEnabled(allowed)
        if request is None:
            self.answer_who.setText("")
            return
        approvers = request.request.get("approvers") or [request.request.get("route_to_role")]
        names = " or ".join(role_name(self.matrix, str(r)) for r in approvers if r)
        if self._own(request):
            self.answer_who.setText(f"You asked for this: {names} answers it.")
        elif allowed:
            me = role_name(self.matrix, str(self.answer_role(request)))
            self.answer_who.setText(f"You may approve this as {me}.")
        else:
            self.answer_who.setText(self._who_may(names, [str(r) for r in approvers if r]))

    def _who_may(self, names: str, approvers: list[str]) -> str:
        """Why the person may not answer as they act, and how they could (local only,
        where every role is offered and the chosen one answers)."""
        mine = self.role()
        held = [r for r in approvers if r != mine and self.role_box.findData(r) >= 0]
        if held:  # offered the role that may: say which to choose
            me = f" You act as {role_name(self.matrix, mine)}." if mine else ""
            return (f"Only {names} may approve this.{me} Choose "
                    f"{role_name(self.matrix, held[0])} under “You act as” to answer it.")
        if not mine:
            return f"Only {names} may approve this; you hold no such matrix role."
        return f"Only {names} may approve this. You act as {role_name(self.matrix, mine)}."

    def answer(self, granted: bool) -> None:
        request = self.selected_request()
        role = self.answer_role(request)
        if request is None or role is None:
            return
        for button in (self.approve_button, self.deny_button):
            button.setEnabled(False)
        self.service.forms.answer_approval(
            self.row.id, request.request_id, granted, role, self.answer_note.text(),
            self.guard(self._answered), self.guard(self.submit_failed))

    def _answered(self, result: Submitted) -> None:
        self.answer_note.clear()
        verb = "Answer recorded." if not result.duplicate else "Already answered."

        def show(text: str, waiting: bool) -> None:
            self.banner.show_message("pending" if waiting else "ok", f"{verb} {text}")

        # the banner follows this answer until it is in the shared database, as a
        # submitted form does; only the latest answer speaks
        self._stop_answer_follower()
        self.answer_follower = SyncFollower(self.service, result, self.guard, show,
                                            parent=self)
        self.answer_follower.start()
        self.reload_pending()

    def _stop_answer_follower(self) -> None:
        if self.answer_follower is not None:
            self.answer_follower.stop()
            self.answer_follower = None

    def submit_done(self, result: Submitted) -> None:
        self._stop_answer_follower()  # the banner now speaks for the request
        super().submit_done(result)
