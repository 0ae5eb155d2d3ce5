"""Properties of the report over generated histories: every rate is a share, and the
per-team escalations add up to the total (derandomized: the same cases every run)."""

from __future__ import annotations

import json
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from console.domain.reports import Rate, Report, report, ticket_facts
from console.domain.reports.facts import TicketFacts
from console.domain.tickets import TicketEvent

from .._matrices import MIN, T0, calendars, default_matrix

PROPERTY = settings(max_examples=120, derandomize=True, deadline=None)
TEAMS = ("frontline", "specialists", "customer-success", "senior-engineering",
         "incident-response", "executives")
TIERS = {"frontline": "T1", "specialists": "T2", "customer-success": "T2",
         "senior-engineering": "T3", "incident-response": "T3", "executives": "L4"}
OWNERS = ("", "ann", "bob", "cat")
SEVERITIES = ("P1", "P2", "P3", "P4")


def _step(kind: str, pick: int) -> dict[str, object]:
    team = TEAMS[pick % len(TEAMS)]
    if kind in ("escalated", "routed"):
        return {"team": team, "tier": TIERS[team], "mode": "functional",
                **({"owner": OWNERS[pick % len(OWNERS)]} if pick % 3 == 0 else {})}
    if kind == "assigned":
        return {"owner": OWNERS[pick % len(OWNERS)]}
    if kind == "severity":
        return {"severity": SEVERITIES[pick % 4],
                "by": ("support", "engineering", "trigger")[pick % 3]}
    if kind == "status":
        return {"status": ("waiting_on_customer", "open")[pick % 2]}
    return {}


steps = st.lists(st.tuples(
    st.integers(0, 3 * 24 * 60),
    st.sampled_from(("escalated", "assigned", "routed", "severity", "responded",
                     "update_sent", "status", "resolved", "reopened", "handoff_submitted",
                     "message")),
    st.integers(0, 60)), max_size=14)
tickets = st.lists(st.tuples(st.integers(0, 20 * 24 * 60), st.sampled_from(SEVERITIES),
                             st.sampled_from(OWNERS), st.sampled_from(("bug", "billing", "")),
                             steps), min_size=1, max_size=12)


def history(plan: list) -> list[list[TicketEvent]]:
    out = []
    for i, (opened, severity, owner, category, moves) in enumerate(plan):
        start = T0 + opened * MIN
        events = [TicketEvent(start, f"T{i}", "opened", {
            "severity": severity, "by": "support", "owner": owner, "category": category})]
        at = start
        for gap, kind, pick in moves:
            at += gap * MIN
            events.append(TicketEvent(at, f"T{i}", kind, _step(kind, pick)))
        out.append(events)
    return out


def all_facts(plan: list) -> list[TicketFacts]:
    matrix = default_matrix()
    found = [ticket_facts(events, matrix, calendars(matrix)) for events in history(plan)]
    return [f for f in found if f is not None]


def rates(r: Report) -> list[Rate]:
    out = [r.escalation_rate, r.t1_resolution, r.disagreement]
    out += [*r.escalation_by_severity.values(), *r.agents.values()]
    out += [t.rate for t in r.teams.values()] + [s.attainment for s in r.sla]
    out += [w.escalation for w in r.weekly] + [w.t1_resolution for w in r.weekly]
    return out


windows = st.tuples(st.integers(0, 25 * 24 * 60), st.integers(1, 30 * 24 * 60))


@PROPERTY
@given(tickets, windows)
def test_every_rate_is_a_share_between_0_and_1(plan, window):
    start = T0 + window[0] * MIN
    r = report(all_facts(plan), start, start + window[1] * MIN, default_matrix().kpis)
    for rate in rates(r):
        assert 0 <= rate.numerator <= rate.denominator
        assert rate.value is None or 0 <= rate.value <= 1
    assert json.loads(json.dumps(r.to_json())) == r.to_json()


@PROPERTY
@given(tickets, windows)
def test_the_per_team_escalations_add_up_to_the_total(plan, window):
    start = T0 + window[0] * MIN
    r = report(all_facts(plan), start, start + window[1] * MIN, default_matrix().kpis)
    assert sum(t.escalations for t in r.teams.values()) == r.escalations
    # the ticket counts: each escalated ticket left at least one team, and a team at
    # most once per escalation
    tickets_away = sum(t.rate.numerator for t in r.teams.values())
    assert r.escalated <= tickets_away <= r.escalations
    assert r.escalation_rate.numerator == r.escalated


@PROPERTY
@given(tickets)
def test_facts_survive_json_and_a_whole_window_sees_every_ticket(plan):
    facts = all_facts(plan)
    for f in facts:
        assert TicketFacts.from_json(json.loads(json.dumps(f.to_json()))) == f
    r = report(facts, T0, T0 + timedelta(days=60), default_matrix().kpis)
    assert r.opened == len(facts)
    assert r.escalated == sum(1 for f in facts if f.escalations)


@PROPERTY
@given(tickets, windows)
def test_a_report_needs_only_the_facts_whose_span_meets_the_window(plan, window):
    start = T0 + window[0] * MIN
    end = start + window[1] * MIN
    facts = all_facts(plan)
    kept = [f for f in facts if f.opened_at < end and f.horizon >= start]
    kpis = default_matrix().kpis
    assert report(kept, start, end, kpis).to_json() == report(facts, start, end, kpis).to_json()
