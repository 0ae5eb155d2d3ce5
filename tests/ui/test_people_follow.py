"""An open flowchart follows who the person is (the port's ``personChanged``): opened
before the shared database answered, it becomes editable when the server says "lead";
a lead demoted while editing keeps every unpublished edit in the window, and publishing
is disabled with a note saying why. A real ConsoleService; the server's answers are
handed over as its syncer does (see test_people)."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QGraphicsItem, QGraphicsView, QLineEdit

from console.domain.people import AGENT, LEAD, Person

from .flowchart.conftest import ScriptedPrompts
from .test_people import OFFLINE_DB, console, flowchart, server_says

MOVABLE = QGraphicsItem.GraphicsItemFlag.ItemIsMovable
BASE, WINDOW = QPalette.ColorRole.Base, QPalette.ColorRole.Window


def severities_of(chart: Any) -> dict[str, Any]:
    return {s["id"]: s for s in chart.document.records_for_save()["severities"]}


def test_a_flowchart_opened_before_the_server_answered_becomes_editable_for_a_lead(
        tmp_path, matrix, qtbot):
    with console(tmp_path, matrix, qtbot, shared_db=OFFLINE_DB) as (service, window), \
            flowchart(window, qtbot) as chart:
        assert not chart.editable
        assert "[read-only]" in chart.windowTitle()
        assert chart.status_label.text() == "✔ Valid"  # not "ready to publish": they may not
        name = chart.panel.field("Name")  # the matrix's: nothing is selected
        assert isinstance(name, QLineEdit) and name.isReadOnly()
        assert name.palette().color(BASE) == name.palette().color(WINDOW)  # looks read-only
        with qtbot.waitSignal(service.personChanged):
            server_says(service, Person("alice", "Alice Lee", LEAD))
        assert chart.status_label.text() == "✔ Valid: ready to publish"
        assert chart.editable and chart.role == LEAD
        assert "[read-only]" not in chart.windowTitle()
        assert "you can edit and publish" in chart.role_label.text()
        assert chart.actions_by_name["delete"].isEnabled()
        name = chart.panel.field("Name")
        assert isinstance(name, QLineEdit) and not name.isReadOnly()
        assert name.palette().color(BASE) != name.palette().color(WINDOW)  # an input again
        node = next(iter(chart.scene.nodes.values()))
        assert node.flags() & MOVABLE and node.handle is not None
        assert chart.view.dragMode() == QGraphicsView.DragMode.RubberBandDrag
        assert chart.actions_by_name["publish"].isEnabled()
        qtbot.waitUntil(lambda: chart.draft is not None and chart.draft.autosaver.enabled,
                        timeout=5000)  # a lead's edits are autosaved from now on
        assert chart.rename_node("severity:P4", "P5")
        assert "severity:P5" in chart.document.graph.nodes


def test_a_lead_demoted_while_editing_keeps_the_edits_and_cannot_publish(
        tmp_path, matrix, qtbot):
    with console(tmp_path, matrix, qtbot, shared_db=OFFLINE_DB,
                 cached=Person("alice", role=LEAD)) as (service, window), \
            flowchart(window, qtbot) as chart:
        assert chart.editable
        assert chart.rename_node("severity:P4", "P5")
        chart.scene.select_node("severity:P3")
        field = chart.panel.field("Response")
        assert isinstance(field, QLineEdit)
        field.setFocus()
        field.selectAll()
        qtbot.keyClicks(field, "7m")  # typed, not committed yet
        with qtbot.waitSignal(service.personChanged):
            server_says(service, Person("alice", role=AGENT))
        assert not chart.editable and chart.role == AGENT
        severities = severities_of(chart)
        assert "P5" in severities and "P4" not in severities
        assert severities["P3"]["targets"]["response"] == "7m"  # what they typed counts
        assert not chart.undo.isClean()
        assert not chart.actions_by_name["publish"].isEnabled()
        assert chart.status_label.text() == "✔ Valid"
        assert not chart.actions_by_name["delete"].isEnabled()
        assert not chart.publish_now("after the demotion")
        note = chart.role_banner.text.text()
        assert "agent" in note and "only a lead or an admin may publish" in note
        assert "Your unpublished edits stay in this window" in note
        assert "read-only" in chart.role_label.text().lower()
        # a version published meanwhile never replaces the kept edits
        assert chart.follower is not None and chart.follower.has_edits()
        chart.ask = ScriptedPrompts()
        chart.ask.discard = False
        chart.close()
        assert chart.isVisible()  # closing asks first: they are not thrown away unasked
        # promoted again: editing and publishing come back, the edits still there
        with qtbot.waitSignal(service.personChanged):
            server_says(service, Person("alice", role=LEAD))
        assert chart.editable and chart.actions_by_name["publish"].isEnabled()
        assert chart.role_banner.isHidden()
        assert "P5" in severities_of(chart)


def test_a_flowchart_goes_read_only_when_the_login_turns_out_to_be_no_person(
        tmp_path, matrix, qtbot):
    with console(tmp_path, matrix, qtbot, shared_db=OFFLINE_DB,
                 cached=Person("alice", role=LEAD)) as (service, window), \
            flowchart(window, qtbot) as chart:
        with qtbot.waitSignal(service.personChanged):
            server_says(service, None)
        assert not chart.editable
        assert "[read-only]" in chart.windowTitle()
        assert "has not said you are a lead or an admin" in chart.role_label.text()
        assert not chart.actions_by_name["publish"].isEnabled()


# -- the status bar: not known yet, or known to be no person ------------------------------


def test_the_status_bar_tells_a_login_that_is_no_person_from_one_not_asked_yet(
        tmp_path, matrix, qtbot):
    with console(tmp_path, matrix, qtbot, shared_db=OFFLINE_DB) as (service, window):
        label = window._people.person_label
        assert label.text() == "you: not known yet"  # the server has not answered
        server_says(service, None)  # it answered: this login is no person
        qtbot.waitUntil(lambda: label.text() != "you: not known yet", timeout=5000)
        assert label.text() == (
            "you: alice is not a person of this database: ask an admin to run "
            "'escalation-console people add alice --role ROLE'")
        server_says(service, Person("alice", role=LEAD, disabled=True))
        qtbot.waitUntil(lambda: "disabled" in label.text(), timeout=5000)
        assert label.text() == ("you: alice is disabled: ask an admin to run "
                                "'escalation-console people enable alice'")
        server_says(service, Person("alice", "Alice Lee", AGENT))
        qtbot.waitUntil(lambda: label.text() == "you: Alice Lee (agent)", timeout=5000)


def test_a_cached_answer_that_the_login_is_no_person_is_still_not_known_until_asked(
        tmp_path, matrix, qtbot):
    with console(tmp_path, matrix, qtbot, shared_db=OFFLINE_DB) as (service, window):
        server_says(service, None)
        qtbot.waitUntil(lambda: "not a person" in window._people.person_label.text(),
                        timeout=5000)
    # the next start, offline: the cache says nobody, but nobody has asked this session
    with console(tmp_path, matrix, qtbot, shared_db=OFFLINE_DB) as (service, window):
        assert window._people.person_label.text() == "you: not known yet"


def test_a_login_online_on_a_database_without_people_is_told_it_checks_nothing():
    from console.domain.sync_state import SyncState
    from console.ui.people_status import person_text, person_tooltip

    online = SyncState("online")
    assert person_text(None, False, known=True, login="alice", state=online) == \
        "you: alice (this shared database has no people yet)"
    assert "db upgrade" in person_tooltip(None, False, known=True, state=online)
    assert "is not a person" in person_text(None, False, known=True, login="alice",
                                            state=SyncState("offline"))


def test_a_person_holding_the_approver_role_answers_in_it_without_choosing_it(
        tmp_path, matrix, qtbot):
    from .test_people import ApprovalDialog, request_from, seed, show

    with console(tmp_path, matrix, qtbot, shared_db=OFFLINE_DB, cached=Person(
            "alice", role=LEAD, matrix_roles=("t2_manager", "support_lead"))) as (service, _):
        row = seed(service, qtbot, (request_from("ana"),))
        dialog = show(qtbot, ApprovalDialog(service, matrix, row))
        assert dialog.role() is None or dialog.role() == ""  # two roles: none chosen
        # the held role that may approve answers: no need to pick it first
        assert dialog.approve_button.isEnabled()
        assert dialog.answer_role(dialog.selected_request()) == "t2_manager"
        assert dialog.answer_who.text() == "You may approve this as T2 manager."
        server_says(service, Person("alice", role=LEAD, matrix_roles=("support_lead",
                                                                      "cs_manager")))
        qtbot.waitUntil(lambda: "hold" in dialog.answer_who.text(), timeout=5000)
        assert dialog.answer_who.text() == (
            "Only T2 manager may approve this; you hold no such matrix role.")
