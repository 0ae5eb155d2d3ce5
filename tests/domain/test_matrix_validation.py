"""Matrix validation: every check, with the exact path, message and FILE:LINE:COL.

Most cases patch one line of the shipped default matrix and expect exactly that one
problem. Expected positions are computed from the patched text (the offending token),
so the tests do not depend on the default file's line numbers.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from console.domain.calendar import BusinessCalendar
from console.domain.matrix import (
    Matrix,
    MatrixError,
    check_matrix_text,
    parse_matrix_text,
)
from console.paths import matrices_dir

from ._validation import (
    DEFAULT,
    NOT_A_MAPPING,
    SHIPPED,
    check_one,
    insert_after,
    only_problem,
    patch,
    position,
    problems_of,
)


@pytest.mark.parametrize("name", SHIPPED)
def test_a_shipped_matrix_validates_without_problems(name):
    text = (matrices_dir() / name).read_text(encoding="utf-8")
    matrix, problems = check_matrix_text(text, name)
    assert problems == []
    assert isinstance(matrix, Matrix)


def test_the_business_hours_matrix_puts_only_p3_and_p4_on_berlin_business_hours():
    matrix = parse_matrix_text((matrices_dir() / "business-hours.yaml").read_text())
    default = parse_matrix_text(DEFAULT)
    assert {s.id: s.targets.calendar for s in matrix.severities} == {
        "P1": "24x7", "P2": "24x7", "P3": "berlin-business", "P4": "berlin-business"}
    berlin = matrix.calendars["berlin-business"]
    assert berlin.timezone == "Europe/Berlin"
    assert berlin.holiday_country == "DE" and berlin.holiday_subdivision is None
    assert sorted(day for day, *_ in berlin.weekly) == [0, 1, 2, 3, 4]
    assert {(start.isoformat(), end.isoformat()) for _, start, end in berlin.weekly} == {
        ("09:00:00", "17:00:00")}
    # everything else is the default matrix
    for part in ("tiers", "teams", "roles", "contacts", "chains", "triggers", "authority"):
        assert getattr(matrix, part) == getattr(default, part), part
    for ours, theirs in zip(matrix.severities, default.severities, strict=True):
        assert ours.criteria == theirs.criteria
        assert (ours.targets.response, ours.targets.update, ours.targets.resolution) == (
            theirs.targets.response, theirs.targets.update, theirs.targets.resolution)


def test_a_24h_target_on_berlin_business_hours_is_three_business_days():
    matrix = parse_matrix_text((matrices_dir() / "business-hours.yaml").read_text())
    calendar = BusinessCalendar(matrix.calendars["berlin-business"])
    monday_nine = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # 09:00 in Berlin (CET)
    due = calendar.add(monday_nine, matrix.severity("P3").targets.response)
    assert due == datetime(2026, 3, 4, 16, 0, tzinfo=UTC)  # Wednesday 17:00 in Berlin


# -- how problems are reported -------------------------------------------------------


def test_a_problem_prints_as_file_line_column_path_and_message():
    text = patch("intake_team: frontline", "intake_team: frontlin")
    line, column = position(text, "intake_team: frontlin", "frontlin")
    assert str(only_problem(text)) == (
        f"m.yaml:{line}:{column}: intake_team: unknown team 'frontlin'; "
        "did you mean 'frontline'?")


def test_parse_matrix_text_raises_with_every_problem():
    text = patch("intake_team: frontline", "intake_team: nobody")
    with pytest.raises(MatrixError) as caught:
        parse_matrix_text(text, "m.yaml")
    assert [p.path for p in caught.value.problems] == ["intake_team"]
    assert "intake_team: unknown team 'nobody'" in str(caught.value)


def test_all_problems_are_reported_in_one_pass_sorted_by_line():
    text = patch("name: Default escalation matrix",
                 "name: Default escalation matrix\nowner: the support lead")
    text = patch('color: "#ef6c00"', "color: orange", text)
    text = patch("{primary: cto, backup: vp-engineering, channel: email",
                 "{primary: cto, backup: vp-eng, channel: email", text)
    text = patch("{id: T2, name: Specialists and Customer Success, level: 2}",
                 "{id: T2, name: Specialists and Customer Success}", text)
    text = patch("intake_team: frontline", "intake_team: front-line", text)
    problems = problems_of(text)
    assert [(p.path, p.message) for p in problems] == [
        ("owner", "unknown key 'owner'"),
        ("tiers[2]", "missing required key 'level'"),
        ("chains.executive-escalation.steps[0].backup",
         "unknown contact 'vp-eng'; did you mean 'vp-engineering'?"),
        ("severities[1].color", "'orange' is not valid: write #rrggbb"),
        ("intake_team", "unknown team 'front-line'; did you mean 'frontline'?"),
    ]
    assert [p.line for p in problems] == sorted(p.line for p in problems)
    assert len({p.line for p in problems}) == 5


def test_malformed_hours_do_not_hide_problems_elsewhere():
    text = patch("hours: always", "hours: {mon: 9-17}")
    text = patch("intake_team: frontline", "intake_team: frontlin", text)
    assert [p.path for p in problems_of(text)] == ["calendars.24x7.hours.mon", "intake_team"]


def test_a_malformed_action_does_not_hide_problems_elsewhere():
    text = patch("- prioritize: high", "- {prioritize: high, require_handoff: true}")
    text = patch("{action: publish_matrix, role: lead}",
                 "{action: publish_matrix, role: leader}", text)
    assert [(p.path, p.message.split(",")[0]) for p in problems_of(text)] == [
        ("triggers[3].then[0]", "expected exactly one of escalate"),
        ("authority[7].role", "unknown role 'leader'; did you mean 'lead'?"),
    ]


# -- YAML syntax ---------------------------------------------------------------------


def test_malformed_yaml_is_reported_where_the_parser_gave_up():
    problem = only_problem("schema_version: 1\nname: [a, b\ncalendars: {}\n")
    assert (problem.line, problem.column, problem.path) == (3, 10, "")
    assert problem.message == "malformed YAML: expected ',' or ']', but got ':'"
    assert str(problem).startswith("m.yaml:3:10: malformed YAML: ")


def test_a_tab_in_the_indentation_is_malformed_yaml():
    problem = only_problem("schema_version: 1\n\tname: x\n")
    assert (problem.line, problem.column) == (2, 1)
    assert problem.message.startswith("malformed YAML: found character '\\t'")


def test_an_unknown_yaml_tag_is_malformed_yaml_at_the_tagged_value():
    problem = only_problem(patch("name: Default escalation matrix", "name: !secret matrix"))
    assert problem.message == ("malformed YAML: could not determine a constructor for "
                               "the tag '!secret'")
    assert (problem.line, problem.column) == position(
        patch("name: Default escalation matrix", "name: !secret matrix"), "!secret")


def test_a_duplicate_key_is_reported_at_the_second_key():
    text = patch("intake_team: frontline", "intake_team: frontline\nintake_team: specialists")
    problem = only_problem(text)
    assert problem.message == "duplicate key 'intake_team'"
    assert problem.path == ""
    assert (problem.line, problem.column) == position(text, "intake_team: specialists")


def test_a_duplicate_key_inside_a_flow_mapping_is_reported():
    text = patch("{id: T0, name: Self-service, level: 0}", "{id: T0, name: Self-service, id: T9}")
    problem = only_problem(text)
    assert problem.message == "duplicate key 'id'"
    assert (problem.line, problem.column) == position(text, "id: T9")


@pytest.mark.parametrize("text", ["- a list\n", "just text\n", "", "# only a comment\n"],
                         ids=["list", "text", "empty", "comment only"])
def test_a_document_that_is_not_a_mapping_is_rejected(text):
    problem = only_problem(text)
    assert (problem.line, problem.column, problem.path) == (1, 1, "")
    assert problem.message == NOT_A_MAPPING


def test_a_date_that_does_not_exist_is_a_problem_not_a_crash():
    text = patch("hours: always", "hours: always\n    holidays: {dates: [2026-12-24, 2026-13-01]}")
    check_one(text, "calendars.24x7.holidays.dates[1]",
              "expected a date like 2026-12-24, got '2026-13-01'", "2026-13-01")


# -- structure: keys and types -------------------------------------------------------


def test_an_unknown_top_level_key_points_at_the_key_with_a_did_you_mean_hint():
    text = patch("intake_team: frontline", "intake_tem: frontline")
    problem = only_problem(text)
    assert problem.message == "unknown key 'intake_tem'; did you mean 'intake_team'?"
    assert (problem.path, problem.line, problem.column) == (
        "intake_tem", *position(text, "intake_tem"))


def test_an_unknown_nested_key_points_at_the_key_with_a_did_you_mean_hint():
    text = patch("pre_breach: {response: 5m,", "pre_beach: {response: 5m,")
    check_one(text, "severities[0].pre_beach",
              "unknown key 'pre_beach'; did you mean 'pre_breach'?", "pre_beach")


def test_an_unknown_key_without_a_close_match_has_no_hint():
    text = patch("{id: T0, name: Self-service, level: 0}",
                 "{id: T0, name: Self-service, level: 0, colour_scheme: dark}")
    check_one(text, "tiers[0].colour_scheme", "unknown key 'colour_scheme'", "colour_scheme")
    assert "did you mean" not in only_problem(text).message


def test_an_invalid_map_key_is_reported_at_the_key():
    text = insert_after("chains:\n", "  cto page:\n    steps:\n"
                        "      - {primary: cto, backup: vp-engineering, channel: pagerduty}\n")
    check_one(text, "chains.cto page", "'cto page' is not a valid id (letters, digits, - _ .)",
              "cto page")


def test_a_missing_required_key_is_reported_at_the_record():
    text = patch("{id: T0, name: Self-service, level: 0}", "{id: T0, level: 0}")
    check_one(text, "tiers[0]", "missing required key 'name'", "{id: T0, level: 0}")


@pytest.mark.parametrize(
    ("old", "new", "path", "message", "at"),
    [
        ("{id: T0, name: Self-service, level: 0}", "{id: T0, name: Self-service, level: zero}",
         "tiers[0].level", "expected a whole number, got text", "zero"),
        ("{id: T0, name: Self-service, level: 0}", "{id: T0, name: Self-service, level: 12}",
         "tiers[0].level", "12 is above the maximum 9", "12"),
        ("revenue_risk: true}", "revenue_risk: maybe}",
         "severities[1].criteria[3].when.revenue_risk", "expected true or false, got text",
         "maybe"),
        ("{users_affected_pct: {gt: 0, lte: 25}", "{users_affected_pct: {gt: some, lte: 25}",
         "severities[1].criteria[0].when.users_affected_pct.gt",
         "expected a number, got text", "some"),
        ("workaround: partial}", "workaround: sometimes}",
         "severities[1].criteria[1].when.workaround",
         "'sometimes' is not one of none, partial, full", "sometimes"),
        ("when: {unresolved_for: 24h}", "when: {unresolved_for: 24h, sentiment: {below: -5}}",
         "triggers[1].when.sentiment.below", "-5 is below the minimum -1", "-5"),
        ("    repeat: 3\n", "    repeat: 1.5\n",
         "chains.p1-page.repeat", "expected a whole number, got a number", "1.5"),
        ("channel: email, ack_timeout: 30m}", "channel: emial, ack_timeout: 30m}",
         "chains.executive-escalation.steps[0].channel",
         "'emial' is not one of desktop, slack, teams, email, pagerduty, webhook, queue; "
         "did you mean 'email'?", "emial"),
        ("function: customer_success}", "function: success}",
         "teams[3].function", "'success' is not one of support, customer_success", "success"),
        ("default_severity: P3", "default_severity: 3",
         "default_severity", "expected text, got a number", "3"),
        ("cc: [cto]", "cc: cto",
         "chains.p1-page.steps[0].cc", "expected a list, got text", "cto"),
        ("{action: publish_matrix, role: lead}", "{action: publish matrix, role: lead}",
         "authority[7].action", "'publish matrix' is not valid: use letters, digits, - _ .",
         "publish matrix"),
        ("      - prioritize: high\n", "      - prioritize: urgent\n",
         "triggers[3].then[0].prioritize", "'urgent' is not one of high, normal", "urgent"),
        ("hours: always", "hours: weekdays",
         "calendars.24x7.hours", "'weekdays' is not one of always", "weekdays"),
        ("hours: always", "hours: [mon]",
         "calendars.24x7.hours",
         "expected `always` or a mapping of weekdays to hours, got a list", "[mon]"),
    ],
    ids=["text for a number", "number above maximum", "text for true/false",
         "text for a bound", "value outside the choices", "score below -1",
         "fraction for a whole number", "misspelt channel", "unknown team function",
         "number for an id", "text for a list", "id with a space", "unknown priority",
         "unknown hours keyword", "list for hours"],
)
def test_a_value_of_the_wrong_type_or_shape_is_reported_at_the_value(old, new, path, message,
                                                                      at):
    text = patch(old, new)
    check_one(text, path, message, new, at)


def test_a_trigger_action_must_have_exactly_one_key():
    text = patch("      - prioritize: high\n",
                 "      - {prioritize: high, require_handoff: true}\n")
    check_one(text, "triggers[3].then[0]",
              "expected exactly one of escalate, notify, bump_severity, require_handoff, "
              "prioritize, got 2", "{prioritize: high")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("15 minutes",
         "'15 minutes' is not a duration; write a number and a unit, like 15m, 1h, 1h30m or 7d"),
        ("15", "expected a duration like 15m or 1h, got a number"),
        ("0m", "'0m' is not a positive duration"),
        ("1.5h", "'1.5h' is not a duration"),
    ],
    ids=["words", "bare number", "zero", "decimal"],
)
def test_a_bad_duration_is_reported_at_the_value(value, message):
    text = patch("targets: {calendar: 24x7, response: 24h, update: 7d}",
                 f"targets: {{calendar: 24x7, response: {value}, update: 7d}}")
    check_one(text, "severities[2].targets.response", message,
              f"response: {value}, update: 7d", value)


def test_a_bad_duration_does_not_also_claim_the_target_is_missing():
    # P1 has a pre-breach lead for its response: the malformed target is one problem
    text = patch("response: 15m, update: 30m", "response: soon, update: 30m")
    check_one(text, "severities[0].targets.response", "'soon' is not a duration", "soon")


@pytest.mark.parametrize("colour", ["red", "#d32f2", "d32f2f", "#d32f2fff"])
def test_a_colour_must_be_written_as_hex_rrggbb(colour):
    text = patch('color: "#d32f2f"', f'color: "{colour}"')
    check_one(text, "severities[0].color", f"{colour!r} is not valid: write #rrggbb",
              f'color: "{colour}"', '"')


def test_schema_version_must_be_the_version_this_build_reads():
    text = patch("schema_version: 1", "schema_version: 2")
    check_one(text, "schema_version", "this build reads schema_version 1, not 2",
              "schema_version: 2", "2")


def test_schema_version_must_be_a_whole_number():
    text = patch("schema_version: 1", "schema_version: one")
    problems = problems_of(text)
    assert [(p.path, p.message) for p in problems] == [
        ("schema_version", "expected a whole number, got text")]
    assert (problems[0].line, problems[0].column) == position(text, "schema_version: one", "one")


# -- calendars -----------------------------------------------------------------------


def test_an_unknown_time_zone_is_reported():
    text = patch("timezone: UTC", "timezone: Europe/Berln")
    check_one(text, "calendars.24x7.timezone", "unknown time zone 'Europe/Berln'",
              "Europe/Berln")


@pytest.mark.parametrize(
    ("hours", "path", "message", "at"),
    [
        ("{mon: 25:00-26:00}", "calendars.24x7.hours.mon",
         "'25:00-26:00' is not a valid time range", "25:00"),
        ("{mon: 09:60-17:00}", "calendars.24x7.hours.mon",
         "'09:60-17:00' is not a valid time range", "09:60"),
        ("{mon: 17:00-09:00}", "calendars.24x7.hours.mon",
         "'17:00-09:00' ends before it starts", "17:00"),
        ("{mon: 9-17}", "calendars.24x7.hours.mon",
         "'9-17' is not valid: like 09:00-17:00, or closed", "9-17"),
        ("{mon: [09:00-12:00, 13:00-1700]}", "calendars.24x7.hours.mon[1]",
         "'13:00-1700' is not valid: like 09:00-12:30", "13:00-1700"),
        ("{mon: closed, sat: closed}", "calendars.24x7.hours",
         "the calendar is never open", "{mon"),
        ("{mon: 09:00-17:00, tues: 09:00-17:00}", "calendars.24x7.hours.tues",
         "unknown key 'tues'; did you mean 'tue'?", "tues"),
    ],
    ids=["hour 25", "minute 60", "ends before it starts", "not hours", "bad range in a list",
         "never open", "weekday spelt out"],
)
def test_bad_opening_hours_are_reported(hours, path, message, at):
    text = patch("hours: always", f"hours: {hours}")
    check_one(text, path, message, f"hours: {hours}", at)


def test_hours_may_run_until_24_00_and_be_split_into_ranges():
    text = patch("hours: always", "hours: {mon: [00:00-12:00, 13:00-24:00], sun: closed}")
    assert problems_of(text) == []


def test_an_unknown_holiday_country_is_reported():
    text = patch("hours: always", "hours: always\n    holidays: {country: XX}")
    check_one(text, "calendars.24x7.holidays.country", "unknown holiday country 'XX'", "XX")


def test_an_unknown_holiday_subdivision_is_reported():
    text = patch("hours: always", "hours: always\n    holidays: {country: DE, subdivision: ZZ}")
    check_one(text, "calendars.24x7.holidays.subdivision", "DE has no subdivision 'ZZ'", "ZZ")


def test_a_holiday_subdivision_needs_a_country():
    text = patch("hours: always", "hours: always\n    holidays: {subdivision: BY}")
    check_one(text, "calendars.24x7.holidays.subdivision", "a subdivision needs a country",
              "BY")


def test_a_known_country_and_subdivision_validate():
    text = patch("hours: always", "hours: always\n    holidays: {country: DE, subdivision: BY}")
    assert problems_of(text) == []
