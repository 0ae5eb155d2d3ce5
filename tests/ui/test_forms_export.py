"""What the agents' forms really write exports, and imports back whole: the event file
covers the handoff form's and the approval form's events as submitted."""

from __future__ import annotations

import pytest
from service_fakes import on_worker, running_service

from console.app.usecases import importer as imp
from console.app.usecases.export import export_events, export_lines
from console.store.local import LocalStore, NewEvent
from console.ui.forms import ApprovalDialog, HandoffDialog

from .test_forms import pick, show


@pytest.fixture
def service(tmp_path, matrix, qtbot):  # type: ignore[no-untyped-def]
    with running_service(tmp_path / "data", matrix, qtbot, user="ana") as svc:
        yield svc


def test_a_submitted_handoff_and_approval_export_and_import_back_with_their_ids(
        service, matrix, qtbot, tmp_path):
    events = [NewEvent("INC-1", "opened", {
        "title": "Checkout returns 502", "account": "Globex", "account_tier": "enterprise",
        "users_affected_pct": 10, "workaround": "partial", "category": "bug",
        "text": "Card payments fail at the last step."}, "ana"),
        NewEvent("INC-1", "severity", {"severity": "P2", "by": "support", "reason": "triage"},
                 "ana")]
    on_worker(service, qtbot, lambda: service.store.append_many(events))
    row = on_worker(service, qtbot, lambda: service._rows_for(["INC-1"]))[0]
    log = tmp_path / "checkout.log"
    log.write_bytes(b"502 Bad Gateway\n" * 10)
    handoff = show(qtbot, HandoffDialog(service, matrix, row, reason="payment-bug trigger"))
    handoff.fields["summary"].set_value("EU card payments fail with 502")
    handoff.fields["steps_tried"].set_value("Reproduced with a test card")
    handoff.fields["next_steps"].set_value("Check the payment gateway")
    pick(handoff.fields["target"].widget, "payments-engineering")
    handoff.add_files([str(log)])
    qtbot.waitUntil(lambda: bool(handoff.fields["attachments"].value()), timeout=5000)
    for box in handoff.checklist.boxes:
        box.setChecked(True)
    with qtbot.waitSignal(handoff.submitted, timeout=5000):
        handoff.try_submit()
    approval = show(qtbot, ApprovalDialog(service, matrix, row))
    pick(approval.role_box, "t1_agent")
    pick(approval.action_box, "refund")
    approval.amount_box.setValue(80)
    approval.reason_edit.setPlainText("double charge")
    with qtbot.waitSignal(approval.submitted, timeout=5000):
        approval.try_submit()

    exported = on_worker(service, qtbot, lambda: export_events(service.store))
    assert [e.kind for e in exported] == ["opened", "severity", "handoff_submitted",
                                          "escalated", "approval_requested", "approval_granted"]
    text = "".join(export_lines(exported))
    plan = imp.plan_jsonl(text, "export.jsonl", matrix)
    assert imp.describe_bad(plan, "export.jsonl") == []
    copy = LocalStore(tmp_path / "copy", matrix, lock=False).open()
    try:
        imp.apply_plan(copy, plan)
        again = export_events(copy)
    finally:
        copy.close()
    assert "".join(export_lines(again)) == text
    assert [e.id for e in again] == [e.id for e in exported]
