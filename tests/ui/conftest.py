"""Queue rows, clocks and matrices for the queue and main-window tests."""

from __future__ import annotations

from typing import Any

import pytest
from builders import NOW, clock, minutes, queue_row

from console.app.matrices import load_matrix_file
from console.app.runtime.rows import QueueRow
from console.paths import default_matrix_path, matrices_dir

__all__ = ["NOW", "clock", "minutes", "row"]


def row(ticket: str, due_in: float | None = 60, **overrides: Any) -> QueueRow:
    """A running P2 ticket whose response clock falls due ``due_in`` minutes from NOW."""
    due = None if due_in is None else NOW + minutes(due_in)
    clocks = (clock("response", due, severity=overrides.get("severity", "P2")),) if due else ()
    values: dict[str, Any] = {
        "tier": "T3", "opened_at": NOW - minutes(30), "next_due": due,
        "detail": {"reasons": ["under 25% of users affected and at most a partial workaround"],
                   "latest_handoff": None},
    }
    values.update(overrides)
    return queue_row(ticket, *clocks, **values)


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
