"""Small helpers shared by the store tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from console.store.local import LocalStore

# Mon 2026-03-02 10:00 UTC
T0 = datetime(2026, 3, 2, 10, tzinfo=UTC)


@dataclass
class World:
    """Shared fake time; each console reads it through its own skew."""

    now: datetime = T0
    stores: list[LocalStore] = field(default_factory=list)

    def advance(self, seconds: float = 1.0) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now

    def clock(self, skew: timedelta = timedelta()) -> Callable[[], datetime]:
        return lambda: self.now + skew


def wait_until(condition: Callable[[], Any], timeout: float, interval: float = 0.02) -> float:
    """Poll until condition() is truthy; return the seconds it took; fail on timeout."""
    start = time.monotonic()
    while True:
        if condition():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


def open_ticket(store: LocalStore, ticket: str, title: str = "Checkout fails",
                pct: float = 50, workaround: str = "none") -> None:
    store.append(ticket, "opened", {"title": title, "account": "Acme",
                                    "users_affected_pct": pct, "workaround": workaround},
                 "agent-ana")
