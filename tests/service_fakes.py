"""Test doubles shared by the tests that run a real ConsoleService."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from console.app.runtime.service import ConsoleService


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


@contextmanager
def running_service(data_dir: Path, matrix: Any, qtbot: Any, *, user: str,
                    shared_db: str | None = None, **options: Any) -> Iterator[ConsoleService]:
    """A started ConsoleService without a real scheduler; stopped on the way out. With
    ``shared_db`` (a URL) it syncs with that database and is online when it is yielded;
    without, it does not sync."""
    if shared_db is not None:
        from console.app.settings import Settings

        data_dir.mkdir(parents=True, exist_ok=True)
        Settings(data_dir).shared_db_url = shared_db
    service = ConsoleService(data_dir, matrix, sync=shared_db is not None,
                             scheduler_factory=FakeScheduler, user=user, **options)
    with qtbot.waitSignal(service.ready, timeout=10000):
        service.start()
    try:
        if shared_db is not None:
            qtbot.waitUntil(lambda: service.sync_state.status == "online", timeout=15000)
        yield service
    finally:
        service.stop()
