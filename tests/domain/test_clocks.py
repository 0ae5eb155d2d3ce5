"""SLA clocks: response, update cadence, resolution and the two-stage severity clocks.

Time is injected everywhere: a ticket is a fold of timestamped events, and every
question to a clock names the instant it is asked at."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from console.domain.clocks import Clock, ticket_clocks
from console.domain.tickets import TicketState

from ._matrices import (
    MIN,
    T0,
    H,
    berlin,
    business_matrix,
    business_with_resolution,
    calendars,
    default_matrix,
    event,
    fold,
    variant,
)

US = timedelta(microseconds=1)
P2_TARGETS = "    targets: {calendar: 24x7, response: 1h, update: 1h, resolution: 8h}\n"
P1_LEADS = "    pre_breach: {response: 5m, update: 10m, resolution: 15m}\n"


def clocks(state: TicketState, matrix=None, severity: str | None = None) -> dict[str, Clock]:
    matrix = matrix or default_matrix()
    sev = severity or state.severity
    assert sev is not None
    return {c.name: c for c in ticket_clocks(state, matrix, calendars(matrix), sev)}


def opened(at: datetime = T0, severity: str = "P2", by: str = "support"):
    return event(at, "opened", severity=severity, by=by, title="Something broke")


def waiting(at: datetime):
    return event(at, "status", status="waiting_on_customer")


def resumed(at: datetime):
    return event(at, "status", status="open")


# -- response ------------------------------------------------------------------------------


def test_response_within_the_target_is_met():
    c = clocks(fold(opened(), event(T0 + 40 * MIN, "responded")))["response"]
    assert c.due == T0 + H
    assert c.stopped_at == T0 + 40 * MIN
    assert c.state(T0 + 2 * H) == "met"
    assert c.sla_state(T0 + 2 * H) == "met"


def test_response_exactly_at_the_deadline_is_still_met():
    c = clocks(fold(opened(), event(T0 + H, "responded")))["response"]
    assert c.state(T0 + 3 * H) == "met"


def test_a_late_response_is_breached():
    c = clocks(fold(opened(), event(T0 + 70 * MIN, "responded")))["response"]
    assert c.state(T0 + 3 * H) == "breached"
    assert c.remaining(T0 + 3 * H) == -10 * MIN  # frozen at the late response


def test_no_response_breaches_at_the_due_instant():
    c = clocks(fold(opened()))["response"]
    assert c.state(T0 + H - US) == "running"
    assert c.state(T0 + H) == "breached"


def test_the_first_update_also_counts_as_the_response():
    c = clocks(fold(opened(), event(T0 + 30 * MIN, "update_sent")))["response"]
    assert c.stopped_at == T0 + 30 * MIN
    assert c.state(T0 + 2 * H) == "met"


def test_response_never_pauses_while_waiting_on_the_customer():
    state = fold(opened(), waiting(T0 + 10 * MIN))
    assert state.paused
    c = clocks(state)
    assert c["response"].due == T0 + H
    assert c["response"].paused_since is None
    assert c["response"].sla_state(T0 + 30 * MIN) == "ok"
    assert c["response"].sla_state(T0 + H) == "breached"
    assert c["resolution"].sla_state(T0 + 30 * MIN) == "paused"


def test_response_ignores_a_pause_that_was_resumed_too():
    state = fold(opened(), waiting(T0 + 10 * MIN), resumed(T0 + 50 * MIN))
    assert clocks(state)["response"].due == T0 + H


# -- update cadence ------------------------------------------------------------------------


def test_there_is_no_update_clock_before_the_first_response():
    assert "update" not in clocks(fold(opened()))


def test_the_update_cadence_starts_at_the_response():
    c = clocks(fold(opened(), event(T0 + 20 * MIN, "responded")))["update"]
    assert (c.start, c.due, c.cycle) == (T0 + 20 * MIN, T0 + 80 * MIN, 0)
    assert c.pre_breach_at == T0 + 65 * MIN  # 1h target -> 15m lead


def test_the_update_cadence_is_anchored_on_the_last_update():
    state = fold(opened(), event(T0 + 20 * MIN, "responded"),
                 event(T0 + 50 * MIN, "update_sent"))
    c = clocks(state)["update"]
    assert (c.start, c.due, c.cycle) == (T0 + 50 * MIN, T0 + 110 * MIN, 1)
    state = fold(opened(), event(T0 + 20 * MIN, "responded"),
                 event(T0 + 50 * MIN, "update_sent"), event(T0 + 90 * MIN, "update_sent"))
    c = clocks(state)["update"]
    assert (c.start, c.due, c.cycle) == (T0 + 90 * MIN, T0 + 150 * MIN, 2)


def test_the_update_cadence_pauses_while_waiting_on_the_customer():
    state = fold(opened(), event(T0 + 20 * MIN, "responded"), waiting(T0 + 30 * MIN),
                 resumed(T0 + 2 * H))
    c = clocks(state)["update"]
    assert c.paused_total == 90 * MIN
    assert c.due == T0 + 80 * MIN + 90 * MIN


def test_a_pause_that_ended_before_the_last_update_does_not_count():
    state = fold(opened(), event(T0 + 5 * MIN, "responded"), waiting(T0 + 10 * MIN),
                 resumed(T0 + 20 * MIN), event(T0 + 30 * MIN, "update_sent"))
    c = clocks(state)["update"]
    assert (c.due, c.paused_total) == (T0 + 90 * MIN, timedelta(0))


# -- resolution: pause and resume ----------------------------------------------------------


def test_a_pause_extends_the_resolution_deadline_by_the_paused_time():
    plain = clocks(fold(opened()))["resolution"]
    paused = clocks(fold(opened(), waiting(T0 + H), resumed(T0 + 3 * H)))["resolution"]
    assert plain.due == T0 + 8 * H
    assert paused.due == T0 + 10 * H
    assert paused.paused_total == 2 * H
    assert paused.pre_breach_at == T0 + 10 * H - 15 * MIN


def test_several_pauses_add_up():
    state = fold(opened(), waiting(T0 + H), resumed(T0 + 2 * H),
                 waiting(T0 + 4 * H), resumed(T0 + 4 * H + 30 * MIN))
    c = clocks(state)["resolution"]
    assert (c.due, c.paused_total) == (T0 + 9 * H + 30 * MIN, 90 * MIN)


def test_while_paused_there_is_no_deadline():
    c = clocks(fold(opened(), waiting(T0 + H)))["resolution"]
    assert c.due is None and c.pre_breach_at is None
    assert c.paused_since == T0 + H
    assert c.state(T0 + 30 * H) == "paused"


def test_a_pause_after_the_deadline_does_not_rescue_a_breach():
    state = fold(opened(), waiting(T0 + 9 * H), resumed(T0 + 12 * H))
    c = clocks(state)["resolution"]
    assert c.due == T0 + 8 * H
    assert c.paused_total == timedelta(0)
    assert c.state(T0 + 12 * H) == "breached"


def test_resolving_while_paused_closes_the_pause_and_meets_the_clock():
    state = fold(opened(), waiting(T0 + H), event(T0 + 3 * H, "resolved"))
    assert state.pauses == [(T0 + H, T0 + 3 * H)]
    c = clocks(state)["resolution"]
    assert (c.due, c.stopped_at, c.paused_since) == (T0 + 10 * H, T0 + 3 * H, None)
    assert c.sla_state(T0 + 20 * H) == "met"


def test_a_pause_spanning_a_weekend_counts_business_time_only():
    # Fri 2026-03-06 10:00 Berlin, P3 on Mon-Fri 09-17, resolution 40h.
    m = business_with_resolution()
    start = berlin(2026, 3, 6, 10)
    plain = clocks(fold(opened(start, "P3")), m)["resolution"]
    # Paused Fri 15:00 to Mon 11:00: two business hours each side of the weekend.
    state = fold(opened(start, "P3"), waiting(berlin(2026, 3, 6, 15)),
                 resumed(berlin(2026, 3, 9, 11)))
    paused = clocks(state, m)["resolution"]
    assert plain.due == berlin(2026, 3, 13, 10)
    assert paused.paused_total == 4 * H
    assert paused.due == berlin(2026, 3, 13, 14)
    assert paused.business


def test_the_same_weekend_pause_on_a_24x7_clock_counts_every_hour():
    state = fold(opened(berlin(2026, 3, 6, 10), "P2"), waiting(berlin(2026, 3, 6, 15)),
                 resumed(berlin(2026, 3, 9, 11)))
    c = clocks(state)["resolution"]
    assert c.paused_total == 68 * H
    assert c.due == berlin(2026, 3, 6, 18) + 68 * H
    assert not c.business


def test_response_on_a_business_calendar_waits_for_opening_hours():
    c = clocks(fold(opened(berlin(2026, 3, 6, 10), "P3")), business_matrix())["response"]
    # 24h of business time: Fri 7h, Mon 8h, Tue 8h, Wed 1h.
    assert c.due == berlin(2026, 3, 11, 10)


def test_the_business_hours_matrix_puts_only_p3_and_p4_on_the_business_calendar():
    m = business_matrix()
    cals = calendars(m)
    business = {s.id for s in m.severities if not cals[s.targets.calendar].is_24x7}
    assert business == {"P3", "P4"}
    cal = cals[m.severity("P3").targets.calendar]
    assert cal.is_holiday(date(2026, 12, 25))
    assert not cal.is_open(berlin(2026, 3, 7, 12))  # Saturday
    assert cal.is_open(berlin(2026, 3, 6, 9)) and not cal.is_open(berlin(2026, 3, 6, 17))


# -- daylight saving time and holidays -----------------------------------------------------


@pytest.mark.parametrize(("opened_at", "due", "due_utc"), [
    # Spring forward on Sun 2026-03-29: Fri 15:00 CET -> Wed 15:00 CEST.
    (berlin(2026, 3, 27, 15), berlin(2026, 4, 1, 15), datetime(2026, 4, 1, 13, tzinfo=UTC)),
    # Fall back on Sun 2026-10-25: Fri 15:00 CEST -> Wed 15:00 CET.
    (berlin(2026, 10, 23, 15), berlin(2026, 10, 28, 15), datetime(2026, 10, 28, 14, tzinfo=UTC)),
], ids=["spring-forward", "fall-back"])
def test_a_business_deadline_across_a_dst_change_keeps_local_office_hours(opened_at, due, due_utc):
    c = clocks(fold(opened(opened_at, "P3")), business_with_resolution())["response"]
    assert c.due == due == due_utc
    assert c.pre_breach_at == due - 15 * MIN
    assert c.calendar.between(opened_at, c.due) == 24 * H
    # The wall-clock span is five days give or take the hour the clocks moved.
    assert abs((c.due - opened_at) - timedelta(days=5)) == H


def test_a_pause_across_the_spring_forward_weekend_counts_two_business_hours():
    m = business_with_resolution()
    state = fold(opened(berlin(2026, 3, 27, 10), "P3"), waiting(berlin(2026, 3, 27, 16)),
                 resumed(berlin(2026, 3, 30, 10)))
    c = clocks(state, m)["resolution"]
    assert c.paused_total == 2 * H
    # 42h: Fri 7h, Mon-Thu 32h, then Good Friday and Easter Monday are closed: Tue 3h.
    assert c.due == berlin(2026, 4, 7, 12)


def test_christmas_day_is_skipped():
    c = clocks(fold(opened(berlin(2026, 12, 24, 15), "P3")), business_matrix())["response"]
    assert c.calendar.is_holiday(date(2026, 12, 25))
    # Thu 2h, Fri 25th closed, weekend, Mon 8h, Tue 8h, Wed 6h.
    assert c.due == berlin(2026, 12, 30, 15)


# -- severity change: from the original open time, paused time kept ------------------------


def test_a_severity_change_recomputes_from_the_original_open_time():
    state = fold(opened(T0, "P2"), event(T0 + 5 * H, "severity", severity="P1", by="engineering"))
    c = clocks(state)["resolution"]
    assert c.severity == "P1"
    assert c.start == T0
    assert c.due == T0 + 2 * H  # not five hours later: the change keeps the open time
    assert c.state(T0 + 5 * H) == "breached"


@pytest.mark.parametrize(("first", "then", "due"), [
    ("P2", "P1", T0 + 2 * H + 150 * MIN),
    ("P1", "P2", T0 + 8 * H + 150 * MIN),
])
def test_a_severity_change_in_the_middle_of_a_24x7_pause_keeps_the_paused_time(first, then, due):
    events = [opened(T0, first), waiting(T0 + 30 * MIN),
              event(T0 + H, "severity", severity=then, by="engineering")]
    during = clocks(fold(*events))["resolution"]
    assert during.severity == then
    assert during.due is None and during.paused_since == T0 + 30 * MIN
    target = default_matrix().severity(then).targets.resolution
    assert during.remaining(T0 + 2 * H) == target - 30 * MIN
    after = clocks(fold(*events, resumed(T0 + 3 * H)))["resolution"]
    assert after.paused_total == 150 * MIN
    assert after.due == due


def test_p2_to_p3_in_the_middle_of_a_pause_counts_the_pause_in_p3_business_time():
    m = business_with_resolution()
    events = [opened(berlin(2026, 3, 2, 10), "P2"), waiting(berlin(2026, 3, 2, 12)),
              event(berlin(2026, 3, 2, 14), "severity", severity="P3", by="engineering")]
    during = clocks(fold(*events), m)["resolution"]
    assert during.severity == "P3" and during.business
    assert during.due is None
    assert during.remaining(berlin(2026, 3, 2, 14)) == 38 * H  # 40h minus Mon 10-12
    after = clocks(fold(*events, resumed(berlin(2026, 3, 3, 10))), m)["resolution"]
    # Paused Mon 12-17 and Tue 9-10: six business hours.
    assert after.paused_total == 6 * H
    assert after.start == berlin(2026, 3, 2, 10)
    # 46h from Mon 10:00: Mon 7h, Tue-Fri 32h, next Mon 7h.
    assert after.due == berlin(2026, 3, 9, 16)
    assert after.due == after.calendar.add(after.start, 40 * H + 6 * H)


def test_p3_to_p2_in_the_middle_of_a_pause_counts_the_pause_in_wall_time():
    m = business_with_resolution()
    events = [opened(berlin(2026, 3, 2, 10), "P3"), waiting(berlin(2026, 3, 2, 12)),
              event(berlin(2026, 3, 2, 14), "severity", severity="P2", by="engineering")]
    during = clocks(fold(*events), m)["resolution"]
    assert during.severity == "P2" and not during.business
    assert during.remaining(berlin(2026, 3, 2, 20)) == 6 * H  # 8h minus 2h before the pause
    after = clocks(fold(*events, resumed(berlin(2026, 3, 3, 10))), m)["resolution"]
    assert after.paused_total == 22 * H
    assert after.due == berlin(2026, 3, 2, 10) + 8 * H + 22 * H


# -- pre-breach instants -------------------------------------------------------------------


def test_a_15_minute_target_warns_5_minutes_ahead():
    m = variant((P2_TARGETS, P2_TARGETS.replace("response: 1h", "response: 15m")))
    c = clocks(fold(opened()), m)["response"]
    assert (c.due, c.lead, c.pre_breach_at) == (T0 + 15 * MIN, 5 * MIN, T0 + 10 * MIN)


def test_a_one_hour_target_warns_15_minutes_ahead():
    c = clocks(fold(opened()))["response"]
    assert (c.due, c.lead, c.pre_breach_at) == (T0 + H, 15 * MIN, T0 + 45 * MIN)


def test_a_30_minute_target_warns_10_minutes_ahead():
    m = variant((P2_TARGETS, P2_TARGETS.replace("update: 1h", "update: 30m")))
    c = clocks(fold(opened(), event(T0, "responded")), m)["update"]
    assert (c.lead, c.pre_breach_at) == (10 * MIN, T0 + 20 * MIN)


def test_a_ten_minute_severity_clock_warns_a_third_ahead():
    c = clocks(fold(event(T0, "opened", title="x")), severity="P2")["initial_severity"]
    assert c.lead == timedelta(minutes=3, seconds=20)
    assert c.pre_breach_at == T0 + timedelta(minutes=6, seconds=40)


def test_an_explicit_lead_in_the_matrix_wins():
    m = variant((P1_LEADS, P1_LEADS.replace("resolution: 15m", "resolution: 45m")))
    c = clocks(fold(opened(T0, "P1")), m)["resolution"]
    assert (c.due, c.lead, c.pre_breach_at) == (T0 + 2 * H, 45 * MIN, T0 + 75 * MIN)
    assert clocks(fold(opened(T0, "P1")))["resolution"].pre_breach_at == T0 + 105 * MIN


def test_the_lead_on_a_business_calendar_is_business_time():
    # Due Mon 09:05 Berlin: 15 business minutes earlier is the previous Friday 16:50.
    c = clocks(fold(opened(berlin(2026, 3, 4, 9, 5), "P3")), business_matrix())["response"]
    assert c.due == berlin(2026, 3, 9, 9, 5)
    assert c.pre_breach_at == berlin(2026, 3, 6, 16, 50)


# -- two-stage severity: Support sets, Engineering confirms --------------------------------


def test_support_sets_the_severity_within_ten_minutes():
    state = fold(event(T0, "opened", title="x"),
                 event(T0 + 4 * MIN, "severity", severity="P1", by="support"))
    c = clocks(state)
    initial = c["initial_severity"]
    assert (initial.start, initial.due, initial.stopped_at) == (T0, T0 + 10 * MIN, T0 + 4 * MIN)
    assert initial.sla_state(T0 + H) == "met"
    confirmation = c["confirmation"]
    assert (confirmation.start, confirmation.due) == (T0 + 4 * MIN, T0 + 14 * MIN)
    assert confirmation.sla_state(T0 + 13 * MIN) == "pre_breach"
    assert confirmation.sla_state(T0 + 14 * MIN) == "breached"


def test_engineering_confirms_within_ten_minutes_of_the_support_set():
    state = fold(event(T0, "opened", title="x"),
                 event(T0 + 4 * MIN, "severity", severity="P1", by="support"),
                 event(T0 + 12 * MIN, "severity", severity="P1", by="engineering"))
    confirmation = clocks(state)["confirmation"]
    assert confirmation.stopped_at == T0 + 12 * MIN
    assert confirmation.sla_state(T0 + H) == "met"


def test_a_late_confirmation_is_breached():
    state = fold(event(T0, "opened", title="x"),
                 event(T0 + 4 * MIN, "severity", severity="P1", by="support"),
                 event(T0 + 15 * MIN, "severity", severity="P1", by="engineering"))
    assert clocks(state)["confirmation"].sla_state(T0 + H) == "breached"


def test_a_late_support_set_breaches_and_the_confirmation_counts_from_the_set():
    state = fold(event(T0, "opened", title="x"),
                 event(T0 + 11 * MIN, "severity", severity="P2", by="support"))
    c = clocks(state)
    assert c["initial_severity"].sla_state(T0 + H) == "breached"
    assert c["confirmation"].due == T0 + 21 * MIN


def test_without_a_severity_the_initial_clock_runs_and_no_confirmation_clock_exists():
    c = clocks(fold(event(T0, "opened", title="x")), severity="P1")
    assert c["initial_severity"].due == T0 + 10 * MIN
    assert c["initial_severity"].sla_state(T0 + 10 * MIN) == "breached"
    assert "confirmation" not in c


def test_engineering_setting_the_severity_first_meets_both_clocks():
    state = fold(event(T0, "opened", title="x"),
                 event(T0 + 3 * MIN, "severity", severity="P1", by="engineering"))
    c = clocks(state)
    assert c["initial_severity"].sla_state(T0 + H) == "met"
    assert c["confirmation"].sla_state(T0 + H) == "met"


def test_severities_without_two_stage_have_no_severity_clocks():
    c = clocks(fold(opened(T0, "P3")))
    assert "initial_severity" not in c and "confirmation" not in c
    assert set(c) == {"response"}  # the default P3 has no resolution target and no response yet


# -- sla_state() and remaining() -----------------------------------------------------------


def test_sla_state_goes_from_ok_to_pre_breach_to_breached():
    c = clocks(fold(opened()))["response"]
    assert c.sla_state(T0) == "ok"
    assert c.sla_state(T0 + 45 * MIN - US) == "ok"
    assert c.sla_state(T0 + 45 * MIN) == "pre_breach"
    assert c.sla_state(T0 + H - US) == "pre_breach"
    assert c.sla_state(T0 + H) == "breached"


def test_sla_state_is_paused_while_waiting_and_met_once_stopped():
    state = fold(opened(), waiting(T0 + H))
    assert clocks(state)["resolution"].sla_state(T0 + 2 * H) == "paused"
    state = fold(opened(), event(T0 + 10 * MIN, "responded"))
    assert clocks(state)["response"].sla_state(T0 + 20 * MIN) == "met"


def test_sla_state_after_resuming_is_running_again():
    state = fold(opened(), waiting(T0 + H), resumed(T0 + 2 * H))
    c = clocks(state)["resolution"]
    assert c.sla_state(T0 + 3 * H) == "ok"
    assert c.sla_state(T0 + 9 * H - 15 * MIN) == "pre_breach"
    assert c.sla_state(T0 + 9 * H) == "breached"


def test_remaining_counts_down_and_goes_negative_after_the_breach():
    c = clocks(fold(opened()))["response"]
    assert c.remaining(T0) == H
    assert c.remaining(T0 + 20 * MIN) == 40 * MIN
    assert c.remaining(T0 + 90 * MIN) == -30 * MIN


def test_remaining_business_time_is_frozen_while_paused():
    m = business_with_resolution()
    state = fold(opened(berlin(2026, 3, 2, 10), "P3"), waiting(berlin(2026, 3, 2, 13)))
    c = clocks(state, m)["resolution"]
    for now in (berlin(2026, 3, 2, 13), berlin(2026, 3, 2, 16), berlin(2026, 3, 7, 12),
                berlin(2026, 3, 20, 10)):
        assert c.remaining(now) == 37 * H
    resumed_state = fold(opened(berlin(2026, 3, 2, 10), "P3"), waiting(berlin(2026, 3, 2, 13)),
                         resumed(berlin(2026, 3, 4, 10)))
    c = clocks(resumed_state, m)["resolution"]
    assert c.remaining(berlin(2026, 3, 4, 10)) == 37 * H
    assert c.remaining(berlin(2026, 3, 4, 11)) == 36 * H
    assert c.remaining(berlin(2026, 3, 4, 20)) == 30 * H  # closed after 17:00


def test_remaining_on_a_business_calendar_skips_closed_hours():
    c = clocks(fold(opened(berlin(2026, 3, 6, 16), "P3")), business_matrix())["response"]
    assert c.remaining(berlin(2026, 3, 6, 16)) == 24 * H
    assert c.remaining(berlin(2026, 3, 8, 12)) == 23 * H  # Sunday: one hour used on Friday
