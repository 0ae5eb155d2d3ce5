"""SLA clocks: a pure function of a ticket's state, its severity and a calendar.

Five clocks run per ticket: response, update cadence, resolution, and the two-stage
severity clocks (initial severity by Support, confirmation by Engineering). Waiting on
the customer pauses update and resolution. Targets always count from the original
start, so a severity change keeps the time already spent paused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .calendar import BusinessCalendar
from .matrix.model import Matrix, Severity
from .tickets import TicketState

CLOCKS = ("response", "update", "resolution", "initial_severity", "confirmation")
_ZERO = timedelta(0)


@dataclass(frozen=True, slots=True)
class Clock:
    """One SLA clock of one ticket."""

    name: str
    severity: str
    calendar: BusinessCalendar
    target: timedelta
    lead: timedelta
    start: datetime
    due: datetime | None           # None while paused
    pre_breach_at: datetime | None
    stopped_at: datetime | None    # met (or missed) at this instant
    paused_since: datetime | None
    paused_total: timedelta        # business time spent paused so far (closed pauses)
    cycle: int = 0                 # update clock: which cadence window

    @property
    def business(self) -> bool:
        return not self.calendar.is_24x7

    def state(self, now: datetime) -> str:
        """running, paused, met or breached."""
        if self.stopped_at is not None:
            return "met" if self.due is None or self.stopped_at <= self.due else "breached"
        if self.due is not None and now >= self.due:
            return "breached"
        if self.paused_since is not None:
            return "paused"
        return "running"

    def sla_state(self, now: datetime) -> str:
        """What the queue shows: ok, pre_breach, breached, paused or met."""
        state = self.state(now)
        if state == "running":
            return "pre_breach" if self.pre_breach_at and now >= self.pre_breach_at else "ok"
        return state

    def remaining(self, now: datetime) -> timedelta:
        """Business time left (negative once breached); frozen while paused."""
        if self.paused_since is not None and self.due is None:
            used = self.calendar.between(self.start, self.paused_since) - self.paused_total
            return self.target - used
        assert self.due is not None
        end = self.stopped_at or now
        if end <= self.due:
            return self.calendar.between(end, self.due)
        return -self.calendar.between(self.due, end)


def _deadline(cal: BusinessCalendar, start: datetime, target: timedelta,
              pauses: list[tuple[datetime, datetime | None]]
              ) -> tuple[datetime | None, timedelta, datetime | None]:
    """(due, paused business time, paused_since). A pause that begins after the due
    instant no longer matters: the clock had already breached."""
    due = cal.add(start, target)
    paused = _ZERO
    for p_start, p_end in pauses:
        if p_end is not None and p_end <= start:
            continue
        p_start = max(p_start, start)
        if p_start >= due:
            break
        if p_end is None:
            return None, paused, p_start
        paused += cal.between(p_start, p_end)
        due = cal.add(start, target + paused)
    return due, paused, None


def _clock(name: str, sev: Severity, cals: dict[str, BusinessCalendar], start: datetime,
           stopped: datetime | None, pauses: list[tuple[datetime, datetime | None]],
           cycle: int = 0) -> Clock | None:
    target = sev.target(name)
    if target is None:
        return None
    cal = cals[sev.targets.calendar]
    lead = sev.lead_time(name) or _ZERO
    due, paused_total, paused_since = _deadline(cal, start, target, pauses)
    if paused_since is not None and stopped is not None:
        paused_since = None  # resolved while paused: the pause closed at resolution
    pre = None if due is None else cal.subtract(due, lead)
    return Clock(name, sev.id, cal, target, lead, start, due, pre, stopped, paused_since,
                 paused_total, cycle)


def initial_severity_for_confirmation(matrix: Matrix, state: TicketState) -> Severity | None:
    """The severity Support set first: it decides whether Engineering must confirm. One
    the matrix does not have (removed, or from a newer matrix) asks for no confirmation."""
    first = state.first_severity
    return matrix.severity(first) if first is not None and matrix.has_severity(first) else None


CLOCK_NAMES = ("response", "resolution", "update", "initial_severity", "confirmation")


def ticket_clock(state: TicketState, matrix: Matrix, cals: dict[str, BusinessCalendar],
                 severity: str, name: str) -> Clock | None:
    """The ticket's clock ``name`` under ``severity``, if it has one (what
    ``ticket_clocks`` lists, computed alone: an SLA alert judges one clock)."""
    sev = matrix.severity(severity)
    if name == "response":
        return _clock("response", sev, cals, state.opened_at, state.responded_at, [])
    if name == "resolution":
        return _clock("resolution", sev, cals, state.opened_at, state.resolved_at,
                      state.pauses)
    if name == "update":
        if state.responded_at is None:
            return None
        anchor = state.last_update_at or state.responded_at
        return _clock("update", sev, cals, anchor, state.resolved_at, state.pauses,
                      cycle=state.updates_sent)
    if name == "initial_severity":
        return _clock("initial_severity", sev, cals, state.opened_at,
                      state.initial_set_at or state.resolved_at, [])
    if name == "confirmation":
        first = initial_severity_for_confirmation(matrix, state)
        if first is None or first.two_stage is None or state.initial_set_at is None:
            return None
        return _clock("confirmation", first, cals, state.initial_set_at,
                      state.confirmed_at or state.resolved_at, [])
    raise ValueError(f"no clock named {name!r}")


def ticket_clocks(state: TicketState, matrix: Matrix, cals: dict[str, BusinessCalendar],
                  severity: str) -> list[Clock]:
    """Every clock the ticket has under ``severity`` (its current effective severity)."""
    out = (ticket_clock(state, matrix, cals, severity, name) for name in CLOCK_NAMES)
    return [c for c in out if c is not None]
