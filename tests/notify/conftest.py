"""Fixtures for the notification tests: real local servers (HTTP services like Slack,
Teams, PagerDuty and a webhook; aiosmtpd with STARTTLS), local stores on a fake clock,
and runners wired like the app's."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the fake services live in benchmarks/notify
    sys.path.insert(0, str(ROOT))

from benchmarks.notify.fakes import (  # noqa: E402
    FakeServices,
    FakeSmtp,
    notify_config,
    notify_secrets,
)
from console.app.matrices import load_matrix_file  # noqa: E402
from console.app.notify_ops import build_runner  # noqa: E402
from console.app.notify_secrets import StaticSecrets  # noqa: E402
from console.notify.runner import NotifyRunner  # noqa: E402
from console.paths import default_matrix_path  # noqa: E402
from console.store.local import LocalStore  # noqa: E402

from .helpers import World  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:Session.login_data")


@pytest.fixture(scope="session")
def matrix():  # type: ignore[no-untyped-def]
    return load_matrix_file(default_matrix_path())


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[FakeSmtp]:
    (tmp_path / "smtp").mkdir()
    with FakeSmtp(tmp_path / "smtp") as s:
        yield s


@dataclass
class Console:
    store: LocalStore
    runner: NotifyRunner
    secrets: StaticSecrets

    def rows(self, **kwargs: Any) -> list[Any]:
        return self.runner.outbox.listing(**kwargs)  # type: ignore[attr-defined]

    def by_key(self) -> dict[str, Any]:
        return {r.key: r for r in self.rows()}


@pytest.fixture
def make_console(tmp_path: Path, matrix, world: World, services: FakeServices):  # type: ignore[no-untyped-def]
    """make_console(name, smtp=None, claims=None, config=None, skew=0) -> Console."""
    stores: list[LocalStore] = []

    def make(name: str = "console", *, smtp: FakeSmtp | None = None, claims: Any = None,
             config: dict[str, Any] | None = None, skew: float = 0.0,
             secrets: dict[str, str] | None = None) -> Console:
        clock = world.clock(timedelta(seconds=skew))
        store = LocalStore(tmp_path / name, matrix, clock=clock).open()
        stores.append(store)
        static = StaticSecrets(secrets if secrets is not None else notify_secrets(services))
        runner = build_runner(store, config=config or notify_config(services, smtp),
                              secrets=static, claims=claims, clock=clock, sentiment=None,
                              seed=7)
        return Console(store, runner, static)

    yield make
    for store in stores:
        store.close()
