"""Exactly once across consoles, on a real PostgreSQL: consoles that run the same
events race for the same notifications, and exactly one of them sends each."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from benchmarks.notify.fakes import notify_config, notify_secrets
from console.app.notify_ops import build_runner
from console.app.notify_secrets import StaticSecrets
from console.store.deliveries import SharedClaims
from console.store.server import SharedDatabase
from console.store.sync import Syncer

from .helpers import open_ticket

pytestmark = pytest.mark.postgres


_OPENED: list[SharedDatabase] = []


def _db(url: str) -> SharedDatabase:
    """A shared-database handle that is closed when the test ends."""
    _OPENED.append(SharedDatabase(url))
    return _OPENED[-1]


@pytest.fixture(autouse=True)
def _close_shared_databases():  # type: ignore[no-untyped-def]
    yield
    while _OPENED:
        _OPENED.pop().close()


def _console(store, pg, services, world, device_db=True):  # type: ignore[no-untyped-def]
    claims = SharedClaims(_db(pg.url), store.device) if device_db else None
    return build_runner(store, config=notify_config(services),
                        secrets=StaticSecrets(notify_secrets(services)), claims=claims,
                        clock=store.clock, sentiment=None)


def _sync(*stores, url):  # type: ignore[no-untyped-def]
    for _ in range(2):
        for store in stores:
            with Syncer(store, url) as syncer:
                syncer.sync_once()


@pytest.mark.parametrize("consoles", [2, 4])
def test_consoles_racing_send_each_notification_once(pg, open_store, services, world,
                                                     consoles):
    stores = [open_store(f"c{n}") for n in range(consoles)]
    for n in range(20):
        open_ticket(stores[0], f"INC-{n}")
    _sync(*stores, url=pg.url)
    runners = [_console(s, pg, services, world) for s in stores]
    barrier = threading.Barrier(consoles)

    def race(runner):  # type: ignore[no-untyped-def]
        runner.step(world.now)
        barrier.wait()
        runner.run_once(world.now)

    threads = [threading.Thread(target=race, args=(r,)) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    pages = Counter(r.body["dedup_key"] for r in services.received("/pagerduty"))
    assert len(pages) == 40 and set(pages.values()) == {1}  # 20 primaries + 20 cc, once
    # the losers saw live claims: they look again once the lease could have lapsed,
    # find the notifications sent, and skip them
    world.advance(runners[0].dispatcher.claims.lease_seconds + 2)
    for runner in runners:
        runner.run_once(world.now)
    assert len(services.received("/pagerduty")) == 40
    sent = [{r.key for r in runner.outbox.listing() if r.status == "sent"}
            for runner in runners]
    assert sum(len(s) for s in sent) == 40 and len(set().union(*sent)) == 40
    skipped = [r for runner in runners for r in runner.outbox.listing()
               if r.status == "skipped"]
    assert len(skipped) == 40 * (consoles - 1)
    assert all(r.external_id.startswith("elsewhere:") for r in skipped)
    owners = dict(pg.query("SELECT status, count(*) FROM notification_claims GROUP BY 1"))
    assert owners == {"sent": 40}


def test_a_console_back_online_does_not_resend(pg, open_store, services, world):
    a, b = open_store("a"), open_store("b")
    open_ticket(a, "INC-2", pct=10)  # P2: Slack to #engineering, cc @cs-lead
    _sync(a, b, url=pg.url)
    offline = SharedClaims(_db("postgresql://nobody@127.0.0.1:9/none"), b.device)
    online = _console(a, pg, services, world)
    late = build_runner(b, config=notify_config(services),
                        secrets=StaticSecrets(notify_secrets(services)), claims=offline,
                        clock=b.clock, sentiment=None)
    late.run_once(world.now)
    held = late.outbox.listing()
    assert {r.status for r in held} == {"pending"}
    assert all("waiting for the shared database" in r.last_error for r in held)
    online.run_once(world.now)
    assert len(services.received("/slack/")) == 2
    world.advance(10)
    late.dispatcher.claims = SharedClaims(_db(pg.url), b.device)  # reconnected
    late.run_once(world.now)
    assert len(services.received("/slack/")) == 2
    assert {r.status for r in late.outbox.listing()} == {"skipped"}


def test_a_dead_claimer_loses_its_lease(pg, open_store, services, world):
    a, b = open_store("a"), open_store("b")
    open_ticket(a, "INC-1")
    _sync(a, b, url=pg.url)
    crashed = SharedClaims(_db(pg.url), a.device)
    keys = ["notify|INC-1|p1-page|r1|s1|primary|oncall-primary",
            "notify|INC-1|p1-page|r1|s1|primary|oncall-primary|cc:cto"]
    assert {s for s, _, _ in crashed.claim(keys, world.now).values()} == {"won"}
    # console a claimed both and died before sending
    survivor = _console(b, pg, services, world)
    survivor.run_once(world.now)
    assert services.received("/pagerduty") == []
    assert {r.status for r in survivor.outbox.listing()} == {"pending"}
    world.advance(survivor.dispatcher.claims.lease_seconds + 2)
    survivor.run_once(world.now)
    assert len(services.received("/pagerduty")) == 2
    claims = dict(pg.query("SELECT key, device FROM notification_claims"))
    assert set(claims.values()) == {b.device}
