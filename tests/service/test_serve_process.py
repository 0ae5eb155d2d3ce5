"""``escalation-console serve`` as a real process against a real PostgreSQL: it starts,
answers /healthz, stops on SIGTERM within 5 s with exit 0, hands the lease over at
once, keeps a send that was in flight, checks (or migrates) the schema, and never
imports Qt."""

from __future__ import annotations

import json
import signal
import sqlite3
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.notify.fakes import FakeServices, wait_for
from console.app.matrices import load_matrix_file
from console.paths import default_matrix_path
from console.store.lease import current_lease
from console.store.local import DB_NAME, LocalStore
from console.store.sync import Syncer

from .conftest import clean_env

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
PD_PATH = "/pagerduty/v2/enqueue"


def _healthz(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as reply:
        return int(reply.status)


def _readyz(port: int) -> dict:  # type: ignore[type-arg]
    """/readyz once the instance has synced (200: the database is reachable)."""
    def ready() -> dict | None:  # type: ignore[type-arg]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as r:
                return dict(json.loads(r.read()))
        except urllib.error.HTTPError:
            return None

    assert wait_for(ready, 30), "/readyz never said the database is reachable"
    answer = ready()
    assert answer is not None
    return answer


def test_a_second_instance_on_the_same_state_dir_is_refused_with_exit_3(
        pg, serve_config, start_serve, tmp_path):
    state = str(tmp_path / "shared-state")
    first = start_serve(serve_config(pg.url, "one", state_dir=state))
    first.wait_ready()
    second = start_serve(serve_config(pg.url, "two", state_dir=state))
    assert second.wait(timeout=30) == 3
    error = second.wait_log(lambda e: e.get("level") == "error")
    assert "already using" in error["message"]
    first.signal(signal.SIGTERM)
    assert first.wait(timeout=10) == 0


def test_serve_applies_its_tls_certificate_and_http_limits(pg, serve_config, start_serve,
                                                           tmp_path):
    import ssl

    from benchmarks.notify.fakes import self_signed_cert

    cert, key = self_signed_cert(tmp_path)
    serve = start_serve(serve_config(pg.url, "tls", tls_cert=str(cert), tls_key=str(key),
                                     http={"max_body_bytes": 64}))
    port = serve.wait_ready()
    trusted = ssl.create_default_context(cafile=str(cert))
    with urllib.request.urlopen(f"https://127.0.0.1:{port}/healthz", timeout=5,
                                context=trusted) as reply:
        assert reply.status == 200
    request = urllib.request.Request(f"https://127.0.0.1:{port}/api/v1/events",
                                     data=b"[" + b" " * 100 + b"]", method="POST",
                                     headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5, context=trusted)
    assert refused.value.code == 413 and "64 bytes" in refused.value.read().decode()
    refused.value.close()
    serve.signal(signal.SIGTERM)
    assert serve.wait(timeout=10) == 0


def _lease(url: str):  # type: ignore[no-untyped-def]
    from console.store.server import SharedDatabase

    db = SharedDatabase(url)
    try:
        return current_lease(db)
    finally:
        db.close()


def test_sigterm_stops_within_five_seconds_with_exit_0_and_hands_the_lease_over_at_once(
        pg, serve_config, start_serve):
    # a 15 s takeover: the standby can only take over sooner if the lease was released
    first = start_serve(serve_config(pg.url, "pager-a", takeover_seconds=15))
    port = first.wait_active()
    assert _healthz(port) == 200
    second = start_serve(serve_config(pg.url, "pager-b", takeover_seconds=15))
    second_port = second.wait_ready()
    assert _lease(pg.url).holder == "pager-a"
    first_ready, second_ready = _readyz(port), _readyz(second_port)
    assert (first_ready["role"], second_ready["role"]) == ("active", "standby")
    assert first_ready["outbox_depth"] == 0 and first_ready["instance"] == "pager-a"

    sent = first.signal(signal.SIGTERM)
    code = first.wait(timeout=10)
    stopped = time.monotonic() - sent
    assert code == 0, first.log_text()
    assert stopped <= 5.0
    assert first.find(lambda e: e.get("message") == "stopped"), first.log_text()
    second.wait_log(lambda e: e.get("role") == "active", timeout=10)
    took_over = time.monotonic() - sent
    # released: the standby's next tick (every 5 s) takes it; not released, the lease
    # would run until 15 s after the last renewal, at least 10 s after the SIGTERM
    assert took_over < 9, "the standby waited for the lease to expire: it was not released"
    lease = _lease(pg.url)
    assert (lease.holder, lease.live) == ("pager-b", True)


def _agent_opens_a_p1(tmp_path: Path, url: str) -> None:
    """A console somewhere opens a P1 and syncs it to the shared database."""
    store = LocalStore(tmp_path / "agent", load_matrix_file(default_matrix_path())).open()
    try:
        store.append("INC-1", "opened", {"title": "Checkout fails", "account": "Acme",
                                         "users_affected_pct": 50, "workaround": "none"},
                     "agent-ana")
        with Syncer(store, url) as syncer:
            syncer.sync_once()
    finally:
        store.close()


def _statuses(state_dir: Path) -> dict[str, str]:
    with sqlite3.connect(state_dir / DB_NAME) as conn:
        rows = dict(conn.execute("SELECT key, status FROM deliveries WHERE channel = "
                                 "'pagerduty'"))
    conn.close()
    return rows


def test_sigterm_during_a_pagerduty_send_loses_nothing(tmp_path, pg, serve_config,
                                                       start_serve):
    with FakeServices() as services:
        env = clean_env(ESCALATION_SECRET_NOTIFY_PAGERDUTY_ENGINEERING_ONCALL="R-ONCALL",
                        ESCALATION_SECRET_NOTIFY_PAGERDUTY_EXECUTIVE_ESCALATION="R-EXEC")
        config = serve_config(pg.url, "pager", notify={
            "pagerduty": {"events_url": services.pagerduty_url},
            "retry": {"base": 0.5, "cap": 2.0, "max_attempts": 10}})
        state_dir = tmp_path / "pager-state"
        services.delays[PD_PATH] = 8.0  # the page is on the wire when SIGTERM comes
        serve = start_serve(config, env=env)
        serve.wait_ready()
        _agent_opens_a_p1(tmp_path, pg.url)
        assert wait_for(lambda: services.received(PD_PATH), 30), serve.log_text()
        in_flight = services.received(PD_PATH)[0].body["dedup_key"]

        sent = serve.signal(signal.SIGTERM)
        assert serve.wait(timeout=10) == 0, serve.log_text()
        assert time.monotonic() - sent <= 5.0
        assert "sending" in _statuses(state_dir).values()  # kept in the durable outbox

        services.delays.clear()
        again = start_serve(config, env=env)
        again.wait_ready()
        assert wait_for(lambda: set(_statuses(state_dir).values()) == {"sent"}, 30), (
            _statuses(state_dir), again.log_text())
        triggers = Counter(r.body["dedup_key"] for r in services.received(PD_PATH))
        assert triggers[in_flight] == 2  # sent again after the restart: PagerDuty folds it
        assert len(services.alerts) == len(triggers)  # one alert per dedup key, none lost
        again.signal(signal.SIGTERM)
        assert again.wait(timeout=10) == 0


def test_serve_refuses_a_database_without_the_schema_and_migrates_it_when_asked(
        bare_pg, serve_config, start_serve):
    config = serve_config(bare_pg.url, "fresh")
    refused = start_serve(config)
    assert refused.wait(timeout=30) == 1
    error = refused.wait_log(lambda e: e.get("level") == "error")
    assert "has no schema yet" in error["message"] and "--migrate" in error["message"]

    # -X importtime lists every module the process imports, on stderr
    migrated = start_serve(config, "--migrate", python=("-X", "importtime"))
    migrated.wait_ready()
    assert migrated.find(lambda e: e.get("message") == "migrated the shared database")
    imported = [line for line in migrated.other if line.startswith("import time:")]
    assert any("console.service.composition" in line for line in imported)
    assert not [line for line in imported if "PySide6" in line or "shiboken6" in line]
    migrated.signal(signal.SIGINT)  # Ctrl-C in a terminal stops it as cleanly
    assert migrated.wait(timeout=10) == 0
    assert migrated.find(lambda e: e.get("message") == "stopped")
