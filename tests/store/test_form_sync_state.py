"""A submitted form (and an approval answer) follows the real sync state: once its
events are in the shared PostgreSQL database the banner says "synced", however fast
the push was."""

from __future__ import annotations

import pytest
from service_fakes import on_worker, running_service

from console.store.local import NewEvent
from console.ui.forms import ApprovalDialog, IntakeDialog

pytestmark = pytest.mark.postgres


def pick(box, data) -> None:  # type: ignore[no-untyped-def]
    box.setCurrentIndex(box.findData(data))
    box.activated.emit(box.currentIndex())


def test_an_intake_submitted_online_says_synced_once_its_events_are_on_the_server(
        pg, matrix, qtbot, tmp_path):
    with running_service(tmp_path / "agent", matrix, qtbot, user="ana",
                         shared_db=pg.url) as service:
        dialog = IntakeDialog(service, matrix)
        qtbot.addWidget(dialog)
        dialog.show()
        dialog.title_edit.setText("Checkout returns 502")
        dialog.account_edit.setText("Initech")
        pick(dialog.tier_box, "business")
        pick(dialog.category_box, "integration")
        dialog.text_edit.setPlainText("Payments fail")
        pick(dialog.workaround_box, "partial")
        dialog.pct_box.setEditText("10")
        with qtbot.waitSignal(dialog.submitted, timeout=10000) as got:
            dialog.try_submit()
        ticket = got.args[0]
        qtbot.waitUntil(lambda: len(pg.query("SELECT id FROM events WHERE ticket = %s",
                                             (ticket,))) == 2, timeout=15000)
        qtbot.waitUntil(lambda: dialog.banner.kind == "ok", timeout=5000)
        assert "synced to the shared database" in dialog.banner.text.text()


def test_an_approval_answered_online_says_synced_once_the_answer_is_on_the_server(
        pg, matrix, qtbot, tmp_path):
    with running_service(tmp_path / "manager", matrix, qtbot, user="mia",
                         shared_db=pg.url) as service:
        on_worker(service, qtbot, lambda: service.store.append_many([
            NewEvent("INC-7", "opened", {"title": "Double charge", "account": "Globex",
                                         "account_tier": "enterprise", "category": "bug",
                                         "users_affected_pct": 1, "workaround": "none",
                                         "text": "Charged twice"}, "ana"),
            NewEvent("INC-7", "severity", {"severity": "P3", "by": "support",
                                           "reason": "triage"}, "ana"),
            NewEvent("INC-7", "approval_requested", {
                "action": "refund", "amount": 250.0, "unit": "USD", "requested_by": "ana",
                "role": "t1_agent", "route_to_role": "t2_manager",
                "approvers": ["t2_manager"], "reason": "customer threatens to cancel"},
                "ana")]))
        row = on_worker(service, qtbot, lambda: service._rows_for(["INC-7"]))[0]
        dialog = ApprovalDialog(service, matrix, row)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitUntil(lambda: bool(dialog.pending), timeout=5000)
        pick(dialog.role_box, "t2_manager")
        assert dialog.approve_button.isEnabled()
        dialog.answer(True)
        qtbot.waitUntil(lambda: len(pg.query(
            "SELECT id FROM events WHERE ticket = %s AND kind = 'approval_granted'",
            ("INC-7",))) == 1, timeout=15000)
        qtbot.waitUntil(lambda: dialog.banner.kind == "ok", timeout=5000)
        assert dialog.banner.text.text().startswith("Answer recorded.")
        assert "synced to the shared database" in dialog.banner.text.text()
        dialog.reject()  # its draft is flushed while the service still runs
