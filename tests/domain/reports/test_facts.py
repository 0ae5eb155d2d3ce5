"""TicketFacts of the hand-made tickets (see _history.py), computed by hand."""

from __future__ import annotations

import json

import pytest

from console.domain.projection import project
from console.domain.reports import ClockInstance, Escalation, ticket_facts
from console.domain.reports.facts import TicketFacts

from .._matrices import (
    MIN,
    T0,
    D,
    H,
    berlin,
    business_matrix,
    calendars,
    default_matrix,
    event,
)
from ._history import ticket_a, ticket_b, ticket_c, ticket_d, ticket_e, ticket_g, week


def facts_of(events: list) -> TicketFacts:
    matrix = default_matrix()
    found = ticket_facts(events, matrix, calendars(matrix))
    assert found is not None
    return found


def clock(f: TicketFacts, name: str) -> list[ClockInstance]:
    return [c for c in f.clocks if c.clock == name]


def test_a_ticket_escalated_twice_records_both_moves_and_who_owned_it():
    f = facts_of(ticket_a())
    assert f.escalations == (
        Escalation(T0 + H, "frontline", "specialists", "ann", "functional"),
        Escalation(T0 + 2 * H, "specialists", "senior-engineering", "ann", "hierarchical"))
    assert [(h.team, h.tier, h.tier_level, h.owner, h.start, h.end) for h in f.holdings] == [
        ("frontline", "T1", 1, "ann", T0, T0 + H),
        ("specialists", "T2", 2, "ann", T0 + H, T0 + 2 * H),
        ("senior-engineering", "T3", 3, "bob", T0 + 2 * H, None)]


def test_an_escalation_is_the_owners_even_when_they_hand_the_ticket_off_later():
    f = facts_of(ticket_b())
    t = T0 + D
    assert f.escalations == (Escalation(t + H, "frontline", "specialists", "cat",
                                        "functional"),)
    assert [(h.team, h.owner) for h in f.holdings] == [
        ("frontline", "cat"), ("specialists", "cat"), ("specialists", "dan")]
    assert f.handoffs == (t + 2 * H,)


def test_a_reopened_ticket_is_resolved_only_between_a_resolution_and_the_next_reopen():
    f = facts_of(ticket_c())
    t = T0 + 2 * D
    assert f.resolutions == ((t + 4 * H, "P3"), (t + D + 2 * H, "P3"))
    assert f.reopens == (t + D,)
    assert f.resolved_at(t + 5 * H) == (t + 4 * H, "P3")
    assert f.resolved_at(t + D) == (t + 4 * H, "P3")  # reopened at `to`: not before it
    assert f.resolved_at(t + D + H) is None
    assert f.resolved_at(t + 2 * D) == (t + D + 2 * H, "P3")
    assert f.resolved_at(t + 4 * H) is None  # resolved at `to` itself: not yet


def test_an_update_cadence_gives_one_instance_per_cycle_judged_as_the_engine_did():
    f = facts_of(ticket_d())
    t = T0 + 3 * D
    cycles = clock(f, "update")
    assert [(c.severity, c.due, c.stopped, c.cycle) for c in cycles] == [
        ("P2", t + H + 30 * MIN, t + H + 20 * MIN, 0),
        ("P2", t + 2 * H + 20 * MIN, t + 2 * H + 40 * MIN, 1),
        ("P2", t + 3 * H + 40 * MIN, t + 3 * H, 2)]
    assert [c.met for c in cycles] == [True, False, True]
    assert cycles[1].breached and cycles[1].completed_at == t + 2 * H + 20 * MIN


def test_a_business_calendar_clock_counts_no_time_over_the_weekend():
    # Friday 16:00 Berlin; P3's 24h response on Mon-Fri 09:00-17:00: Friday's last
    # hour, Monday and Tuesday (8h each), then 7h of Wednesday: due Wednesday 16:00
    matrix = business_matrix()
    opened, answered = berlin(2026, 3, 6, 16), berlin(2026, 3, 9, 10)
    f = ticket_facts([event(opened, "opened", "F", severity="P3", by="support"),
                      event(answered, "responded", "F")], matrix, calendars(matrix))
    assert f is not None
    (response,) = clock(f, "response")
    assert response.due == berlin(2026, 3, 11, 16)
    assert response.met and response.completed_at == answered  # 66 h of wall time


def test_waiting_on_the_customer_pauses_the_resolution_and_update_clocks():
    f = facts_of(ticket_g())
    t = T0 + 5 * D
    assert f.pauses == ((t + H, t + 4 * H),)
    assert f.waiting(t, t + 6 * H) == 3 * H
    assert f.waiting(t + 2 * H, t + 3 * H) == H
    (resolution,) = clock(f, "resolution")
    assert resolution.due == t + 11 * H and resolution.met  # 8h target + 3h paused
    assert [(c.due, c.stopped) for c in clock(f, "update")] == [
        (t + 4 * H + 10 * MIN, t + 4 * H + 5 * MIN),   # 1h after 0:10, plus the pause
        (t + 5 * H + 5 * MIN, t + 5 * H),
        (t + 6 * H, t + 6 * H)]                        # stopped at its due: met
    assert all(c.met for c in clock(f, "update"))


def test_a_severity_changed_by_engineering_is_judged_from_the_original_open_time():
    f = facts_of(ticket_e())
    t = T0 + 4 * D
    assert (f.initial_severity, f.confirmed_severity, f.severity) == ("P2", "P1", "P1")
    assert f.first_response_at == t + 20 * MIN and f.response_severity == "P1"
    (response,) = clock(f, "response")
    assert (response.severity, response.due, response.breached) == ("P1", t + 15 * MIN, True)
    (confirmation,) = clock(f, "confirmation")  # the first severity's two-stage window
    assert (confirmation.severity, confirmation.due, confirmation.met) == (
        "P2", t + 10 * MIN, True)
    assert f.escalations == ()  # routing a settled severity is not an escalation
    assert [(h.team, h.tier_level) for h in f.holdings] == [
        ("frontline", 1), ("incident-response", 3)]


def test_the_final_clocks_are_the_projections_clocks():
    matrix = default_matrix()
    for events in week().values():
        f = facts_of(events)
        view = project(events, matrix, calendars(matrix))
        assert view is not None
        final = {(c.name, c.severity, c.due, c.stopped_at) for c in view.clocks}
        assert final <= {(c.clock, c.severity, c.due, c.stopped) for c in f.clocks}


def test_facts_survive_a_json_round_trip():
    for events in week().values():
        f = facts_of(events)
        assert TicketFacts.from_json(json.loads(json.dumps(f.to_json()))) == f


def test_events_of_a_ticket_never_opened_give_no_facts():
    assert ticket_facts([event(T0, "resolved", "X")], default_matrix()) is None


def test_facts_of_another_version_are_refused_so_a_rollup_recomputes_them():
    data = {**facts_of(ticket_a()).to_json(), "version": 0}
    with pytest.raises(ValueError, match="fold the ticket's events again"):
        TicketFacts.from_json(data)


def test_the_horizon_is_the_last_instant_the_facts_count_in_a_report():
    # C: its update cycle is met at the final resolution, 3d 2h after T0
    assert facts_of(ticket_c()).horizon == T0 + 3 * D + 2 * H
    # B: opened at 1d, resolved at 1d 3h; no clock decided later
    assert facts_of(ticket_b()).horizon == T0 + D + 3 * H
    # an open ticket without a response: its response clock breaches at its due instant
    open_p1 = facts_of([event(T0, "opened", "X", severity="P1", by="support")])
    assert open_p1.horizon == T0 + 2 * H  # the resolution target, the latest due
