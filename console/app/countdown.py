"""Countdown text for SLA clocks, shared by the queue and the wall screen.

Business clocks count open calendar time ("1h 05m business"); paused clocks show the
frozen time left; breached clocks show how long ago they breached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from console.domain.calendar import BusinessCalendar
from console.domain.durations import humanize
from console.domain.projection import ClockView


@dataclass(frozen=True, slots=True)
class Countdown:
    text: str
    state: str            # ok | pre_breach | breached | paused | met
    seconds_left: float   # negative once breached; for sorting and big displays


def countdown(clock: ClockView | None, now: datetime,
              calendars: dict[str, BusinessCalendar]) -> Countdown:
    if clock is None:
        return Countdown("", "none", float("inf"))
    state = clock.state(now)
    if state == "met":
        return Countdown("met", state, float("inf"))
    if clock.stopped_at is not None:  # stopped after its due time
        late = clock.stopped_at - clock.due if clock.due else timedelta(0)
        return Countdown(f"missed by {humanize(late)}", "breached", -late.total_seconds())
    suffix = " business" if clock.business else ""
    if clock.due is None:  # paused before its deadline
        left = timedelta(seconds=clock.remaining_when_paused or 0)
        return Countdown(f"paused, {humanize(left)}{suffix} left", "paused",
                         left.total_seconds())
    calendar = calendars.get(clock.calendar)
    if now >= clock.due:
        over = calendar.between(clock.due, now) if calendar and clock.business else now - clock.due
        return Countdown(f"-{humanize(over)}{suffix}", "breached", -over.total_seconds())
    left = calendar.between(now, clock.due) if calendar and clock.business else clock.due - now
    prefix = "paused, " if state == "paused" else ""
    return Countdown(f"{prefix}{humanize(left)}{suffix}", state, left.total_seconds())
