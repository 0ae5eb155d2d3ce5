"""The engine's actions as events (console.domain.action_events): what each records, how
the fold shows it, and that the engine takes its own action coming back as a no-op."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from benchmarks.engine.workload import generate
from console.domain.action_events import action_event, action_events
from console.domain.engine import Engine, build_calendars
from console.domain.fires import Fire
from console.domain.matrix import parse_matrix_text
from console.domain.projection import project
from console.domain.tickets import TicketEvent
from console.paths import default_matrix_path

T0 = datetime(2026, 3, 2, 10, tzinfo=UTC)
H = timedelta(hours=1)
P3 = {"title": "Report is slow", "category": "performance", "workaround": "full"}
P1 = {"title": "Customer data exposed", "security_breach": True}
# A trigger that bumps the severity on angry words, so a bump's event can be checked.
BUMP = """
  - id: angry-bump
    description: Angry words raise the severity
    when:
      sentiment: {below: -0.6, phrases: [furious]}
    then:
      - bump_severity: 1
"""
# Triggers on what the engine's own actions change (the tier, the severity): its
# actions coming back as events must not run them a second time.
FOLLOWERS = """
  - id: t2-handoff
    description: A ticket at T2 needs a handoff
    when: {tier: [T2]}
    then:
      - require_handoff: true
  - id: p2-priority
    description: P2 tickets get priority
    when: {severity: [P2]}
    then:
      - prioritize: high
"""


def matrix(extra_triggers: str = ""):  # type: ignore[no-untyped-def]
    text = default_matrix_path().read_text(encoding="utf-8")
    if extra_triggers:
        text = text.replace("\ntriggers:\n", "\ntriggers:\n" + extra_triggers.lstrip("\n"), 1)
    return parse_matrix_text(text, "matrix.yaml")


def ev(at: datetime, kind: str, ticket: str = "T-1", **data) -> TicketEvent:  # type: ignore[no-untyped-def]
    return TicketEvent(at, ticket, kind, data)


def back(fires: list[Fire]) -> list[TicketEvent]:
    """The events the runner would write for these fires, as the engine reads them."""
    return [TicketEvent(e.at, e.ticket, e.kind, e.payload, "engine")
            for e in action_events(fires)]


def as_json(fires: list[Fire]) -> list[dict]:  # type: ignore[type-arg]
    return [f.to_json() for f in fires]


# -- what each action records -----------------------------------------------------------------

def test_a_confirmed_p1_routes_to_incident_response_and_the_fold_shows_it_at_t3():
    eng, m = Engine(matrix()), matrix()
    events = [ev(T0, "opened", **P1), ev(T0 + 60 * timedelta(seconds=1), "severity",
                                         severity="P1", by="engineering")]
    fires = [f for e in events for f in eng.apply(e)]
    routed = back([f for f in fires if f.kind == "route"])
    assert [(e.type, e.data["team"], e.data["tier"], e.data["from_team"], e.data["severity"],
             e.data["by"]) for e in routed] == [
        ("routed", "incident-response", "T3", "frontline", "P1", "engine")]
    before = project(events, m, build_calendars(m))
    after = project(events + routed, m, build_calendars(m))
    assert before is not None and after is not None
    assert (before.tier, before.team) == ("T1", "frontline")
    assert (after.tier, after.team) == ("T3", "incident-response")


def test_a_trigger_escalation_carries_its_mode_teams_tiers_trigger_and_values():
    eng = Engine(matrix())
    eng.apply(ev(T0, "opened", **P3))
    fires = eng.apply(ev(T0 + H, "message", text="This is UNACCEPTABLE."))
    [escalated] = [e for e in back(fires) if e.type == "escalated"]
    assert escalated.data == {
        "by": "engine", "reason": "trigger negative-sentiment: customer wrote 'unacceptable'",
        "trigger": "negative-sentiment", "values": "customer wrote 'unacceptable'",
        "team": "specialists", "tier": "T2", "from_team": "frontline", "from_tier": "T1",
        "mode": "hierarchical", "kind": "hierarchical"}


def test_a_bump_is_a_severity_event_by_trigger_that_the_fold_applies_as_a_bump():
    m = matrix(BUMP)
    eng = Engine(m)
    opened = ev(T0, "opened", **P3)
    eng.apply(opened)
    angry = ev(T0 + H, "message", text="I am furious")
    fires = eng.apply(angry)
    [bump] = [e for e in back(fires) if e.type == "severity"]
    assert (bump.data["severity"], bump.data["from"], bump.data["by"],
            bump.data["trigger"], bump.data["values"]) == (
        "P2", "P3", "trigger", "angry-bump", "customer wrote 'furious'")
    view = project([opened, angry, bump], m, build_calendars(m))
    assert view is not None
    assert (view.severity, view.severity_source, view.confirmed) == ("P2", "trigger", False)


def test_a_prioritize_shows_in_the_queue_and_a_required_handoff_changes_nothing():
    m = matrix()
    eng = Engine(m)
    opened = ev(T0, "opened", title="Checkout fails", category="bug",
                account_tier="enterprise", workaround="full")
    fires = eng.apply(opened)
    written = back(fires)
    assert sorted(e.type for e in written) == ["escalated", "handoff_required", "prioritized"]
    assert next(e for e in written if e.type == "prioritized").data["priority"] == "high"
    required = next(e for e in written if e.type == "handoff_required")
    assert (required.data["team"], required.data["trigger"]) == (
        "payments-engineering", "payment-bug")
    view = project([opened, *written], m, build_calendars(m))
    assert view is not None
    assert (view.state.priority, view.team, view.state.handoffs) == (
        "high", "payments-engineering", 0)


def test_an_action_event_id_depends_on_the_fire_not_on_who_computes_it():
    def fires_of() -> list[Fire]:
        eng = Engine(matrix())
        eng.apply(ev(T0, "opened", **P1))
        return eng.apply(ev(T0 + H, "severity", severity="P1", by="engineering"))

    one, two = action_events(fires_of()), action_events(fires_of())
    assert [e.id for e in one] == [e.id for e in two] and len(one) == 1


def test_a_ticket_routed_again_after_a_later_confirmation_gets_a_second_event():
    eng = Engine(matrix())
    eng.apply(ev(T0, "opened", **P1))
    first = eng.apply(ev(T0 + H, "severity", severity="P1", by="engineering"))
    eng.apply(ev(T0 + 2 * H, "assigned", team="frontline", tier="T1"))
    again = eng.apply(ev(T0 + 3 * H, "severity", severity="P1", by="engineering"))
    ids = [e.id for e in action_events(first + again)]
    assert len(ids) == 2 and len(set(ids)) == 2


def test_fires_that_change_no_ticket_record_no_event():
    eng = Engine(matrix())
    fires = eng.apply(ev(T0, "opened", **P1)) + eng.advance_to(T0 + 2 * H)
    assert fires and all(action_event(f) is None for f in fires
                         if f.kind in ("notify", "pre_breach", "breach", "severity_suggested"))


# -- the engine takes its own action back as a no-op -------------------------------------------

def test_the_engine_fed_its_own_actions_back_fires_nothing_more_and_restarts_no_chain():
    m = matrix(BUMP + FOLLOWERS)
    eng = Engine(m)
    fires = eng.apply(ev(T0, "opened", **P1))
    fires += eng.apply(ev(T0 + 60 * timedelta(seconds=1), "severity", severity="P1",
                          by="engineering"))
    fires += eng.apply(ev(T0 + H, "message", text="This is unacceptable"))
    chains = eng.tickets["T-1"].chains
    written = back(fires)
    assert {e.type for e in written} >= {"routed", "escalated"}
    for e in written:
        assert eng.apply(TicketEvent(e.at, e.ticket, e.type, e.data)) == []
    assert eng.tickets["T-1"].chains == chains
    state = eng.tickets["T-1"].state
    assert (state.team, state.tier) == ("executives", "L4")  # routed to T3, then up


@pytest.mark.parametrize("words", ["This is unacceptable", "I am furious"])
def test_triggers_on_the_tier_or_severity_an_action_set_do_not_run_when_it_comes_back(words):
    m = matrix(BUMP + FOLLOWERS)
    fed, twin = Engine(m), Engine(m)
    for eng in (fed, twin):
        eng.apply(ev(T0, "opened", **P3))
    fires = fed.apply(ev(T0 + H, "message", text=words))
    assert as_json(twin.apply(ev(T0 + H, "message", text=words))) == as_json(fires)
    written = back(fires)
    assert {e.type for e in written} & {"escalated", "severity"}
    for e in written:
        assert fed.apply(e) == []
    later = [ev(T0 + 2 * H, "responded"), ev(T0 + 30 * H, "message", text="ok")]
    assert as_json([f for e in later for f in fed.apply(e)]) == as_json(
        [f for e in later for f in twin.apply(e)])


def _replay(eng: Engine, events: list[TicketEvent], end: datetime,
            feed_back: bool) -> tuple[list[Fire], int]:
    """Every fire of ``events``; with ``feed_back``, each action's event is applied
    right after the event or timer that caused it (as the runner's write comes back)."""
    out: list[Fire] = []
    echoed = 0
    for e in [*events, None]:
        fires = eng.apply(e) if e is not None else eng.advance_to(end)
        out += fires
        if feed_back:
            for action in back(fires):
                echoed += 1
                assert eng.apply(action) == []
    return out, echoed


@pytest.mark.parametrize("seed", [7, 20250303])
def test_an_engine_fed_its_own_action_events_fires_exactly_what_one_without_them_fires(seed):
    workload = generate(400, 6.0, seed)
    m = matrix(BUMP + FOLLOWERS)
    plain, _ = _replay(Engine(m), workload.events, workload.end, False)
    echoed_fires, echoed = _replay(Engine(m), workload.events, workload.end, True)
    kinds = Counter(f.kind for f in plain)
    assert echoed > 500 and kinds["route"] and kinds["escalate"] and kinds["prioritize"]
    assert as_json(echoed_fires) == as_json(plain)


def test_the_details_timeline_and_the_handoff_history_name_where_the_engine_routed_it():
    from console.app.runtime.port import TimelineEvent
    from console.domain.handoff import history_summary
    from console.ui.details import timeline_lines

    eng = Engine(matrix())
    fires = eng.apply(ev(T0, "opened", **P1)) + eng.apply(
        ev(T0 + H, "severity", severity="P1", by="engineering"))
    [routed] = [e for e in action_events(fires) if e.kind == "routed"]
    event = TimelineEvent(routed.id, routed.ticket, routed.kind, routed.payload, "engine",
                          routed.at)
    [(line, _)] = timeline_lines([event])
    assert line.endswith("engine  routed  tier T3 team incident-response")
    assert history_summary([event]).endswith(
        "engine  routed to team incident-response, tier T3")
    prioritized = TimelineEvent("p", "T-1", "prioritized", {"priority": "high"}, "engine", T0)
    assert timeline_lines([prioritized])[0][0].endswith("prioritized  priority high")


def test_a_person_moving_the_ticket_before_the_engines_event_lands_keeps_it_there():
    """The engine routed at the confirmation; before its event was written, a person
    assigned the ticket elsewhere (an earlier HLC). Both the projection and the engine
    keep the person's move: the routing applies only from the team it left."""
    m = matrix()
    eng = Engine(m)
    opened = ev(T0, "opened", **P1)
    confirm = ev(T0 + H, "severity", severity="P1", by="engineering")
    fires = eng.apply(opened) + eng.apply(confirm)
    moved = ev(T0 + H, "assigned", team="senior-engineering", tier="T3")
    eng.apply(moved)
    late = back(fires)
    assert [e.type for e in late] == ["routed"]
    assert eng.apply(late[0]) == []
    view = project([opened, confirm, moved, *late], m, build_calendars(m))
    assert view is not None and view.team == "senior-engineering"
    assert eng.tickets["T-1"].state.team == "senior-engineering"
