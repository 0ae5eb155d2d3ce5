"""The issue's test with a service: one console and one escalation service (in process:
its store, syncer, lease and runner as ``serve`` composes them) on a real PostgreSQL.
Engineering confirms a P1 on the console; the service, which pages, records the
routing; within 1 s the console shows the ticket at T3 · Incident Response, the console
wrote no routing event of its own, and the shared log holds exactly one."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from benchmarks.notify.fakes import notify_config, notify_secrets
from console.app.notify_ops import build_runner
from console.app.notify_secrets import StaticSecrets
from console.service.composition import Service
from console.service.config import load_config
from console.service.secrets import SecretSources, ServerSecrets
from console.store.lease import ServicePresence
from console.store.local import LocalStore
from console.store.server import SharedDatabase
from console.store.sync import Syncer

from .helpers import wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.filterwarnings("ignore:Session.login_data")]

P1 = {"title": "Customer data exposed", "account": "Acme", "security_breach": True}


def utc_now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def service(pg: Any, tmp_path: Path) -> Iterator[Service]:
    config = load_config(None, {"ESCALATION_SERVICE_DATABASE_URL": pg.url,
                                "ESCALATION_SERVICE_STATE_DIR": str(tmp_path / "state"),
                                "ESCALATION_SERVICE_LISTEN": "127.0.0.1:0",
                                "ESCALATION_SERVICE_INSTANCE": "svc-a"})
    failures: list[str] = []
    svc = Service(config, None, ServerSecrets(SecretSources({})), on_failure=failures.append)
    svc.start()
    try:
        yield svc
    finally:
        assert svc.stop() == [] and failures == []


def test_a_service_records_the_routing_and_the_console_shows_it_within_1s(
        pg, tmp_path, matrix, services, service):
    assert service.runner is not None and service.lease is not None
    wait_until(lambda: service.runner is not None and service.runner.started.is_set()
               and service.lease is not None and service.lease.active, timeout=20)
    store = LocalStore(tmp_path / "console", matrix, clock=utc_now).open()
    presence_db = SharedDatabase(pg.url)
    stop = threading.Event()
    parts: list[threading.Thread] = []
    try:
        presence = ServicePresence(presence_db, refresh=0.2)
        runner = build_runner(store, config=notify_config(services),
                              secrets=StaticSecrets(notify_secrets(services)), claims=None,
                              clock=utc_now, sentiment=None, may_send=presence.may_send,
                              poll_interval=0.2)
        syncer = Syncer(store, pg.url, on_pulled=lambda _events: runner.wake())
        parts = [threading.Thread(target=syncer.run, args=(stop,)),
                 threading.Thread(target=runner.run, args=(stop,))]
        for t in parts:
            t.start()
        wait_until(lambda: runner.started.is_set(), timeout=20)
        assert not presence.may_send()  # the service pages, not this console
        store.append("INC-1", "opened", P1, "agent-ana")
        syncer.wake()
        wait_until(lambda: service.store is not None
                   and service.store.ticket("INC-1") is not None, timeout=10)

        def shown() -> bool:
            row = store.ticket("INC-1")
            return row is not None and row.tier == "T3" and (
                matrix.team(row.team).name == "Incident Response")

        start = time.monotonic()
        store.append("INC-1", "severity", {"severity": "P1", "by": "engineering"}, "eng-eve")
        syncer.wake()
        runner.wake()
        wait_until(shown, timeout=10, interval=0.01)
        took = time.monotonic() - start
        assert took <= 1.0, f"the console showed the routing after {took:.2f} s"
        rows = pg.query("SELECT device FROM events WHERE ticket = 'INC-1' AND kind = 'routed'")
        assert rows == [(service.store.device,)]  # the service wrote it; the console did not
        assert runner.actions.written == 0
    finally:
        stop.set()
        for t in parts:
            t.join(10)
        store.close()
        presence_db.close()
