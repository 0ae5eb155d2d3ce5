"""The flowchart autosaves a lead's unsaved edits and offers them back in the next window
(see test_draft_crash.py for a real killed process)."""

from __future__ import annotations

import copy
import threading

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from console.app.runtime.drafts import DraftRepo
from console.domain.flow import set_target
from console.ui.flowchart.draft import KEY
from console.ui.flowchart.editor import FlowEditor

from .conftest import PortOnly, ScriptedPrompts, make_editor


def severity(records, sid):
    return next(s for s in records["severities"] if s["id"] == sid)


def stored(service, qtbot):
    """The flowchart draft in the store (read on the DB worker), or None."""
    box: list = []
    service.worker.submit(lambda: DraftRepo(service.store).load(KEY), box.append)
    qtbot.waitUntil(lambda: bool(box), timeout=5000)
    return box[0]




def test_an_edit_is_autosaved_and_the_next_window_offers_it_back(editor, service, matrix,
                                                                  qtbot):
    qtbot.waitUntil(lambda: editor.draft.autosaver.enabled, timeout=5000)
    with qtbot.waitSignal(editor.draft.autosaver.saved, timeout=5000):
        editor.push(lambda r: set_target(r, "P2", "response", "45m"), "P2 response")
    # the first window never closes: as if the app had died
    other = make_editor(qtbot, service, matrix, "lead")
    qtbot.waitUntil(lambda: other.banner.isVisible(), timeout=5000)
    assert "Unsaved flowchart edits" in other.banner.text.text()
    assert severity(other.document.records, "P2")["targets"]["response"] == "1h"
    other.banner.first.click()
    assert severity(other.document.records, "P2")["targets"]["response"] == "45m"
    assert other.windowTitle().endswith(" *")  # restored, not yet saved or published
    assert "Restored your unsaved edits" in other.banner.text.text()
    other.undo.undo()  # one step takes the restore back
    assert severity(other.document.records, "P2")["targets"]["response"] == "1h"


def test_text_typed_into_a_field_but_not_committed_is_kept_too(editor, service, matrix,
                                                               qtbot):
    qtbot.waitUntil(lambda: editor.draft.autosaver.enabled, timeout=5000)
    editor.activateWindow()
    qtbot.waitUntil(editor.isActiveWindow)
    editor.reveal("severity:P3")
    field = editor.panel.field("Resolution")
    field.setFocus()
    qtbot.waitUntil(field.hasFocus)
    QTest.keyClick(field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    with qtbot.waitSignal(editor.draft.autosaver.saved, timeout=5000) as saved:
        QTest.keyClicks(field, "2d")
    assert saved.args[0].payload["field"]["text"] == "2d"
    assert editor.undo.count() == 0  # still being typed: not an edit yet
    other = make_editor(qtbot, service, matrix, "lead")
    qtbot.waitUntil(lambda: other.banner.isVisible(), timeout=5000)
    other.banner.first.click()
    assert severity(other.document.records, "P3")["targets"]["resolution"] == "2d"
    editor.panel.blockSignals(True)  # this window "died": its field never commits


def test_discarding_the_offer_deletes_the_draft(editor, service, matrix, qtbot):
    qtbot.waitUntil(lambda: editor.draft.autosaver.enabled, timeout=5000)
    with qtbot.waitSignal(editor.draft.autosaver.saved, timeout=5000):
        editor.push(lambda r: set_target(r, "P2", "response", "45m"), "P2 response")
    editor.draft.autosaver.stop()  # "crashed"
    other = make_editor(qtbot, service, matrix, "lead")
    qtbot.waitUntil(lambda: other.banner.isVisible(), timeout=5000)
    other.banner.buttons[1].click()
    assert not other.banner.isVisible()
    assert severity(other.document.records, "P2")["targets"]["response"] == "1h"
    qtbot.waitUntil(lambda: stored(service, qtbot) is None, timeout=5000)


def test_publishing_saving_or_undoing_to_the_opened_matrix_deletes_the_draft(
        editor, service, qtbot, tmp_path):
    qtbot.waitUntil(lambda: editor.draft.autosaver.enabled, timeout=5000)
    for finish in ("undo", "save", "publish"):
        with qtbot.waitSignal(editor.draft.autosaver.saved, timeout=5000):
            editor.push(lambda r: set_target(r, "P2", "response", "45m"), "P2 response")
        assert stored(service, qtbot) is not None
        if finish == "undo":
            editor.undo.undo()
        elif finish == "save":
            assert editor.save(tmp_path / "matrix.yaml")
        else:
            with qtbot.waitSignal(editor.published, timeout=10000):
                editor.publish_now("P2 to 45m")
        assert editor.undo.isClean()
        qtbot.waitUntil(lambda: stored(service, qtbot) is None, timeout=5000)
        editor.push(lambda r: set_target(r, "P2", "response", "1h"), "back")
        editor.undo.setClean()


def test_closing_with_discard_deletes_the_draft_and_a_clean_open_offers_nothing(
        editor, service, matrix, qtbot):
    qtbot.waitUntil(lambda: editor.draft.autosaver.enabled, timeout=5000)
    with qtbot.waitSignal(editor.draft.autosaver.saved, timeout=5000):
        editor.push(lambda r: set_target(r, "P2", "response", "45m"), "P2 response")
    editor.ask.discard = True
    editor.close()
    qtbot.waitUntil(lambda: stored(service, qtbot) is None, timeout=5000)
    other = make_editor(qtbot, service, matrix, "lead")
    qtbot.waitUntil(lambda: other.draft.autosaver.enabled, timeout=5000)
    assert not other.banner.isVisible()


def test_a_read_only_window_keeps_no_draft(viewer):
    assert viewer.draft is None


def test_a_window_destroyed_unclosed_with_edits_raises_nothing_and_keeps_its_draft(
        service, matrix, qtbot):
    """A window destroyed without a close (its parent went, or the app is quitting) clears
    its undo stack as it dies, and that clear signals the draft: it must neither touch the
    dead stack nor take the kept draft away. (This raised in a slot under CI.)"""
    doomed = FlowEditor(PortOnly(service), copy.deepcopy(matrix.source), "lead")
    doomed.ask = ScriptedPrompts()  # not given to qtbot, which would close it afterwards
    doomed.show()
    qtbot.waitUntil(lambda: doomed.draft.autosaver.enabled, timeout=5000)
    with qtbot.waitSignal(doomed.draft.autosaver.saved, timeout=5000):
        doomed.push(lambda r: set_target(r, "P2", "response", "45m"), "P2 response")
    shiboken6.delete(doomed)  # no closeEvent: the C++ object goes, stack first
    draft = stored(service, qtbot)
    assert draft is not None and "45m" in draft.payload["yaml"]


def test_a_window_closed_before_its_draft_was_read_saves_nothing_afterwards(
        service, matrix, qtbot):
    """The left-over draft is read on the DB worker; a window closed (its edit discarded)
    before that read came back must not start autosaving when it does."""
    gate = threading.Event()
    service.worker.submit(lambda: gate.wait(10), lambda _r: None)  # the worker is busy
    editor = make_editor(qtbot, service, matrix, "lead")
    editor.push(lambda r: set_target(r, "P2", "response", "45m"), "P2 response")
    editor.ask.discard = True
    editor.close()
    assert not editor.isVisible()
    gate.set()
    assert stored(service, qtbot) is None  # queued behind the draft's read: it came back
    assert not editor.draft.autosaver.enabled and not editor.draft.autosaver.pending
    editor.draft.autosaver.save_now()
    assert stored(service, qtbot) is None  # the discarded edit was not saved as a draft
