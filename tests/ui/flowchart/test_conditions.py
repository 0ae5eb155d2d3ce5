"""Conditions in the Properties panel: the `words` condition on triggers and on a
severity's scoring rules, and YAML fields that refuse hostile text in place."""

from __future__ import annotations

import pytest


def commit(field, text: str) -> None:
    field.setText(text)
    field.setModified(True)
    field.editingFinished.emit()


def trigger(records, tid):
    return next(t for t in records["triggers"] if t["id"] == tid)


def rules(records, sid):
    return next(s for s in records["severities"] if s["id"] == sid)["criteria"]


@pytest.mark.parametrize("text", ["[" * 20_000, "{" * 20_000, "- " * 10_000])
def test_a_yaml_field_refuses_thousands_of_open_brackets_in_place(editor, text):
    editor.reveal("trigger:payment-bug")
    field = editor.panel.field("When category")
    commit(field, text)  # used to raise RecursionError inside the slot
    assert editor.undo.count() == 0
    assert field.text() == text and "#d50000" in field.styleSheet()
    assert "nested more than 32 levels" in field.toolTip()
    message = editor.statusBar().currentMessage()
    assert message.startswith("When category: not YAML") and "line 1" in message
