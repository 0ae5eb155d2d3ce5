"""Tests for console.domain.calendar (business-hours SLA clock)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.domain.calendar import BusinessCalendar, CalendarSpec, always_open

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
H = timedelta(hours=1)
MIN = timedelta(minutes=1)

OFFICE_HOURS = tuple((d, time(9), time(17)) for d in range(5))
ROUND_THE_CLOCK = tuple((d, time(0), time(0)) for d in range(7))


def berlin_office(**kwargs) -> BusinessCalendar:
    spec = dict(id="berlin", timezone="Europe/Berlin", weekly=OFFICE_HOURS, holiday_country="DE")
    spec.update(kwargs)
    return BusinessCalendar(CalendarSpec(**spec))


def local(y, mo, d, h=0, mi=0, tz=BERLIN) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=tz)


BERLIN_OFFICE = berlin_office()
BERLIN_FULL_DAYS = BusinessCalendar(CalendarSpec("full", "Europe/Berlin", weekly=ROUND_THE_CLOCK))
NY_OFFICE = BusinessCalendar(
    CalendarSpec("ny", "America/New_York", weekly=(*OFFICE_HOURS, (6, time(9), time(17))))
)
TWENTY_FOUR_SEVEN = always_open()


# -- 24x7 ------------------------------------------------------------------


@given(
    start=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    amount=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)),
)
def test_always_open_calendar_is_plain_arithmetic(start, amount):
    cal = TWENTY_FOUR_SEVEN
    assert cal.is_24x7
    assert cal.add(start, amount) == start + amount
    assert cal.subtract(start, amount) == start - amount
    assert cal.between(start, start + amount) == amount
    assert cal.between(start + amount + MIN, start) == timedelta(0)
    assert cal.is_open(start)
    assert cal.next_open(start) == start


def test_results_are_returned_in_utc():
    result = TWENTY_FOUR_SEVEN.add(local(2026, 6, 1, 12), H)
    assert result.tzinfo is UTC
    assert result == datetime(2026, 6, 1, 11, tzinfo=UTC)
    assert BERLIN_OFFICE.add(local(2026, 6, 1, 12), H).tzinfo is UTC


# -- Berlin office hours ---------------------------------------------------


def test_friday_evening_ticket_is_due_monday_morning():
    due = BERLIN_OFFICE.add(local(2026, 5, 8, 16, 30), H)
    assert due == local(2026, 5, 11, 9, 30)


def test_saturday_ticket_starts_counting_monday_at_nine():
    saturday = local(2026, 5, 9, 11)
    assert BERLIN_OFFICE.add(saturday, 30 * MIN) == local(2026, 5, 11, 9, 30)
    assert BERLIN_OFFICE.next_open(saturday) == local(2026, 5, 11, 9)
    assert not BERLIN_OFFICE.is_open(saturday)


def test_twenty_four_hour_target_takes_three_business_days():
    assert BERLIN_OFFICE.add(local(2026, 6, 8, 9), 24 * H) == local(2026, 6, 10, 17)
    assert BERLIN_OFFICE.add(local(2026, 6, 8, 12), 24 * H) == local(2026, 6, 11, 12)


def test_ascension_day_pushes_a_midweek_deadline_by_a_day():
    # Thu 2026-05-14 is Ascension Day, a nationwide DE holiday.
    assert BERLIN_OFFICE.add(local(2026, 5, 11, 12), 24 * H) == local(2026, 5, 15, 12)


def test_zero_amount_returns_start_unchanged_even_when_closed():
    sunday = local(2026, 5, 10, 3)
    assert BERLIN_OFFICE.add(sunday, timedelta(0)) == sunday
    assert BERLIN_OFFICE.subtract(sunday, timedelta(0)) == sunday


def test_negative_amounts_run_the_clock_the_other_way():
    start = local(2026, 5, 11, 10)
    assert BERLIN_OFFICE.add(start, -2 * H) == BERLIN_OFFICE.subtract(start, 2 * H)
    assert BERLIN_OFFICE.subtract(start, -2 * H) == local(2026, 5, 11, 12)


def test_closing_instant_is_not_open_but_deadline_may_land_on_it():
    assert BERLIN_OFFICE.is_open(local(2026, 5, 11, 9))
    assert not BERLIN_OFFICE.is_open(local(2026, 5, 11, 17))
    assert BERLIN_OFFICE.add(local(2026, 5, 11, 9), 8 * H) == local(2026, 5, 11, 17)


def test_christmas_and_new_year_holidays_are_skipped():
    # Thu 2026-12-24 16:00 + 2h: Fri 25th, Sat, Sun closed -> Mon 28th 10:00.
    assert BERLIN_OFFICE.add(local(2026, 12, 24, 16), 2 * H) == local(2026, 12, 28, 10)
    # Thu 2026-12-31 16:00 + 2h: Fri 2027-01-01 is a holiday -> Mon 4th 10:00.
    assert BERLIN_OFFICE.add(local(2026, 12, 31, 16), 2 * H) == local(2027, 1, 4, 10)
    assert BERLIN_OFFICE.is_holiday(date(2026, 12, 25))
    assert BERLIN_OFFICE.is_holiday(date(2026, 12, 26))
    assert BERLIN_OFFICE.is_holiday(date(2027, 1, 1))
    assert not BERLIN_OFFICE.is_open(local(2026, 12, 25, 12))


def test_explicit_holiday_dates_are_closed():
    cal = berlin_office(holiday_dates=frozenset({date(2026, 5, 12)}))
    assert cal.is_holiday(date(2026, 5, 12))
    assert cal.add(local(2026, 5, 11, 16), 2 * H) == local(2026, 5, 13, 10)
    assert cal.between(local(2026, 5, 11), local(2026, 5, 14)) == 16 * H


def test_subdivision_holidays_apply_only_to_that_subdivision():
    bavaria = berlin_office(holiday_subdivision="BY")
    assert bavaria.is_holiday(date(2026, 1, 6))
    assert not BERLIN_OFFICE.is_holiday(date(2026, 1, 6))
    # Mon 2026-01-05 16:00 + 2h
    assert bavaria.add(local(2026, 1, 5, 16), 2 * H) == local(2026, 1, 7, 10)
    assert BERLIN_OFFICE.add(local(2026, 1, 5, 16), 2 * H) == local(2026, 1, 6, 10)


def test_several_intervals_per_day_with_a_lunch_break():
    cal = BusinessCalendar(
        CalendarSpec("lunch", "UTC", weekly=((0, time(13), time(17)), (0, time(9), time(12))))
    )
    monday = datetime(2026, 5, 11, 11, tzinfo=UTC)
    assert cal.add(monday, 2 * H) == datetime(2026, 5, 11, 14, tzinfo=UTC)
    assert not cal.is_open(datetime(2026, 5, 11, 12, 30, tzinfo=UTC))
    day = datetime(2026, 5, 11, tzinfo=UTC)
    assert cal.between(day, day + timedelta(days=1)) == 7 * H


def test_inputs_in_other_time_zones_are_converted():
    # Fri 16:30 Berlin == Fri 10:30 New York.
    assert BERLIN_OFFICE.add(local(2026, 5, 8, 10, 30, tz=NEW_YORK), H) == local(2026, 5, 11, 9, 30)


# -- DST -------------------------------------------------------------------


def test_business_day_after_spring_forward_is_eight_hours():
    monday = local(2026, 3, 30, 9)
    assert monday.utcoffset() == 2 * H
    assert BERLIN_OFFICE.add(monday, 8 * H) == local(2026, 3, 30, 17)
    assert BERLIN_OFFICE.between(local(2026, 3, 27), local(2026, 3, 31)) == 16 * H
    # Fri 16:00 CET + 2h -> Mon 10:00 CEST
    assert BERLIN_OFFICE.add(local(2026, 3, 27, 16), 2 * H) == local(2026, 3, 30, 10)


def test_business_day_after_fall_back_is_eight_hours():
    monday = local(2026, 10, 26, 9)
    assert monday.utcoffset() == H
    assert BERLIN_OFFICE.add(monday, 8 * H) == local(2026, 10, 26, 17)
    assert BERLIN_OFFICE.add(local(2026, 10, 23, 16), 2 * H) == local(2026, 10, 26, 10)


def test_full_day_calendar_has_23_hours_on_spring_forward_day():
    assert BERLIN_FULL_DAYS.between(local(2026, 3, 29), local(2026, 3, 30)) == 23 * H
    assert BERLIN_FULL_DAYS.add(local(2026, 3, 29), 23 * H) == local(2026, 3, 30)


def test_full_day_calendar_has_25_hours_on_fall_back_day():
    assert BERLIN_FULL_DAYS.between(local(2026, 10, 25), local(2026, 10, 26)) == 25 * H
    assert BERLIN_FULL_DAYS.subtract(local(2026, 10, 26), 25 * H) == local(2026, 10, 25)


def test_new_york_spring_forward_keeps_business_day_at_eight_hours():
    sunday = local(2026, 3, 8, 9, tz=NEW_YORK)
    assert NY_OFFICE.add(sunday, 8 * H) == local(2026, 3, 8, 17, tz=NEW_YORK)
    friday = local(2026, 3, 6, 16, tz=NEW_YORK)  # EST; Sunday is open in this office
    assert NY_OFFICE.add(friday, 2 * H) == local(2026, 3, 8, 10, tz=NEW_YORK)
    full_days = BusinessCalendar(CalendarSpec("ny24", "America/New_York", weekly=ROUND_THE_CLOCK))
    midnight = local(2026, 3, 8, tz=NEW_YORK)
    assert full_days.between(midnight, local(2026, 3, 9, tz=NEW_YORK)) == 23 * H


def test_opening_time_inside_spring_gap_opens_when_the_gap_ends():
    spec = CalendarSpec("gap", "Europe/Berlin", weekly=((6, time(2, 30), time(4)),))
    cal = BusinessCalendar(spec)
    # 02:30 does not exist on 2026-03-29; clocks jump 02:00 CET -> 03:00 CEST.
    assert cal.next_open(local(2026, 3, 29)) == datetime(2026, 3, 29, 1, tzinfo=UTC)
    assert cal.between(local(2026, 3, 29), local(2026, 3, 30)) == H


# -- subtract / inverse ----------------------------------------------------


def test_subtract_across_a_weekend_lands_on_friday():
    assert BERLIN_OFFICE.subtract(local(2026, 5, 11, 9, 30), H) == local(2026, 5, 8, 16, 30)
    assert BERLIN_OFFICE.subtract(local(2026, 5, 11, 9), 8 * H) == local(2026, 5, 8, 9)


@pytest.mark.parametrize("amount", [MIN, H, 8 * H, 24 * H, 100 * H])
def test_subtract_undoes_add_across_weekends(amount):
    start = local(2026, 5, 8, 15)
    end = BERLIN_OFFICE.add(start, amount)
    assert BERLIN_OFFICE.subtract(end, amount) == start
    assert BERLIN_OFFICE.between(BERLIN_OFFICE.subtract(end, amount), end) == amount


# -- errors ----------------------------------------------------------------


def test_naive_datetime_is_rejected():
    naive = datetime(2026, 5, 11, 9)
    for call in (
        lambda: BERLIN_OFFICE.add(naive, H),
        lambda: BERLIN_OFFICE.subtract(naive, H),
        lambda: BERLIN_OFFICE.between(naive, local(2026, 5, 12)),
        lambda: BERLIN_OFFICE.is_open(naive),
        lambda: BERLIN_OFFICE.next_open(naive),
        lambda: TWENTY_FOUR_SEVEN.add(naive, H),
    ):
        with pytest.raises(ValueError, match="naive"):
            call()


def test_calendar_without_open_hours_raises_instead_of_looping():
    empty = BusinessCalendar(CalendarSpec("empty", "Europe/Berlin"))
    start = local(2026, 5, 11)
    for call in (
        lambda: empty.add(start, H),
        lambda: empty.subtract(start, H),
        lambda: empty.next_open(start),
    ):
        with pytest.raises(ValueError, match="calendar empty has no open hours"):
            call()
    assert empty.between(start, local(2027, 5, 11)) == timedelta(0)


def test_invalid_specs_are_rejected():
    with pytest.raises(ValueError):
        BusinessCalendar(CalendarSpec("x", "Mars/Olympus_Mons"))
    with pytest.raises(ValueError):
        BusinessCalendar(CalendarSpec("x", "UTC", weekly=((7, time(9), time(17)),)))
    with pytest.raises(ValueError):
        BusinessCalendar(CalendarSpec("x", "UTC", weekly=((0, time(17), time(9)),)))


# -- properties ------------------------------------------------------------

CALENDARS = st.sampled_from([BERLIN_OFFICE, BERLIN_FULL_DAYS, NY_OFFICE, TWENTY_FOUR_SEVEN])
STARTS = st.datetimes(
    min_value=datetime(2026, 1, 1),
    max_value=datetime(2027, 12, 31),
    timezones=st.sampled_from([UTC, BERLIN]),
)
AMOUNTS = st.integers(min_value=1, max_value=10 * 24 * 60).map(lambda m: m * MIN)
PROPS = settings(max_examples=200, deadline=None)


@PROPS
@given(cal=CALENDARS, start=STARTS, amount=AMOUNTS)
def test_business_deadline_always_falls_inside_business_hours(cal, start, amount):
    due = cal.add(start, amount)
    # The closing instant of an interval counts as inside.
    assert cal.is_open(due) or cal.is_open(due - timedelta(microseconds=1))
    assert due > start


@PROPS
@given(cal=CALENDARS, start=STARTS, amount=AMOUNTS)
def test_open_time_until_deadline_equals_target(cal, start, amount):
    assert cal.between(start, cal.add(start, amount)) == amount


@PROPS
@given(cal=CALENDARS, end=STARTS, amount=AMOUNTS)
def test_open_time_from_subtracted_instant_equals_lead(cal, end, amount):
    earlier = cal.subtract(end, amount)
    assert earlier < end
    assert cal.between(earlier, end) == amount


@PROPS
@given(cal=CALENDARS, start=STARTS, a=AMOUNTS, b=AMOUNTS, shift=AMOUNTS)
def test_add_is_monotonic_in_amount_and_start(cal, start, a, b, shift):
    small, large = sorted((a, b))
    assert cal.add(start, small) <= cal.add(start, large)
    later = start.astimezone(UTC) + shift  # absolute shift, not wall-clock arithmetic
    assert cal.add(start, a) <= cal.add(later, a)


@PROPS
@given(cal=CALENDARS, points=st.lists(STARTS, min_size=3, max_size=3))
def test_between_is_additive(cal, points):
    a, b, c = sorted(points)
    assert cal.between(a, b) + cal.between(b, c) == cal.between(a, c)


@PROPS
@given(cal=CALENDARS, t=STARTS)
def test_next_open_is_open_and_not_before_t(cal, t):
    nxt = cal.next_open(t)
    assert nxt >= t
    assert cal.is_open(nxt)
    assert cal.between(t, nxt) == timedelta(0)
