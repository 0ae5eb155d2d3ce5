"""Which tickets make up a rate of the report: a click on a bar or a cell lists them.

``members`` applies the same rules as ``metrics.report`` (docs/reports.md) to name the
tickets of one rate's numerator and denominator, so ``len(numerator)`` and
``len(denominator)`` are the rate's own counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ..matrix.model import Kpis
from .facts import TicketFacts
from .metrics import NO_CATEGORY, _selected, never_above_first_tier

# the rates a click can ask about; ``key`` names the bar or cell
METRICS = ("escalation_rate", "team", "agent", "t1_resolution", "disagreement",
           "root_cause")


@dataclass(frozen=True, slots=True)
class Members:
    """The tickets of a rate's numerator and of its denominator (ids, sorted)."""

    numerator: tuple[str, ...]
    denominator: tuple[str, ...]


def members(facts: Iterable[TicketFacts], window_from: datetime, window_to: datetime,
            kpis: Kpis, metric: str, key: str | tuple[str, str] | None = None, *,
            team: str | None = None, severity: str | None = None) -> Members:
    """The tickets of ``metric`` over ``[window_from, window_to)`` under the filters.

    ``escalation_rate`` (``key``: an effective severity, or None for all), ``team`` and
    ``agent`` (``key``: the team or the owner), ``t1_resolution``, ``disagreement``
    (``key``: a (Support, Engineering) cell: its tickets are the numerator), and
    ``root_cause`` (``key``: a category; the denominator is every escalated ticket).
    For a week's bar, pass the week's bounds as the window."""
    if metric not in METRICS:
        raise ValueError(f"no such rate {metric!r}; one of {', '.join(METRICS)}")
    if window_to <= window_from:
        raise ValueError("a report's window must end after it starts")
    to = window_to
    num: list[str] = []
    den: list[str] = []
    for f in facts:
        if not _selected(f, to, team, severity):
            continue
        if metric == "t1_resolution":
            last = f.resolved_at(to)
            if last is None or last[0] < window_from:
                continue
            den.append(f.id)
            if never_above_first_tier(f, last[0], kpis.first_tier_level):
                num.append(f.id)
            continue
        if not window_from <= f.opened_at < to:
            continue
        escalations = [e for e in f.escalations if e.at < to]
        if metric == "escalation_rate":
            if key is None or f.severity == key:
                den.append(f.id)
                if escalations:
                    num.append(f.id)
        elif metric == "team":
            if any(h.team == key and h.start < to for h in f.holdings):
                den.append(f.id)
                if any(e.from_team == key for e in escalations):
                    num.append(f.id)
        elif metric == "agent":
            if any(h.owner == key and h.start < to for h in f.holdings):
                den.append(f.id)
                if any(e.owner == key for e in escalations):
                    num.append(f.id)
        elif metric == "disagreement":
            pair = (f.initial_severity, f.confirmed_severity)
            if pair[0] is None or pair[1] is None:
                continue
            den.append(f.id)
            if (pair == key) if key is not None else pair[0] != pair[1]:
                num.append(f.id)
        elif escalations:  # root_cause
            den.append(f.id)
            if (f.category or NO_CATEGORY) == key:
                num.append(f.id)
    return Members(tuple(sorted(num)), tuple(sorted(den)))
