"""The shared database's reports rollup on a real PostgreSQL: the same log gives the same
Report as the local store's, after more events (only the moved tickets refold) and
after a new matrix (every ticket refolds)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from matrix_variant import variant_yaml
from people_logins import login
from sqlalchemy.exc import ProgrammingError

from console.app.usecases.reports import load_report
from console.store.local import LocalStore
from console.store.server import SharedDatabase
from console.store.shared_reports import SharedReports
from console.store.sync import Syncer

from .helpers import T0

pytestmark = [pytest.mark.postgres, pytest.mark.filterwarnings("ignore:Session.login_data")]

WINDOW = (T0 - timedelta(days=1), T0 + timedelta(days=7))


def _sync(store: LocalStore, url: str) -> None:
    with Syncer(store, url) as syncer:
        syncer.sync_once()


def _write(a: LocalStore, world, first: int, last: int) -> None:  # type: ignore[no-untyped-def]
    for n in range(first, last):
        t = f"T-{n}"
        a.append(t, "opened", {"title": "x", "severity": ("P2", "P3")[n % 2], "by": "support",
                               "owner": ("ann", "bob")[n % 2], "category": "bug"}, "ann")
        world.advance(600)
        if n % 3 == 0:
            a.append(t, "escalated", {"team": "specialists", "tier": "T2",
                                      "from_team": "frontline"}, "ann")
        a.append(t, "responded", {}, "ann")
        world.advance(600)
        if n % 2 == 0:
            a.append(t, "resolved", {}, "ann")


def test_the_shared_rollup_gives_the_local_stores_report(pg, open_store, world, matrix):  # type: ignore[no-untyped-def]
    a = open_store("a")
    _write(a, world, 0, 12)
    _sync(a, pg.url)
    engine = pg.shared().sqlalchemy_engine()
    try:
        shared = SharedReports(engine, matrix)
        assert shared.behind() == len(a.all_events())
        assert shared.refresh() == 12 and shared.behind() == 0
        now = world.now + timedelta(hours=1)
        assert load_report(shared, *WINDOW, now=now) == load_report(a, *WINDOW, now=now)
        assert shared.refresh() == 0  # nothing moved

        _write(a, world, 12, 15)
        a.append("T-1", "resolved", {}, "ann")
        _sync(a, pg.url)
        assert shared.refresh() == 4  # three new tickets and T-1
        now = world.now + timedelta(hours=1)
        local = load_report(a, *WINDOW, now=now)
        assert load_report(shared, *WINDOW, now=now) == local and local.opened == 15

        a.publish_matrix(variant_yaml(), "P3 on a business calendar", "lead")
        _sync(a, pg.url)
        # a new matrix: every ticket, a bounded number a transaction
        assert [shared.refresh(limit=4) for _ in range(5)] == [4, 4, 4, 3, 0]
        assert shared.matrix == a.matrix
        now = world.now + timedelta(hours=1)
        assert load_report(shared, *WINDOW, now=now) == load_report(a, *WINDOW, now=now)
        for severity, team in (("P3", None), (None, "specialists")):
            assert (load_report(shared, *WINDOW, team=team, severity=severity, now=now)
                    == load_report(a, *WINDOW, team=team, severity=severity, now=now))
    finally:
        engine.dispose()


def test_every_person_reads_the_shared_rollup_and_only_the_service_writes_it(  # type: ignore[no-untyped-def]
        pg, open_store, world, matrix):
    a = open_store("a")
    _write(a, world, 0, 3)
    _sync(a, pg.url)
    now = world.now + timedelta(hours=1)
    engines = {role: SharedDatabase(login(pg, f"r{role}", role)).sqlalchemy_engine()
               for role in ("agent", "service")}
    try:
        agent = SharedReports(engines["agent"], matrix)
        with pytest.raises(ProgrammingError, match="permission denied"):
            agent.refresh()
        assert SharedReports(engines["service"], matrix).refresh() == 3
        assert load_report(agent, *WINDOW, now=now) == load_report(a, *WINDOW, now=now)
    finally:
        for engine in engines.values():
            engine.dispose()
