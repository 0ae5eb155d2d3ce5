"""Two consoles that edit the same tickets offline, with clocks five minutes fast and
slow, converge to the same projection whatever order their events travel in."""

from __future__ import annotations

from datetime import timedelta

import pytest

from console.store.server import SharedDatabase
from console.store.sync import Syncer

from .helpers import T0, open_ticket

pytestmark = pytest.mark.postgres

SKEW = timedelta(minutes=5)


def _fresh_url(pg_server) -> str:  # type: ignore[no-untyped-def]
    url = pg_server.create_database()
    db = SharedDatabase(url)
    db.migrate()
    db.close()
    return url


def _two_consoles_edit_offline(pg_server, open_store, world, tag: str, batch: int):  # type: ignore[no-untyped-def]
    """A (clock 5 min slow) opens two tickets and shares them with B (5 min fast); then
    both edit offline: different fields, and the same field in both real-time orders."""
    world.now = T0
    url = _fresh_url(pg_server)
    a, b = open_store(f"{tag}-a", -SKEW), open_store(f"{tag}-b", SKEW)
    sa, sb = Syncer(a, url, batch=batch), Syncer(b, url, batch=batch)
    open_ticket(a, "T-1", "Checkout fails for everyone", pct=60, workaround="none")
    open_ticket(a, "T-2", "Exports are slow", pct=10, workaround="partial")
    sa.sync_once()
    sb.sync_once()
    world.advance(60)  # offline from here on
    a.append("T-1", "severity", {"severity": "P2", "by": "support"}, "ana")
    world.advance(30)
    b.append("T-1", "severity", {"severity": "P1", "by": "engineering",
                                 "reason": "payments down"}, "ben")
    world.advance(30)
    a.append("T-1", "assigned", {"owner": "ana"}, "ana")
    b.append("T-2", "status", {"status": "waiting_on_customer"}, "ben")
    a.append("T-2", "assigned", {"owner": "carl", "team": "specialists"}, "ana")
    world.advance(60)
    b.append("T-2", "severity", {"severity": "P3", "by": "support"}, "ben")
    world.advance(60)
    # later in real time, but A's clock is 10 minutes behind B's: a smaller HLC
    a.append("T-2", "severity", {"severity": "P2", "by": "support"}, "ana")
    b.append("T-1", "message", {"text": "rolled back the deploy"}, "ben")
    return a, b, sa, sb


def _a_then_b(sa, sb):  # type: ignore[no-untyped-def]
    sa.push()
    sb.push()
    sa.pull()
    sb.pull()


def _b_first(sa, sb):  # type: ignore[no-untyped-def]
    sb.push()
    sb.pull()
    sa.push()
    sa.pull()
    sb.pull()


def _interleaved_partial_pages(sa, sb):  # type: ignore[no-untyped-def]
    sa.push(max_batches=1)
    sb.pull(max_batches=1)
    sb.push(max_batches=1)
    sa.pull(max_batches=1)
    sa.push(max_batches=1)
    sb.push()
    sb.pull(max_batches=1)
    sa.pull(max_batches=2)
    sa.push()
    for syncer in (sb, sa, sb):
        syncer.sync_once()


ORDERS = [("a_then_b", _a_then_b, 2000), ("b_first", _b_first, 2000),
          ("interleaved", _interleaved_partial_pages, 1)]


def _winner(stores, ticket: str) -> str:  # type: ignore[no-untyped-def]
    """The severity of the severity event with the greatest HLC, over both consoles."""
    events = [e for s in stores for e in s.history(ticket) if e.kind == "severity"]
    return max(events, key=lambda e: e.hlc).payload["severity"]


def test_consoles_converge_in_every_sync_order(pg_server, open_store, world):
    results = {}
    for name, order, batch in ORDERS:
        a, b, sa, sb = _two_consoles_edit_offline(pg_server, open_store, world, name, batch)
        assert a.projection_fingerprint() != b.projection_fingerprint()
        order(sa, sb)
        assert a.pending() == b.pending() == 0
        assert {e.id for e in a.all_events()} == {e.id for e in b.all_events()}
        assert a.projection_fingerprint() == b.projection_fingerprint(), name
        results[name] = a.projection_fingerprint()
        t1, t2 = a.ticket("T-1"), a.ticket("T-2")
        # same field: the greater HLC wins, whatever happened first in real time
        assert t1.severity == _winner((a, b), "T-1") == "P1" and t1.confirmed
        assert t2.severity == _winner((a, b), "T-2") == "P3"
        # different fields: both edits survive
        assert t1.owner == "ana"
        assert (t2.status, t2.owner, t2.team) == ("waiting_on_customer", "carl", "specialists")
        for syncer in (sa, sb):
            syncer.close()
    first = results["a_then_b"]
    assert all(fingerprint == first for fingerprint in results.values())


def test_an_hlc_tie_between_devices_is_broken_the_same_way_everywhere(pg_server, open_store,
                                                                     world):
    """Same wall time, same counter: the device id decides, on every console."""
    world.now = T0
    url = _fresh_url(pg_server)
    a, b = open_store("tie-a"), open_store("tie-b")
    sa, sb = Syncer(a, url), Syncer(b, url)
    open_ticket(a, "T-9")
    sa.sync_once()
    sb.sync_once()
    world.advance(10)
    a.append("T-9", "assigned", {"owner": "from-a"}, "ana")
    b.append("T-9", "assigned", {"owner": "from-b"}, "ben")
    for syncer in (sb, sa, sb):
        syncer.sync_once()
    events = [e for e in a.history("T-9") if e.kind == "assigned"]
    assert a.ticket("T-9").owner == b.ticket("T-9").owner == events[-1].payload["owner"]
    assert a.projection_fingerprint() == b.projection_fingerprint()
    sa.close()
    sb.close()
