"""Working without the shared database: the outbox fills, the state says so, and
reconnecting drains it."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from console.store.server import SharedDBError
from console.store.sync import Syncer, SyncState

from .helpers import open_ticket, wait_until

pytestmark = pytest.mark.postgres


def test_a_console_without_a_shared_database_keeps_working_then_drains_on_connect(
        pg, open_store, world):
    a = open_store("a")
    offline = Syncer(a, None)
    assert offline.state.status == "not_configured"
    with pytest.raises(SharedDBError, match="connect URL"):
        offline.sync_once()
    assert offline.state.status == "not_configured"
    for n in range(3):
        open_ticket(a, f"T-{n}")
        world.advance(5)
    pending = [a.pending()]
    for n in range(20):
        a.append(f"T-{n % 3}", "message", {"text": f"note {n}"}, "ana")
        world.advance(1)
        pending.append(a.pending())
    assert pending == list(range(3, 24))
    assert a.ticket("T-1").event_count == 1 + 7

    with Syncer(a, pg.url) as syncer:
        assert syncer.sync_once() == (23, 0)
    assert a.pending() == 0
    b = open_store("b")
    with Syncer(b, pg.url) as syncer:
        assert syncer.sync_once() == (0, 23)
    assert b.projection_fingerprint() == a.projection_fingerprint()
    assert pg.query("SELECT count(*) FROM events") == [(23,)]


def test_the_state_says_offline_since_when_with_how_many_pending(pg, open_store, world):
    cluster = pg.require_restart()
    world.now = world.now.replace(hour=12, minute=2, second=5)
    a = open_store("a")
    open_ticket(a, "T-1")
    states: list[SyncState] = []
    syncer = Syncer(a, pg.url, on_state=states.append, clock=world.clock(),
                    backoff_initial=0.05, backoff_max=0.3)
    stop = threading.Event()
    thread = threading.Thread(target=syncer.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_until(lambda: syncer.state.status == "online", 10)
        assert syncer.state.describe() == "online" and syncer.state.pending == 0
        cluster.stop()
        try:
            for n in range(12):
                a.append("T-1", "message", {"text": f"while down {n}"}, "ana")
                world.advance(1)
                syncer.wake()
            wait_until(lambda: syncer.state.status == "offline"
                       and syncer.state.pending == 12, 10)
            state = syncer.state
            assert state.offline_since is not None
            assert state.offline_since - world.now <= timedelta(0)
            assert state.describe() == (
                f"offline since {state.offline_since:%H:%M:%S} UTC with 12 events pending")
            assert state.describe().startswith("offline since 12:02:")
            # It names the server (masked: this role logs in without a password) or the loss.
            assert ("connecting to postgresql://postgres@127.0.0.1:" in state.last_error
                    or "lost the connection" in state.last_error)
        finally:
            cluster.start()
        wait_until(lambda: syncer.state.status == "online" and a.pending() == 0, 10)
        assert syncer.state.offline_since is None and syncer.state.describe() == "online"
        assert pg.query("SELECT count(*) FROM events") == [(13,)]
        statuses = [s.status for s in states]
        assert statuses[0] == "syncing" and "offline" in statuses and statuses[-1] == "online"
    finally:
        stop.set()
        thread.join(10)
        syncer.close()
    assert not thread.is_alive()


def test_describe_reads_like_a_status_bar():
    from datetime import UTC, datetime

    since = datetime(2026, 3, 2, 10, 2, 5, tzinfo=UTC)
    assert SyncState("online").describe() == "online"
    assert SyncState("syncing").describe() == "syncing"
    assert SyncState("offline", since, 12).describe() == (
        "offline since 10:02:05 UTC with 12 events pending")
    assert SyncState("offline", since, 1).describe().endswith("with 1 event pending")
    assert SyncState("offline", since, 0).describe() == "offline since 10:02:05 UTC"
