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


def test_a_trigger_takes_a_words_condition_like_the_other_conditions(editor):
    editor.reveal("trigger:payment-bug")
    field = editor.panel.field("When words")
    assert field.text() == "" and "payment* fail*" in field.toolTip()
    commit(field, "[payment* fail*, all ... customers]")
    when = trigger(editor.document.records, "payment-bug")["when"]
    assert when["words"] == ["payment* fail*", "all ... customers"]
    assert when["category"] == ["bug"]  # the other conditions stay
    assert editor.document.valid
    editor.undo.undo()
    assert "words" not in trigger(editor.document.records, "payment-bug")["when"]
    assert editor.panel.field("When words").text() == ""


def test_a_severity_rule_shows_its_words_and_they_can_be_edited(editor):
    editor.reveal("severity:P2")
    last = len(rules(editor.document.records, "P2"))
    field = editor.panel.field(f"Rule {last}: when words")
    assert "payment* fail*" in field.text()
    commit(field, "[checkout fail*, many ... users]")
    assert rules(editor.document.records, "P2")[-1]["when"] == {
        "words": ["checkout fail*", "many ... users"]}
    assert editor.panel.field(f"Rule {last}: when words") is field
    assert editor.undo.count() == 1 and editor.document.valid


def test_words_are_added_to_a_rule_that_had_none(editor):
    editor.reveal("severity:P2")
    before = rules(editor.document.records, "P2")[0]["when"]
    assert "words" not in before
    commit(editor.panel.field("Rule 1: when words"), "[checkout fail*]")
    assert rules(editor.document.records, "P2")[0]["when"] == {**before,
                                                               "words": ["checkout fail*"]}
    commit(editor.panel.field("Rule 1: when words"), "")  # emptied: the condition goes
    assert rules(editor.document.records, "P2")[0]["when"] == before


def test_a_new_rule_with_words_is_added_to_the_severity_and_undone(editor):
    editor.reveal("severity:P3")
    count = len(rules(editor.document.records, "P3"))
    commit(editor.panel.field("New rule: when words"), "[slow*, lag*]")
    assert rules(editor.document.records, "P3")[-1] == {"when": {"words": ["slow*", "lag*"]}}
    assert editor.panel.field(f"Rule {count + 1}: when words").text() == "[slow*, lag*]"
    assert editor.panel.field("New rule: when words").text() == ""
    commit(editor.panel.field(f"Rule {count + 1}: reason"), "the customer says it is slow")
    assert rules(editor.document.records, "P3")[-1]["reason"] == "the customer says it is slow"
    editor.undo.undo()
    editor.undo.undo()
    assert len(rules(editor.document.records, "P3")) == count


def test_a_words_entry_the_format_refuses_is_framed_red_with_the_reason(editor):
    editor.reveal("severity:P2")
    field = editor.panel.field("Rule 1: when words")
    commit(field, "[pay*ment]")
    assert not editor.document.valid
    assert "#d50000" in field.styleSheet()
    assert "'pay*ment' is not valid" in field.toolTip()
    assert editor.panel.field("Rule 1: reason").styleSheet() == ""
    assert not editor.actions_by_name["publish"].isEnabled()


def test_a_long_value_shows_its_start_in_its_field(editor):
    editor.reveal("severity:P3")
    editor.reveal("severity:P2")
    for label in ("Rule 1: reason", "Rule 2: reason"):
        field = editor.panel.field(label)
        assert len(field.text()) > 30 and field.cursorPosition() == 0, label
