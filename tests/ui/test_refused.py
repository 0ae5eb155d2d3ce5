"""What the shared database refused, shown: the status bar's count beside the sync
state, a message when a refusal arrives, and the Refused changes window (the list, what
was written in full, Copy to the clipboard, Dismiss). The window on a fake port with
plain Refused values; the service's side (read on the DB worker, the queue refolded,
dismissing) on a real ConsoleService and store."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication
from service_fakes import on_worker

from console.domain.people import Refused
from console.domain.sync_state import SyncState
from console.store.local import NewEvent
from console.ui.people_status import PeopleStatus
from console.ui.refused import RefusedDialog, payload_lines, refusal_text

from .test_people import OFFLINE_DB, console

WRITTEN = datetime(2026, 12, 3, 9, 58, tzinfo=UTC)
REFUSED_AT = datetime(2026, 12, 3, 10, 2, tzinfo=UTC)
PUBLISH = Refused(
    "ev-1", "_matrix", "matrix_published",
    {"number": 7, "name": "Default escalation matrix", "comment": "P2 response in 2h",
     "yaml": "schema_version: 1\nname: Default escalation matrix\n"},
    "alice", WRITTEN, "only a lead or an admin may publish a matrix; alice is an agent",
    REFUSED_AT)
GRANT = Refused(
    "ev-2", "INC-12", "approval_granted",
    {"request_id": "rq-9", "by": "alice", "role": "t2_manager", "within_limit": False},
    "alice", WRITTEN, "alice holds no matrix role that may approve refund of 800 "
    "(t2_manager may)", REFUSED_AT)


class FakePort(QObject):
    """What the window and the status bar ask of the service, with plain values."""

    personChanged = Signal(object)
    refusedChanged = Signal(list)
    refusalsArrived = Signal(list)
    ready = Signal()

    def __init__(self, refused: list[Refused]) -> None:
        super().__init__()
        self.person = None
        self.local_only = False
        self.refused = refused
        self.refused_count = len(refused)
        self.dismissed: list[list[str]] = []

    def dismiss_refused(self, ids: list[str], on_done: Any = None) -> None:
        self.dismissed.append(list(ids))
        self.set([r for r in self.refused if r.event_id not in ids])

    def set(self, refused: list[Refused]) -> None:
        self.refused, self.refused_count = refused, len(refused)
        self.refusedChanged.emit(refused)


@pytest.fixture
def dialog(qtbot: Any) -> RefusedDialog:
    window = RefusedDialog(FakePort([GRANT, PUBLISH]))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def cells(dialog: RefusedDialog) -> list[list[str]]:
    table = dialog.table
    return [[table.item(r, c).text() for c in range(1, table.columnCount())]
            for r in range(table.rowCount())]


def test_the_window_lists_each_refusal_with_its_ticket_change_and_reason(dialog):
    assert cells(dialog) == [
        ["INC-12", "approval granted", GRANT.reason],
        ["_matrix", "matrix published", PUBLISH.reason]]
    assert dialog.status.text() == "2 refused changes"
    # the newest is chosen and shown in full: why, when, by whom, and what was written
    detail = dialog.detail.toPlainText()
    assert detail.startswith("INC-12: approval granted (refused)\nWhy: alice holds no")
    assert "by alice" in detail and "  role: t2_manager" in detail
    assert "  within limit: no" in detail


def test_copy_puts_what_was_written_on_the_clipboard_as_text(dialog):
    dialog.table.selectRow(1)
    dialog.copy_button.click()
    text = QGuiApplication.clipboard().text()
    assert text == refusal_text(PUBLISH) + "\n"
    assert "Why: only a lead or an admin may publish a matrix; alice is an agent" in text
    # the matrix's YAML keeps its lines, indented under its name
    assert "  yaml:\n    schema_version: 1\n    name: Default escalation matrix" in text
    assert dialog.status.text() == "Copied 1 refused change to the clipboard"
    dialog.table.clearSelection()
    dialog.copy_button.click()  # nothing chosen: all of them
    assert QGuiApplication.clipboard().text().count("(refused)") == 2


def test_dismiss_forgets_the_chosen_refusal(dialog):
    dialog.table.selectRow(0)
    dialog.dismiss_button.click()
    assert dialog.service.dismissed == [["ev-2"]]
    assert cells(dialog) == [["_matrix", "matrix published", PUBLISH.reason]]
    dialog.dismiss_button.click()
    assert cells(dialog) == []
    assert dialog.status.text() == "No refused changes: the shared database took everything."
    assert not dialog.dismiss_button.isEnabled() and not dialog.copy_button.isEnabled()


def test_payloads_read_as_indented_lines_plain_values_first():
    assert payload_lines({"nested": {"to_role": "cto", "steps": [{"after": 30}]},
                          "text": "two\nlines", "team": "frontline", "tags": ["a", "b"],
                          "note": None}) == [
        "  team: frontline", "  tags: a, b", "  note: -", "  text:", "    two", "    lines",
        "  nested:", "    to role: cto", "    steps:", "      - after: 30"]


# -- the status bar ---------------------------------------------------------------------


def test_the_status_bar_counts_refusals_beside_the_sync_state_and_opens_the_window(
        tmp_path, matrix, qtbot):
    with console(tmp_path, matrix, qtbot, shared_db=OFFLINE_DB) as (service, window):
        people: PeopleStatus = window._people
        window.show()
        qtbot.waitExposed(window)
        assert not people.button.isVisible()  # nothing refused
        service._show_refused(([GRANT, PUBLISH], 2))  # as read on its worker
        assert people.button.isVisible() and people.button.text() == "2 changes refused"
        sync, button, paging = window.sync_label, people.button, window.paging_label
        assert sync.geometry().right() < button.geometry().left()
        assert button.geometry().right() < paging.geometry().left()
        window.set_sync_state(SyncState("online", refused=2))
        assert sync.text() == "Sync: online"  # the count is said once, by the button
        service.refusalsArrived.emit([PUBLISH])
        assert window.statusBar().currentMessage() == (
            "Refused by the shared database: _matrix matrix published: only a lead or an "
            "admin may publish a matrix; alice is an agent. See Ticket > Refused changes.")
        people.button.click()
        assert people.dialog is not None and people.dialog.isVisible()
        assert people.dialog.table.rowCount() == 2
        people.dialog.close()


# -- the service's side: read on its worker, the queue as the server holds it -----------


def test_a_refusal_leaves_the_queue_and_lands_in_the_list_until_dismissed(
        tmp_path, matrix, qtbot):
    with console(tmp_path, matrix, qtbot, shared_db=OFFLINE_DB) as (service, window):
        store = service.store
        opened = on_worker(service, qtbot, lambda: store.append(
            "INC-7", "opened", {"title": "Refund twice", "account": "Acme"}, "alice"))
        service.rowsChanged.emit(on_worker(service, qtbot,
                                           lambda: service._rows_for(["INC-7"])), [])
        assert window.model.row_of("INC-7") >= 0
        moved = on_worker(service, qtbot, lambda: store.refuse(
            [(opened, "login alice is not a person of this database")]))
        with qtbot.waitSignal(service.refusedChanged, timeout=5000) as listed, \
                qtbot.waitSignal(service.refusalsArrived, timeout=5000):
            assert service._syncer is not None
            service._syncer.on_refused(moved)  # as the syncer reports it
        [refused] = listed.args[0]
        assert (refused.ticket, refused.kind, refused.reason) == (
            "INC-7", "opened", "login alice is not a person of this database")
        assert service.refused_count == 1 and window._people.button.text() == \
            "1 change refused"
        qtbot.waitUntil(lambda: window.model.row_of("INC-7") < 0, timeout=5000)
        dialog = window._people.open_refused()
        assert "  title: Refund twice" in dialog.detail.toPlainText()
        with qtbot.waitSignal(service.refusedChanged, timeout=5000) as after:
            dialog.dismiss_button.click()
        assert after.args[0] == [] and service.refused_count == 0
        assert not window._people.button.isVisible()

        def kept() -> int:
            with store.unit(read_only=True) as uow:
                return uow.refused.count()

        assert on_worker(service, qtbot, kept) == 0
        dialog.close()


def test_refusals_kept_from_an_earlier_session_show_at_start(tmp_path, matrix, qtbot):
    from console.store.local import LocalStore

    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    store = LocalStore(data, matrix).open()
    [event] = store.append_many([NewEvent("INC-3", "severity", {"severity": "P1"}, "alice")])
    store.refuse([(event, "event authored by alice cannot be written by bob")])
    store.close()
    with console(tmp_path, matrix, qtbot, shared_db=OFFLINE_DB) as (service, window):
        assert [r.reason for r in service.refused] == [
            "event authored by alice cannot be written by bob"]
        assert window._people.button.text() == "1 change refused"
