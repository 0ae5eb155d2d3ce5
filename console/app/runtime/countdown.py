"""Countdown text for SLA clocks, shared by the queue and the wall screen.

Business clocks count open calendar time ("1h 05m business"); paused clocks show the
frozen time left; breached clocks show how long ago they breached. Seconds round up,
as on any countdown: a clock reads "1s" in its last second and "-1s" in the first
second after its deadline, never "0s" or "-0s".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from console.app.runtime.rows import QueueRow, clock_label
from console.domain.calendar import BusinessCalendar
from console.domain.durations import humanize
from console.domain.projection import ClockView

#: The SLA pill's words for the states that name no clock.
STATE_WORDS = {"ok": "OK", "paused": "PAUSED", "met": "MET", "none": ""}


@dataclass(frozen=True, slots=True)
class Countdown:
    text: str
    state: str            # ok | pre_breach | breached | paused | met
    seconds_left: float   # negative once breached; for sorting and big displays


def span(seconds: float) -> str:
    """``|seconds|`` as a countdown reads it: rounded up to whole seconds, at least 1 s."""
    return humanize(timedelta(seconds=max(1, math.ceil(abs(seconds)))))


def short_span(seconds: float) -> str:
    """A coarser ``|seconds|`` for a pill: ``45s`` under a minute, then whole minutes
    (rounded down: ``2m`` until three minutes are left), then ``1h 05m``."""
    seconds = abs(seconds)
    if seconds < 60:
        return span(seconds)
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    return humanize(timedelta(seconds=seconds))


def countdown(clock: ClockView | None, now: datetime,
              calendars: dict[str, BusinessCalendar]) -> Countdown:
    if clock is None:
        return Countdown("", "none", float("inf"))
    state = clock.state(now)
    if state == "met":
        return Countdown("met", state, float("inf"))
    if clock.stopped_at is not None:  # stopped after its due time
        late = clock.stopped_at - clock.due if clock.due else timedelta(0)
        return Countdown(f"missed by {span(late.total_seconds())}", "breached",
                         -late.total_seconds())
    suffix = " business" if clock.business else ""
    if clock.due is None:  # paused before its deadline
        left = timedelta(seconds=clock.remaining_when_paused or 0)
        return Countdown(f"paused, {humanize(left)}{suffix} left", "paused",
                         left.total_seconds())
    calendar = calendars.get(clock.calendar)
    if now >= clock.due:
        over = calendar.between(clock.due, now) if calendar and clock.business else now - clock.due
        return Countdown(f"-{span(over.total_seconds())}{suffix}", "breached",
                         -over.total_seconds())
    left = calendar.between(now, clock.due) if calendar and clock.business else clock.due - now
    prefix = "paused, " if state == "paused" else ""
    return Countdown(f"{prefix}{span(left.total_seconds())}{suffix}", state,
                     left.total_seconds())


def sla_label(row: QueueRow, now: datetime, calendars: dict[str, BusinessCalendar],
              state: str | None = None) -> tuple[str, str]:
    """(state, text) of a row's SLA pill. Breached and pre-breach name the clock behind
    them, whichever of the five it is: ``CONFIRMATION BREACHED``, ``RESPONSE 2m``.
    ``state``: the row's sla_state at ``now``, if the caller has it already."""
    state = state or row.sla_state(now)
    clock = row.sla_clock(now) if state in ("breached", "pre_breach") else None
    if clock is None:
        return state, STATE_WORDS.get(state, state.upper())
    name = clock_label(clock.name, short=True).upper()
    if state == "breached":
        return state, f"{name} BREACHED"
    return state, f"{name} {short_span(countdown(clock, now, calendars).seconds_left)}"
