"""The escalation engine: exact-instant alerts, chains, triggers with reasons, rescheduling.

The engine never reads a clock: every test drives it with events and ``advance_to``."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest

from console.domain.engine import Engine
from console.domain.fires import Fire

from ._matrices import MIN, T0, H, default_matrix, event, variant

US = timedelta(microseconds=1)
ACTION_KINDS = {"escalate", "handoff_required", "prioritize", "severity_bump"}
P2_TARGETS = "    targets: {calendar: 24x7, response: 1h, update: 1h, resolution: 8h}\n"

# Intakes that score to a known severity in the default matrix.
P1_INTAKE = dict(title="Customer data exposed", security_breach=True)
P2_INTAKE = dict(title="Exports fail", users_affected_pct=10, workaround="partial")
P3_INTAKE = dict(title="Report is slow", category="performance", workaround="full")


def engine(matrix=None, sentiment=None) -> Engine:
    return Engine(matrix or default_matrix(), sentiment)


def open_ticket(eng: Engine, ticket: str = "T-1", at: datetime = T0, **data) -> list[Fire]:
    return eng.apply(event(at, "opened", ticket, **(data or P3_INTAKE)))


def of(fires: list[Fire], kind: str | None = None, clock: str | None = None,
       chain: str | None = None) -> list[Fire]:
    return [f for f in fires if (kind is None or f.kind == kind)
            and (clock is None or f.clock == clock)
            and (chain is None or f.extra.get("chain") == chain)]


# -- SLA alerts: exactly at the instant, exactly once --------------------------------------


def test_a_pre_breach_fires_exactly_at_its_instant():
    eng = engine()
    open_ticket(eng, **P2_INTAKE)
    assert not of(eng.advance_to(T0 + 45 * MIN - US), clock="response")
    fires = of(eng.advance_to(T0 + 45 * MIN), clock="response")
    assert [(f.kind, f.at) for f in fires] == [("pre_breach", T0 + 45 * MIN)]
    assert fires[0].reason == (f"response pre-breach: 1h target due {(T0 + H).isoformat()} "
                               "(15m lead)")
    assert "late" not in fires[0].extra


def test_a_breach_fires_exactly_at_the_due_instant():
    eng = engine()
    open_ticket(eng, **P2_INTAKE)
    eng.advance_to(T0 + H - US)
    fires = of(eng.advance_to(T0 + H), clock="response")
    assert [(f.kind, f.at, f.severity) for f in fires] == [("breach", T0 + H, "P2")]
    assert fires[0].extra["due"] == T0 + H
    assert fires[0].extra["target"] == "1h"


def test_advancing_twice_or_past_the_instant_fires_nothing_again():
    eng = engine()
    open_ticket(eng, **P2_INTAKE)
    first = of(eng.advance_to(T0 + 45 * MIN), clock="response")
    assert len(first) == 1
    assert eng.advance_to(T0 + 45 * MIN) == []
    later = of(eng.advance_to(T0 + 50 * MIN), clock="response")
    assert later == []
    assert eng.advance_to(T0 + 40 * MIN) == []  # going back never refires


def test_an_event_after_an_alert_does_not_refire_it():
    eng = engine()
    open_ticket(eng, **P2_INTAKE)
    fires = eng.advance_to(T0 + 45 * MIN)
    fires += eng.apply(event(T0 + 50 * MIN, "message", text="any news?"))
    fires += eng.apply(event(T0 + 55 * MIN, "assigned", owner="kim"))
    fires += eng.advance_to(T0 + 3 * H)
    response = of(fires, clock="response")
    assert [f.kind for f in response] == ["pre_breach", "breach"]


def test_a_response_before_the_deadline_cancels_the_breach():
    eng = engine()
    open_ticket(eng, **P2_INTAKE)
    eng.apply(event(T0 + 50 * MIN, "responded"))
    assert of(eng.advance_to(T0 + 3 * H), kind="breach", clock="response") == []


def test_an_alert_missed_while_paused_is_not_fired_twice_after_resuming():
    eng = engine()
    open_ticket(eng, **P2_INTAKE)
    eng.apply(event(T0 + 10 * MIN, "responded"))
    fires = eng.advance_to(T0 + 7 * H + 45 * MIN)
    fires += eng.apply(event(T0 + 7 * H + 50 * MIN, "status", status="waiting_on_customer"))
    fires += eng.apply(event(T0 + 9 * H, "status", status="open"))
    fires += eng.advance_to(T0 + 20 * H)
    resolution = of(fires, clock="resolution")
    assert Counter(f.kind for f in resolution) == Counter({"pre_breach": 1, "breach": 1})
    breach = of(resolution, kind="breach")[0]
    assert breach.at == T0 + 8 * H + (70 * MIN)  # pushed back by the 70-minute pause


def test_each_update_cycle_alerts_once():
    eng = engine()
    open_ticket(eng, **P2_INTAKE)
    eng.apply(event(T0 + 10 * MIN, "responded"))
    fires = eng.advance_to(T0 + 70 * MIN)
    fires += eng.apply(event(T0 + 75 * MIN, "update_sent"))
    fires += eng.advance_to(T0 + 3 * H)
    update = [(f.kind, f.extra["cycle"], f.at) for f in of(fires, clock="update")]
    assert update == [
        ("pre_breach", 0, T0 + 55 * MIN), ("breach", 0, T0 + 70 * MIN),
        ("pre_breach", 1, T0 + 120 * MIN), ("breach", 1, T0 + 135 * MIN),
    ]


# -- notification chains -------------------------------------------------------------------


P1_PAGE = [  # (minutes after opening, contact, role, step, round)
    (0, "oncall-primary", "primary", 1, 1), (5, "oncall-secondary", "backup", 1, 1),
    (10, "cto", "primary", 2, 1), (20, "vp-engineering", "backup", 2, 1),
    (30, "oncall-primary", "primary", 1, 2), (35, "oncall-secondary", "backup", 1, 2),
    (40, "cto", "primary", 2, 2), (50, "vp-engineering", "backup", 2, 2),
    (60, "oncall-primary", "primary", 1, 3), (65, "oncall-secondary", "backup", 1, 3),
    (70, "cto", "primary", 2, 3), (80, "vp-engineering", "backup", 2, 3),
]


def test_a_p1_pages_the_primary_at_once():
    eng = engine()
    fires = open_ticket(eng, **P1_INTAKE)
    page = of(fires, kind="notify", chain="p1-page")
    assert len(page) == 1
    assert page[0].at == T0
    assert page[0].extra["contact"] == "oncall-primary"
    assert page[0].extra["cc"] == ["cto"]
    assert page[0].reason == "P1 notification chain"


def test_without_an_ack_the_backup_is_notified_exactly_at_the_ack_timeout():
    eng = engine()
    open_ticket(eng, **P1_INTAKE)
    assert of(eng.advance_to(T0 + 5 * MIN - US), chain="p1-page") == []
    fires = of(eng.advance_to(T0 + 5 * MIN), chain="p1-page")
    assert [(f.at, f.extra["contact"], f.extra["role"]) for f in fires] == [
        (T0 + 5 * MIN, "oncall-secondary", "backup")]
    assert fires[0].reason == "no acknowledgement from oncall-primary within 5m"


def test_the_chain_repeats_then_reports_exhaustion():
    eng = engine()
    fires = open_ticket(eng, **P1_INTAKE)
    fires += eng.advance_to(T0 + 4 * H)
    page = of(fires, chain="p1-page")
    notified = [((f.at - T0) // MIN, f.extra["contact"], f.extra["role"], f.extra["step"],
                 f.extra["round"]) for f in page if f.kind == "notify"]
    assert notified == P1_PAGE
    exhausted = of(page, kind="chain_exhausted")
    assert [f.at for f in exhausted] == [T0 + 90 * MIN]
    assert exhausted[0].reason == ("no acknowledgement from vp-engineering within 10m; "
                                   "chain p1-page exhausted")
    assert page[-1] is exhausted[0]


def test_an_acknowledgement_stops_the_chain():
    eng = engine()
    open_ticket(eng, **P1_INTAKE)
    eng.advance_to(T0 + 5 * MIN)  # the backup has been paged
    eng.apply(event(T0 + 7 * MIN, "acknowledged", author="oncall-secondary"))
    assert of(eng.advance_to(T0 + 4 * H), chain="p1-page") == []


def test_an_acknowledgement_before_the_timeout_stops_the_backup_page():
    eng = engine()
    open_ticket(eng, **P1_INTAKE)
    eng.apply(event(T0 + 2 * MIN, "acknowledged"))
    assert of(eng.advance_to(T0 + 4 * H), chain="p1-page") == []
    assert eng.next_fire_for("T-1") != T0 + 5 * MIN


def test_a_chain_without_ack_timeouts_notifies_once():
    eng = engine()
    fires = open_ticket(eng, title="Button colour", category="ui")
    fires += eng.advance_to(T0 + 10 * 24 * H)
    email = of(fires, chain="p4-email")
    assert [(f.kind, f.extra["contact"]) for f in email] == [("notify", "product-design-inbox")]


# -- triggers: every action says which trigger and why -------------------------------------


def test_a_negative_phrase_escalates_one_tier_up_and_alerts_the_cs_lead():
    eng = engine()
    open_ticket(eng)
    fires = eng.apply(event(T0 + H, "message", text="This is UNACCEPTABLE."))
    reason = "trigger negative-sentiment: customer wrote 'unacceptable'"
    escalate = of(fires, kind="escalate")
    assert len(escalate) == 1
    assert escalate[0].reason == reason
    assert escalate[0].extra == {"trigger": "negative-sentiment", "mode": "hierarchical",
                                 "from_tier": "T1", "from_team": "frontline",
                                 "tier": "T2", "team": "specialists"}
    watch = of(fires, kind="notify", chain="sentiment-watch")
    assert [(f.extra["contact"], f.reason) for f in watch] == [("cs-lead", reason)]
    assert (eng.tickets["T-1"].state.tier, eng.tickets["T-1"].state.team) == ("T2",
                                                                             "specialists")


def test_a_low_score_from_the_injected_scorer_escalates():
    below = next(t for t in default_matrix().triggers
                 if t.id == "negative-sentiment").when.sentiment.below
    scores = {"I am very disappointed": below - 0.3, "Thanks!": 0.8}
    eng = engine(sentiment=lambda text: scores.get(text, 0.0))
    open_ticket(eng)
    assert of(eng.apply(event(T0 + H, "message", text="Thanks!")), kind="escalate") == []
    fires = eng.apply(event(T0 + 2 * H, "message", text="I am very disappointed"))
    escalate = of(fires, kind="escalate")
    assert [f.reason for f in escalate] == [
        f"trigger negative-sentiment: negative sentiment {below - 0.3:.2f} (below {below:g})"]
    assert escalate[0].extra["tier"] == "T2"


def test_a_trigger_fires_once_per_ticket():
    eng = engine()
    open_ticket(eng)
    first = eng.apply(event(T0 + H, "message", text="unacceptable"))
    again = eng.apply(event(T0 + 2 * H, "message", text="still unacceptable"))
    assert len(of(first, kind="escalate")) == 1
    assert of(again, kind="escalate") == []


def test_an_opening_text_with_a_negative_phrase_escalates_at_once():
    eng = engine()
    fires = open_ticket(eng, title="We will cancel", category="ui")
    assert [f.reason for f in of(fires, kind="escalate")] == [
        "trigger negative-sentiment: customer wrote 'cancel'"]


def test_unresolved_for_24_hours_escalates_up_and_requires_a_handoff():
    eng = engine()
    open_ticket(eng)
    assert of(eng.advance_to(T0 + 24 * H - US), kind="escalate") == []
    fires = eng.advance_to(T0 + 24 * H)
    reason = "trigger unresolved-24h: unresolved for 1d"
    escalate = of(fires, kind="escalate")
    assert [(f.at, f.reason, f.extra["mode"], f.extra["tier"]) for f in escalate] == [
        (T0 + 24 * H, reason, "hierarchical", "T2")]
    handoff = of(fires, kind="handoff_required")
    assert [(f.at, f.reason, f.extra["trigger"]) for f in handoff] == [
        (T0 + 24 * H, reason, "unresolved-24h")]


def test_a_ticket_resolved_within_24_hours_is_not_escalated():
    eng = engine()
    open_ticket(eng)
    eng.apply(event(T0 + 23 * H, "resolved"))
    assert eng.advance_to(T0 + 48 * H) == []


def test_a_payment_bug_goes_functionally_to_payments_engineering():
    eng = engine()
    fires = open_ticket(eng, title="Card declined at checkout", category="bug",
                        workaround="full")
    reason = "trigger payment-bug: category is bug, mentions 'checkout'"
    escalate = of(fires, kind="escalate")
    assert [(f.reason, f.extra["mode"], f.extra["team"], f.extra["tier"]) for f in escalate] == [
        (reason, "functional", "payments-engineering", "T3")]
    assert [f.reason for f in of(fires, kind="handoff_required")] == [reason]
    assert eng.tickets["T-1"].state.team == "payments-engineering"


def test_a_bug_without_payment_words_stays_put():
    eng = engine()
    fires = open_ticket(eng, title="Search is slow", category="bug", workaround="full")
    assert of(fires, kind="escalate") == []


def test_an_enterprise_account_is_prioritised():
    eng = engine()
    fires = open_ticket(eng, title="Question", category="question", account_tier="enterprise")
    prioritize = of(fires, kind="prioritize")
    assert [(f.reason, f.extra) for f in prioritize] == [
        ("trigger enterprise-priority: account tier is enterprise",
         {"trigger": "enterprise-priority", "priority": "high"})]
    assert eng.tickets["T-1"].state.priority == "high"


def test_a_p1_resolution_pre_breach_reaches_the_executives():
    eng = engine()
    open_ticket(eng, severity="P1", by="support", **P1_INTAKE)
    routed = eng.apply(event(T0 + 5 * MIN, "severity", severity="P1", by="engineering"))
    assert [f.extra["team"] for f in of(routed, kind="route")] == ["incident-response"]
    eng.apply(event(T0 + 6 * MIN, "acknowledged"))
    assert of(eng.advance_to(T0 + 105 * MIN - US), kind="escalate") == []
    fires = eng.advance_to(T0 + 105 * MIN)
    assert [(f.kind, f.clock) for f in of(fires, clock="resolution")] == [
        ("pre_breach", "resolution")]
    reason = "trigger p1-resolution-at-risk: severity is P1, resolution clock pre-breach"
    escalate = of(fires, kind="escalate")
    assert [(f.at, f.reason, f.extra["tier"], f.extra["team"]) for f in escalate] == [
        (T0 + 105 * MIN, reason, "L4", "executives")]
    execs = of(fires, kind="notify", chain="executive-escalation")
    assert [(f.extra["contact"], f.reason) for f in execs] == [("cto", reason)]


def test_a_p2_resolution_pre_breach_does_not_reach_the_executives():
    eng = engine()
    open_ticket(eng, **P2_INTAKE)
    fires = eng.advance_to(T0 + 8 * H)
    assert of(fires, kind="pre_breach", clock="resolution")
    assert of(fires, chain="executive-escalation") == []


def test_every_action_fire_names_its_trigger_and_the_values():
    below = next(t for t in default_matrix().triggers
                 if t.id == "negative-sentiment").when.sentiment.below
    eng = engine(sentiment=lambda text: below - 0.1)
    fires = open_ticket(eng, "A", title="Checkout broken", category="bug", workaround="none",
                        users_affected_pct=5, account_tier="enterprise")
    fires += open_ticket(eng, "B", **P1_INTAKE)
    fires += open_ticket(eng, "C", **P3_INTAKE)
    fires += eng.apply(event(T0 + H, "message", "C", text="hmm"))
    fires += eng.advance_to(T0 + 30 * H)
    actions = [f for f in fires if f.kind in ACTION_KINDS]
    assert {f.kind for f in actions} == {"escalate", "handoff_required", "prioritize"}
    assert {f.extra["trigger"] for f in actions} == {
        "payment-bug", "enterprise-priority", "negative-sentiment", "unresolved-24h",
        "p1-resolution-at-risk"}
    for f in actions:
        prefix = f"trigger {f.extra['trigger']}: "
        assert f.reason.startswith(prefix), f
        assert len(f.reason) > len(prefix) + 5, f


def test_a_time_trigger_whose_other_conditions_fail_neither_fires_nor_hangs():
    # Regression: the timer used to be rescheduled at `now` and advance_to looped forever.
    m = variant(("    when: {unresolved_for: 24h}\n",
                 "    when: {unresolved_for: 24h, severity: [P1]}\n"))
    eng = engine(m)
    open_ticket(eng)
    eng.advance_to(T0 + 24 * H - US)
    assert eng.next_fire_for("T-1") == T0 + 24 * H
    assert of(eng.advance_to(T0 + 30 * H), kind="escalate") == []
    nxt = eng.next_fire_for("T-1")
    assert nxt is None or nxt > T0 + 30 * H
    # Once the conditions hold, the next event fires it.
    fires = eng.apply(event(T0 + 31 * H, "severity", severity="P1", by="trigger"))
    assert [f.reason for f in of(fires, kind="escalate")] == [
        "trigger unresolved-24h: severity is P1, unresolved for 1d"]


def test_a_new_matrix_with_a_later_time_trigger_schedules_it_again():
    picky = variant(("    when: {unresolved_for: 24h}\n",
                     "    when: {unresolved_for: 24h, severity: [P1]}\n"))
    eng = engine(picky)
    open_ticket(eng)
    eng.advance_to(T0 + 30 * H)  # the 24h timer is spent without firing
    eng.set_matrix(variant(("    when: {unresolved_for: 24h}\n",
                            "    when: {unresolved_for: 48h}\n")))
    assert of(eng.advance_to(T0 + 48 * H - US), kind="escalate") == []
    fires = eng.advance_to(T0 + 48 * H)
    assert [(f.at, f.reason) for f in of(fires, kind="escalate")] == [
        (T0 + 48 * H, "trigger unresolved-24h: unresolved for 2d")]


# -- next_fire, resolved tickets, matrix changes, unknown tickets --------------------------


def test_next_fire_is_the_earliest_instant_across_tickets():
    eng = engine()
    open_ticket(eng, "A", **P2_INTAKE)
    open_ticket(eng, "B", at=T0 + MIN, **P1_INTAKE)
    assert eng.next_fire() == min(eng.next_fire_for("A"), eng.next_fire_for("B"))
    assert eng.next_fire_for("B") == T0 + MIN + 5 * MIN  # P1 response pre-breach and backup


def test_stepping_through_next_fire_always_lands_on_fires():
    eng = engine()
    open_ticket(eng, "A", **P2_INTAKE)
    open_ticket(eng, "B", at=T0 + MIN, **P1_INTAKE)
    open_ticket(eng, "C", at=T0 + 2 * MIN, **P3_INTAKE)
    steps = 0
    while (nxt := eng.next_fire()) is not None and nxt <= T0 + 30 * H:
        assert eng.advance_to(nxt - US) == []
        fires = eng.advance_to(nxt)
        assert fires, f"next_fire() said {nxt} but nothing fired"
        assert {f.at for f in fires} == {nxt}
        steps += 1
    assert steps > 20


def test_next_fire_for_follows_the_ticket():
    eng = engine()
    open_ticket(eng, **P2_INTAKE)
    # initial severity pre-breach: a third of 10 minutes before it is due.
    assert eng.next_fire_for("T-1") == T0 + timedelta(minutes=6, seconds=40)
    eng.apply(event(T0 + MIN, "severity", severity="P2", by="engineering"))
    eng.apply(event(T0 + 2 * MIN, "acknowledged"))
    assert eng.next_fire_for("T-1") == T0 + 45 * MIN  # response pre-breach
    assert eng.next_fire_for("nope") is None


def test_a_resolved_ticket_has_no_next_fire():
    eng = engine()
    open_ticket(eng, **P1_INTAKE)
    eng.apply(event(T0 + 3 * MIN, "resolved"))
    assert eng.next_fire_for("T-1") is None
    assert eng.next_fire() is None
    assert eng.advance_to(T0 + 48 * H) == []
    assert eng.clocks("T-1") == []


def test_reopening_brings_the_clocks_back():
    eng = engine()
    open_ticket(eng, **P2_INTAKE)
    eng.apply(event(T0 + 10 * MIN, "responded"))
    eng.apply(event(T0 + 20 * MIN, "resolved"))
    eng.apply(event(T0 + 30 * MIN, "reopened"))
    assert eng.next_fire_for("T-1") is not None
    resolution = of(eng.advance_to(T0 + 9 * H), clock="resolution")
    assert [(f.kind, f.at) for f in resolution] == [
        ("pre_breach", T0 + 8 * H - 15 * MIN), ("breach", T0 + 8 * H)]


def test_set_matrix_recomputes_deadlines():
    eng = engine()
    open_ticket(eng, **P2_INTAKE)
    eng.apply(event(T0 + 10 * MIN, "message", text="hello?"))
    assert next(c for c in eng.clocks("T-1") if c.name == "response").due == T0 + H
    faster = variant((P2_TARGETS, P2_TARGETS.replace("response: 1h", "response: 45m")))
    count = eng.set_matrix(faster)
    assert count == len([c for c in eng.clocks("T-1") if c.due is not None]) > 0
    assert next(c for c in eng.clocks("T-1") if c.name == "response").due == T0 + 45 * MIN
    fires = of(eng.advance_to(T0 + 45 * MIN), clock="response")
    assert [(f.kind, f.at) for f in fires] == [("pre_breach", T0 + 30 * MIN),
                                               ("breach", T0 + 45 * MIN)]
    assert fires[1].reason.startswith("response breach: 45m target")


def test_a_deadline_that_moved_into_the_past_fires_at_once_marked_late():
    eng = engine()
    open_ticket(eng, **P2_INTAKE)
    fires = eng.apply(event(T0 + 50 * MIN, "message", text="hello?"))
    assert of(fires, kind="pre_breach", clock="response")  # fired at 10:45 on the way
    faster = variant((P2_TARGETS, P2_TARGETS.replace("response: 1h", "response: 45m")))
    eng.set_matrix(faster)
    assert eng.next_fire_for("T-1") == T0 + 50 * MIN
    fires = of(eng.advance_to(T0 + 50 * MIN), clock="response")
    assert [(f.kind, f.at, f.extra.get("late")) for f in fires] == [
        ("breach", T0 + 50 * MIN, True)]


@pytest.mark.parametrize("kind", ["message", "severity", "responded", "status", "resolved",
                                  "acknowledged", "update_sent", "reopened"])
def test_events_for_a_ticket_never_opened_are_ignored(kind):
    eng = engine()
    open_ticket(eng, **P2_INTAKE)
    before = eng.next_fire()
    data = {"text": "unacceptable", "severity": "P1", "status": "waiting_on_customer"}
    assert eng.apply(event(T0 + MIN, kind, "ghost", **data)) == []
    assert "ghost" not in eng.tickets
    assert eng.next_fire_for("ghost") is None
    assert eng.next_fire() == before
