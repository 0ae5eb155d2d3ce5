"""A handoff submitted offline waits in the outbox ("pending sync") and reaches the real
shared PostgreSQL database exactly once when the console connects."""

from __future__ import annotations

import json

import pytest
from service_fakes import FakeScheduler, on_worker, running_service

from console.app.runtime.forms_ops import submit_events
from console.app.runtime.service import ConsoleService
from console.store.local import LocalStore, NewEvent
from console.store.sync import Syncer
from console.ui.forms import HandoffDialog

pytestmark = pytest.mark.postgres






def open_ticket_row(service, qtbot):  # type: ignore[no-untyped-def]
    event = NewEvent("INC-7", "opened", {
        "title": "Refunds stuck", "account": "Hooli", "account_tier": "business",
        "users_affected_pct": 5, "workaround": "partial", "category": "billing"}, "ana")
    on_worker(service, qtbot, lambda: service.store.append_many([event]))
    return on_worker(service, qtbot, lambda: service._rows_for(["INC-7"]))[0]


def fill_and_submit(service, matrix, qtbot, row):  # type: ignore[no-untyped-def]
    dialog = HandoffDialog(service, matrix, row, reason="needs a specialist")
    qtbot.addWidget(dialog)
    dialog.show()
    f = dialog.fields
    for name, value in (("summary", "Refunds stuck in pending"), ("history", "opened 09:00"),
                        ("details", "Refund API returns 409"),
                        ("steps_tried", "Retried twice"), ("next_steps", "Check the ledger")):
        f[name].set_value(value)
    f["target"].set_value("specialists")
    f["mode"].set_value("hierarchical")
    for box in dialog.checklist.boxes:
        box.setChecked(True)
    with qtbot.waitSignal(dialog.submitted, timeout=10000):
        dialog.try_submit()
    return dialog


def handoffs_on_server(pg) -> list[tuple]:  # type: ignore[no-untyped-def]
    return pg.query("SELECT id, ticket FROM events WHERE kind = 'handoff_submitted'")


def test_a_handoff_submitted_without_a_shared_database_reaches_it_exactly_once(
        pg, matrix, qtbot, tmp_path):
    data_dir = tmp_path / "agent"
    service = ConsoleService(data_dir, matrix, sync=False, scheduler_factory=FakeScheduler,
                             user="ana")
    with qtbot.waitSignal(service.ready, timeout=10000):
        service.start()
    try:
        row = open_ticket_row(service, qtbot)
        before = on_worker(service, qtbot, service.store.pending)
        dialog = fill_and_submit(service, matrix, qtbot, row)
        after = on_worker(service, qtbot, service.store.pending)
        assert after == before + 2  # handoff_submitted and escalated
        assert dialog.result_state.pending == after
        assert dialog.banner.kind == "pending"
        assert f"Saved locally — pending sync ({after} events waiting)" in \
            dialog.banner.text.text()
        handoff = next(e for e in dialog.result_state.events if e.kind == "handoff_submitted")
        # the form is submitted again (say its draft came back after a crash): no duplicate
        retry = []
        submit_events(service, row.id, [("handoff_submitted", {"summary": "again"})],
                      dialog.submit_id, retry.append, pytest.fail)
        qtbot.waitUntil(lambda: bool(retry), timeout=10000)
        assert retry[0].duplicate
    finally:
        service.stop()

    with LocalStore(data_dir, matrix) as store:
        assert store.pending() == after
        with Syncer(store, pg.url, None) as syncer:
            pushed, _ = syncer.sync_once()
            assert pushed == after and store.pending() == 0
            assert handoffs_on_server(pg) == [(handoff.id, "INC-7")]
            assert syncer.sync_once() == (0, 0)
    with LocalStore(data_dir, matrix) as store, \
            Syncer(store, pg.url, None) as syncer:  # a later start pushes nothing again
        assert syncer.sync_once()[0] == 0
    assert handoffs_on_server(pg) == [(handoff.id, "INC-7")]
    [(payload,)] = pg.query("SELECT payload FROM events WHERE id = %s", (handoff.id,))
    payload = json.loads(payload) if isinstance(payload, str) else payload
    assert payload["summary"] == "Refunds stuck in pending"
    assert payload["target"] == "specialists" and payload["mode"] == "hierarchical"


@pytest.mark.slow
def test_a_running_console_pushes_an_offline_handoff_when_the_database_returns(
        pg, matrix, qtbot, tmp_path):
    cluster = pg.require_restart()
    with running_service(tmp_path / "agent", matrix, qtbot, user="ana",
                         shared_db=pg.url) as service:
        row = open_ticket_row(service, qtbot)
        cluster.stop()
        try:
            qtbot.waitUntil(lambda: service.sync_state.status == "offline", timeout=15000)
            dialog = fill_and_submit(service, matrix, qtbot, row)
            assert "pending sync" in dialog.banner.text.text()
            assert dialog.banner.kind == "pending"
        finally:
            cluster.start()
        qtbot.waitUntil(lambda: service.sync_state.status == "online"
                        and service.sync_state.pending == 0, timeout=30000)
        qtbot.waitUntil(lambda: dialog.banner.kind == "ok", timeout=5000)
        assert "synced to the shared database" in dialog.banner.text.text()
        assert [t for _, t in handoffs_on_server(pg)] == ["INC-7"]
