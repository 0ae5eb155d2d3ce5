"""Hostile matrix YAML: deep nesting, recursive aliases and alias bombs get a clear error
on the line concerned, quickly, never a RecursionError or MemoryError."""

from __future__ import annotations

import time

import pytest
from hostile_inputs import DEEP_YAML, SELF_ALIAS_YAML, alias_bomb

from console.domain.flow import load_records
from console.domain.matrix import check_matrix_text
from console.domain.matrix.yamlpos import (
    MAX_ALIAS_VALUES,
    MAX_DEPTH,
    Mark,
    YamlSyntaxError,
    load_located,
    load_yaml,
)
from console.paths import default_matrix_path

DEFAULT = default_matrix_path().read_text(encoding="utf-8")


def only_problem(text: str, name: str = "m.yaml") -> str:
    started = time.monotonic()
    matrix, problems = check_matrix_text(text, name)
    assert time.monotonic() - started < 5
    assert matrix is None
    assert len(problems) == 1, problems
    return str(problems[0])


def test_twenty_thousand_brackets_are_refused_on_their_line_before_pyyaml_recurses():
    message = only_problem(DEEP_YAML)
    column = len("name: ") + MAX_DEPTH  # the bracket one level too deep (the mapping is one)
    assert message.startswith(f"m.yaml:2:{column}: ")
    assert f"nested more than {MAX_DEPTH} levels deep" in message


def test_deep_block_nesting_is_refused_too():
    text = "schema_version: 1\n" + "".join(f"{'  ' * i}k{i}:\n" for i in range(200)) + "\n"
    message = only_problem(text)
    assert message.startswith(f"m.yaml:{MAX_DEPTH + 2}:")  # "k0:" is line 2, in level 1
    assert "nested more than" in message


def test_nesting_up_to_the_limit_is_plain_data():
    text = "[" * (MAX_DEPTH - 1) + "[1]" + "]" * (MAX_DEPTH - 1)
    value = load_located(text).data
    for _ in range(MAX_DEPTH):
        assert isinstance(value, list)
        value = value[0]
    assert value == 1


def test_a_self_referential_alias_names_its_line():
    message = only_problem(SELF_ALIAS_YAML)
    assert message.startswith("m.yaml:2:17: ")
    assert "alias *self refers to a value that contains it" in message


def test_an_alias_inside_a_mapping_that_it_names_is_refused():
    message = only_problem("schema_version: 1\ntiers: &t\n  - id: T1\n    up: *t\n")
    assert message.startswith("m.yaml:4:9: ")
    assert "alias *t refers to a value that contains it" in message


def test_an_alias_bomb_is_refused_on_the_line_of_the_alias_within_a_second():
    bomb = alias_bomb()
    started = time.monotonic()
    message = only_problem(bomb)
    assert time.monotonic() - started < 1
    assert f"expand to more than {MAX_ALIAS_VALUES:,} values" in message
    line = int(message.split(":")[1])
    lines = bomb.splitlines()
    assert "*" in lines[line - 1]
    load_located("\n".join(lines[:line - 1]))  # the lines before it are fine


def test_aliases_that_nest_deeper_than_the_limit_are_refused():
    deep = "[" * 20 + "1" + "]" * 20
    text = f"a: &a {deep}\nb: &b [*a]\nc: {'[' * 14}*b{']' * 14}\n"
    with pytest.raises(YamlSyntaxError) as caught:
        load_located(text)
    assert caught.value.mark.line == 3
    assert "nested more than" in str(caught.value)


def test_ordinary_aliases_still_work_and_keep_their_values():
    text = "cc: &team [ana, bo]\nfirst: {cc: *team}\nsecond: {cc: *team}\n"
    located = load_located(text)
    assert located.data == {"cc": ["ana", "bo"], "first": {"cc": ["ana", "bo"]},
                            "second": {"cc": ["ana", "bo"]}}
    assert located.data["first"]["cc"] is not located.data["second"]["cc"]
    assert located.marks[("second", "cc")].line == 3  # the alias, where it is used


def test_a_collection_as_a_mapping_key_is_refused_without_constructing_it():
    with pytest.raises(YamlSyntaxError) as caught:
        load_located("? &k [*k]\n: 1\n")
    assert "a mapping key must be a plain value" in str(caught.value)


def test_the_shipped_matrix_loads_as_before():
    matrix, problems = check_matrix_text(DEFAULT, "default.yaml")
    assert matrix is not None and problems == []


HOSTILE = [
    pytest.param("name: " + "[" * 5000 + "]" * 5000, 1, "nested more than", id="deep"),
    pytest.param("a: &self [*self]\n", 1, "refers to a value that contains it", id="self"),
    pytest.param(alias_bomb(), None, "expand to more than", id="bomb"),
]


@pytest.mark.parametrize("text, line, words", HOSTILE)
def test_the_flowchart_opens_files_through_the_safe_loader(text, line, words):
    with pytest.raises(ValueError) as caught:
        load_records(text)
    assert words in str(caught.value)
    assert str(caught.value).startswith(f"line {line or ''}")


@pytest.mark.parametrize("text, line, words", HOSTILE)
def test_a_yaml_field_is_parsed_by_the_safe_loader(text, line, words):
    with pytest.raises(YamlSyntaxError) as caught:
        load_yaml(text)
    assert words in str(caught.value)
    assert line is None or caught.value.mark.line == line


def test_lines_are_counted_as_editors_count_them_not_at_unicode_separators():
    # PyYAML breaks lines at U+2028 and U+0085 too; the file shows three lines
    with pytest.raises(YamlSyntaxError) as caught:
        load_located('a: 1\nb: "one\u2028two\u0085three"\r\na: 2\n')
    assert caught.value.mark == Mark(3, 1)
    assert "duplicate key 'a'" in str(caught.value)


def test_a_byte_order_mark_takes_no_column():
    assert load_located("\ufeffa: [1, {b: 2}]\n").marks[("a", 1)] == Mark(1, 8)


def test_a_control_character_is_named_where_it_is():
    with pytest.raises(YamlSyntaxError) as caught:
        load_located("a: 1\nb: x\x00y\n")
    assert caught.value.mark == Mark(2, 5)
    assert "character U+0000 is not allowed" in str(caught.value)


def test_an_escaped_lone_surrogate_is_refused_on_its_line():
    text = DEFAULT.replace("\nname: ", '\nname: "bad \\udcff" #', 1)
    line = text[:text.index("bad ")].count("\n") + 1
    message = only_problem(text)
    assert message == (f"m.yaml:{line}:7: this value contains \\udcff, half of a surrogate "
                       "pair, which is not text")
