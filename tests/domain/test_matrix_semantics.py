"""Matrix validation, the semantic checks: references, duplicates, chains, backups,
targets and contradicting criteria; and the JSON Schema."""

from __future__ import annotations

import json
import re
from dataclasses import fields
from datetime import timedelta
from typing import Any

import pytest
import yaml

from console.domain.matrix import (
    Matrix,
    json_schema,
    parse_matrix_text,
)
from console.domain.matrix.yamlpos import load_located
from console.paths import matrices_dir

from ._validation import (
    DEFAULT,
    SHIPPED,
    check_one,
    insert_after,
    only_problem,
    patch,
    position,
    problem_at,
    problems_of,
)

# -- references ----------------------------------------------------------------------

REFERENCES = [
    # (old, new, path, message, at)
    ("{id: frontline, name: Frontline Support, tier: T1,",
     "{id: frontline, name: Frontline Support, tier: T7,",
     "teams[1].tier", "unknown tier 'T7'", "T7"),
    ("{id: lead, name: Matrix lead, tier: T2}", "{id: lead, name: Matrix lead, tier: T8}",
     "roles[11].tier", "unknown tier 'T8'", "T8"),
    ("role: product_manager, email: pm@example.com}", "role: pm, email: pm@example.com}",
     "contacts[14].role", "unknown role 'pm'", "pm,"),
    ("team: frontline}", "team: frontlne}",
     "contacts[12].team", "unknown team 'frontlne'; did you mean 'frontline'?", "frontlne"),
    ("targets: {calendar: 24x7, response: 15m", "targets: {calendar: 24x5, response: 15m",
     "severities[0].targets.calendar", "unknown calendar '24x5'; did you mean '24x7'?", "24x5"),
    ("route_to: product-design", "route_to: design-studio",
     "severities[3].route_to", "unknown team 'design-studio'", "design-studio"),
    ("notify: p4-email", "notify: p4-mail",
     "severities[3].notify", "unknown chain 'p4-mail'; did you mean 'p4-email'?", "p4-mail"),
    ("decision: support_lead", "decision: support_boss",
     "severities[1].decision", "unknown role 'support_boss'", "support_boss"),
    ("engineering: {role: product_designer,", "engineering: {role: designer,",
     "severities[3].roles.engineering.role", "unknown role 'designer'", "designer"),
    ("{primary: engineering-channel,", "{primary: eng-channel,",
     "chains.p2-slack.steps[0].primary", "unknown contact 'eng-channel'", "eng-channel"),
    ("backup: engineering-manager, cc:", "backup: eng-manager, cc:",
     "chains.p2-slack.steps[0].backup", "unknown contact 'eng-manager'", "eng-manager"),
    ("cc: [cs-lead]", "cc: [cs-lead, cfo]",
     "chains.p2-slack.steps[0].cc[1]", "unknown contact 'cfo'", "cfo"),
    ("    description: Email notification\n",
     "    description: Email notification\n    next: carrier-pigeon\n",
     "chains.p4-email.next", "unknown chain 'carrier-pigeon'", "carrier-pigeon"),
    ("{kind: functional, team: payments-engineering}", "{kind: functional, team: payments}",
     "triggers[2].then[0].escalate.team", "unknown team 'payments'", "payments}"),
    ("{kind: hierarchical, to: L4}", "{kind: hierarchical, to: L5}",
     "triggers[4].then[0].escalate.to", "unknown tier 'L5'", "L5"),
    ("- notify: sentiment-watch", "- notify: sentiment",
     "triggers[0].then[1].notify", "unknown chain 'sentiment'; did you mean 'sentiment-watch'?",
     "sentiment"),
    ("      - prioritize: high\n", "      - bump_severity: P0\n",
     "triggers[3].then[0].bump_severity", "unknown severity 'P0'", "P0"),
    ("when: {severity: [P1], sla:", "when: {severity: [P9], sla:",
     "triggers[4].when.severity", "unknown severity 'P9'", "[P9]"),
    ("{action: refund, role: t1_agent,", "{action: refund, role: t1_agnt,",
     "authority[0].role", "unknown role 't1_agnt'; did you mean 't1_agent'?", "t1_agnt"),
    ("severities: [P3, P4]", "severities: [P3, P5]",
     "authority[6].severities", "unknown severity 'P5'", "[P3, P5]"),
    ("default_severity: P3", "default_severity: P5",
     "default_severity", "unknown severity 'P5'", "P5"),
    ("intake_team: frontline", "intake_team: front-desk",
     "intake_team", "unknown team 'front-desk'", "front-desk"),
]


@pytest.mark.parametrize(
    ("old", "new", "path", "message", "at"), REFERENCES,
    ids=["team tier", "role tier", "contact role", "contact team", "severity calendar",
         "severity route_to", "severity notify", "severity decision", "severity roles role",
         "chain step primary", "chain step backup", "chain step cc", "chain next",
         "trigger escalate team", "trigger escalate to", "trigger notify",
         "trigger bump_severity", "trigger when severity", "authority role",
         "authority severities", "default_severity", "intake_team"],
)
def test_a_reference_to_something_missing_is_reported_where_it_is_written(old, new, path,
                                                                          message, at):
    text = patch(old, new)
    check_one(text, path, message, new, at)


def test_escalating_up_needs_no_tier_reference():
    text = patch("{kind: hierarchical, to: L4}", "{kind: hierarchical, to: up}")
    assert problems_of(text) == []


@pytest.mark.parametrize(
    ("anchor", "duplicate", "path", "message"),
    [
        ("  - {id: L4, name: Executives, level: 4}\n", "  - {id: T1, name: Again, level: 5}\n",
         "tiers[5].id", "duplicate id 'T1'"),
        ("  - {id: executives, name: Executive team, tier: L4, function: executive}\n",
         "  - {id: frontline, name: Again, tier: T1, function: support}\n",
         "teams[10].id", "duplicate id 'frontline'"),
        ("  - {id: lead, name: Matrix lead, tier: T2}\n", "  - {id: cto, name: Again}\n",
         "roles[12].id", "duplicate id 'cto'"),
        ("  - {id: product-manager, name: Product Manager, role: product_manager, "
         "email: pm@example.com}\n", "  - {id: cs-lead, name: Again}\n",
         "contacts[15].id", "duplicate id 'cs-lead'"),
        ("      - prioritize: high\n",
         "  - id: payment-bug\n    when: {revenue_risk: true}\n    then: [prioritize: high]\n",
         "triggers[4].id", "duplicate id 'payment-bug'"),
    ],
    ids=["tier", "team", "role", "contact", "trigger"],
)
def test_a_duplicate_id_is_reported_at_the_second_one(anchor, duplicate, path, message):
    text = insert_after(anchor, duplicate)
    ident = message.split("'")[1]
    check_one(text, path, message, duplicate, ident)


def test_a_duplicate_severity_id_is_reported_at_the_second_one():
    text = patch("  - id: P4\n", "  - id: P3\n")
    problem = problem_at(text, "severities[3].id")
    assert problem.message == "duplicate id 'P3'"
    assert (problem.line, problem.column) == position(text, "  - id: P3\n    name: Low", "P3")


def test_two_tiers_on_the_same_level_are_reported():
    text = patch("{id: L4, name: Executives, level: 4}", "{id: L4, name: Executives, level: 3}")
    check_one(text, "tiers[4].level", "level 3 is already used by tier T3",
              "{id: L4, name: Executives, level: 3}", "3}")


def test_the_same_authority_twice_is_reported():
    text = insert_after("  - {action: publish_matrix, role: lead}\n",
                        "  - {action: publish_matrix, role: lead, limit: 5}\n")
    check_one(text, "authority[8]", "lead already has authority for publish_matrix",
              "{action: publish_matrix, role: lead, limit: 5}")


# -- chains --------------------------------------------------------------------------


def test_a_cycle_of_two_chains_is_reported_once():
    text = insert_after("    description: Email notification\n", "    next: sentiment-watch\n")
    text = insert_after("    description: CS Lead hears about unhappy customers\n",
                        "    next: p4-email\n", text)
    check_one(text, "chains.p4-email.next",
              "cycle in chains: p4-email -> sentiment-watch -> p4-email (use `repeat` to loop)",
              "next: sentiment-watch", "sentiment-watch")


def test_a_cycle_of_three_chains_is_reported_once_with_a_tail_into_it():
    text = insert_after("    description: Automated ticket routing\n", "    next: p4-email\n")
    text = insert_after("    description: Email notification\n", "    next: sentiment-watch\n",
                        text)
    text = insert_after("    description: CS Lead hears about unhappy customers\n",
                        "    next: executive-escalation\n", text)
    text = insert_after("    description: Executives hear about incidents that will breach\n",
                        "    next: p4-email\n", text)
    problem = only_problem(text)
    assert problem.path == "chains.executive-escalation.next"
    assert problem.message == ("cycle in chains: executive-escalation -> p4-email -> "
                               "sentiment-watch -> executive-escalation (use `repeat` to loop)")


def test_a_chain_that_continues_with_itself_is_a_cycle():
    text = insert_after("    description: Email notification\n", "    next: p4-email\n")
    check_one(text, "chains.p4-email.next", "cycle in chains: p4-email -> p4-email",
              "next: p4-email", "p4-email")


def test_a_chain_may_continue_with_another_chain():
    text = insert_after("    description: Automated ticket routing\n", "    next: p4-email\n")
    assert problems_of(text) == []


@pytest.mark.parametrize(
    ("old", "new", "path", "severity", "chain"),
    [
        ("{primary: cto, backup: vp-engineering, channel: pagerduty, ack_timeout: 10m}",
         "{primary: cto, channel: pagerduty, ack_timeout: 10m}",
         "chains.p1-page.steps[1]", "P1", "p1-page"),
        ("{primary: engineering-manager, backup: support-lead, channel: slack,",
         "{primary: engineering-manager, channel: slack,",
         "chains.p2-slack.steps[1]", "P2", "p2-slack"),
    ],
    ids=["P1", "P2"],
)
def test_a_p1_or_p2_chain_needs_a_backup_on_every_step(old, new, path, severity, chain):
    text = patch(old, new)
    check_one(text, path, f"{severity} is notified through chain {chain!r}, and a P1 or P2 "
              "chain needs a backup on every step", new)


def test_p3_and_p4_chains_need_no_backup():
    matrix = parse_matrix_text(DEFAULT)
    assert matrix.chains["p3-routing"].steps[0].backup is None
    assert matrix.chains["p4-email"].steps[0].backup is None


def test_a_backup_that_is_the_primary_is_reported():
    text = patch("{primary: cto, backup: vp-engineering, channel: pagerduty",
                 "{primary: cto, backup: cto, channel: pagerduty")
    check_one(text, "chains.p1-page.steps[1].backup",
              "the backup is the same contact as the primary", "backup: cto, channel", "cto")


# -- severities and targets ----------------------------------------------------------


def test_a_severity_without_a_response_target_is_reported():
    text = patch("targets: {calendar: 24x7, response: 24h, update: 7d}",
                 "targets: {calendar: 24x7, update: 7d}")
    check_one(text, "severities[2].targets", "a severity needs a response target",
              "{calendar: 24x7, update: 7d}")


def test_a_resolution_target_shorter_than_the_response_target_is_reported():
    text = patch("targets: {calendar: 24x7, response: 24h, update: 7d}",
                 "targets: {calendar: 24x7, response: 4h, update: 7d, resolution: 1h}")
    line, column = position(text, "update: 7d, resolution: 1h", "1h")
    assert str(only_problem(text)) == (
        f"m.yaml:{line}:{column}: severities[2].targets.resolution: "
        "1h is shorter than the response target 4h")


def test_a_pre_breach_lead_as_long_as_its_target_is_reported():
    text = patch("pre_breach: {response: 5m,", "pre_breach: {response: 15m,")
    check_one(text, "severities[0].pre_breach.response",
              "lead time 15m is not shorter than the response target 15m",
              "{response: 15m,", "15m")


def test_a_pre_breach_lead_longer_than_a_two_stage_target_is_reported():
    text = patch("pre_breach: {response: 5m, update: 10m, resolution: 15m}",
                 "pre_breach: {response: 5m, update: 10m, resolution: 15m, confirmation: 1h}")
    check_one(text, "severities[0].pre_breach.confirmation",
              "lead time 1h is not shorter than the confirmation target 10m",
              "confirmation: 1h", "1h")


def test_a_pre_breach_lead_for_a_missing_target_is_reported():
    text = patch("targets: {calendar: 24x7, response: 24h, update: 7d}",
                 "targets: {calendar: 24x7, response: 24h, update: 7d}\n"
                 "    pre_breach: {resolution: 1h}")
    check_one(text, "severities[2].pre_breach.resolution",
              "there is no resolution target to warn before", "{resolution: 1h}", "1h")


def test_the_default_pre_breach_lead_is_15_minutes_or_a_third_of_short_targets():
    matrix = parse_matrix_text(DEFAULT)
    p1, p3 = matrix.severity("P1"), matrix.severity("P3")
    assert p1.lead_time("response") == timedelta(minutes=5)  # explicit
    assert p1.lead_time("initial_severity") == timedelta(minutes=10) / 3  # 10m target
    assert p3.lead_time("response") == timedelta(minutes=15)  # 24h target
    assert p3.lead_time("resolution") is None  # no target, no warning


# -- triggers ------------------------------------------------------------------------


def test_a_functional_escalation_without_a_team_is_reported():
    text = patch("{kind: functional, team: payments-engineering}", "{kind: functional}")
    check_one(text, "triggers[2].then[0].escalate", "a functional escalation needs a team",
              "{kind: functional}")


def test_a_hierarchical_escalation_without_a_target_is_reported():
    text = patch("{kind: hierarchical, to: L4}", "{kind: hierarchical}")
    check_one(text, "triggers[4].then[0].escalate",
              "a hierarchical escalation needs `to` or `team`", "{kind: hierarchical}")


# -- contradicting criteria ----------------------------------------------------------


def test_identical_conditions_in_two_severities_are_reported():
    text = patch("- when: {category: [feature_request, ui, cosmetic, question]}",
                 "- when: {category: [performance, bug]}")
    check_one(text, "severities[3].criteria[0]",
              "contradicts P3 criteria[1]: the same conditions give two severities",
              "- when: {category: [performance, bug]}", "when")


def test_a_lower_severity_rule_subsumed_by_a_higher_one_is_reported():
    text = patch("- when: {category: [feature_request, ui, cosmetic, question]}",
                 "- when: {category: [bug], account_tier: free}")
    check_one(text, "severities[3].criteria[0]",
              "contradicts P3 criteria[1]: every ticket it matches is already P3",
              "- when: {category: [bug], account_tier: free}", "when")


def test_a_narrower_user_range_under_a_higher_severity_is_reported():
    text = patch("- when: {category: [feature_request, ui, cosmetic, question]}",
                 "- when: {users_affected_pct: {gte: 50}, workaround: none}")
    check_one(text, "severities[3].criteria[0]",
              "contradicts P1 criteria[0]: every ticket it matches is already P1",
              "- when: {users_affected_pct: {gte: 50}", "when")


def test_a_range_that_contradicts_itself_is_reported():
    text = patch("{users_affected_pct: {gt: 0, lte: 25}", "{users_affected_pct: {gt: 25, lte: 10}")
    check_one(text, "severities[1].criteria[0].when.users_affected_pct",
              "this range contradicts itself: no value can match it", "{gt: 25, lte: 10}")


def test_a_rule_with_more_keywords_than_a_higher_rule_is_not_subsumed():
    # any keyword matches: "invoice" alone reaches P4, never P3
    text = patch("- when: {workaround: full, category: [bug, performance, integration]}",
                 "- when: {category: [integration], keywords: [payment]}")
    text = patch("- when: {category: [feature_request, ui, cosmetic, question]}",
                 "- when: {category: [integration], keywords: [payment, invoice]}", text)
    assert problems_of(text) == []


def test_a_rule_with_fewer_keywords_than_a_higher_rule_is_subsumed():
    text = patch("- when: {workaround: full, category: [bug, performance, integration]}",
                 "- when: {category: [integration], keywords: [payment, invoice]}")
    text = patch("- when: {category: [feature_request, ui, cosmetic, question]}",
                 "- when: {category: [integration], keywords: [payment failed]}", text)
    check_one(text, "severities[3].criteria[0]",
              "contradicts P3 criteria[0]: every ticket it matches is already P3",
              "- when: {category: [integration], keywords: [payment failed]}", "when")


def test_situational_rules_are_never_called_contradicting():
    text = patch("- when: {workaround: full, category: [bug, performance, integration]}",
                 "- when: {category: [integration], unresolved_for: 2d}")
    text = patch("- when: {category: [feature_request, ui, cosmetic, question]}",
                 "- when: {category: [integration]}", text)
    assert problems_of(text) == []


# -- rules that never change the result ------------------------------------------------

# The rule default.yaml once had first under P1: the next one, "over 25% and no
# workaround", matched every ticket it matched, so "revenue at risk" changed nothing.
REVENUE_RULE = (
    "      - when: {users_affected_pct: {gt: 25}, workaround: none, revenue_risk: true}\n"
    "        reason: over 25% of users affected, no workaround and revenue at risk\n")
P1_FIRST = "      - when: {users_affected_pct: {gt: 25}, workaround: none}\n"


def test_a_rule_that_a_rule_of_its_own_severity_covers_is_reported():
    text = patch(P1_FIRST, REVENUE_RULE + P1_FIRST)
    check_one(text, "severities[0].criteria[0]",
              "never changes the result: P1 criteria[1] already matches every ticket it "
              "matches", "- when: {users_affected_pct: {gt: 25}, workaround: none, revenue",
              "when")


def test_a_covered_rule_is_reported_wherever_it_stands_in_its_severity():
    text = insert_after("        reason: revenue at risk and no workaround\n", REVENUE_RULE)
    check_one(text, "severities[0].criteria[3]",
              "never changes the result: P1 criteria[0] already matches every ticket it "
              "matches", "- when: {users_affected_pct: {gt: 25}, workaround: none, revenue",
              "when")


def test_of_two_equal_rules_in_one_severity_the_second_is_reported():
    text = insert_after("        reason: security or data breach\n",
                        "      - when: {security_breach: true}\n        reason: breach\n")
    check_one(text, "severities[0].criteria[2]",
              "never changes the result: the same conditions as P1 criteria[1]",
              "- when: {security_breach: true}\n        reason: breach", "when")


def test_words_that_a_wider_word_of_the_same_severity_finds_are_reported():
    text = patch("      - when: {revenue_risk: true}\n",
                 "      - when: {words: [payments failing today, card payments fail]}\n")
    check_one(text, "severities[1].criteria[3]",
              "never changes the result: P2 criteria[4] already matches every ticket it "
              "matches", "- when: {words: [payments failing today", "when")


def test_a_wider_word_under_a_phrase_of_a_higher_severity_is_not_covered():
    # "is down" (P1) does not find every "down": a P4 rule on "down" still decides some
    text = patch("      - when: {category: [feature_request, ui, cosmetic, question]}\n",
                 "      - when: {words: [down, outage of the docs]}\n")
    assert [str(p) for p in problems_of(text)] == []


def test_a_word_under_a_keyword_of_a_higher_severity_is_covered():
    text = patch("      - when: {category: [feature_request, ui, cosmetic, question]}\n",
                 "      - when: {words: [checkout* broken]}\n")
    text = patch("      - when: {revenue_risk: true}\n",
                 "      - when: {keywords: [checkout]}\n", text)
    check_one(text, "severities[3].criteria[0]",
              "contradicts P2 criteria[3]: every ticket it matches is already P2",
              "- when: {words: [checkout* broken]}", "when")


@pytest.mark.parametrize("name", SHIPPED)
def test_every_rule_of_a_shipped_matrix_can_change_a_result(name):
    text = (matrices_dir() / name).read_text(encoding="utf-8")
    assert problems_of(text) == []
    assert "revenue_risk: true" in text  # and the revenue fact is among them


# -- words -------------------------------------------------------------------------------


@pytest.mark.parametrize(("entry", "shown"), [
    ("down ...", "'down ...'"), ("... down", "'... down'"), ("all ... ... users", None),
    ("pay*ment", "'pay*ment'"), ('"*"', "'*'"), ('""', "''"),
])
def test_a_malformed_words_entry_is_reported_where_it_is_written(entry, shown):
    text = patch("typo, cosmetic]", f"typo, {entry}]")
    problem = only_problem(text)
    assert problem.path == "severities[3].criteria[1].when.words[7]"
    assert problem.message == (f"{shown or repr(entry)} is not valid: write words separated "
                               "by spaces; `*` only at the end of a word (fail*), `...` only "
                               "between two words (all ... customers)")
    assert (problem.line, problem.column) == position(text, f"typo, {entry}]", entry)


def test_words_must_be_a_list_of_text():
    text = patch("typo, cosmetic]", "typo, 42]")
    assert [(p.path, p.message) for p in problems_of(text)] == [
        ("severities[3].criteria[1].when.words[7]", "expected text, got a number")]


# -- the JSON Schema -----------------------------------------------------------------

_KEYWORDS = {"$schema", "$id", "title", "description", "type", "properties",
             "additionalProperties", "required", "items", "minItems", "enum", "pattern",
             "anyOf", "minimum", "maximum", "propertyNames", "minProperties",
             "maxProperties", "format", "examples"}
_TYPES = {"object", "array", "string", "number", "integer", "boolean", "null"}


def _subschemas(schema: dict[str, Any]):
    yield schema
    for key in ("items", "propertyNames"):
        if isinstance(schema.get(key), dict):
            yield from _subschemas(schema[key])
    if isinstance(schema.get("additionalProperties"), dict):
        yield from _subschemas(schema["additionalProperties"])
    for sub in schema.get("properties", {}).values():
        yield from _subschemas(sub)
    for sub in schema.get("anyOf", []):
        yield from _subschemas(sub)


def _type_ok(value: Any, kind: str) -> bool:
    return {
        "object": isinstance(value, dict),
        "array": isinstance(value, list),
        "string": isinstance(value, str),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "null": value is None,
    }[kind]


def _errors(value: Any, schema: dict[str, Any], where: str = "") -> list[str]:
    """A small validator for the keywords the matrix schema uses."""
    if "anyOf" in schema and all(_errors(value, sub, where) for sub in schema["anyOf"]):
        return [f"{where}: matches no alternative"]
    if "type" in schema and not _type_ok(value, schema["type"]):
        return [f"{where}: not {schema['type']}"]
    out: list[str] = []
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{where}: not in enum")
    if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"],
                                                                        value):
        out.append(f"{where}: does not match {schema['pattern']}")
    if "minimum" in schema and _type_ok(value, "number") and value < schema["minimum"]:
        out.append(f"{where}: below minimum")
    if "maximum" in schema and _type_ok(value, "number") and value > schema["maximum"]:
        out.append(f"{where}: above maximum")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            out.append(f"{where}: too few items")
        for i, item in enumerate(value):
            out += _errors(item, schema.get("items", {}), f"{where}[{i}]")
    if isinstance(value, dict):
        if not schema.get("minProperties", 0) <= len(value) <= schema.get("maxProperties",
                                                                          len(value)):
            out.append(f"{where}: wrong number of keys")
        out += [f"{where}: missing {k}" for k in schema.get("required", []) if k not in value]
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if "propertyNames" in schema:
                out += _errors(key, schema["propertyNames"], f"{where}.{key} (name)")
            if key in properties:
                out += _errors(item, properties[key], f"{where}.{key}")
            elif extra is False:
                out.append(f"{where}.{key}: additional property")
            elif isinstance(extra, dict):
                out += _errors(item, extra, f"{where}.{key}")
    return out


def schema_errors(instance: Any) -> list[str]:
    """Validate with the jsonschema package when it is installed, else the small validator."""
    instance = json.loads(json.dumps(instance, default=str))  # dates as ISO text, like JSON
    try:
        import jsonschema
    except ImportError:
        return _errors(instance, json_schema())
    validator = jsonschema.Draft202012Validator(json_schema())
    return [e.message for e in validator.iter_errors(instance)]


def test_the_json_schema_is_a_well_formed_draft_2020_12_schema():
    schema = json_schema()
    assert json.loads(json.dumps(schema)) == schema
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    try:
        import jsonschema
    except ImportError:
        jsonschema = None
    if jsonschema is not None:
        jsonschema.Draft202012Validator.check_schema(schema)
    for sub in _subschemas(schema):
        assert set(sub) <= _KEYWORDS, set(sub) - _KEYWORDS
        if "type" in sub:
            assert sub["type"] in _TYPES
        if "pattern" in sub:
            assert sub["pattern"].startswith("^") and sub["pattern"].endswith("$")
            re.compile(sub["pattern"])
        if "enum" in sub:
            assert sub["enum"] and all(isinstance(v, str) for v in sub["enum"])
        if sub.get("type") == "object" and "properties" in sub:
            assert set(sub.get("required", [])) <= set(sub["properties"])
            assert sub["additionalProperties"] is False
        if "anyOf" in sub:
            assert len(sub["anyOf"]) >= 2


@pytest.mark.parametrize("name", SHIPPED)
def test_a_shipped_matrix_validates_against_the_json_schema(name):
    located = load_located((matrices_dir() / name).read_text(encoding="utf-8"))
    assert schema_errors(located.data) == []


def test_the_json_schema_rejects_unknown_keys_at_every_level():
    schema = json_schema()
    assert schema["additionalProperties"] is False
    severity = schema["properties"]["severities"]["items"]
    assert severity["additionalProperties"] is False
    assert severity["properties"]["targets"]["additionalProperties"] is False
    step = schema["properties"]["chains"]["additionalProperties"]["properties"]["steps"]
    assert step["items"]["additionalProperties"] is False
    data = load_located(DEFAULT).data
    assert schema_errors({**data, "intake_tem": "frontline"})
    data["severities"][0]["targts"] = {}
    assert schema_errors(data)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('color: "#d32f2f"', "color: red"),
        ("response: 15m", "response: 15 minutes"),
        ("{id: T0, name: Self-service, level: 0}", "{id: T0, level: 0}"),
        ("channel: email, ack_timeout: 30m}", "channel: fax, ack_timeout: 30m}"),
        ("      - prioritize: high\n", "      - {prioritize: high, require_handoff: true}\n"),
        ("typo, cosmetic]", "typo, cosmetic ...]"),
    ],
    ids=["colour", "duration", "missing key", "channel", "two actions", "words"],
)
def test_the_json_schema_and_the_validator_agree_on_structural_mistakes(old, new):
    text = patch(old, new)
    assert problems_of(text)
    assert schema_errors(load_located(text).data)


# -- round trip ----------------------------------------------------------------------


def _without_source(matrix: Matrix) -> dict[str, Any]:
    return {f.name: getattr(matrix, f.name) for f in fields(matrix) if f.name != "source"}


@pytest.mark.parametrize("name", SHIPPED)
def test_dumping_the_loaded_data_and_reading_it_back_gives_an_equal_matrix(name):
    text = (matrices_dir() / name).read_text(encoding="utf-8")
    original = parse_matrix_text(text)
    dumped = yaml.safe_dump(load_located(text).data, sort_keys=False, allow_unicode=True)
    again = parse_matrix_text(dumped)
    assert _without_source(again) == _without_source(original)
    assert again == original
