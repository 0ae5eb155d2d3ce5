"""Queue rows, clocks and matrices for the queue and main-window tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from console.app.matrices import load_matrix_file
from console.app.rows import QueueRow
from console.domain.projection import ClockView
from console.paths import default_matrix_path, matrices_dir

# A Wednesday, 16:30 in Berlin: half an hour before the business calendar closes.
NOW = datetime(2025, 3, 12, 15, 30, tzinfo=UTC)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def clock(name: str, due: datetime | None, *, pre: datetime | None = None,
          paused_since: datetime | None = None, stopped: datetime | None = None,
          business: bool = False, calendar: str = "24x7", remaining: int | None = None,
          severity: str = "P1", target: int = 3600) -> ClockView:
    return ClockView(name, severity, target, due, pre, stopped, paused_since, business,
                     calendar, remaining)


def row(ticket: str, due_in: float | None = 60, **overrides: Any) -> QueueRow:
    """A running P2 ticket whose response clock falls due ``due_in`` minutes from NOW."""
    due = None if due_in is None else NOW + minutes(due_in)
    values: dict[str, Any] = {
        "id": ticket, "title": f"Checkout fails for {ticket}", "account": "Globex",
        "account_tier": "enterprise", "severity": "P2", "severity_source": "support",
        "confirmed": True, "status": "open", "tier": "T3", "team": "payments-engineering",
        "owner": "", "priority": "normal", "category": "bug",
        "opened_at": NOW - minutes(30), "next_due": due,
        "clocks": (clock("response", due, severity=overrides.get("severity", "P2")),)
        if due else (),
        "detail": {"reasons": ["under 25% of users affected and at most a partial workaround"],
                   "latest_handoff": None},
    }
    values.update(overrides)
    return QueueRow(**values)


@pytest.fixture(scope="session")
def matrix():
    return load_matrix_file(default_matrix_path())


@pytest.fixture(scope="session")
def business_matrix():
    return load_matrix_file(matrices_dir() / "business-hours.yaml")


@pytest.fixture
def mixed_rows() -> list[QueueRow]:
    """Six tickets across severities, tiers, teams, statuses and owners."""
    return [
        row("INC-1", 45, severity="P1", owner="alice", title="Payments API down",
            account="Initech", account_tier="enterprise"),
        row("INC-2", -5, severity="P1", confirmed=False, team="incident-response",
            title="Data breach suspected"),
        row("INC-3", 120, severity="P2", tier="T2", team="customer-success", owner="bob"),
        row("INC-4", 600, severity="P3", tier="T1", team="frontline", owner="alice",
            account="Umbrella", account_tier="smb"),
        row("INC-5", None, severity="P4", status="waiting_on_customer", tier="T1",
            team="frontline", title="Dark mode colours off", account="Hooli"),
        row("INC-6", None, severity="P3", status="resolved", title="Slow export",
            account="Stark"),
    ]
