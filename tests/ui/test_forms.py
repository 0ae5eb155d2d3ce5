"""The agents' forms on a real ConsoleService (local store, no shared database)."""

from __future__ import annotations

import threading

import pytest
import shiboken6
from PySide6.QtCore import Qt
from service_fakes import on_worker, running_service

from console.app.runtime.attachments import stored_path
from console.domain.intake import INTAKE_REQUIRED
from console.domain.matrix.format import HANDOFF_FIELDS
from console.store.local import NewEvent
from console.store.sync import SyncState
from console.ui.forms import (
    ApprovalDialog,
    ConfirmSeverityDialog,
    HandoffDialog,
    IntakeDialog,
    open_handoff,
    open_intake,
)


@pytest.fixture
def service(tmp_path, matrix, qtbot):  # type: ignore[no-untyped-def]
    with running_service(tmp_path / "data", matrix, qtbot, user="ana") as svc:
        yield svc




def kinds(service, qtbot, ticket):  # type: ignore[no-untyped-def]
    return [(e.kind, e.payload) for e in on_worker(service, qtbot,
                                                   lambda: service.store.history(ticket))]


def seed(service, qtbot, ticket="INC-1", category="bug", severity="P2"):  # type: ignore[no-untyped-def]
    events = [NewEvent(ticket, "opened", {
        "title": "Checkout returns 502", "account": "Globex", "account_tier": "enterprise",
        "users_affected_pct": 10, "workaround": "partial", "category": category,
        "text": "Card payments fail at the last step."}, "ana")]
    if severity:
        events.append(NewEvent(ticket, "severity", {"severity": severity, "by": "support",
                                                    "reason": "triage"}, "ana"))
    on_worker(service, qtbot, lambda: service.store.append_many(events))
    return on_worker(service, qtbot, lambda: service._rows_for([ticket]))[0]


def show(qtbot, dialog):  # type: ignore[no-untyped-def]
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def pick(box, data) -> None:  # type: ignore[no-untyped-def]
    """Choose an item the way a person does (the combo emits activated)."""
    box.setCurrentIndex(box.findData(data))
    box.activated.emit(box.currentIndex())


def fill_intake(dialog: IntakeDialog, **values: str) -> None:
    defaults = {"title": "Checkout returns 502", "account": "Initech", "tier": "business",
                "category": "integration", "text": "Payments fail", "workaround": "partial",
                "pct": "10"}
    defaults.update(values)
    dialog.title_edit.setText(defaults["title"])
    dialog.account_edit.setText(defaults["account"])
    pick(dialog.tier_box, defaults["tier"])
    pick(dialog.category_box, defaults["category"])
    dialog.text_edit.setPlainText(defaults["text"])
    pick(dialog.workaround_box, defaults["workaround"])
    dialog.pct_box.setEditText(defaults["pct"])


def visible_error(dialog, name: str) -> str:  # type: ignore[no-untyped-def]
    field = dialog.fields[name]
    return field.error.text() if not field.error.isHidden() else ""


# -- intake ----------------------------------------------------------------------------------


def test_each_missing_intake_field_gets_its_message_next_to_it(service, matrix, qtbot):
    dialog = show(qtbot, IntakeDialog(service, matrix))
    dialog.try_submit()
    for name, message in INTAKE_REQUIRED.items():
        assert visible_error(dialog, name) == message
        assert dialog.fields[name].error.parentWidget() is dialog.fields[name]
    assert dialog.error_summary.text().startswith("7 fields need attention: Issue title, ")
    assert dialog.focusWidget() is dialog.title_edit
    dialog.title_edit.setText("Checkout returns 502")  # fixing a field clears its message
    assert visible_error(dialog, "title") == ""
    assert dialog.result_state is None
    assert on_worker(service, qtbot, service.store.tickets) == []


def test_the_suggestion_and_its_reasons_follow_the_fields(service, matrix, qtbot):
    dialog = show(qtbot, IntakeDialog(service, matrix))
    assert dialog.badge.text() == "P3"
    assert "not given yet" in dialog.provisional.text()
    pick(dialog.workaround_box, "none")
    dialog.pct_box.setEditText("30")
    assert dialog.badge.text() == "P1"
    assert "over 25% of users affected and no workaround" in dialog.reasons.text()
    pick(dialog.revenue_box, True)
    assert "revenue at risk and no workaround" in dialog.reasons.text()
    dialog.pct_box.setEditText("10")
    assert dialog.badge.text() == "P1"  # revenue at risk with no workaround
    pick(dialog.revenue_box, False)
    assert dialog.badge.text() == "P2"
    assert "under 25% of users affected" in dialog.reasons.text()
    assert dialog.severity_box.currentData() == "P2"  # the choice follows the suggestion
    assert dialog.fields["override_reason"].isHidden()
    assert "Engineering confirms" in dialog.two_stage.text()
    pick(dialog.workaround_box, "full")
    pick(dialog.category_box, "bug")
    assert dialog.badge.text() == "P3"
    assert "a full workaround is available" in dialog.reasons.text()


def test_the_suggestion_names_the_words_and_facts_behind_it_as_the_agent_types(
        service, matrix, qtbot):
    dialog = show(qtbot, IntakeDialog(service, matrix))
    assert dialog.badge.text() == "P3"
    assert dialog.drivers.isHidden()  # the matrix default: nothing in the ticket drove it
    qtbot.keyClicks(dialog.title_edit, "Checkout down for all enterprise customers")
    assert dialog.badge.text() == "P1"
    assert not dialog.drivers.isHidden()
    assert dialog.drivers.text() == (
        "<b>P1 because:</b> words: 'Checkout down for', 'all enterprise customers'")
    assert dialog.severity_box.currentData() == "P1"  # the choice follows
    pick(dialog.category_box, "outage")
    assert dialog.drivers.text() == (
        "<b>P1 because:</b> category is outage; "
        "words: 'Checkout down for', 'all enterprise customers'")
    dialog.title_edit.clear()
    qtbot.keyClicks(dialog.title_edit, "How do I export invoices?")
    pick(dialog.category_box, "question")
    assert dialog.badge.text() == "P4"
    assert dialog.drivers.text() == "<b>P4 because:</b> category is question; words: 'How do'"


def test_an_override_needs_a_reason_and_is_recorded(service, matrix, qtbot):
    dialog = show(qtbot, IntakeDialog(service, matrix))
    fill_intake(dialog)
    assert dialog.badge.text() == "P2"
    pick(dialog.severity_box, "P1")
    assert not dialog.fields["override_reason"].isHidden()
    dialog.pct_box.setEditText("12")  # the suggestion moves; the agent's choice stays
    assert dialog.severity_box.currentData() == "P1"
    dialog.try_submit()
    assert visible_error(dialog, "override_reason") == (
        "You chose P1 instead of the suggested P2: say why.")
    assert dialog.focusWidget() is dialog.reason_edit
    dialog.reason_edit.setPlainText("Biggest customer, launch day")
    with qtbot.waitSignal(dialog.submitted, timeout=5000) as got:
        dialog.try_submit()
    ticket = got.args[0]
    events = kinds(service, qtbot, ticket)
    assert [k for k, _ in events] == ["opened", "severity"]
    assert events[0][1]["title"] == "Checkout returns 502"
    assert events[0][1]["users_affected_pct"] == 12.0
    assert events[1][1] == {"severity": "P1", "by": "support",
                            "reason": "Biggest customer, launch day", "override_of": "P2"}
    row = on_worker(service, qtbot, lambda: service._rows_for([ticket]))[0]
    assert (row.severity, row.confirmed) == ("P1", False)
    assert "pending sync (2 events waiting)" in dialog.banner.text.text()
    assert dialog.submit_button.isHidden() and dialog.close_button.text() == "Close"


def test_accepting_the_suggestion_records_its_reasons(service, matrix, qtbot):
    dialog = show(qtbot, IntakeDialog(service, matrix))
    fill_intake(dialog)
    with qtbot.waitSignal(dialog.submitted, timeout=5000) as got:
        dialog.try_submit()
    severity = kinds(service, qtbot, got.args[0])[1][1]
    assert severity == {"severity": "P2", "by": "support",
                        "reason": "matrix suggestion: under 25% of users affected and at most "
                                  "a partial workaround; the description reads as payments "
                                  "failing or a feature broken for many users"}


def test_the_keyboard_alone_fills_and_submits_the_intake(service, matrix, qtbot):
    dialog = show(qtbot, IntakeDialog(service, matrix))
    with qtbot.waitActive(dialog):
        dialog.activateWindow()
    dialog.title_edit.setFocus()
    order = [dialog.title_edit, dialog.account_edit, dialog.tier_box, dialog.category_box,
             dialog.text_edit, dialog.workaround_box, dialog.pct_box,
             dialog.revenue_box, dialog.breach_box, dialog.severity_box]
    seen = [dialog.title_edit]
    for _ in order[1:]:
        qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)
        seen.append(dialog.focusWidget())
    assert seen == order
    fill_intake(dialog)
    with qtbot.waitSignal(dialog.submitted, timeout=5000):
        qtbot.keyClick(dialog.title_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert dialog.fields["title"].label.buddy() is dialog.title_edit
    assert "&" in dialog.fields["title"].label.text()  # Alt+T jumps to the title


@pytest.mark.qt_log_ignore("This plugin does not support raise")
def test_open_intake_raises_the_form_already_open(service, matrix, qtbot):
    first = open_intake(service, matrix)
    qtbot.addWidget(first)
    assert open_intake(service, matrix) is first
    assert first.testAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)


def test_the_gui_thread_never_touches_the_store(service, matrix, qtbot, tmp_path):
    seen: set[str] = set()
    store = service.store
    for name in ("_read", "_write"):
        original = getattr(store, name)

        def spy(*args, _original=original):  # type: ignore[no-untyped-def]
            seen.add(threading.current_thread().name)
            return _original(*args)

        setattr(store, name, spy)
    row = seed(service, qtbot)
    seen.clear()
    intake = show(qtbot, IntakeDialog(service, matrix))
    fill_intake(intake)
    with qtbot.waitSignal(intake.submitted, timeout=5000):
        intake.try_submit()
    handoff = show(qtbot, HandoffDialog(service, matrix, row))
    handoff.fields["summary"].set_value("x")
    qtbot.waitUntil(lambda: handoff.draft_state.text().startswith("Draft saved"), timeout=5000)
    show(qtbot, ApprovalDialog(service, matrix, row))
    on_worker(service, qtbot, lambda: None)  # the serial worker ran the dialog's loads
    assert seen and threading.main_thread().name not in seen


# -- two-stage severity ---------------------------------------------------------------------


def test_engineering_adjusting_supports_severity_records_a_disagreement(service, matrix, qtbot):
    row = seed(service, qtbot, severity="P2")
    dialog = show(qtbot, ConfirmSeverityDialog(service, matrix, row, "engineering"))
    assert dialog.submit_button.text() == "&Confirm P2"
    for name in ("initial_severity", "confirmation"):  # both clocks are visible
        assert dialog.clock_labels[name][0].text()
    assert dialog.clock_labels["initial_severity"][1].text() == "MET"
    pick(dialog.severity_box, "P1")
    assert dialog.submit_button.text() == "&Adjust to P1"
    assert "recorded as a disagreement" in dialog.note.text()
    dialog.try_submit()
    assert visible_error(dialog, "reason") == (
        "Say why you change P2 to P1: it is recorded as a disagreement.")
    dialog.reason_edit.setPlainText("All EU checkouts fail, not 10%")
    with qtbot.waitSignal(dialog.submitted, timeout=5000):
        dialog.try_submit()
    events = kinds(service, qtbot, row.id)[2:]
    assert events == [
        ("severity", {"severity": "P1", "by": "engineering", "initial": "P2",
                      "reason": "All EU checkouts fail, not 10%", "override_of": "P2"}),
        ("severity_disagreement", {"initial": "P2", "confirmed": "P1",
                                   "reason": "All EU checkouts fail, not 10%"}),
    ]
    after = on_worker(service, qtbot, lambda: service._rows_for([row.id]))[0]
    assert (after.severity, after.confirmed, after.severity_source) == ("P1", True,
                                                                         "engineering")


def test_engineering_confirming_needs_a_reason_too(service, matrix, qtbot):
    row = seed(service, qtbot, severity="P2")
    dialog = show(qtbot, ConfirmSeverityDialog(service, matrix, row, "engineering"))
    dialog.try_submit()
    assert "Say why P2 is right" in visible_error(dialog, "reason")
    dialog.reason_edit.setPlainText("Checked the error rate")
    with qtbot.waitSignal(dialog.submitted, timeout=5000):
        dialog.try_submit()
    assert [k for k, _ in kinds(service, qtbot, row.id)] == ["opened", "severity", "severity"]


def test_support_sets_the_initial_severity_against_its_clock(service, matrix, qtbot):
    row = seed(service, qtbot, severity=None)
    dialog = show(qtbot, ConfirmSeverityDialog(service, matrix, row, "support"))
    assert "due" in dialog.clock_labels["initial_severity"][0].text()
    assert dialog.clock_labels["confirmation"][0].text() == "not started"
    assert dialog.severity_box.currentData() == "P2"  # the suggestion
    assert not dialog.fields["reason"].required
    with qtbot.waitSignal(dialog.submitted, timeout=5000):
        dialog.try_submit()
    assert kinds(service, qtbot, row.id)[1][1]["by"] == "support"


# -- handoff --------------------------------------------------------------------------------


def test_missing_handoff_fields_get_clear_messages_next_to_them(service, matrix, qtbot):
    row = seed(service, qtbot, category="bug")
    dialog = show(qtbot, HandoffDialog(service, matrix, row))
    qtbot.waitUntil(lambda: "opened: Checkout returns 502" in dialog.fields["history"].value(),
                    timeout=5000)
    assert dialog.fields["customer"].value() == "Globex (enterprise)"
    assert "Card payments fail" in dialog.fields["details"].value()
    assert dialog.fields["target"].value() == "senior-engineering"  # P2's owning team
    assert dialog.fields["mode"].value() == "hierarchical"
    dialog.try_submit()
    assert visible_error(dialog, "summary") == ("Issue summary is required: one sentence the "
                                                "next person can act on.")
    assert visible_error(dialog, "attachments") == (
        "Attachments are required for bug handoffs: add logs, screenshots or HAR files.")
    assert visible_error(dialog, "checklist").startswith("Tick every check")
    assert visible_error(dialog, "history") == ""  # pre-filled from the ticket
    assert dialog.fields["summary"].hint.isHidden()  # the message replaces the hint
    assert dialog.focusWidget() is dialog.fields["summary"].widget
    assert dialog.result_state is None


def test_a_complete_handoff_is_pinned_to_the_ticket_with_its_attachment(
        service, matrix, qtbot, tmp_path):
    row = seed(service, qtbot, category="bug")
    log = tmp_path / "checkout.log"
    log.write_bytes(b"502 Bad Gateway\n" * 100)
    dialog = show(qtbot, HandoffDialog(service, matrix, row, reason="payment-bug trigger"))
    f = dialog.fields
    f["summary"].set_value("EU card payments fail with 502")
    f["steps_tried"].set_value("Reproduced with a test card")
    f["next_steps"].set_value("Check the payment gateway")
    pick(f["target"].widget, "payments-engineering")
    dialog.add_files([str(log)])
    qtbot.waitUntil(lambda: bool(f["attachments"].value()), timeout=5000)
    for box in dialog.checklist.boxes:
        box.setChecked(True)
    with qtbot.waitSignal(dialog.submitted, timeout=5000):
        dialog.try_submit()
    events = kinds(service, qtbot, row.id)
    handoff = events[2][1]
    assert set(HANDOFF_FIELDS) <= set(handoff)
    assert handoff["reason"] == "payment-bug trigger"
    assert (handoff["target"], handoff["mode"], handoff["urgency"]) == (
        "payments-engineering", "hierarchical", "high")
    [attachment] = handoff["attachments"]
    assert attachment["name"] == "checkout.log" and attachment["size"] == 1600
    assert stored_path(service.store.data_dir, attachment["sha256"]).read_bytes() == \
        log.read_bytes()
    assert events[3] == ("escalated", {"team": "payments-engineering", "tier": "T3",
                                       "kind": "hierarchical", "from_team": "frontline",
                                       "by": "ana", "reason": "payment-bug trigger"})
    after = on_worker(service, qtbot, lambda: service._rows_for([row.id]))[0]
    assert after.team == "payments-engineering"
    assert after.detail["latest_handoff"]["summary"] == "EU card payments fail with 502"


def test_a_handoff_draft_comes_back_when_the_form_is_reopened(service, matrix, qtbot):
    row = seed(service, qtbot)
    first = show(qtbot, HandoffDialog(service, matrix, row))
    first.fields["summary"].set_value("Half-written summary")
    first.fields["next_steps"].set_value("Call the customer at 3pm")
    qtbot.waitUntil(lambda: not first.autosaver.pending, timeout=5000)
    first.reject()
    second = show(qtbot, HandoffDialog(service, matrix, row))
    qtbot.waitUntil(lambda: second.fields["summary"].value() == "Half-written summary",
                    timeout=5000)
    assert second.fields["next_steps"].value() == "Call the customer at 3pm"
    assert "Restored your draft" in second.banner.text.text()
    assert second.submit_id == first.submit_id  # a resubmission cannot duplicate


@pytest.mark.qt_log_ignore("This plugin does not support raise")
def test_closing_a_form_at_once_keeps_what_was_typed(service, matrix, qtbot):
    row = seed(service, qtbot)
    dialog = open_handoff(service, matrix, row)
    dialog.fields["summary"].set_value("typed, then Esc straight away")
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # before the history or the draft arrived
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog), timeout=5000)  # deleted on close
    # Every job queued before this one has called back into the closed form, harmlessly.
    on_worker(service, qtbot, lambda: None)
    again = open_handoff(service, matrix, row)
    qtbot.waitUntil(lambda: again.fields["summary"].value() == "typed, then Esc straight away",
                    timeout=5000)
    again.close()


# -- decision authority ---------------------------------------------------------------------


def ask(dialog: ApprovalDialog, role: str, action: str, amount: float, reason: str) -> None:
    pick(dialog.role_box, role)
    pick(dialog.action_box, action)
    dialog.amount_box.setValue(amount)
    dialog.reason_edit.setPlainText(reason)


def test_a_refund_within_the_agents_limit_is_recorded_at_once(service, matrix, qtbot):
    row = seed(service, qtbot)
    dialog = show(qtbot, ApprovalDialog(service, matrix, row))
    ask(dialog, "t1_agent", "refund", 100, "double charge")
    assert dialog.verdict.text().startswith("✔ Within your authority: T1 agent (up to 100 USD)")
    assert dialog.submit_button.text() == "Record &decision"
    with qtbot.waitSignal(dialog.submitted, timeout=5000):
        dialog.try_submit()
    events = kinds(service, qtbot, row.id)[2:]
    assert [k for k, _ in events] == ["approval_requested", "approval_granted"]
    assert events[1][1]["within_limit"] is True and events[1][1]["role"] == "t1_agent"


def test_a_refund_over_the_limit_is_routed_to_the_t2_manager_who_approves_it(
        service, matrix, qtbot):
    row = seed(service, qtbot)
    dialog = show(qtbot, ApprovalDialog(service, matrix, row))
    ask(dialog, "t1_agent", "refund", 250, "customer threatens to cancel")
    assert "Who may approve: T2 manager (up to 5,000 USD)" in dialog.verdict.text()
    assert dialog.submit_button.text() == "Re&quest approval from T2 manager"
    with qtbot.waitSignal(dialog.submitted, timeout=5000):
        dialog.try_submit()
    [(kind, request)] = kinds(service, qtbot, row.id)[2:]
    assert kind == "approval_requested"
    assert {k: request[k] for k in ("action", "amount", "unit", "requested_by",
                                    "route_to_role", "reason")} == {
        "action": "refund", "amount": 250.0, "unit": "USD", "requested_by": "ana",
        "route_to_role": "t2_manager", "reason": "customer threatens to cancel"}
    request_id = on_worker(service, qtbot, lambda: service.store.history(row.id))[2].id

    answer = show(qtbot, ApprovalDialog(service, matrix, row))
    qtbot.waitUntil(lambda: answer.pending_list.count() == 1 and bool(answer.pending),
                    timeout=5000)
    assert "refund 250 USD" in answer.pending_list.item(0).text()
    pick(answer.role_box, "t1_agent")
    assert not answer.approve_button.isEnabled()
    assert answer.answer_who.text() == ("Only T2 manager may approve this. You act as T1 "
                                        "agent. Choose T2 manager under “You act as” to "
                                        "answer it.")
    pick(answer.role_box, "t2_manager")
    assert answer.approve_button.isEnabled()
    answer.answer(True)
    qtbot.waitUntil(lambda: "No requests waiting" in answer.pending_list.item(0).text(),
                    timeout=5000)
    granted = kinds(service, qtbot, row.id)[-1]
    assert granted == ("approval_granted", {"request_id": request_id, "by": "ana",
                                            "role": "t2_manager"})


def test_the_chosen_role_is_remembered(service, matrix, qtbot):
    row = seed(service, qtbot)
    first = show(qtbot, ApprovalDialog(service, matrix, row))
    pick(first.role_box, "cs_manager")
    first.reject()
    second = show(qtbot, ApprovalDialog(service, matrix, row))
    qtbot.waitUntil(lambda: second.role() == "cs_manager", timeout=5000)


# -- offline submit ---------------------------------------------------------------------------


def test_an_offline_submit_says_pending_sync_until_the_outbox_drains(service, matrix, qtbot):
    service.syncStateChanged.emit(SyncState("offline", pending=0, last_error="no network"))
    row = seed(service, qtbot)
    dialog = show(qtbot, ConfirmSeverityDialog(service, matrix, row, "engineering"))
    dialog.reason_edit.setPlainText("Checked")
    with qtbot.waitSignal(dialog.submitted, timeout=5000):
        dialog.try_submit()
    assert dialog.banner.kind == "pending"
    assert "Saved locally — pending sync (3 events waiting)" in dialog.banner.text.text()
    service.syncStateChanged.emit(SyncState("online", pending=0))  # says nothing of ours
    assert dialog.banner.kind == "pending"
    # the syncer pushes the outbox, then announces it: only now is it synced
    ids = [e.id for e in on_worker(service, qtbot, service.store.outbox)]
    on_worker(service, qtbot, lambda: service.store.acknowledge(ids))
    service.syncStateChanged.emit(SyncState("online", pending=0))
    qtbot.waitUntil(lambda: dialog.banner.kind == "ok", timeout=5000)
    assert "synced to the shared database" in dialog.banner.text.text()
