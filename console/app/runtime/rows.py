"""Queue rows: plain, immutable data the GUI thread can hold without the database."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from console.domain.projection import ClockView

#: How people call the five clocks; the short form fits the queue's SLA pill.
CLOCK_LABELS = {"response": "response", "update": "update", "resolution": "resolution",
                "initial_severity": "initial severity", "confirmation": "confirmation"}
_SHORT_LABELS = {"initial_severity": "severity"}
_STATE_ORDER = ("breached", "pre_breach", "ok", "paused")


def _word(value: Any) -> Any:
    """One copy of a word many rows hold (a team, a tier, a severity): each row's
    columns and JSON are decoded on their own, so 50,000 rows held 50,000 "P3"s."""
    return sys.intern(value) if type(value) is str else value


def _shared(value: Any) -> Any:
    """A decoded JSON value with its keys and short strings (reasons, words) shared
    across rows; long text stays as it is."""
    if type(value) is dict:
        return {sys.intern(k): _shared(v) for k, v in value.items()}
    if type(value) is list:
        return [_shared(v) for v in value]
    if type(value) is str and len(value) <= 120:
        return sys.intern(value)
    return value


def clock_label(name: str, short: bool = False) -> str:
    """``initial_severity`` -> ``initial severity`` (``severity`` when ``short``)."""
    if short and name in _SHORT_LABELS:
        return _SHORT_LABELS[name]
    return CLOCK_LABELS.get(name, name.replace("_", " "))


@dataclass(frozen=True, slots=True)
class QueueRow:
    id: str
    title: str
    account: str
    account_tier: str
    severity: str
    severity_source: str
    confirmed: bool
    status: str
    tier: str
    team: str
    owner: str
    priority: str
    category: str
    opened_at: datetime
    next_due: datetime | None
    clocks: tuple[ClockView, ...] = ()
    detail: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def open(self) -> bool:
        return self.status != "resolved"

    def clock(self, name: str) -> ClockView | None:
        for c in self.clocks:
            if c.name == name:
                return c
        return None

    def sla_state(self, now: datetime) -> str:
        """The worst state among the ticket's clocks: breached > pre_breach > ok."""
        states = {c.state(now) for c in self.clocks}
        for state in _STATE_ORDER:
            if state in states:
                return state
        return "met"

    def sla_clock(self, now: datetime) -> ClockView | None:
        """The clock behind sla_state(), of all five: among those in the worst state, a
        running one before one stopped late (which needs no action any more), then
        the one due first."""
        by_state: dict[str, list[ClockView]] = {}
        for c in self.clocks:
            by_state.setdefault(c.state(now), []).append(c)
        for state in _STATE_ORDER:
            found = by_state.get(state)
            if found:
                return min(found, key=lambda c: (c.stopped_at is not None,
                                                 c.due is None, c.due or now))
        return None

    def sort_key(self) -> tuple[int, str, str]:
        """Absolute order: open tickets by next due time; it changes only with events."""
        if not self.open:
            return (2, self.opened_at.isoformat(), self.id)
        if self.next_due is None:
            return (1, self.opened_at.isoformat(), self.id)
        return (0, self.next_due.isoformat(), self.id)

    @classmethod
    def from_record(cls, r: Any) -> QueueRow:
        w = _word
        return cls(
            id=r.id, title=r.title, account=w(r.account), account_tier=w(r.account_tier),
            severity=w(r.severity), severity_source=w(r.severity_source),
            confirmed=r.confirmed, status=w(r.status), tier=w(r.tier), team=w(r.team),
            owner=w(r.owner), priority=w(r.priority), category=w(r.category),
            opened_at=datetime.fromisoformat(r.opened_at),
            next_due=datetime.fromisoformat(r.next_due) if r.next_due else None,
            clocks=tuple(ClockView.from_json(c) for c in json.loads(r.clocks)),
            detail=_shared(json.loads(r.detail)),
        )
