"""An open flowchart follows the version in force (service.matrixChanged): a window with
no edits loads a newly published version in place and says so; a lead's unsaved edits are
never dropped: a banner names the versions and offers the Diff or to load the new one.
Publishes go through the real ConsoleService and LocalStore (a temporary data dir)."""

from __future__ import annotations

import copy

import pytest
from PySide6.QtTest import QTest

from console.app.runtime import matrix_ops
from console.domain.flow import dump_records, set_target

from .conftest import make_editor

OTHER_LEAD = "maria.lead"


def p_target(records, sid: str) -> str:
    return next(s for s in records["severities"] if s["id"] == sid)["targets"]["response"]


def publish_elsewhere(qtbot, service, matrix, **responses: str):
    """Publish a version as another lead would (another window, same console store)."""
    records = copy.deepcopy(matrix.source)
    for sid, value in responses.items():
        records = set_target(records, sid, "response", value)
    done, failed = [], []
    matrix_ops.publish(service, dump_records(records), records["name"], OTHER_LEAD,
                       "from another window", done.append, failed.append, role="lead")
    qtbot.waitUntil(lambda: bool(done or failed), timeout=10_000)
    assert not failed, failed
    return done[0]


def settled(qtbot, editor, service, number: int) -> None:
    """Wait until the window has read the versions up to ``number`` (its answer included)."""
    qtbot.waitUntil(lambda: editor.follower.in_force is not None
                    and editor.follower.in_force.number == number, timeout=10_000)
    idle = []
    service.worker.submit(lambda: None, idle.append)  # after any read the window asked for
    qtbot.waitUntil(lambda: bool(idle), timeout=10_000)


def in_force(version) -> str:
    return (f"Version {version.number} published by {OTHER_LEAD} at "
            f"{version.published_at.astimezone():%H:%M} is now in force")


@pytest.fixture
def lead(editor, qtbot):
    qtbot.waitUntil(lambda: editor.follower.started, timeout=10_000)
    return editor


def test_a_window_without_edits_loads_a_version_published_elsewhere_in_place(
        lead, service, matrix, qtbot):
    assert lead.follower.label.text() == "In force: the shipped matrix"
    lead.view.zoom_by(1.7)
    lead.reveal("severity:P3")
    zoom = lead.view.zoom()
    version = publish_elsewhere(qtbot, service, matrix, P2="30m")
    qtbot.waitUntil(lambda: p_target(lead.document.records, "P2") == "30m", timeout=5000)
    assert lead.statusBar().currentMessage() == in_force(version)
    assert lead.undo.isClean() and lead.undo.count() == 0
    assert not lead.windowTitle().endswith("*")
    assert lead.view.zoom() == pytest.approx(zoom)
    assert lead.scene.selected_ids()[0] == ["severity:P3"]
    assert lead.panel.nid == "severity:P3"
    assert lead.scene.nodes["severity:P2"].body.text().startswith("respond 30m")
    assert lead.version_banner.isHidden()
    assert lead.baseline_name == "published version 1" and lead.diff_lines() == []
    assert lead.follower.label.text() == (
        f"In force: version 1, published by {OTHER_LEAD} at "
        f"{version.published_at.astimezone():%H:%M}")


def test_a_read_only_window_follows_the_version_in_force_too(service, matrix, qtbot):
    viewer = make_editor(qtbot, service, matrix, "agent")
    qtbot.waitUntil(lambda: viewer.follower.started, timeout=10_000)
    publish_elsewhere(qtbot, service, matrix, P2="30m")
    qtbot.waitUntil(lambda: p_target(viewer.document.records, "P2") == "30m", timeout=5000)
    assert viewer.version_banner.isHidden()


def test_edits_are_kept_when_a_version_is_published_meanwhile_and_publish_follows_it(
        lead, service, matrix, qtbot):
    publish_elsewhere(qtbot, service, matrix, P2="30m")  # version 1: loaded, no edits
    qtbot.waitUntil(lambda: p_target(lead.document.records, "P2") == "30m", timeout=5000)
    lead.push(lambda r: set_target(r, "P3", "response", "3h"), "P3 response")
    version = publish_elsewhere(qtbot, service, matrix, P2="20m")  # version 2
    qtbot.waitUntil(lead.version_banner.isVisible, timeout=5000)
    text = lead.version_banner.text.text()
    assert "Version 2 was published while you were editing" in text
    assert ": P2 response 30m → 20m)" in text  # what it changed, at a glance
    assert "your edits are based on version 1" in text
    assert lead.follower.label.text().startswith("In force: version 2, published by")
    assert [b.text() for b in lead.version_banner.buttons] == [
        "Show changes", "Discard my edits and load version 2"]
    assert p_target(lead.document.records, "P3") == "3h"  # nothing dropped
    assert p_target(lead.document.records, "P2") == "30m"
    assert lead.windowTitle().endswith(" *")

    lead.version_banner.first.click()  # Show changes
    assert lead.ask.diff_titles[-1] == "Changes against published version 2"
    assert lead.ask.shown[-1][1] == ["P2 response 20m → 30m", "P3 response 1d → 3h"]
    with qtbot.waitSignal(lead.published, timeout=10_000):
        lead.ask_and_publish()  # the publish dialog compares with version 2 as well
    assert lead.ask.shown[-1] == ("publish", ["P2 response 20m → 30m", "P3 response 1d → 3h"])
    assert version.number == 2
    settled(qtbot, lead, service, 3)
    assert lead.version_banner.isHidden() and lead.undo.isClean()
    assert lead.baseline_name == "published version 3" and lead.diff_lines() == []


def test_discarding_the_edits_loads_the_new_version(lead, service, matrix, qtbot):
    lead.reveal("severity:P3")
    field = lead.panel.field("Response")
    lead.push(lambda r: set_target(r, "P4", "response", "3d"), "P4 response")
    field.setText("2h")  # typed, not committed yet: an edit too
    field.setModified(True)
    version = publish_elsewhere(qtbot, service, matrix, P2="20m")
    qtbot.waitUntil(lead.version_banner.isVisible, timeout=5000)
    assert "your edits are based on the shipped matrix" in lead.version_banner.text.text()
    assert field.text() == "2h"
    lead.version_banner.buttons[1].click()  # Discard my edits and load version 1
    assert p_target(lead.document.records, "P2") == "20m"
    assert p_target(lead.document.records, "P4") == p_target(matrix.source, "P4")
    assert lead.panel.field("Response").text() == p_target(matrix.source, "P3")
    assert lead.panel.pending() is None
    assert lead.undo.isClean() and lead.undo.count() == 0
    assert lead.version_banner.isHidden()
    assert lead.statusBar().currentMessage() == in_force(version)


def test_the_leads_own_publish_raises_no_banner(lead, service, qtbot):
    lead.push(lambda r: set_target(r, "P2", "response", "45m"), "P2 response")
    with qtbot.waitSignal(lead.published, timeout=10_000):
        lead.publish_now("P2 to 45m")
    settled(qtbot, lead, service, 1)
    QTest.qWait(0)
    assert lead.version_banner.isHidden()
    assert lead.undo.isClean() and lead.undo.count() == 1  # its own step stays undoable
    assert lead.statusBar().currentMessage().startswith("Published version 1")
    assert lead.follower.label.text().startswith("In force: version 1, published by lena.lead")


def test_a_restored_version_is_loaded_into_a_window_without_edits(lead, service, matrix,
                                                                   qtbot):
    first = publish_elsewhere(qtbot, service, matrix, P2="30m")
    publish_elsewhere(qtbot, service, matrix, P2="20m")
    qtbot.waitUntil(lambda: p_target(lead.document.records, "P2") == "20m", timeout=5000)
    lead.restore_version(first)
    qtbot.waitUntil(lambda: p_target(lead.document.records, "P2") == "30m", timeout=5000)
    assert lead.version_banner.isHidden() and lead.undo.isClean()
    assert lead.baseline_name == "published version 3"
