"""Exactness checks for the engine's SLA fires, against an independent replay.

The oracle folds each ticket's own events (``apply_event``) up to a fire's instant and
recomputes its clocks with ``ticket_clocks``: the engine applies every event at or
before an instant before it fires the timers due at that instant, so that state is
exactly what the engine saw. A fire is *on time* when it happened at the clock's
instant (breach: ``due``, which must also equal ``extra["due"]``; pre_breach:
``pre_breach_at``). It is *late by construction* when the engine flagged it
``late`` and the instant was already in the past when it could first be known: an
event (typically a severity change) moved the deadline before the present. Anything
else is a mismatch. Completeness: every deadline of every ticket's final clocks that
passed while the clock ran must have fired.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any, NamedTuple

from console.domain.clocks import Clock, ticket_clocks
from console.domain.engine import build_calendars
from console.domain.matrix import Matrix
from console.domain.scoring import score
from console.domain.tickets import TicketEvent, TicketState, apply_event

SLA_KINDS = frozenset({"pre_breach", "breach"})


class SlaFire(NamedTuple):
    """What the benchmark keeps of a pre_breach/breach Fire (a plain tuple, so the
    garbage collector soon stops tracking it)."""

    at: datetime
    ticket: str
    kind: str
    clock: str | None
    cycle: int
    due: datetime | None
    late: bool


def sla_key(f: SlaFire) -> tuple[Any, ...]:
    """Exactly-once identity of an SLA fire: (ticket, kind, clock, cycle)."""
    return (f.ticket, f.kind, f.clock, f.cycle)


@dataclass(slots=True)
class Exactness:
    sla_fires: int = 0
    on_time: int = 0
    late_by_construction: int = 0
    mismatched: int = 0
    breach_due_mismatch: int = 0     # breach whose fire.at != extra["due"] and not late
    duplicates: int = 0
    out_of_order: int = 0            # fires not in non-decreasing time order
    missed: int = 0
    retroactive: int = 0             # deadline moved before an already stopped clock's stop
    retroactive_kinds: Counter[str] = field(default_factory=Counter)
    late_causes: Counter[str] = field(default_factory=Counter)
    late_kinds: Counter[str] = field(default_factory=Counter)
    late_max_s: float = 0.0
    late_total_s: float = 0.0
    examples: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        late = self.late_by_construction
        return {"sla_fires": self.sla_fires, "on_time": self.on_time,
                "late_by_construction": late, "mismatched": self.mismatched,
                "breach_due_mismatch": self.breach_due_mismatch,
                "duplicates": self.duplicates, "out_of_order": self.out_of_order,
                "missed": self.missed, "retroactive_unalerted": self.retroactive,
                "retroactive_kinds": dict(self.retroactive_kinds),
                "late_causes": dict(self.late_causes), "late_kinds": dict(self.late_kinds),
                "late_mean_s": round(self.late_total_s / late, 1) if late else 0.0,
                "late_max_s": self.late_max_s}


def _find(clocks: list[Clock], name: str | None) -> Clock | None:
    return next((c for c in clocks if c.name == name), None)


class _Replay:
    """One ticket's events folded forward on demand."""

    def __init__(self, matrix: Matrix, cals: dict[str, Any], events: list[TicketEvent]):
        self.matrix, self.cals, self.events = matrix, cals, events
        self.i = 0
        self.state: TicketState | None = None
        self.scored = ""

    def until(self, at: datetime) -> TicketState:
        evs = self.events
        while self.i < len(evs) and evs[self.i].at <= at:
            fresh = self.state is None
            self.state = apply_event(self.state, evs[self.i])
            if fresh and self.state is not None:
                self.scored = score(self.matrix, self.state.intake).severity
            self.i += 1
        assert self.state is not None
        return self.state

    def clocks(self) -> list[Clock]:
        st = self.state
        assert st is not None
        return ticket_clocks(st, self.matrix, self.cals, st.severity or self.scored)

    def causes(self, at: datetime) -> str:
        kinds = sorted({e.type for e in self.events if e.at == at})
        return "+".join(kinds) or "no event on the ticket"


def check_exactness(events: list[TicketEvent], sla: list[SlaFire], matrix: Matrix,
                    end: datetime) -> Exactness:
    out = Exactness()
    cals = build_calendars(matrix)
    out.out_of_order = sum(1 for a, b in pairwise(sla) if b.at < a.at)
    out.sla_fires = len(sla)
    keys = Counter(sla_key(f) for f in sla)
    out.duplicates = sum(n - 1 for n in keys.values() if n > 1)
    per_ticket: dict[str, list[TicketEvent]] = defaultdict(list)
    for e in events:
        per_ticket[e.ticket].append(e)
    fires_of: dict[str, list[SlaFire]] = defaultdict(list)
    for f in sla:
        fires_of[f.ticket].append(f)
    for tid, evs in per_ticket.items():
        replay = _Replay(matrix, cals, evs)
        for f in fires_of.get(tid, ()):
            replay.until(f.at)
            _judge(out, f, _find(replay.clocks(), f.clock), replay)
        state = replay.until(end)
        _completeness(out, tid, state, replay.clocks(), keys, end)
    return out


def _judge(out: Exactness, f: SlaFire, clock: Clock | None, replay: _Replay) -> None:
    instant = None
    if clock is not None and clock.cycle == f.cycle:
        instant = clock.due if f.kind == "breach" else clock.pre_breach_at
    if f.kind == "breach" and f.at != f.due and not f.late:
        out.breach_due_mismatch += 1
    if instant is not None and f.at == instant and not f.late:
        out.on_time += 1
    elif instant is not None and f.late and instant < f.at:
        out.late_by_construction += 1
        out.late_causes[replay.causes(f.at)] += 1
        out.late_kinds[f"{f.clock} {f.kind}"] += 1
        lag = (f.at - instant).total_seconds()
        out.late_total_s += lag
        out.late_max_s = max(out.late_max_s, lag)
    else:
        out.mismatched += 1
        if len(out.examples) < 5:
            out.examples.append(f"{f.ticket} {f.clock} {f.kind} at {f.at.isoformat()} "
                                f"expected {instant.isoformat() if instant else None}")


def _completeness(out: Exactness, tid: str, st: TicketState, clocks: list[Clock],
                  keys: Counter[tuple[Any, ...]], end: datetime) -> None:
    for c in clocks:
        for kind, instant in (("pre_breach", c.pre_breach_at), ("breach", c.due)):
            if instant is None or instant > end:
                continue
            if c.stopped_at is not None and c.stopped_at <= instant:
                continue  # met before the instant
            if st.resolved_at is not None and st.resolved_at <= instant:
                continue  # closed first
            if (tid, kind, c.name, c.cycle) in keys:
                continue
            moved_later = any(ch.at > instant and c.stopped_at is not None
                              and c.stopped_at <= ch.at for ch in st.severity_history)
            if moved_later:
                out.retroactive += 1
                out.retroactive_kinds[f"{c.name} {kind}"] += 1
            else:
                out.missed += 1
                if len(out.examples) < 10:
                    out.examples.append(f"missed {tid} {c.name} {kind} at {instant}")


def lateness(instants: list[tuple[datetime, datetime]]) -> tuple[float, float]:
    """Mean and max of (fired - instant) in seconds."""
    if not instants:
        return 0.0, 0.0
    lags = [(fired - at) / timedelta(seconds=1) for fired, at in instants]
    return sum(lags) / len(lags), max(lags)
