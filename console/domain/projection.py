"""A ticket's view for the queue and the read-outs: the fold of its events plus the
matrix's judgement (effective severity, placement, clocks). Pure and deterministic:
the same events in the same HLC order always give the same view."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .calendar import BusinessCalendar
from .clocks import Clock, ticket_clocks
from .matrix.model import Matrix
from .scoring import effective_severity, score
from .tickets import TicketEvent, TicketState, apply_event


@dataclass(frozen=True, slots=True)
class ClockView:
    name: str
    severity: str
    target_seconds: int
    due: datetime | None
    pre_breach_at: datetime | None
    stopped_at: datetime | None
    paused_since: datetime | None
    business: bool
    calendar: str
    remaining_when_paused: int | None  # business seconds left, frozen while paused

    def state(self, now: datetime) -> str:
        """ok, pre_breach, breached, paused or met."""
        if self.stopped_at is not None:
            return "met" if self.due is None or self.stopped_at <= self.due else "breached"
        if self.due is not None and now >= self.due:
            return "breached"
        if self.paused_since is not None:
            return "paused"
        if self.pre_breach_at is not None and now >= self.pre_breach_at:
            return "pre_breach"
        return "ok"

    def to_json(self) -> dict[str, Any]:
        def iso(t: datetime | None) -> str | None:
            return None if t is None else t.isoformat()

        return {"name": self.name, "severity": self.severity, "target_seconds": self.target_seconds,
                "due": iso(self.due), "pre_breach_at": iso(self.pre_breach_at),
                "stopped_at": iso(self.stopped_at), "paused_since": iso(self.paused_since),
                "business": self.business, "calendar": self.calendar,
                "remaining_when_paused": self.remaining_when_paused}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ClockView:
        def dt(v: str | None) -> datetime | None:
            return None if v is None else datetime.fromisoformat(v)

        # one copy of the clock, severity and calendar names for all the queue's rows
        return cls(sys.intern(d["name"]), sys.intern(d["severity"]), d["target_seconds"],
                   dt(d["due"]), dt(d["pre_breach_at"]), dt(d["stopped_at"]),
                   dt(d["paused_since"]), d["business"], sys.intern(d["calendar"]),
                   d.get("remaining_when_paused"))


@dataclass(slots=True)
class TicketView:
    id: str
    state: TicketState
    severity: str
    severity_source: str      # suggested | support | engineering | trigger | intake
    suggested: str
    reasons: tuple[str, ...]
    confirmed: bool
    tier: str
    team: str
    clocks: list[ClockView] = field(default_factory=list)

    @property
    def next_due(self) -> datetime | None:
        dues = [c.due for c in self.clocks if c.stopped_at is None and c.due is not None]
        return min(dues) if dues else None


def _view(c: Clock) -> ClockView:
    frozen = None
    if c.paused_since is not None and c.due is None:
        frozen = int(c.remaining(c.paused_since).total_seconds())
    return ClockView(c.name, c.severity, int(c.target.total_seconds()), c.due, c.pre_breach_at,
                     c.stopped_at, c.paused_since, c.business, c.calendar.spec.id, frozen)


def fold(events: Iterable[TicketEvent]) -> TicketState | None:
    state: TicketState | None = None
    for event in events:
        state = apply_event(state, event)
    return state


def project(events: Iterable[TicketEvent], matrix: Matrix,
            calendars: dict[str, BusinessCalendar]) -> TicketView | None:
    """The view of one ticket from its events (already in HLC order)."""
    state = fold(events)
    if state is None:
        return None
    scored = score(matrix, state.intake)
    severity = effective_severity(matrix, state.severity, scored.severity)
    chosen = state.severity is not None and severity == state.severity
    source = state.severity_history[-1].by if chosen else "suggested"
    sev = matrix.severity(severity)
    confirmed = state.confirmed_at is not None or (
        sev.two_stage is None and state.initial_set_at is not None)
    intake_team = matrix.intake_team or matrix.teams[0].id
    team_ids = {t.id for t in matrix.teams}
    team = state.team if state.team in team_ids else intake_team
    tier = matrix.team(team).tier
    clocks = [_view(c) for c in ticket_clocks(state, matrix, calendars, severity)]
    return TicketView(state.id, state, severity, source, scored.severity, scored.reasons,
                      confirmed, tier, team, clocks)
