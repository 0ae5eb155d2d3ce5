"""Every property field of every node kind, given a bad value, an empty one and a valid
one, and left by Enter, Tab, a click on another field, a click on another node, or by
closing the window: nothing crashes, the value lands on the node it was typed for (or,
if it cannot be read, is refused in place), and the focus goes where the lead sent it.

Real key presses and mouse clicks, so Qt's own focus handling runs: committing a field
from ``editingFinished`` used to rebuild (delete) every row while the focus was moving
to one of them, and the app died with a segfault in Qt Widgets.
"""

from __future__ import annotations

import copy

import pytest
import shiboken6
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QWidget

from console.app.matrices import load_matrix_file
from console.domain.flow.records import mapping, record_for, split_node_id, split_step_key
from console.paths import default_matrix_path
from console.ui.flowchart import FlowEditor
from console.ui.flowchart.panel import FIELDS, MATRIX_FIELDS, Field, parse, rule_fields

from .conftest import ScriptedPrompts

# A list that pops up under the offscreen platform plugin: its noise, not ours.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing)")

SOURCE = load_matrix_file(default_matrix_path()).source
NODES = {"severity": "severity:P2", "trigger": "trigger:payment-bug", "tier": "tier:T2",
         "team": "team:frontline", "contact": "contact:cto", "step": "step:p1-page/1",
         "authority": "authority:refund/t1_agent"}
CALENDAR_FIELDS = [Field(f"Calendar {cid}: {part}", ("calendars", cid, part),
                         "text" if part == "timezone" else "yaml", "matrix")
                   for cid in mapping(SOURCE, "calendars")
                   for part in ("timezone", "hours", "holidays")]
# words on a scoring rule that has none yet (rule 1) and on one made of words only
RULE_FIELDS = [f for f in rule_fields(record_for(SOURCE, NODES["severity"]))
               if f.label in ("Rule 1: when words", "Rule 5: when words")]
assert len(RULE_FIELDS) == 2, "the default P2 changed: pick its rules again"
CASES = [(kind, nid, f) for kind, nid in NODES.items() for f in FIELDS[kind]] + [
    ("matrix", None, f) for f in MATRIX_FIELDS + CALENDAR_FIELDS] + [
    ("severity", NODES["severity"], f) for f in RULE_FIELDS]
VALUES = ("bad", "empty", "valid")
LEAVES = ("enter", "tab", "click-field", "select-node", "close")
DURATIONS = {"Response", "Update", "Resolution", "Warn before response", "Warn before update",
             "Warn before resolution", "Two-stage: initial", "Two-stage: confirm",
             "Ack timeout"}


def text_for(f: Field, value: str) -> str:
    """What the lead types: a bad value, nothing, or a good one, for this kind of field."""
    if value == "empty":
        return ""
    if f.kind == "yaml":
        return "[unclosed" if value == "bad" else "[alpha, beta]"
    if f.kind in ("int", "number"):
        return "xyz" if value == "bad" else "3"
    if value == "bad":
        return "45 mins"
    if f.label in DURATIONS:
        return "45m"
    return {"Colour": "#336699", "Calendar 24x7: timezone": "Europe/Berlin"}.get(
        f.label, "Edited value")


def value_at(records, nid: str | None, f: Field):
    """The field's value in the records (None: not set)."""
    if f.scope == "matrix":
        here = records
    elif f.scope == "chain":
        here = records["chains"][split_step_key(split_node_id(nid)[1])[0]]
    elif f.scope == "rule":
        here = record_for(records, nid)["criteria"][f.path[0]]
        return value_at(here, None, Field(f.label, f.path[1:], f.kind, "matrix"))
    else:
        here = record_for(records, nid)
    for part in f.path:
        here = here.get(part) if isinstance(here, dict) else None
    return here


def centre(editor: FlowEditor, nid: str) -> QPoint:
    return editor.view.mapFromScene(editor.scene.nodes[nid].sceneBoundingRect().center())


def other_visible_node(editor: FlowEditor, nid: str | None) -> str:
    """A node other than ``nid`` whose centre shows in the view, to click on."""
    area = editor.view.viewport().rect().adjusted(20, 20, -20, -20)
    for other in editor.scene.nodes:
        if other != nid and not other.startswith("up:") and area.contains(centre(editor, other)):
            return other
    raise AssertionError("no other node in view")


@pytest.fixture(scope="module")
def shared(qapp):
    """One editor for the whole sweep (a fresh one per case would take minutes); every
    case starts from the opened matrix with all of its edits undone."""
    editor = FlowEditor(None, copy.deepcopy(SOURCE), "lead")
    editor.ask = ScriptedPrompts()
    editor.resize(1600, 1000)
    editor.show()
    editor.activateWindow()
    assert QTest.qWaitForWindowActive(editor)
    editor.view.fit()
    yield editor
    editor.undo.setClean()
    editor.close()
    editor.deleteLater()
    QApplication.processEvents()


def fresh(qtbot) -> FlowEditor:
    editor = FlowEditor(None, copy.deepcopy(SOURCE), "lead")
    editor.ask = ScriptedPrompts()
    qtbot.addWidget(editor)
    editor.resize(1600, 1000)
    editor.show()
    editor.activateWindow()
    if not editor.isActiveWindow():
        qtbot.waitUntil(editor.isActiveWindow)
    editor.view.fit()
    return editor


def open_node(editor: FlowEditor, nid: str | None) -> None:
    """Show ``nid`` in the panel, freshly: another node first, so no row is reused."""
    if not editor.isActiveWindow():  # a closed window of an earlier case had the focus
        editor.activateWindow()
        assert QTest.qWaitForWindowActive(editor)
    editor.undo.setIndex(0)
    editor.undo.clear()
    editor.reveal("tier:T0")
    if nid is None:
        editor.scene.clearSelection()
    else:
        editor.reveal(nid)
    assert editor.panel.nid == nid


def type_into(qtbot, widget: QWidget, f: Field, value: str) -> None:
    """Real key presses: select all and type, or pick from a list by keyboard."""
    widget.setFocus(Qt.FocusReason.OtherFocusReason)
    if not widget.hasFocus():  # (waitUntil alone costs a poll interval per case)
        qtbot.waitUntil(widget.hasFocus, timeout=2000)
    if isinstance(widget, QComboBox):
        keys = {"bad": None, "empty": Qt.Key.Key_Home, "valid": Qt.Key.Key_End}[value]
        if keys is None:
            QTest.keyClicks(widget, "zzz")  # matches nothing: nothing changes
        else:
            QTest.keyClick(widget, keys)
        return
    assert isinstance(widget, QLineEdit)
    QTest.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    text = text_for(f, value)
    if text:
        QTest.keyClicks(widget, text)
    elif widget.text():
        QTest.keyClick(widget, Qt.Key.Key_Backspace)


def expected_value(widget: QWidget, f: Field, value: str, before):
    """What the records should hold once the field is left."""
    if isinstance(widget, QComboBox):
        return widget.currentText() or None
    try:
        return parse(text_for(f, value), f.kind)
    except ValueError:
        return before  # refused: unreadable YAML never reaches the records


def will_change(widget: QWidget, f: Field, value: str, before) -> bool:
    """Whether typing ``value`` (see type_into) changes the field's value."""
    if isinstance(widget, QComboBox):
        chosen = {"bad": None, "empty": "", "valid": widget.itemText(widget.count() - 1)}[value]
        return chosen is not None and chosen != widget.currentText()
    try:
        return parse(text_for(f, value), f.kind) != before
    except ValueError:
        return False


def row_after(editor: FlowEditor, widget: QWidget) -> QWidget | None:
    rows = [w for _, w in editor.panel._widgets]
    i = rows.index(widget)
    return rows[i + 1] if i + 1 < len(rows) else None


def row_other_than(editor: FlowEditor, widget: QWidget) -> QWidget:
    """Another field to click: a text field if there is one (a list would pop up)."""
    others = [w for _, w in editor.panel._widgets if w is not widget]
    return next((w for w in others if isinstance(w, QLineEdit)), others[0])


@pytest.mark.parametrize("leave", LEAVES)
@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize(("kind", "nid", "f"), CASES,
                         ids=[f"{k}-{f.label}" for k, _, f in CASES])
def test_leaving_a_property_field_never_crashes_and_keeps_the_value(
        request, qtbot, kind, nid, f, value, leave):
    editor = request.getfixturevalue("shared")
    open_node(editor, nid)
    widget = editor.panel.field(f.label)
    before = value_at(editor.document.records, nid, f)
    if leave == "close" and not will_change(widget, f, value, before):
        editor = fresh(qtbot)  # this window really closes (a change keeps it open)
        open_node(editor, nid)
        widget = editor.panel.field(f.label)
    type_into(qtbot, widget, f, value)
    expected = expected_value(widget, f, value, before)
    refused = isinstance(widget, QLineEdit) and expected is before and value == "bad"

    if leave == "enter":
        QTest.keyClick(widget, Qt.Key.Key_Return)
        target: QWidget | None = None
    elif leave == "tab":
        target = row_after(editor, widget)
        QTest.keyClick(widget, Qt.Key.Key_Tab)
    elif leave == "click-field":
        target = row_other_than(editor, widget)
        QTest.mouseClick(target, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
        if isinstance(target, QComboBox):  # its list popped up and took the focus
            target.hidePopup()
            editor.activateWindow()
            assert QTest.qWaitForWindowActive(editor)
            target.setFocus()
    elif leave == "select-node":
        other = other_visible_node(editor, nid)
        QTest.mouseClick(editor.view.viewport(), Qt.MouseButton.LeftButton,
                         Qt.KeyboardModifier.NoModifier, centre(editor, other))
        assert editor.scene.selected_ids()[0] == [other]
        assert editor.panel.nid == other
        target = None
    else:
        editor.ask.discard = False  # asked to discard a change: keep the window open
        editor.close()
        target = None
    QApplication.processEvents()

    changed = expected != before
    after_nid = nid
    if kind == "authority" and changed and f.path[0] in ("action", "role"):
        row = dict(record_for(SOURCE, nid), **{f.path[0]: expected})
        after_nid = f"authority:{row.get('action')}/{row.get('role')}"  # the node's new id
    assert value_at(editor.document.records, after_nid, f) == expected
    assert editor.undo.count() == (1 if changed else 0)
    if refused:
        assert f.label in editor.statusBar().currentMessage()
        if leave in ("enter", "tab", "click-field"):
            assert widget.text() == text_for(f, value)  # left in place, to be fixed
    if leave == "close":
        assert editor.isVisible() == changed  # a change is asked about, never lost
        editor.ask.discard = True
        return
    if leave in ("enter", "tab", "click-field") and after_nid == nid:
        assert editor.panel.nid == nid
        assert shiboken6.isValid(widget) and editor.panel.field(f.label) is widget
        focused = QApplication.focusWidget()
        if target is not None:
            assert focused is target  # the focus went where the lead sent it
        elif leave == "enter":
            assert focused is widget
