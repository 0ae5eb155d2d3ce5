"""Desktop consoles and the service: while a service holds a live lease, a console sends
no external notifications (its desktop alerts stay); once none has been seen live for
the takeover time, the console pages again. The status bar and the wall say who pages.
Real PostgreSQL, a real local webhook receiver."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from builders import FakeClock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the shared fixtures

import store.conftest as store_fixtures
from service_fakes import running_service
from store.helpers import wait_until

from benchmarks.notify.fakes import notify_config, notify_secrets
from console.app.notify_ops import build_runner
from console.app.notify_secrets import StaticSecrets
from console.notify.outbox import NOT_MINE
from console.store.deliveries import DeliveryOutbox, SharedClaims
from console.store.lease import NO_SERVICE, LeaderLease, ServicePresence
from console.store.local import LocalStore
from console.store.server import SharedDatabase

from .test_lease_fencing import delivery

pytestmark = [pytest.mark.postgres, pytest.mark.filterwarnings("ignore:Session.login_data")]
matrix = store_fixtures.matrix  # pg and pg_server: tests/service/conftest.py


def utc_now() -> datetime:
    return datetime.now(UTC)


def test_a_console_stands_by_while_a_service_is_live_then_takes_over(
        tmp_path, matrix, dbs, services):
    ttl = 1.0
    service = LeaderLease(dbs(), "host-a:4711", host="host-a", ttl=ttl)
    renewed = time.monotonic()  # the service's last renewal: it is killed after it
    assert service.tick()
    store = LocalStore(tmp_path / "console", matrix, clock=utc_now).open()
    presence = ServicePresence(dbs(), takeover=ttl, refresh=0.1)
    shown: list[dict[str, Any]] = []
    try:
        runner = build_runner(store, config=notify_config(services),
                              secrets=StaticSecrets(notify_secrets(services)),
                              claims=SharedClaims(dbs(), store.device), show=shown.append,
                              clock=utc_now, sentiment=None, may_send=presence.may_send)
        runner.dispatcher.gate_interval = 0.1
        DeliveryOutbox(store).enqueue([delivery("w1", "webhook"), delivery("d1", "desktop")],
                                      utc_now())
        report = runner.dispatcher.dispatch(utc_now())
        assert [m["ref"] for m in shown] == ["d1"]  # the desktop alert stays
        assert services.received("/hook/") == [] and report.held == 1
        row = {r.key: r for r in DeliveryOutbox(store).listing()}["w1"]
        assert (row.status, row.attempts, row.last_error) == ("pending", 0, NOT_MINE)
        assert presence.paging == "service host-a"

        # The service stops renewing (killed). The console waits for its lease to expire
        # and then the takeover time (a standby service's chance) before it pages.
        wait_until(lambda: runner.dispatcher.dispatch(utc_now() + timedelta(seconds=1)).sent,
                   timeout=10, interval=0.05)
        waited = time.monotonic() - renewed
        assert [r.body["id"] for r in services.received("/hook/")] == ["w1"]
        # the lease's ttl, then the takeover time (less a query's latency: the console
        # maps the database's expiry onto its own clock)
        assert 2 * ttl - 0.1 <= waited < 2 * ttl + 1.5, f"the console paged after {waited:.2f} s"
        assert presence.paging == NO_SERVICE
    finally:
        store.close()


def test_a_console_marks_what_the_service_sent_instead_of_keeping_it_queued(
        tmp_path, matrix, dbs, services):
    service = LeaderLease(dbs(), "host-a:4711", host="host-a", ttl=15)
    assert service.tick()
    SharedClaims(dbs(), "the-service", fence=lambda: service.epoch).finish(
        ["w1"], "sent", utc_now())
    store = LocalStore(tmp_path / "console", matrix, clock=utc_now).open()
    try:
        runner = build_runner(store, config=notify_config(services),
                              secrets=StaticSecrets(notify_secrets(services)),
                              claims=SharedClaims(dbs(), store.device), clock=utc_now,
                              sentiment=None, may_send=ServicePresence(dbs()).may_send)
        DeliveryOutbox(store).enqueue([delivery("w1", "webhook")], utc_now())
        assert runner.dispatcher.dispatch(utc_now()).skipped == 1
        row = DeliveryOutbox(store).listing()[0]
        assert (row.status, row.external_id) == ("skipped", "elsewhere:the-service")
        assert services.received("/hook/") == []
    finally:
        store.close()


def test_presence_counts_the_takeover_time_from_the_lease_expiry(dbs):
    clock = FakeClock(500.0)
    service = LeaderLease(dbs(), "host-a:1", host="host-a", ttl=15)
    presence = ServicePresence(dbs(), takeover=15, refresh=3, monotonic=clock)
    assert presence.may_send()  # no service ever
    assert presence.paging == NO_SERVICE
    clock.now += 3
    seen = clock.now
    assert service.tick()
    assert not presence.may_send()  # refreshed: 3 s passed since the last look
    assert presence.paging == "service host-a"
    service.release()  # the service is gone; it was live until ~15 s from `seen`
    clock.now += 3
    assert not presence.may_send()  # the row is no longer live, but a standby may come
    clock.now = seen + 29.5
    assert not presence.may_send()
    clock.now = seen + 30.0  # ~15 s of lease + 15 s of takeover time
    assert presence.may_send() and presence.paging == NO_SERVICE


def test_an_unreachable_database_keeps_what_the_console_saw_last(dbs, pg):
    clock = FakeClock(500.0)
    service = LeaderLease(dbs(), "host-a:1", host="host-a", ttl=15)
    assert service.tick()
    cut_off = SharedDatabase(pg.url.rsplit("/", 1)[0] + "/no_such_database")
    try:
        presence = ServicePresence(cut_off, takeover=15, refresh=3, monotonic=clock)
        assert presence.may_send()  # never saw a service: page as today
        presence.db = dbs()
        clock.now += 3
        assert not presence.may_send()
        presence.db = cut_off  # the database goes away
        clock.now += 3
        assert not presence.may_send() and presence.last_error
        clock.now += 30
        assert presence.may_send()  # no heartbeat seen for the takeover time: fall back
    finally:
        cut_off.close()


@pytest.mark.gui
def test_the_status_bar_and_the_wall_say_who_pages(qtbot, tmp_path, matrix, pg, dbs,
                                                   services):
    from PySide6.QtCore import QSettings

    from console.app.runtime.notify_handle import CONSOLE_GATE_INTERVAL, start_notifications
    from console.ui.main_window import MainWindow
    from console.ui.wall import WallScreen

    with running_service(tmp_path / "console", matrix, qtbot, user="ana",
                         shared_db=pg.url) as console:
        window = MainWindow(console, QSettings(str(tmp_path / "c.ini"),
                                               QSettings.Format.IniFormat))
        wall = WallScreen(console, matrix)
        qtbot.addWidget(window)
        qtbot.addWidget(wall)
        handle = start_notifications(console, config=notify_config(services),
                                     secrets=StaticSecrets(notify_secrets(services)),
                                     sentiment=None, poll_interval=0.2)
        try:
            qtbot.waitUntil(lambda: handle.runner is not None, timeout=10000)
            assert handle.presence is not None and handle.runner is not None
            # held deliveries are looked at again every few seconds, not every second
            assert handle.runner.dispatcher.gate_interval == CONSOLE_GATE_INTERVAL
            handle.presence.refresh_every = 0.1
            assert window.paging_label.text() == "paging: this console (no service)"
            assert wall.paging_note.text() == "paging: this console (no service)"
            service = LeaderLease(dbs(), "host-a:4711", host="host-a", ttl=15)
            assert service.tick()
            qtbot.waitUntil(lambda: console.paging == "service host-a", timeout=10000)
            assert window.paging_label.text() == "paging: service host-a"
            assert wall.paging_note.text() == "paging: service host-a"
        finally:
            handle.stop()
