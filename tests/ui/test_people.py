"""Who the person at a console is decides what it offers: the flowchart is editable by a
lead or an admin, the approval form offers the person's matrix roles; with a shared
database the server says who the person is and ``--role`` is ignored, in local-only mode
``--role`` decides. A real ConsoleService; "the server's answer" is handed to it the
way its syncer does (``on_person``), so no PostgreSQL is needed here."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMenu
from service_fakes import FakeScheduler, on_worker

from console.app.runtime.matrix_ops import PublishRefused
from console.app.runtime.service import ConsoleService
from console.app.settings import Settings
from console.domain.people import ADMIN, AGENT, LEAD, Person
from console.paths import default_matrix_path
from console.store.local import LocalStore, NewEvent
from console.ui.app import _wire_matrix, chart_role
from console.ui.forms import ApprovalDialog
from console.ui.main_window import MainWindow
from console.ui.people_status import PeopleStatus

# a shared database that is configured but never answers (port 1): the console is
# offline, so who the person is comes from the cache or from the syncer's on_person
OFFLINE_DB = "postgresql://alice@127.0.0.1:1/escalations"


@contextmanager
def console(tmp_path: Path, matrix: Any, qtbot: Any, *, shared_db: str | None = None,
            sync: bool = True, role: str | None = None, cached: Person | None = None,
            settings_role: str | None = None) -> Iterator[tuple[ConsoleService, MainWindow]]:
    """A started service and its main window with the status bar's people part and the
    Matrix menu wired as the GUI wires them (before the start, as build() does)."""
    data = tmp_path / "data"
    data.mkdir(parents=True, mode=0o700, exist_ok=True)
    if shared_db:
        Settings(data).shared_db_url = shared_db
    if settings_role:
        Settings(data).set("role", settings_role)
    if cached is not None:  # what the server said last time
        store = LocalStore(data, matrix).open()
        store.set_person(cached)
        store.close()
    service = ConsoleService(data, matrix, sync=sync, scheduler_factory=FakeScheduler,
                             user="alice", role=role)
    window = MainWindow(service, QSettings(str(tmp_path / "ui.ini"),
                                           QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window._people = PeopleStatus(window, service, ignored_role=role)
    _wire_matrix(window, service)
    with qtbot.waitSignal(service.ready, timeout=10000):
        service.start()
    try:
        yield service, window
    finally:
        service.stop()


def server_says(service: ConsoleService, person: Person | None) -> None:
    """The shared database's answer, as the syncer hands it over (its on_person)."""
    assert service._syncer is not None
    service._syncer.on_person(person)


@contextmanager
def flowchart(window: MainWindow, qtbot: Any) -> Iterator[Any]:
    """The flowchart as Matrix > Flowchart opens it; closed, its work done, at the end."""
    [action] = [a for m in window.menuBar().findChildren(QMenu) for a in m.actions()
                if a.text() == "&Flowchart…"]
    action.trigger()
    chart = window._flowchart
    # an editable chart reads its left-over draft first
    qtbot.waitUntil(lambda: chart.draft is None or chart.draft.autosaver.enabled,
                    timeout=5000)
    try:
        yield chart
    finally:
        chart.undo.setClean()
        chart.close()
        on_worker(window.service, qtbot, lambda: None)  # what closing asked is done


@pytest.mark.parametrize(("role", "editable"), [(AGENT, False), ("commander", False),
                                                (LEAD, True), (ADMIN, True)])
def test_the_flowchart_is_editable_only_for_a_lead_or_an_admin_as_the_server_says(
        tmp_path, matrix, qtbot, role, editable):
    with console(tmp_path, matrix, qtbot, shared_db=OFFLINE_DB) as (service, window):
        server_says(service, Person("alice", role=role))
        with flowchart(window, qtbot) as chart:
            assert chart.editable is editable
            assert chart.role == role


@pytest.mark.parametrize(("role", "published"), [(ADMIN, True), (AGENT, False)])
def test_an_admin_may_publish_as_a_lead_may(tmp_path, matrix, qtbot, role, published):
    with console(tmp_path, matrix, qtbot) as (service, _):
        done: list[Any] = []
        text = default_matrix_path().read_text(encoding="utf-8")
        service.matrices.publish(text, "m", "by an admin", done.append, done.append,
                                 role=role)
        qtbot.waitUntil(lambda: bool(done), timeout=5000)
        assert isinstance(done[0], PublishRefused) is not published


def test_a_disabled_lead_or_an_unknown_person_sees_the_flowchart_read_only():
    assert chart_role(Person("alice", role=LEAD, disabled=True)) == "disabled"
    assert chart_role(None) == ""
    assert chart_role(Person("alice", role=LEAD)) == LEAD


def test_role_lead_is_ignored_with_a_shared_database_configured(tmp_path, matrix, qtbot):
    with console(tmp_path, matrix, qtbot, shared_db=OFFLINE_DB, role=LEAD,
                 cached=Person("alice", role=AGENT)) as (service, window):
        assert not service.local_only
        assert service.person == Person("alice", role=AGENT)  # the server's, cached
        assert "--role lead is ignored with a shared database" in \
            window.statusBar().currentMessage()
        assert "you are alice, agent" in window.statusBar().currentMessage()
        assert window._people.person_label.text() == "you: alice (agent)"
        with flowchart(window, qtbot) as chart:
            assert not chart.editable


def test_a_console_the_server_has_not_answered_yet_is_read_only(tmp_path, matrix, qtbot):
    with console(tmp_path, matrix, qtbot, shared_db=OFFLINE_DB, role=LEAD) as (service,
                                                                              window):
        assert service.person is None
        assert window._people.person_label.text() == "you: not known yet"
        with flowchart(window, qtbot) as chart:
            assert not chart.editable
        with qtbot.waitSignal(service.personChanged):
            server_says(service, Person("alice", "Alice Lee", LEAD))
        assert window._people.person_label.text() == "you: Alice Lee (lead)"


@pytest.mark.parametrize("how", ["--local-only", "no shared database"])
def test_role_lead_is_honoured_in_local_only_mode(tmp_path, matrix, qtbot, how):
    shared = OFFLINE_DB if how == "--local-only" else None
    with console(tmp_path, matrix, qtbot, shared_db=shared, sync=how != "--local-only",
                 role=LEAD) as (service, window):
        assert service.local_only
        assert service.person == Person("alice", role=LEAD)
        assert "ignored" not in window.statusBar().currentMessage()
        assert window._people.person_label.text() == "you: alice (lead, local only)"
        with flowchart(window, qtbot) as chart:
            assert chart.editable


def test_local_only_without_role_takes_the_settings_role_else_agent(tmp_path, matrix, qtbot):
    with console(tmp_path, matrix, qtbot, settings_role=LEAD) as (service, _):
        assert service.person == Person("alice", role=LEAD)
    with console(tmp_path / "other", matrix, qtbot) as (service, _):
        assert service.person == Person("alice", role=AGENT)


# -- the approval form ------------------------------------------------------------------


def seed(service: ConsoleService, qtbot: Any, requests: tuple[NewEvent, ...] = ()) -> Any:
    events = [NewEvent("INC-1", "opened", {
        "title": "Checkout returns 502", "account": "Globex", "account_tier": "enterprise",
        "users_affected_pct": 10, "workaround": "partial", "category": "bug",
        "text": "Card payments fail."}, "ana"),
        NewEvent("INC-1", "severity", {"severity": "P2", "by": "support"}, "ana"),
        *requests]
    on_worker(service, qtbot, lambda: service.store.append_many(events))
    return on_worker(service, qtbot, lambda: service._rows_for(["INC-1"]))[0]


def offered(dialog: ApprovalDialog) -> list[str]:
    return [dialog.role_box.itemData(i) for i in range(dialog.role_box.count())]


def request_from(author: str) -> NewEvent:
    """A refund of 250 USD over the T1 agent's limit: T2 managers approve it."""
    return NewEvent("INC-1", "approval_requested", {
        "action": "refund", "amount": 250.0, "unit": "USD", "requested_by": author,
        "requester_role": "t1_agent", "route_to_role": "t2_manager",
        "reason": "double charge", "severity": "P2", "approvers": ["t2_manager"]}, author)


def show(qtbot: Any, dialog: ApprovalDialog) -> ApprovalDialog:
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(lambda: bool(dialog.pending), timeout=5000)
    return dialog


def test_the_approval_form_offers_only_the_persons_matrix_roles(tmp_path, matrix, qtbot):
    with console(tmp_path, matrix, qtbot, shared_db=OFFLINE_DB) as (service, _):
        row = seed(service, qtbot, (request_from("ana"),))
        dialog = show(qtbot, ApprovalDialog(service, matrix, row))
        assert offered(dialog) == []  # the server has not said who this is yet
        assert "has not said who you are yet" in dialog.verdict.text()
        server_says(service, Person("alice", role=AGENT,
                                    matrix_roles=("cs_manager", "t1_agent", "not_in_matrix")))
        assert offered(dialog) == ["t1_agent", "cs_manager"]  # in the matrix's order
        assert not dialog.approve_button.isEnabled()  # neither may approve the refund
        server_says(service, Person("alice", role=AGENT, matrix_roles=("t2_manager",)))
        assert offered(dialog) == ["t2_manager"]
        assert dialog.role() == "t2_manager"  # the only one: chosen
        assert dialog.approve_button.isEnabled()
        assert dialog.answer_who.text() == "You may approve this as T2 manager."
        server_says(service, Person("alice", role=AGENT))
        assert offered(dialog) == []
        assert "people grant alice --matrix-role ROLE" in dialog.verdict.text()


def test_nobody_is_offered_to_answer_their_own_request(tmp_path, matrix, qtbot):
    with console(tmp_path, matrix, qtbot, shared_db=OFFLINE_DB,
                 cached=Person("alice", role=LEAD, matrix_roles=("t2_manager",))) as (
            service, _):
        row = seed(service, qtbot, (request_from("alice"),))
        dialog = show(qtbot, ApprovalDialog(service, matrix, row))
        assert dialog.role() == "t2_manager"
        assert not dialog.approve_button.isEnabled()
        assert dialog.answer_who.text() == "You asked for this: T2 manager answers it."


def test_local_only_the_approval_form_offers_every_role(tmp_path, matrix, qtbot):
    with console(tmp_path, matrix, qtbot) as (service, _):
        row = seed(service, qtbot, (request_from("alice"),))
        dialog = show(qtbot, ApprovalDialog(service, matrix, row))
        assert offered(dialog) == [r.id for r in matrix.roles]
