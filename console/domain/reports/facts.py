"""What reports need of one ticket, folded once from its events with the matrix.

``TicketFacts`` holds no report window: a rollup table can store it (``to_json``) when
the ticket's events change, and any window's report filters it (``metrics.report``).
The fold is the projection's (``tickets.apply_event``) and every SLA clock instance is
the engine's (``clocks.ticket_clocks``, business calendars and pauses included); this
module only records, event by event, what those say.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..calendar import BusinessCalendar
from ..clocks import Clock, ticket_clocks
from ..engine import build_calendars
from ..matrix.model import Matrix
from ..scoring import effective_severity, score
from ..tickets import TicketEvent, TicketState, apply_event

# The version of the facts' JSON: a rollup holding another recomputes its rows.
FACTS_VERSION = 1


@dataclass(frozen=True, slots=True)
class Holding:
    """Who held the ticket from ``start`` until ``end`` (None: still)."""

    start: datetime
    end: datetime | None
    team: str
    tier: str
    tier_level: int
    owner: str  # "" while nobody owns it


@dataclass(frozen=True, slots=True)
class Escalation:
    """One ``escalated`` event the fold applied: from the team that held the ticket,
    while ``owner`` owned it, to ``to_team``."""

    at: datetime
    from_team: str
    to_team: str
    owner: str
    mode: str  # functional | hierarchical


@dataclass(frozen=True, slots=True)
class ClockInstance:
    """One SLA clock instance (every update cycle is one), as the engine judges it."""

    clock: str
    severity: str
    due: datetime | None       # None: paused when it stopped, or still paused
    stopped: datetime | None   # None: still running
    cycle: int = 0
    # met: stopped at or before its due instant (the engine's rule: a clock stopped
    # while paused has no due instant and is met); decided: when it was met or breached
    # (its stop when met, its due instant when breached), None while undecided. Computed
    # once: a report reads them for every instance of 100,000 tickets.
    met: bool = field(init=False, compare=False, repr=False)
    completed_at: datetime | None = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        due, stopped = self.due, self.stopped
        met = stopped is not None and (due is None or stopped <= due)
        object.__setattr__(self, "met", met)
        object.__setattr__(self, "completed_at", stopped if met else due)

    @property
    def breached(self) -> bool:
        """Reached its due instant unmet (stopped later, or not at all)."""
        return self.due is not None and not self.met


@dataclass(frozen=True, slots=True)
class TicketFacts:
    id: str
    opened_at: datetime
    category: str
    severity: str                    # effective severity after the last event
    initial_severity: str | None     # the first one Support (or intake) set
    confirmed_severity: str | None   # the first one Engineering set
    holdings: tuple[Holding, ...]
    escalations: tuple[Escalation, ...]
    resolutions: tuple[tuple[datetime, str], ...]  # (instant, effective severity then)
    reopens: tuple[datetime, ...]
    first_response_at: datetime | None
    response_severity: str | None    # effective severity at the first response
    handoffs: tuple[datetime, ...]
    pauses: tuple[tuple[datetime, datetime | None], ...]  # waiting on the customer
    clocks: tuple[ClockInstance, ...]

    def resolved_at(self, to: datetime) -> tuple[datetime, str] | None:
        """The last resolution before ``to`` if the ticket was resolved at ``to``."""
        last = None
        for at, sev in self.resolutions:
            if at >= to:
                break
            last = (at, sev)
        if last is None or any(last[0] <= r < to for r in self.reopens):
            return None
        return last

    @property
    def horizon(self) -> datetime:
        """The last instant at which these facts count in a report: a report over
        ``[from, to)`` needs only the tickets with ``opened_at < to`` and
        ``horizon >= from`` (a rollup indexes both)."""
        instants = [self.opened_at, *(at for at, _ in self.resolutions)]
        instants += [c.completed_at for c in self.clocks if c.completed_at is not None]
        return max(instants)

    def waiting(self, start: datetime, end: datetime) -> timedelta:
        """Wall time spent waiting on the customer between ``start`` and ``end``."""
        total = timedelta(0)
        for p_start, p_end in self.pauses:
            lo, hi = max(p_start, start), min(p_end or end, end)
            if hi > lo:
                total += hi - lo
        return total

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data (instants as ISO text); ``from_json`` reads it back."""
        return {
            "version": FACTS_VERSION,
            "id": self.id, "opened_at": _iso(self.opened_at), "category": self.category,
            "severity": self.severity, "initial_severity": self.initial_severity,
            "confirmed_severity": self.confirmed_severity,
            "holdings": [[_iso(h.start), _iso(h.end), h.team, h.tier, h.tier_level, h.owner]
                         for h in self.holdings],
            "escalations": [[_iso(e.at), e.from_team, e.to_team, e.owner, e.mode]
                            for e in self.escalations],
            "resolutions": [[_iso(at), sev] for at, sev in self.resolutions],
            "reopens": [_iso(at) for at in self.reopens],
            "first_response_at": _iso(self.first_response_at),
            "response_severity": self.response_severity,
            "handoffs": [_iso(at) for at in self.handoffs],
            "pauses": [[_iso(a), _iso(b)] for a, b in self.pauses],
            "clocks": [[c.clock, c.severity, _iso(c.due), _iso(c.stopped), c.cycle]
                       for c in self.clocks],
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> TicketFacts:
        """Facts ``to_json`` gave; ValueError for another version's (recompute them)."""
        if d.get("version") != FACTS_VERSION:
            raise ValueError(f"ticket facts of version {d.get('version')!r}, not "
                             f"{FACTS_VERSION}: fold the ticket's events again")
        return cls(
            id=d["id"], opened_at=_at(d["opened_at"]), category=d["category"],
            severity=d["severity"], initial_severity=d["initial_severity"],
            confirmed_severity=d["confirmed_severity"],
            holdings=tuple(Holding(_at(s), _maybe(e), team, tier, level, owner)
                           for s, e, team, tier, level, owner in d["holdings"]),
            escalations=tuple(Escalation(_at(at), f, t, o, mode)
                              for at, f, t, o, mode in d["escalations"]),
            resolutions=tuple((_at(at), sev) for at, sev in d["resolutions"]),
            reopens=tuple(_at(at) for at in d["reopens"]),
            first_response_at=_maybe(d["first_response_at"]),
            response_severity=d["response_severity"],
            handoffs=tuple(_at(at) for at in d["handoffs"]),
            pauses=tuple((_at(a), _maybe(b)) for a, b in d["pauses"]),
            clocks=tuple(ClockInstance(name, sev, _maybe(due), _maybe(stop), cycle)
                         for name, sev, due, stop, cycle in d["clocks"]),
        )


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _maybe(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _instance(c: Clock) -> ClockInstance:
    return ClockInstance(c.name, c.severity, c.due, c.stopped_at, c.cycle)


class _Fold:
    """Folds one ticket's events and notes what reports need as it goes."""

    def __init__(self, state: TicketState, matrix: Matrix,
                 calendars: dict[str, BusinessCalendar], with_clocks: bool = True,
                 suggested: str | None = None) -> None:
        self.state, self.matrix, self.calendars = state, matrix, calendars
        self.with_clocks = with_clocks
        self.suggested = suggested or score(matrix, state.intake).severity
        self.teams = {t.id: t for t in matrix.teams}
        self.levels = {t.id: t.level for t in matrix.tiers}
        self.intake_team = matrix.intake_team or matrix.teams[0].id
        self.holdings: list[Holding] = []
        self.current = self._place()
        self.since = state.opened_at
        self.escalations: list[Escalation] = []
        self.resolutions: list[tuple[datetime, str]] = []
        self.reopens: list[datetime] = []
        self.response: tuple[datetime, str] | None = None
        self.handoffs: list[datetime] = []
        self.cycles: list[ClockInstance] = []  # update cycles closed by the next update
        self.initial, self.confirmed = self._stages(None, None)

    def severity(self) -> str:
        return effective_severity(self.matrix, self.state.severity, self.suggested)

    def _place(self) -> tuple[str, str, str]:
        """(team, tier, owner) now, as the projection places the ticket."""
        st = self.state
        team = st.team if st.team is not None else self.intake_team
        tier = st.tier or (self.teams[team].tier if team in self.teams else "")
        return team, tier, st.owner

    def _stages(self, initial: str | None, confirmed: str | None
                ) -> tuple[str | None, str | None]:
        history = self.state.severity_history
        last = history[-1] if history else None
        if last is not None and initial is None and last.by in ("support", "intake"):
            initial = last.severity
        if last is not None and confirmed is None and last.by == "engineering":
            confirmed = last.severity
        return initial, confirmed

    def apply(self, event: TicketEvent) -> None:
        st, kind, at = self.state, event.type, event.at
        if kind in ("responded", "update_sent") and self.response is None:
            self.response = (at, self.severity())
        if (kind == "update_sent" and self.with_clocks and st.responded_at is not None
                and st.resolved_at is None):
            update = self._clock("update")
            if update is not None:  # this update stops the running cycle
                stopped = dataclasses.replace(update, stopped=at)
                self.cycles.append(stopped)
        before = self.current
        reopening = kind == "reopened" and st.resolved_at is not None
        d = event.data
        # the fold's rule (tickets.apply_event): the engine's move of a ticket someone
        # has moved since changes nothing, and is no escalation
        applies = not (d.get("by") == "engine" and st.team not in (None, d.get("from_team")))
        apply_event(st, event)
        if kind == "severity":
            self.initial, self.confirmed = self._stages(self.initial, self.confirmed)
        elif kind == "resolved":
            self.resolutions.append((at, self.severity()))
        elif reopening:
            self.reopens.append(at)
        elif kind == "handoff_submitted":
            self.handoffs.append(at)
        elif kind == "escalated" and applies:
            mode = str(d.get("mode") or d.get("kind") or "functional")
            self.escalations.append(Escalation(at, before[0], st.team or before[0],
                                               before[2], mode))
        now = self._place()
        if now != before:
            self._hold(at)
            self.current = now

    def _hold(self, until: datetime | None) -> None:
        team, tier, owner = self.current
        self.holdings.append(Holding(self.since, until, team, tier,
                                     self.levels.get(tier, 0), owner))
        if until is not None:
            self.since = until

    def _clock(self, name: str) -> ClockInstance | None:
        for c in ticket_clocks(self.state, self.matrix, self.calendars, self.severity()):
            if c.name == name:
                return _instance(c)
        return None

    def facts(self) -> TicketFacts:
        st = self.state
        self._hold(None)
        final = [_instance(c) for c in
                 ticket_clocks(st, self.matrix, self.calendars, self.severity())
                 ] if self.with_clocks else []
        intake = st.intake
        return TicketFacts(
            id=st.id, opened_at=st.opened_at, category=intake.category,
            severity=self.severity(), initial_severity=self.initial,
            confirmed_severity=self.confirmed, holdings=tuple(self.holdings),
            escalations=tuple(self.escalations), resolutions=tuple(self.resolutions),
            reopens=tuple(self.reopens),
            first_response_at=self.response[0] if self.response else None,
            response_severity=self.response[1] if self.response else None,
            handoffs=tuple(self.handoffs), pauses=tuple(st.pauses),
            clocks=tuple(self.cycles) + tuple(final))


def ticket_facts(events: Iterable[TicketEvent], matrix: Matrix,
                 calendars: dict[str, BusinessCalendar] | None = None, *,
                 clocks: bool = True, suggested: str | None = None) -> TicketFacts | None:
    """The facts of one ticket from its events (in HLC order); None if never opened.
    ``clocks=False`` leaves the clock instances out (the rates need none: what-if folds
    every ticket of a window twice); ``suggested``: the intake's scored severity, when
    the caller has it already.

    Update cycles closed by a later update are judged as the engine judged them then
    (the severity in force, the pauses so far); every other clock as the ticket's final
    state judges it, as the queue shows it (a severity change recomputes targets from
    the original open time)."""
    calendars = calendars if calendars is not None else build_calendars(matrix)
    fold: _Fold | None = None
    for event in events:
        if fold is None:
            state = apply_event(None, event)
            if state is not None:
                fold = _Fold(state, matrix, calendars, clocks, suggested)
            continue
        fold.apply(event)
    return None if fold is None else fold.facts()
