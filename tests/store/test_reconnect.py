"""A running Syncer survives PostgreSQL restarts and a killed listener connection,
and catches up without missing an event."""

from __future__ import annotations

import threading
import time

import pytest

from console.store.server import SharedDBError
from console.store.sync import Syncer

from .helpers import open_ticket, wait_until

pytestmark = pytest.mark.postgres


def _sync_until_it_works(syncer: Syncer, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            syncer.sync_once()
            return
        except SharedDBError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def test_a_running_console_catches_up_after_a_restart_and_a_killed_listener(
        pg, open_store, world):
    cluster = pg.require_restart()
    a, b = open_store("a"), open_store("b")
    # a 30 s safety poll: only LISTEN/NOTIFY and reconnection can make the deadlines
    sa = Syncer(a, pg.url, backoff_initial=0.05, backoff_max=0.5, poll_interval=30)
    sb = Syncer(b, pg.url)
    stop = threading.Event()
    thread = threading.Thread(target=sa.run, args=(stop,), daemon=True)
    thread.start()

    def a_has_everything_b_has() -> bool:
        return {e.id for e in b.all_events()} <= {e.id for e in a.all_events()}

    try:
        wait_until(lambda: sa.state.status == "online", 10)
        open_ticket(b, "T-1")
        sb.sync_once()
        wait_until(lambda: a.ticket("T-1") is not None, 2)

        for n in range(5):  # written while the server goes away
            b.append("T-1", "message", {"text": f"during restart {n}"}, "ben")
            world.advance(1)
        cluster.restart()
        back = time.monotonic()
        _sync_until_it_works(sb)
        wait_until(a_has_everything_b_has, 2 - (time.monotonic() - back))
        assert time.monotonic() - back < 2

        listeners = cluster.terminate("application_name = %s",
                                      (f"escalation-console listener {a.device}",))
        assert listeners == 1
        world.advance(1)
        b.append("T-1", "message", {"text": "after the listener died"}, "ben")
        sent = time.monotonic()
        sb.sync_once()
        wait_until(a_has_everything_b_has, 2)
        assert time.monotonic() - sent < 2
    finally:
        stop.set()
        thread.join(10)
        sa.close()
        sb.close()
    ids = [e.id for e in a.all_events()]
    assert len(ids) == len(set(ids)) == 7
    assert a.projection_fingerprint() == b.projection_fingerprint()


def test_a_local_write_is_pushed_as_soon_as_the_app_wakes_the_syncer(pg, open_store):
    a, b = open_store("a"), open_store("b")
    sa = Syncer(a, pg.url, poll_interval=30)
    sb = Syncer(b, pg.url, poll_interval=30)
    stop = threading.Event()
    threads = [threading.Thread(target=s.run, args=(stop,), daemon=True) for s in (sa, sb)]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: sa.state.status == sb.state.status == "online", 10)
        open_ticket(a, "T-1")
        sa.wake()
        took = wait_until(lambda: b.ticket("T-1") is not None, 1)
        assert took < 1 and a.pending() == 0
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
        sa.close()
        sb.close()
