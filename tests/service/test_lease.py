"""One active service: the lease row on a real PostgreSQL, the local deadline that
stops a paused leader before the database hands its lease on, fencing of claims by the
epoch, release on a clean stop."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from builders import FakeClock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the shared fixtures

from store.helpers import wait_until

from console.store import migrate
from console.store.deliveries import SharedClaims
from console.store.lease import LeaderLease, current_lease
from console.store.server import SharedDatabase

pytestmark = pytest.mark.postgres
T = TypeVar("T")


def _claim(claims: SharedClaims, key: str) -> str:
    return claims.claim([key], datetime.now(UTC))[key][0]


def test_the_first_instance_becomes_active_and_the_second_stands_by(dbs):
    a = LeaderLease(dbs(), "host-a:1", host="host-a", ttl=15)
    b = LeaderLease(dbs(), "host-b:2", host="host-b", ttl=15)
    assert a.tick() is True and a.active and a.epoch == 1
    assert b.tick() is False and not b.active and b.epoch is None
    assert a.tick() is True and a.epoch == 1  # a renewal keeps the epoch
    seen = current_lease(dbs())
    assert seen is not None and (seen.holder, seen.host, seen.epoch) == ("host-a:1", "host-a", 1)
    assert seen.live and seen.ttl == pytest.approx(15, abs=0.01)


def test_active_is_false_from_the_local_deadline_though_the_row_is_still_live(dbs):
    clock = FakeClock(1000.0)
    a = LeaderLease(dbs(), "host-a:1", host="host-a", ttl=15, margin=3, monotonic=clock)
    assert a.tick()
    clock.now += 11.9
    assert a.active and a.epoch == 1
    clock.now += 0.1  # tick start + ttl - margin: no renewal came (a pause)
    assert not a.active and a.epoch is None
    lease = current_lease(dbs())
    assert lease is not None and lease.live and lease.holder == "host-a:1"


class SlowDatabase(SharedDatabase):
    """A renewal that takes ``delay`` seconds of the injected clock."""

    def __init__(self, url: str, clock: FakeClock[float], delay: float) -> None:
        super().__init__(url)
        self.clock, self.delay = clock, delay

    def transaction(self, what: str, work: Callable[[Any], T]) -> T:
        self.clock.now += self.delay
        return super().transaction(what, work)


def test_the_local_deadline_counts_from_the_start_of_a_slow_renewal(pg):
    clock = FakeClock(1000.0)
    db = SlowDatabase(pg.url, clock, delay=4.0)
    try:
        a = LeaderLease(db, "host-a:1", host="host-a", ttl=15, margin=3, monotonic=clock)
        start = clock.now
        assert a.tick()
        clock.now = start + 11.99
        assert a.active
        clock.now = start + 12.0  # not the end of the renewal (+4 s) + 12
        assert not a.active
    finally:
        db.close()


def test_a_paused_leader_stops_before_the_standby_takes_over_with_the_next_epoch(dbs):
    """The old leader simply stops ticking (a pause); real time, real database."""
    ttl = 1.5
    a = LeaderLease(dbs(), "host-a:1", host="host-a", ttl=ttl)
    b = LeaderLease(dbs(), "host-b:2", host="host-b", ttl=ttl)
    fence_a = SharedClaims(dbs(), "host-a", fence=lambda: a.epoch)
    fence_b = SharedClaims(dbs(), "host-b", fence=lambda: b.epoch)
    stale = SharedClaims(dbs(), "host-a", fence=lambda: 1)  # the paused leader's old token
    started = time.monotonic()
    assert a.tick() and a.epoch == 1
    assert _claim(fence_a, "k0") == "won"
    order: list[tuple[str, float]] = []

    def watch() -> bool:
        if not a.active and not any(who == "a off" for who, _ in order):
            order.append(("a off", time.monotonic()))
        if b.tick():
            order.append(("b on", time.monotonic()))
            return True
        return False

    wait_until(watch, timeout=10, interval=0.05)
    assert [who for who, _ in order] == ["a off", "b on"]
    took = order[1][1] - started
    assert ttl <= took < ttl + 1.0, f"takeover took {took:.2f} s"
    assert b.epoch == 2
    # The paused leader wakes up: its claims with the old epoch fail, the new leader's win.
    assert _claim(stale, "k1") == "fenced"
    assert _claim(fence_a, "k1") == "fenced"  # a.epoch is None now: nothing even asked
    assert _claim(fence_b, "k1") == "won"
    assert a.tick() is False and b.active
    lease = current_lease(dbs())
    assert lease is not None and (lease.holder, lease.epoch) == ("host-b:2", 2)


def test_a_fenced_claim_fails_once_the_lease_expired_even_with_no_new_holder(dbs):
    clock = FakeClock(1000.0)
    a = LeaderLease(dbs(), "host-a:1", host="host-a", ttl=0.5, monotonic=clock)
    assert a.tick()
    # The local clock is frozen (a pause) so `active` still says yes; the database's
    # expiry decides the claim.
    claims = SharedClaims(dbs(), "host-a", fence=lambda: a.epoch)
    wait_until(lambda: not current_lease(dbs()).live, timeout=5)  # type: ignore[union-attr]
    assert a.active
    assert _claim(claims, "k") == "fenced"
    assert a.tick() and _claim(claims, "k") == "won"  # renewed: the same epoch again
    assert a.epoch == 1


def test_a_second_process_with_the_same_name_is_another_holder(dbs):
    """A replacement started beside a partitioned original under the same instance name
    (a fixed pod name, say) must not share its lease: it waits, then gets a new epoch,
    and the original's renewals fail from then on."""
    original = LeaderLease(dbs(), "serve-0", host="node-1", ttl=0.5)
    replacement = LeaderLease(dbs(), "serve-0", host="node-2", ttl=0.5)
    assert original.tick() and original.epoch == 1
    assert replacement.tick() is False  # live lease, same name: still not its own
    wait_until(replacement.tick, timeout=5)
    assert replacement.epoch == 2
    assert original.tick() is False and original.epoch is None
    lease = current_lease(dbs())
    assert lease is not None and (lease.host, lease.epoch) == ("node-2", 2)


def test_release_hands_the_lease_over_at_once(dbs):
    a = LeaderLease(dbs(), "host-a:1", host="host-a", ttl=30)
    b = LeaderLease(dbs(), "host-b:2", host="host-b", ttl=30)
    assert a.tick() and not b.tick()
    a.release()
    assert not a.active and a.epoch is None
    assert b.tick() and b.epoch == 2
    assert a.tick() is False


def test_run_ticks_until_stopped_reports_changes_and_releases(dbs):
    a = LeaderLease(dbs(), "host-a:1", host="host-a", ttl=0.6)
    b = LeaderLease(dbs(), "host-b:2", host="host-b", ttl=0.6)
    changes: list[bool] = []
    stop = threading.Event()
    thread = threading.Thread(target=a.run, args=(stop, changes.append))
    thread.start()
    try:
        wait_until(lambda: changes == [True], timeout=5)
        # Several ttls pass: the run loop renews, so the standby never gets in.
        deadline = time.monotonic() + 2.0
        wait_until(lambda: b.tick() or time.monotonic() > deadline, timeout=5)
        assert not b.active and a.active
    finally:
        stop.set()
        thread.join(timeout=5)
    assert changes == [True, False]
    assert b.tick()  # released: no wait for the ttl


def test_no_lease_table_reads_as_no_service(pg_server):
    """A database still at revision 0003 (before the service) has no lease."""
    url = pg_server.create_database()
    db = SharedDatabase(url)
    try:
        assert current_lease(db) is None
    finally:
        db.close()


def test_the_lease_table_is_created_on_postgres_only(tmp_path, pg):
    from sqlalchemy import create_engine, inspect

    engine = create_engine(f"sqlite:///{tmp_path / 'local.db'}")
    try:
        assert migrate.upgrade(engine)[1] >= "0004"
        assert "service_lease" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()
    assert pg.query("SELECT to_regclass('service_lease') IS NOT NULL") == [(True,)]


def test_a_bad_ttl_is_refused_with_a_clear_error(dbs):
    with pytest.raises(ValueError, match="ttl must be positive"):
        LeaderLease(dbs(), "h:1", host="h", ttl=0)
    with pytest.raises(ValueError, match="margin"):
        LeaderLease(dbs(), "h:1", host="h", ttl=5, margin=5)
