"""Test doubles shared by the tests that run a real ConsoleService."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any


class FakeScheduler:
    """Stands in for APScheduler: records the requested wake-up, never fires by itself."""

    def __init__(self, callback: Callable[[], None]) -> None:
        self.callback = callback
        self.next_wake: datetime | None = None

    def wake_at(self, when: datetime | None) -> None:
        self.next_wake = when

    def shutdown(self) -> None:
        pass


def on_worker(service: Any, qtbot: Any, fn: Callable[[], Any]) -> Any:
    """Run ``fn`` on the service's DB worker and return its result."""
    out: list[Any] = []
    service.worker.submit(fn, out.append)
    qtbot.waitUntil(lambda: bool(out), timeout=5000)
    return out[0]
