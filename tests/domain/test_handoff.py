"""Handoff, intake and authority rules: pure functions over the shipped default matrix."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from console.domain.handoff import (
    MODES,
    check_authority,
    check_handoff,
    history_summary,
    may_approve,
    pending_approvals,
    required_fields,
    suggest_mode,
    suggest_urgency,
)
from console.domain.intake import (
    SeverityDecision,
    categories,
    check_intake,
    check_severity,
    new_ticket_id,
    opened_payload,
    parse_pct,
    severity_events,
    to_intake,
    unknown_facts,
)
from console.domain.matrix.format import HANDOFF_FIELDS
from console.domain.scoring import score
from console.domain.tickets import TicketEvent, apply_event

from ._matrices import T0, default_matrix


@dataclass(frozen=True)
class Ev:
    kind: str
    payload: dict[str, Any] = field(default_factory=dict)
    author: str = "ana"
    at: datetime = T0
    id: str = ""


def full_handoff(**overrides: Any) -> dict[str, Any]:
    values = {
        "summary": "Checkout returns 502", "details": "Since 09:40", "customer": "Globex",
        "history": "opened 09:41", "steps_tried": "retried", "next_steps": "check the API",
        "reason": "needs engineering", "target": "payments-engineering", "mode": "functional",
        "urgency": "high", "attachments": [{"name": "log.txt", "sha256": "ab", "size": 3}],
        "context": "",
    }
    values.update(overrides)
    return values


# -- handoff templates -------------------------------------------------------------------------


def test_every_required_field_of_the_template_gets_a_message_of_its_own():
    m = default_matrix()
    template = m.handoff_template("billing")
    errors = check_handoff(m, template, {}, "T1", checked=template.checklist)
    assert set(errors) == set(template.required) | {"mode"}
    assert errors["summary"] == ("Issue summary is required: one sentence the next person "
                                 "can act on.")
    assert errors["target"].startswith("Choose the target team")
    assert "context" not in errors and "attachments" not in errors


def test_a_bug_handoff_needs_attachments_and_says_what_to_attach():
    m = default_matrix()
    template = m.handoff_template("bug")
    errors = check_handoff(m, template, full_handoff(attachments=[]), "T1",
                           checked=template.checklist)
    assert errors == {"attachments": "Attachments are required for bug handoffs: add logs, "
                                     "screenshots or HAR files."}


def test_an_unknown_category_uses_the_default_template_and_its_prompts():
    m = default_matrix()
    template = m.handoff_template("no-such-category")
    assert template.category == "default"
    assert "attachments" not in required_fields(template)
    assert required_fields(template)[:2] == ("summary", "details")
    assert check_handoff(m, template, full_handoff(attachments=[]), "T1") == {}


def test_unticked_checklist_items_are_named():
    m = default_matrix()
    template = m.handoff_template("bug")
    errors = check_handoff(m, template, full_handoff(), "T1",
                           checked=["Reproduced on the latest version"])
    assert errors == {"checklist": "Tick every check before handing off: Affected accounts "
                                   "listed"}


def test_a_hierarchical_move_must_go_up_a_tier():
    m = default_matrix()
    template = m.handoff_template("question")
    errors = check_handoff(m, template, full_handoff(target="frontline", mode="hierarchical"),
                           "T2")
    assert "goes up a tier" in errors["mode"]
    assert check_handoff(m, template, full_handoff(target="senior-engineering",
                                                   mode="hierarchical"), "T2") == {}


def test_an_unknown_team_or_mode_is_refused():
    m = default_matrix()
    template = m.handoff_template("question")
    errors = check_handoff(m, template, full_handoff(target="nowhere", mode="sideways"), "T1")
    assert "not a team" in errors["target"]
    errors = check_handoff(m, template, full_handoff(mode="sideways"), "T1")
    assert errors == {"mode": "Choose functional or hierarchical."}


def test_mode_and_urgency_suggestions_follow_the_tiers_and_the_severity():
    m = default_matrix()
    assert suggest_mode(m, "T1", "payments-engineering") == "hierarchical"
    assert suggest_mode(m, "T3", "product-design") == "functional"
    assert [suggest_urgency(m, s) for s in ("P1", "P2", "P3", "P4")] == [
        "critical", "high", "normal", "low"]
    assert set(MODES) == {"functional", "hierarchical"}
    assert set(full_handoff()) == set(HANDOFF_FIELDS)


def test_the_history_lists_each_event_in_order_and_skips_old_ones():
    events = [
        Ev("opened", {"title": "Checkout fails", "users_affected_pct": 30,
                      "workaround": "none", "revenue_risk": True}),
        Ev("severity", {"severity": "P1", "by": "support", "reason": "outage"},
           at=T0 + timedelta(minutes=2)),
        Ev("message", {"text": "We are losing orders!", "from": "customer"}, "customer",
           T0 + timedelta(minutes=3)),
        Ev("matrix_published", {"yaml": "..."}),
    ]
    text = history_summary(events, UTC)
    assert text.splitlines() == [
        "2026-03-02 10:00  ana  opened: Checkout fails (30% users affected, workaround none, "
        "revenue at risk)",
        "2026-03-02 10:02  ana  severity P1 set by support — outage",
        "2026-03-02 10:03  customer  wrote: We are losing orders!",
    ]
    many = [Ev("message", {"text": f"n{i}"}, "bob") for i in range(50)]
    lines = history_summary(many, UTC, limit=5).splitlines()
    assert lines[0] == "(45 earlier events not shown)"
    assert lines[-1].endswith("customer wrote: n49")


# -- decision authority ----------------------------------------------------------------------


def test_a_t1_agent_may_refund_up_to_100_on_their_own():
    decision = check_authority(default_matrix(), "refund", 100, "t1_agent", "P3")
    assert decision.allowed and decision.route_to_role == "t1_agent"
    assert decision.message == ("Within your authority: T1 agent (up to 100 USD) may approve "
                                "refund of 100 USD.")


def test_a_refund_over_the_limit_is_routed_to_the_t2_manager_and_says_so():
    decision = check_authority(default_matrix(), "refund", 250, "t1_agent", "P3")
    assert not decision.allowed
    assert decision.route_to_role == "t2_manager"
    assert decision.message == ("Needs approval: it is over your limit of 100 USD. Who may "
                                "approve: T2 manager (up to 5,000 USD). The request goes to "
                                "T2 manager.")


def test_an_amount_over_every_limit_has_no_approver():
    decision = check_authority(default_matrix(), "refund", 6000, "t1_agent")
    assert not decision.allowed and decision.route_to_role is None
    assert "the highest limit is 5,000 USD" in decision.message


def test_actions_without_limits_and_severity_bound_actions():
    m = default_matrix()
    exception = check_authority(m, "contract_exception", None, "t1_agent")
    assert exception.route_to_role == "cs_lead"
    assert "T1 agent may not approve contract exception" in exception.message
    assert check_authority(m, "declare_incident", None, "incident_commander", "P1").allowed
    p2 = check_authority(m, "declare_incident", None, "incident_commander", "P2")
    assert not p2.allowed and p2.route_to_role is None
    assert "decides this only at P1" in p2.message
    unknown = check_authority(m, "buy_a_boat", 1, "t1_agent")
    assert unknown.message == "The matrix has no authority rule for buy a boat of 1."


def test_who_may_grant_a_request_follows_the_limits():
    m = default_matrix()
    request = {"action": "refund", "amount": 250, "unit": "USD", "severity": "P3"}
    assert may_approve(m, request, "t2_manager")
    assert not may_approve(m, request, "t1_agent")
    assert not may_approve(m, {**request, "amount": 9000}, "t2_manager")


def test_pending_approvals_are_the_requests_nobody_answered():
    events = [Ev("approval_requested", {"action": "refund", "amount": 250}, id="r1"),
              Ev("approval_requested", {"action": "refund", "amount": 300}, id="r2"),
              Ev("approval_granted", {"request_id": "r1", "by": "bo", "role": "t2_manager"}),
              Ev("approval_requested", {"action": "service_credit", "amount": 10}, id="r3"),
              Ev("approval_denied", {"request_id": "r3", "by": "cy", "role": "cs_manager"})]
    assert [p.request_id for p in pending_approvals(events)] == ["r2"]


# -- intake and two-stage severity -----------------------------------------------------------


def test_intake_names_each_missing_field_and_bad_percentages():
    errors = check_intake({})
    assert set(errors) == {"title", "account", "account_tier", "text", "category",
                           "workaround", "users_affected_pct"}
    values = {"title": "t", "account": "a", "account_tier": "enterprise", "text": "x",
              "category": "bug", "workaround": "none", "users_affected_pct": "150"}
    assert check_intake(values) == {"users_affected_pct": "Write a number from 0 to 100, "
                                                          "e.g. 30."}
    assert check_intake({**values, "users_affected_pct": "30%"}) == {}
    assert [parse_pct(v) for v in ("30", " 12,5 % ", 7, "", "x", "-1")] == [
        30.0, 12.5, 7.0, None, None, None]


def test_the_suggestion_is_provisional_until_the_impact_is_known():
    m = default_matrix()
    values = {"users_affected_pct": "40", "workaround": "none"}
    assert score(m, to_intake(values)).severity == "P1"
    assert unknown_facts(values) == ["category", "account tier"]
    assert unknown_facts({}) == ["workaround", "users affected", "category", "account tier"]
    payload = opened_payload({**values, "title": " Down "}, "ana")
    assert payload["title"] == "Down" and payload["users_affected_pct"] == 40.0
    assert payload["owner"] == "ana"


def test_an_override_of_the_suggestion_needs_a_reason_and_is_recorded():
    m = default_matrix()
    override = SeverityDecision("support", "P1", "P2", "", None, ("x",))
    assert check_severity(override, m) == {
        "reason": "You chose P1 instead of the suggested P2: say why."}
    events = severity_events(SeverityDecision("support", "P1", "P2", "VIP launch", None))
    assert events == [("severity", {"severity": "P1", "by": "support", "reason": "VIP launch",
                                    "override_of": "P2"})]
    accepted = SeverityDecision("support", "P2", "P2", "", None, ("a", "b"))
    assert check_severity(accepted, m) == {}
    assert severity_events(accepted) == [("severity", {"severity": "P2", "by": "support",
                                                       "reason": "matrix suggestion: a; b"})]


def test_engineering_always_gives_a_reason_and_a_change_is_a_disagreement():
    m = default_matrix()
    confirm = SeverityDecision("engineering", "P2", "P2", "", "P2")
    assert "Say why P2 is right" in check_severity(confirm, m)["reason"]
    adjust = SeverityDecision("engineering", "P1", "P2", "all EU down", "P2")
    assert check_severity(adjust, m) == {}
    assert severity_events(adjust) == [
        ("severity", {"severity": "P1", "by": "engineering", "reason": "all EU down",
                      "override_of": "P2", "initial": "P2"}),
        ("severity_disagreement", {"initial": "P2", "confirmed": "P1",
                                   "reason": "all EU down"}),
    ]
    same = SeverityDecision("engineering", "P2", "P2", "checked logs", "P2")
    assert [k for k, _ in severity_events(same)] == ["severity"]


def test_the_fold_ignores_the_new_audit_events():
    opened = apply_event(None, TicketEvent(T0, "T-1", "opened", {"title": "x"}))
    assert opened is not None
    before = repr(opened)
    for kind in ("severity_disagreement", "approval_requested", "approval_granted",
                 "approval_denied"):
        assert apply_event(opened, TicketEvent(T0, "T-1", kind, {"request_id": "r"})) is opened
    assert repr(opened) == before


@pytest.mark.parametrize("token", ["7qk4", "a1b2c3"])
def test_new_ticket_ids_carry_the_day_and_a_token(token):
    assert new_ticket_id(T0, token) == f"INC-260302-{token.upper()[:4]}"


def test_categories_come_from_the_matrix_first():
    matrix = default_matrix()
    found = categories(matrix)
    named = {c for s in matrix.severities for r in s.criteria for c in r.when.category or ()}
    assert {"outage", "data_loss", "bug"} <= named
    assert set(found[:len(named)]) == named  # the scoring categories lead the list
    assert {"billing", "feature_request", "question"} <= set(found)
    assert len(found) == len(set(found))
