"""The matrix's ``triage:`` section: defaults, values, and every problem placed at
FILE:LINE:COL like the rest of the matrix."""

from __future__ import annotations

import pytest
import yaml

from console.domain.matrix import json_schema, parse_matrix_text

from ._validation import DEFAULT, assert_reported, only_problem, position
from .test_matrix_semantics import schema_errors


def with_triage(text: str) -> str:
    return DEFAULT + "\n" + text


def test_without_a_triage_section_suggestions_show_and_never_preselect():
    triage = parse_matrix_text(DEFAULT).triage
    assert (triage.suggest, triage.preselect_team_above) == (True, None)


def test_the_triage_section_sets_the_preselection_threshold_and_can_hide_suggestions():
    triage = parse_matrix_text(with_triage(
        "triage:\n  suggest: false\n  preselect_team_above: 0.85\n")).triage
    assert (triage.suggest, triage.preselect_team_above) == (False, 0.85)


def test_a_whole_number_threshold_of_one_is_read_as_a_confidence():
    triage = parse_matrix_text(with_triage("triage: {preselect_team_above: 1}\n")).triage
    assert triage.preselect_team_above == 1.0


@pytest.mark.parametrize(("line", "path", "token", "message"), [
    ("triage: {preselect_team_above: 85}", "triage.preselect_team_above", "85",
     "85 is above the maximum 1"),
    ("triage: {preselect_team_above: -0.5}", "triage.preselect_team_above", "-0.5",
     "-0.5 is below the minimum 0"),
    ("triage: {preselect_team_above: high}", "triage.preselect_team_above", "high",
     "expected a number, got text"),
    ("triage: {suggest: maybe}", "triage.suggest", "maybe",
     "expected true or false, got text"),
    ("triage: {preselect_above: 0.9}", "triage.preselect_above", "preselect_above",
     "unknown key 'preselect_above'; did you mean 'preselect_team_above'?"),
])
def test_a_mistake_in_triage_is_placed_at_its_line_and_column(line, path, token, message):
    text = with_triage(line + "\n")
    problem = only_problem(text)
    assert_reported(problem, path, message, position(text, line, token))


def test_the_json_schema_describes_the_triage_section():
    good = yaml.safe_load(with_triage("triage: {suggest: true, preselect_team_above: 0.9}\n"))
    assert schema_errors(good) == []
    props = json_schema()["properties"]["triage"]["properties"]
    assert props["preselect_team_above"]["maximum"] == 1
    assert props["suggest"]["type"] == "boolean"
    assert schema_errors({**good, "triage": {"preselect_team_above": 2}}) != []
