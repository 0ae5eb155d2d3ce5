"""The report over a window ``[from, to)``: every metric of issue 15's table, computed
from ``TicketFacts`` in one pass (linear in the facts, a few steps per fact), so a
rollup of 100,000 tickets reports in well under its budget. Definitions, and where they
differ from the seed's, are in docs/reports.md."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..matrix.model import Kpis
from .facts import TicketFacts
from .rates import Rate, Spread, spreads

WEEK = timedelta(days=7)
NO_CATEGORY = "(none)"


@dataclass(frozen=True, slots=True)
class TeamRate:
    """A team's escalation rate (tickets), and its escalations away (events)."""

    rate: Rate
    escalations: int


@dataclass(frozen=True, slots=True)
class SlaRow:
    clock: str
    severity: str
    met: int
    breached: int

    @property
    def attainment(self) -> Rate:
        return Rate(self.met, self.met + self.breached)


@dataclass(frozen=True, slots=True)
class Week:
    start: datetime
    end: datetime
    escalation: Rate
    t1_resolution: Rate


@dataclass(frozen=True, slots=True)
class Report:
    window_from: datetime
    window_to: datetime
    team: str | None
    severity: str | None
    first_tier: str                     # the tier the T1 resolution rate is about
    opened: int
    resolved: int
    escalated: int
    escalations: int
    escalation_rate: Rate
    escalation_by_severity: dict[str, Rate]
    teams: dict[str, TeamRate]
    agents: dict[str, Rate]
    t1_resolution: Rate
    first_response: dict[str, Spread]   # "all", then per severity at the response
    resolve_wall: dict[str, Spread]     # "all", then per severity at the resolution
    resolve_working: dict[str, Spread]  # the same, waiting on the customer left out
    sla: tuple[SlaRow, ...]
    disagreement: Rate
    disagreement_matrix: dict[str, dict[str, int]]  # Support's severity -> Engineering's
    owners: Spread                      # distinct owners per resolved ticket
    handoffs: Spread                    # handoffs per resolved ticket
    root_causes: dict[str, int]         # escalated tickets per category
    weekly: tuple[Week, ...]

    def flags(self) -> list[dict[str, Any]]:
        """What is on the wrong side of its threshold (never a rate over too few)."""
        found: list[tuple[str, str | None, Rate]] = [("escalation_rate", None,
                                                       self.escalation_rate)]
        found += [("team", t, r.rate) for t, r in self.teams.items()]
        found += [("agent", a, r) for a, r in self.agents.items()]
        found.append(("t1_resolution", None, self.t1_resolution))
        return [{"kind": kind, "id": ident, "value": rate.value, "threshold": rate.threshold}
                for kind, ident, rate in found if rate.flagged]

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data; docs/reports.md documents every field."""
        def rates(d: dict[str, Rate]) -> dict[str, Any]:
            return {k: r.to_json() for k, r in d.items()}

        def spread_map(d: dict[str, Spread]) -> dict[str, Any]:
            return {k: s.to_json() for k, s in d.items()}

        escalated = max(self.escalated, 1)
        return {
            "window": {"from": self.window_from.isoformat(), "to": self.window_to.isoformat()},
            "filters": {"team": self.team, "severity": self.severity},
            "opened": self.opened, "resolved": self.resolved,
            "escalated": self.escalated, "escalations": self.escalations,
            "escalation_rate": self.escalation_rate.to_json(),
            "escalation_rate_by_severity": rates(self.escalation_by_severity),
            "teams": {t: {**r.rate.to_json(), "escalations": r.escalations}
                      for t, r in self.teams.items()},
            "agents": rates(self.agents),
            "t1_resolution": {**self.t1_resolution.to_json(), "tier": self.first_tier},
            "time_to_first_response": spread_map(self.first_response),
            "time_to_resolve": {"wall": spread_map(self.resolve_wall),
                                "excluding_waiting": spread_map(self.resolve_working)},
            "sla": [{"clock": r.clock, "severity": r.severity, "met": r.met,
                     "breached": r.breached, **_plain(r.attainment)} for r in self.sla],
            "severity_disagreement": {**self.disagreement.to_json(),
                                      "matrix": self.disagreement_matrix},
            "reassignments": {"owners": self.owners.to_json(),
                              "handoffs": self.handoffs.to_json()},
            "root_causes": {c: {"count": n, "share": n / escalated}
                            for c, n in self.root_causes.items()},
            "weekly": [{"from": w.start.isoformat(), "to": w.end.isoformat(),
                        "escalation_rate": w.escalation.to_json(),
                        "t1_resolution": w.t1_resolution.to_json()} for w in self.weekly],
            "flags": self.flags(),
        }


def _plain(rate: Rate) -> dict[str, Any]:
    return {"numerator": rate.numerator, "denominator": rate.denominator,
            "value": rate.value, "too_few": rate.too_few}


def never_above_first_tier(f: TicketFacts, resolved: datetime, first_tier_level: int) -> bool:
    """Whether ``f`` was resolved at the first tier: no tier above ``first_tier_level``
    held it before ``resolved`` (the T1 resolution rate's numerator)."""
    return all(h.tier_level <= first_tier_level for h in f.holdings if h.start < resolved)


def _selected(f: TicketFacts, to: datetime, team: str | None, severity: str | None) -> bool:
    if severity is not None and f.severity != severity:
        return False
    return team is None or any(h.team == team and h.start < to for h in f.holdings)


class _Tally:
    """The running counts of one pass."""

    def __init__(self, kpis: Kpis, start: datetime, to: datetime) -> None:
        self.kpis, self.start, self.to = kpis, start, to
        self.opened = self.escalated = self.escalations = 0
        self.resolved = self.t1 = 0
        self.by_sev: Counter[str] = Counter()
        self.esc_by_sev: Counter[str] = Counter()
        self.team_held: Counter[str] = Counter()
        self.team_away: Counter[str] = Counter()
        self.team_events: Counter[str] = Counter()
        self.agent_owned: Counter[str] = Counter()
        self.agent_escalated: Counter[str] = Counter()
        self.response: defaultdict[str, list[float]] = defaultdict(list)
        self.wall: defaultdict[str, list[float]] = defaultdict(list)
        self.working: defaultdict[str, list[float]] = defaultdict(list)
        self.sla: Counter[tuple[str, str, bool]] = Counter()
        self.both_stages = self.differ = 0
        self.pairs: Counter[tuple[str, str]] = Counter()
        self.owners: list[float] = []
        self.handoffs: list[float] = []
        self.causes: Counter[str] = Counter()
        weeks = max(1, -(-(to - start) // WEEK))
        self.week_opened = [0] * weeks
        self.week_escalated = [0] * weeks
        self.week_resolved = [0] * weeks
        self.week_t1 = [0] * weeks

    def week_end(self, index: int) -> datetime:
        return min(self.start + (index + 1) * WEEK, self.to)

    def opened_ticket(self, f: TicketFacts) -> None:
        to = self.to
        self.opened += 1
        escalations = [e for e in f.escalations if e.at < to]
        self.by_sev[f.severity] += 1
        if escalations:
            self.escalated += 1
            self.escalations += len(escalations)
            self.esc_by_sev[f.severity] += 1
            self.causes[f.category or NO_CATEGORY] += 1
        held = {h.team for h in f.holdings if h.start < to}
        owned = {h.owner for h in f.holdings if h.start < to and h.owner}
        self.team_held.update(held)
        self.agent_owned.update(owned)
        if escalations:
            self.team_away.update({e.from_team for e in escalations})
            self.team_events.update(e.from_team for e in escalations)
            self.agent_escalated.update({e.owner for e in escalations if e.owner})
        if f.first_response_at is not None and f.first_response_at < to:
            seconds = (f.first_response_at - f.opened_at).total_seconds()
            self.response["all"].append(seconds)
            self.response[f.response_severity or f.severity].append(seconds)
        if f.initial_severity is not None and f.confirmed_severity is not None:
            self.both_stages += 1
            self.differ += f.initial_severity != f.confirmed_severity
            self.pairs[(f.initial_severity, f.confirmed_severity)] += 1
        week = (f.opened_at - self.start) // WEEK
        self.week_opened[week] += 1
        self.week_escalated[week] += any(e.at < self.week_end(week) for e in escalations)

    def resolved_ticket(self, f: TicketFacts, resolved: datetime, severity: str) -> None:
        self.resolved += 1
        self.t1 += never_above_first_tier(f, resolved, self.kpis.first_tier_level)
        wall = resolved - f.opened_at
        working = wall - f.waiting(f.opened_at, resolved)
        for key in ("all", severity):
            self.wall[key].append(wall.total_seconds())
            self.working[key].append(working.total_seconds())
        self.owners.append(len({h.owner for h in f.holdings
                                if h.start < resolved and h.owner}))
        self.handoffs.append(sum(1 for at in f.handoffs if at < resolved))

    def weekly_resolutions(self, f: TicketFacts) -> None:
        """The ticket in each week's resolved cohort (resolved at the week's end, its last
        resolution in that week)."""
        seen = -1
        for at, _ in f.resolutions:
            if not self.start <= at < self.to:
                continue
            week = (at - self.start) // WEEK
            if week == seen:
                continue
            seen = week
            last = f.resolved_at(self.week_end(week))
            if last is not None and last[0] >= self.start + week * WEEK:
                self.week_resolved[week] += 1
                self.week_t1[week] += never_above_first_tier(
                    f, last[0], self.kpis.first_tier_level)

    def clocks(self, f: TicketFacts) -> None:
        start, to, sla = self.start, self.to, self.sla
        for c in f.clocks:
            done = c.completed_at
            if done is not None and start <= done < to:
                sla[(c.clock, c.severity, c.met)] += 1


def report(facts: Iterable[TicketFacts], window_from: datetime, window_to: datetime,
           kpis: Kpis, *, team: str | None = None, severity: str | None = None) -> Report:
    """Every metric over ``[window_from, window_to)``, for the tickets a ``team`` held
    (before ``window_to``) and of an effective ``severity``, when given."""
    if window_to <= window_from:
        raise ValueError("a report's window must end after it starts")
    t = _Tally(kpis, window_from, window_to)
    for f in facts:
        if not _selected(f, window_to, team, severity):
            continue
        if window_from <= f.opened_at < window_to:
            t.opened_ticket(f)
        last = f.resolved_at(window_to)
        if last is not None and last[0] >= window_from:
            t.resolved_ticket(f, *last)
        if f.resolutions:
            t.weekly_resolutions(f)
        t.clocks(f)
    return _build(t, team, severity)


def _build(t: _Tally, team: str | None, severity: str | None) -> Report:
    k = t.kpis
    severities = list(k.severities) + sorted(
        {s for pair in t.pairs for s in pair} - set(k.severities))
    sla_keys = sorted({(clock, sev) for clock, sev, _ in t.sla})
    weeks = tuple(
        Week(t.start + i * WEEK, t.week_end(i),
             Rate(t.week_escalated[i], t.week_opened[i], k.escalation_target),
             Rate(t.week_t1[i], t.week_resolved[i], k.t1_resolution_target, at_least=True))
        for i in range(len(t.week_opened)))
    return Report(
        window_from=t.start, window_to=t.to, team=team, severity=severity,
        first_tier=k.first_tier,
        opened=t.opened, resolved=t.resolved, escalated=t.escalated,
        escalations=t.escalations,
        escalation_rate=Rate(t.escalated, t.opened, k.escalation_target),
        escalation_by_severity={s: Rate(t.esc_by_sev[s], t.by_sev[s], k.escalation_target)
                                for s in sorted(t.by_sev)},
        teams={x: TeamRate(Rate(t.team_away[x], n, k.team_flag), t.team_events[x])
               for x, n in sorted(t.team_held.items())},
        agents={a: Rate(t.agent_escalated[a], n, k.agent_flag)
                for a, n in sorted(t.agent_owned.items())},
        t1_resolution=Rate(t.t1, t.resolved, k.t1_resolution_target, at_least=True),
        first_response=spreads(t.response), resolve_wall=spreads(t.wall),
        resolve_working=spreads(t.working),
        sla=tuple(SlaRow(c, s, t.sla[(c, s, True)], t.sla[(c, s, False)])
                  for c, s in sla_keys),
        disagreement=Rate(t.differ, t.both_stages),
        disagreement_matrix={a: {b: t.pairs[(a, b)] for b in severities} for a in severities},
        owners=Spread.of(t.owners), handoffs=Spread.of(t.handoffs),
        root_causes=dict(sorted(t.causes.items())), weekly=weeks)
