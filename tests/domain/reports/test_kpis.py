"""The matrix's ``kpis:`` and ``reports:`` sections: defaults, values, and every problem
placed at FILE:LINE:COL like the rest of the matrix."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from console.domain.matrix import json_schema, parse_matrix_text

from .._validation import DEFAULT, assert_reported, only_problem, position
from ..test_matrix_semantics import schema_errors


def with_sections(text: str) -> str:
    return DEFAULT + "\n" + text


def test_without_a_kpis_section_the_seed_articles_targets_apply():
    matrix = parse_matrix_text(DEFAULT)
    k = matrix.kpis
    assert (k.escalation_target, k.team_flag, k.agent_flag, k.t1_resolution_target) == (
        0.10, 0.15, 0.20, 0.50)
    assert (k.first_tier, k.first_tier_level) == ("T1", 1)
    assert k.severities == ("P1", "P2", "P3", "P4")
    assert matrix.reports.recipients == ()


def test_the_kpis_section_sets_targets_in_percent_and_the_first_tier():
    matrix = parse_matrix_text(with_sections(
        "kpis: {escalation_target_pct: 12.5, team_flag_pct: 30, agent_flag_pct: 40,\n"
        "       t1_resolution_target_pct: 60, first_tier: T2}\n"))
    k = matrix.kpis
    assert (k.escalation_target, k.team_flag, k.agent_flag, k.t1_resolution_target) == (
        0.125, 0.30, 0.40, 0.60)
    assert (k.first_tier, k.first_tier_level) == ("T2", 2)


def test_the_reports_section_schedules_the_weekly_email_in_its_time_zone():
    matrix = parse_matrix_text(with_sections(
        "reports:\n  recipients: [lead@example.com, cs@example.com]\n  weekday: fri\n"
        "  time: '16:30'\n  timezone: Europe/Berlin\n"))
    r = matrix.reports
    assert r.recipients == ("lead@example.com", "cs@example.com")
    assert (r.weekday, r.send_at, r.timezone) == (4, dt.time(16, 30), "Europe/Berlin")


def test_the_weekly_email_defaults_to_monday_8_in_the_first_calendars_time_zone():
    r = parse_matrix_text(with_sections("reports: {recipients: [a@example.com]}\n")).reports
    assert (r.weekday, r.send_at, r.timezone) == (0, dt.time(8, 0), "UTC")


@pytest.mark.parametrize(("line", "path", "token", "message"), [
    ("kpis: {team_flag_pct: 150}", "kpis.team_flag_pct", "150",
     "150 is above the maximum 100"),
    ("kpis: {agent_flag_pct: high}", "kpis.agent_flag_pct", "high",
     "expected a number, got text"),
    ("kpis: {first_tier: T7}", "kpis.first_tier", "T7", "unknown tier 'T7'"),
    ("kpis: {escalation_pct: 5}", "kpis.escalation_pct", "escalation_pct",
     "unknown key 'escalation_pct'; did you mean 'escalation_target_pct'?"),
    ("reports: {recipients: [nobody]}", "reports.recipients[0]", "nobody",
     "'nobody' is not valid: write an address like lead@example.com"),
    ("reports: {weekday: monday}", "reports.weekday", "monday",
     "'monday' is not one of mon, tue, wed, thu, fri, sat, sun; did you mean 'mon'?"),
    ("reports: {time: '24:10'}", "reports.time", "'24:10'",
     "'24:10' is not a valid time of day"),
    ("reports: {time: noon}", "reports.time", "noon",
     "'noon' is not valid: like 08:00"),
    ("reports: {timezone: Mars/Base}", "reports.timezone", "Mars/Base",
     "unknown time zone 'Mars/Base'"),
])
def test_a_mistake_in_kpis_or_reports_is_placed_at_its_line_and_column(
        line, path, token, message):
    text = with_sections(line + "\n")
    problem = only_problem(text)
    assert_reported(problem, path, message, position(text, line, token))


def test_the_json_schema_describes_both_sections():
    good = yaml.safe_load(with_sections(
        "kpis: {escalation_target_pct: 10, first_tier: T1}\n"
        "reports: {recipients: [a@example.com], weekday: mon, time: '08:00'}\n"))
    assert schema_errors(good) == []
    props = json_schema()["properties"]
    assert props["kpis"]["properties"]["team_flag_pct"]["maximum"] == 100
    assert props["reports"]["properties"]["weekday"]["enum"][0] == "mon"
    assert schema_errors({**good, "kpis": {"flag": 1}}) != []
