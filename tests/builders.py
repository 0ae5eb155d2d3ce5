"""One copy of the test builders: a settable clock, SLA clock views and queue rows.

Every test that needs a fake "now", a ``ClockView`` or a ``QueueRow`` builds it here, so a
new field on either dataclass is added in one place.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from console.app.runtime.rows import QueueRow
from console.domain.projection import ClockView

# A Wednesday, 16:30 in Berlin: half an hour before the business calendar closes.
NOW = datetime(2025, 3, 12, 15, 30, tzinfo=UTC)

T = TypeVar("T")


class FakeClock(Generic[T]):
    """A clock the test sets by hand: ``clock()`` returns ``clock.now``."""

    def __init__(self, now: T) -> None:
        self.now = now

    def __call__(self) -> T:
        return self.now


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def clock(name: str, due: datetime | None, *, pre: datetime | None = None,
          paused_since: datetime | None = None, stopped: datetime | None = None,
          business: bool = False, calendar: str = "24x7", remaining: int | None = None,
          severity: str = "P1", target: int = 3600) -> ClockView:
    """A clock view with explicit instants; the defaults are a running 24x7 P1 clock."""
    return ClockView(name, severity, target, due, pre, stopped, paused_since, business,
                     calendar, remaining)


def clock_in(name: str, due_in: float | None, *, lead: float = 15,
             stopped_in: float | None = None, paused_left: int | None = None,
             business: bool = False) -> ClockView:
    """A clock due ``due_in`` minutes from NOW, warning ``lead`` minutes before.

    ``stopped_in`` stops it that many minutes from NOW; ``paused_left`` pauses it five
    minutes ago with that many seconds left; ``business`` puts it on the Berlin calendar.
    """
    due = None if due_in is None else NOW + minutes(due_in)
    return clock(name, due, pre=None if due is None else due - minutes(lead),
                 stopped=None if stopped_in is None else NOW + minutes(stopped_in),
                 paused_since=None if paused_left is None else NOW - minutes(5),
                 remaining=paused_left, business=business,
                 calendar="berlin-business" if business else "24x7")


def queue_row(ticket: str = "INC-1", *clocks: ClockView, **overrides: Any) -> QueueRow:
    """An open, confirmed P2 ticket holding ``clocks``; any field can be overridden.

    ``next_due`` is the earliest due instant among the running clocks, as the projection
    computes it, unless given.
    """
    values: dict[str, Any] = {
        "id": ticket, "title": f"Checkout fails for {ticket}", "account": "Globex",
        "account_tier": "enterprise", "severity": "P2", "severity_source": "support",
        "confirmed": True, "status": "open", "tier": "T2", "team": "payments-engineering",
        "owner": "", "priority": "normal", "category": "bug",
        "opened_at": NOW - timedelta(hours=1),
        "next_due": min((c.due for c in clocks if c.due and not c.stopped_at), default=None),
        "clocks": clocks,
    }
    values.update(overrides)
    return QueueRow(**values)
