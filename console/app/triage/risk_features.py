"""What is known of an open ticket at an instant, from its events up to that instant.

``RiskInput`` is one open ticket as the risk model reads it. ``RiskFeed`` folds events
into RiskInputs incrementally (the live console and the batch path share it, so training
and scoring see the same features); ``inputs_at`` gives one ticket's RiskInputs at
several instants in one pass over its events (training snapshots). ``feature_matrix``
turns RiskInputs into the numeric matrix the model reads, vectorised with numpy.

Every value here comes from events at or before the instant: the leak guard
(``risk_backtest.leak_check``) checks that by computing each feature from the whole
history and from the history cut at the instant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import numpy as np

from console.domain.calendar import BusinessCalendar
from console.domain.clocks import ticket_clocks
from console.domain.engine import build_calendars
from console.domain.matrix import Matrix
from console.domain.scoring import effective_severity, score
from console.domain.tickets import TicketCore, TicketEvent, TicketState, apply_event, message_text

RISK_HORIZON = timedelta(hours=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MOVES = frozenset({"escalated", "assigned", "routed"})

# The model's columns, in order. Categorical columns hold an index into the model's
# vocabulary of that column (NaN: a value training never saw).
CATEGORICAL = ("severity", "tier", "team", "account_tier", "due_clock")
NUMERIC = ("age_h", "since_update_h", "responded", "paused", "reassignments", "handoffs",
           "escalations", "messages", "sentiment_last", "sentiment_trend", "due_min",
           "due_frac_left", "overdue")
FEATURES = CATEGORICAL + NUMERIC


@dataclass(frozen=True, slots=True)
class RiskInput:
    """One open ticket as the risk model reads it. None of it depends on "now": the
    clocks are absolute due instants, so a RiskInput changes only when an event does."""

    ticket: str
    opened_at: datetime
    severity: str              # the effective severity (the queue's)
    tier: str
    team: str
    account_tier: str          # the intake's customer tier ('' if none)
    paused: bool               # waiting on the customer
    responded: bool
    last_update_at: datetime | None  # the last response or update sent to the customer
    reassignments: int         # moves to another team or owner (escalated/assigned/routed)
    handoffs: int
    escalations: int
    sentiments: tuple[float, ...]    # VADER compound of each customer message, oldest first
    # each running clock (not stopped, not paused): (name, due instant, target seconds)
    dues: tuple[tuple[str, datetime, int], ...]


@lru_cache(maxsize=8192)
def _vader(text: str) -> float:
    # the same words come back often (templates, "Any news?"); VADER is the slow part
    from console.app.sentiment import vader_compound

    return vader_compound(text)


class _Walker:
    """One ticket's fold, with the counts the projection does not keep."""

    __slots__ = ("calendars", "escalations", "matrix", "reassignments", "sentiment",
                 "sentiments", "state", "suggested", "team_ids")

    def __init__(self, matrix: Matrix, calendars: dict[str, BusinessCalendar],
                 sentiment: Callable[[str], float]) -> None:
        self.matrix, self.calendars, self.sentiment = matrix, calendars, sentiment
        self.team_ids = {t.id for t in matrix.teams}
        self.state: TicketState | None = None
        self.suggested = ""
        self.reassignments = self.escalations = 0
        self.sentiments: tuple[float, ...] = ()

    def apply(self, event: TicketEvent) -> None:
        before = self.state
        if before is None:
            self.state = apply_event(None, event, TicketCore)
            if self.state is not None:
                self.suggested = score(self.matrix, self.state.intake).severity
            return
        placed = (before.team, before.owner)
        apply_event(before, event)
        kind = event.type
        if kind in _MOVES and (before.team, before.owner) != placed:
            self.reassignments += 1
        if kind == "escalated":
            self.escalations += 1
        elif kind == "message":
            self.sentiments += (self.sentiment(message_text(event)),)

    def input(self) -> RiskInput | None:
        """The ticket as it stands after the events applied so far; None unless open."""
        st = self.state
        if st is None or not st.open:
            return None
        m = self.matrix
        severity = effective_severity(m, st.severity, self.suggested)
        team = st.team if st.team in self.team_ids else (m.intake_team or m.teams[0].id)
        dues = tuple((c.name, c.due, int(c.target.total_seconds()))
                     for c in ticket_clocks(st, m, self.calendars, severity)
                     if c.stopped_at is None and c.due is not None)
        updated = [t for t in (st.responded_at, st.last_update_at) if t is not None]
        return RiskInput(
            ticket=st.id, opened_at=st.opened_at, severity=severity,
            tier=m.team(team).tier, team=team, account_tier=st.intake.account_tier,
            paused=st.paused, responded=st.responded_at is not None,
            last_update_at=max(updated) if updated else None,
            reassignments=self.reassignments, handoffs=st.handoffs,
            escalations=self.escalations, sentiments=self.sentiments, dues=dues)


class RiskFeed:
    """Open tickets' RiskInputs, kept up to date event by event. Each ticket's input is
    recomputed only after its own events changed it, so ``inputs()`` for 50,000 open
    tickets is a list, not 50,000 folds."""

    def __init__(self, matrix: Matrix, sentiment: Callable[[str], float] = _vader) -> None:
        self.matrix, self.sentiment = matrix, sentiment
        self.calendars = build_calendars(matrix)
        self._walkers: dict[str, _Walker] = {}
        self._cache: dict[str, RiskInput | None] = {}

    def apply(self, event: TicketEvent) -> None:
        """Fold one event (each ticket's events in log order)."""
        walker = self._walkers.get(event.ticket)
        if walker is None:
            if event.type != "opened":
                return  # the fold ignores a ticket that was never opened
            walker = self._walkers[event.ticket] = _Walker(self.matrix, self.calendars,
                                                           self.sentiment)
        walker.apply(event)
        self._cache.pop(event.ticket, None)

    def extend(self, events: Iterable[TicketEvent]) -> None:
        for event in events:
            self.apply(event)

    def inputs(self) -> list[RiskInput]:
        """Every open ticket's RiskInput. A ticket found resolved is dropped (the feed
        holds open work only): if it is reopened, feed its whole history again."""
        out: list[RiskInput] = []
        closed: list[str] = []
        for ticket, walker in self._walkers.items():
            if ticket in self._cache:
                cached = self._cache[ticket]
            else:
                cached = self._cache[ticket] = walker.input()
            if cached is not None:
                out.append(cached)
            elif walker.state is not None and not walker.state.open:
                closed.append(ticket)
        for ticket in closed:
            del self._walkers[ticket], self._cache[ticket]
        return out


def inputs_at(events: Sequence[TicketEvent], instants: Sequence[datetime], matrix: Matrix,
              calendars: dict[str, BusinessCalendar] | None = None,
              sentiment: Callable[[str], float] = _vader
              ) -> list[tuple[datetime, RiskInput]]:
    """One ticket's RiskInput at each of ``instants`` (ascending) where it is open,
    from its events (in log order) at or before each instant."""
    walker = _Walker(matrix, calendars or build_calendars(matrix), sentiment)
    out: list[tuple[datetime, RiskInput]] = []
    i, n = 0, len(events)
    for t in instants:
        while i < n and events[i].at <= t:
            walker.apply(events[i])
            i += 1
        found = walker.input()
        if found is not None:
            out.append((t, found))
    return out


def _seconds(at: datetime) -> float:
    return (at - _EPOCH).total_seconds()


def _codes(values: list[str], vocab: Sequence[str]) -> np.ndarray:
    index = {v: float(i) for i, v in enumerate(vocab)}
    return np.array([index.get(v, np.nan) for v in values], dtype=np.float64)


def vocabulary(inputs: Sequence[RiskInput]) -> dict[str, list[str]]:
    """Each categorical column's values, sorted (what the model learns codes for)."""
    clocks = {name for x in inputs for name, _, _ in x.dues}
    return {"severity": sorted({x.severity for x in inputs}),
            "tier": sorted({x.tier for x in inputs}),
            "team": sorted({x.team for x in inputs}),
            "account_tier": sorted({x.account_tier for x in inputs}),
            "due_clock": sorted(clocks)}


def feature_matrix(inputs: Sequence[RiskInput], now: datetime | Sequence[datetime],
                   vocab: dict[str, list[str]]) -> np.ndarray:
    """The model's columns (``FEATURES``) for each input at ``now`` (one instant for
    all, or one per input). Plain attribute reads per ticket, arithmetic in numpy."""
    n = len(inputs)
    if isinstance(now, datetime):
        t = np.full(n, _seconds(now))
    else:
        t = np.array([_seconds(x) for x in now], dtype=np.float64)
    opened = np.array([_seconds(x.opened_at) for x in inputs], dtype=np.float64)
    updated = np.array([_seconds(x.last_update_at or x.opened_at) for x in inputs],
                       dtype=np.float64)
    due_min, frac, overdue, clock = _nearest_dues(inputs, t)
    sentiments = [x.sentiments for x in inputs]
    last = np.array([s[-1] if s else 0.0 for s in sentiments], dtype=np.float64)
    earlier = np.array([sum(s[:-1]) / (len(s) - 1) if len(s) > 1 else s[-1] if s else 0.0
                        for s in sentiments], dtype=np.float64)
    cols = {
        "severity": _codes([x.severity for x in inputs], vocab["severity"]),
        "tier": _codes([x.tier for x in inputs], vocab["tier"]),
        "team": _codes([x.team for x in inputs], vocab["team"]),
        "account_tier": _codes([x.account_tier for x in inputs], vocab["account_tier"]),
        "due_clock": _codes(clock, vocab["due_clock"]),
        "age_h": (t - opened) / 3600.0,
        "since_update_h": (t - updated) / 3600.0,
        "responded": np.array([x.responded for x in inputs], dtype=np.float64),
        "paused": np.array([x.paused for x in inputs], dtype=np.float64),
        "reassignments": np.array([x.reassignments for x in inputs], dtype=np.float64),
        "handoffs": np.array([x.handoffs for x in inputs], dtype=np.float64),
        "escalations": np.array([x.escalations for x in inputs], dtype=np.float64),
        "messages": np.array([len(s) for s in sentiments], dtype=np.float64),
        "sentiment_last": last,
        "sentiment_trend": last - earlier,
        "due_min": due_min,
        "due_frac_left": frac,
        "overdue": overdue,
    }
    out = np.empty((n, len(FEATURES)), dtype=np.float64)
    for j, name in enumerate(FEATURES):
        out[:, j] = cols[name]
    return out


def _nearest_dues(inputs: Sequence[RiskInput], t: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Per ticket: minutes to the nearest due instant still ahead (NaN: none), that
    share of its clock's target still left, how many clocks are past due, and the
    nearest clock's name. The dues are flattened so numpy picks the nearest."""
    owner, due, target, names = [], [], [], []
    for i, x in enumerate(inputs):
        for name, at, seconds in x.dues:
            owner.append(i)
            due.append(_seconds(at))
            target.append(seconds)
            names.append(name)
    n = len(inputs)
    owner_a = np.array(owner, dtype=np.int64)
    left = np.array(due, dtype=np.float64) - t[owner_a]
    overdue = np.bincount(owner_a[left <= 0], minlength=n).astype(np.float64)
    ahead = left > 0
    due_min = np.full(n, np.nan)
    frac = np.full(n, np.nan)
    clock = [""] * n
    if ahead.any():
        idx = np.flatnonzero(ahead)
        # sort by (ticket, time left): the first row of each ticket is its nearest
        order = idx[np.lexsort((left[idx], owner_a[idx]))]
        first = order[np.r_[True, owner_a[order][1:] != owner_a[order][:-1]]]
        who = owner_a[first]
        due_min[who] = left[first] / 60.0
        frac[who] = left[first] / np.maximum(np.array(target, dtype=np.float64)[first], 1.0)
        for w, f in zip(who.tolist(), first.tolist(), strict=True):
            clock[w] = names[f]
    return due_min, frac, overdue, clock
