"""The store's unit of work: one transaction per unit, committed when the block ends and
rolled back (nothing written) when it raises; repositories hand out plain records."""

from __future__ import annotations

import dataclasses
import sqlite3

import pytest

from console.store.errors import StoreError
from console.store.local import NewEvent
from console.store.records import Draft, TicketRecord

from .helpers import T0, open_ticket


class Boom(Exception):
    pass


def _count(store, table: str) -> int:  # type: ignore[no-untyped-def]
    with sqlite3.connect(store.path) as conn:  # a separate connection: only committed data
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_a_unit_commits_its_events_and_draft_deletion_together(open_store):  # type: ignore[no-untyped-def]
    store = open_store("a")
    with store.unit() as uow:
        uow.drafts.save("intake", "intake", "", {"title": "x"}, T0)
    with store.unit() as uow:
        stored = uow.events.append([NewEvent("INC-1", "opened", {"title": "t"}, "ana")])
        uow.drafts.delete("intake")
    assert [e.ticket for e in stored] == ["INC-1"]
    assert _count(store, "events") == 1
    assert _count(store, "drafts") == 0


def test_a_failure_after_the_events_leaves_the_draft_and_no_events(open_store):  # type: ignore[no-untyped-def]
    store = open_store("a")
    with store.unit() as uow:
        uow.drafts.save("intake", "intake", "", {"title": "x"}, T0)
    with pytest.raises(Boom), store.unit() as uow:
        uow.events.append([NewEvent("INC-1", "opened", {"title": "t"}, "ana")])
        uow.drafts.delete("intake")
        raise Boom
    assert _count(store, "events") == 0
    assert _count(store, "outbox") == 0
    assert _count(store, "tickets") == 0
    with store.unit(read_only=True) as uow:
        assert uow.drafts.get("intake") is not None
        assert uow.tickets.get("INC-1") is None


def test_a_read_only_unit_refuses_to_write(open_store):  # type: ignore[no-untyped-def]
    store = open_store("a")
    with store.unit(read_only=True) as uow, pytest.raises(StoreError, match="read-only"):
        uow.drafts.delete("intake")
    with store.unit(read_only=True) as uow, pytest.raises(StoreError, match="read-only"):
        uow.events.append([NewEvent("INC-1", "opened", {}, "ana")])


def test_repositories_return_plain_records(open_store):  # type: ignore[no-untyped-def]
    store = open_store("a")
    open_ticket(store, "INC-1")
    with store.unit() as uow:
        uow.drafts.save("handoff:INC-1", "handoff", "INC-1", {"a": 1}, T0)
        uow.profiles.set_roles("ana", ["lead"])
        uow.meta.set("checkpoint", "7")
    with store.unit(read_only=True) as uow:
        ticket = uow.tickets.get("INC-1")
        draft = uow.drafts.get("handoff:INC-1")
        assert isinstance(ticket, TicketRecord) and dataclasses.is_dataclass(ticket)
        assert ticket.title == "Checkout fails"
        assert draft == Draft("handoff:INC-1", "handoff", "INC-1", {"a": 1}, T0)
        assert uow.drafts.all("handoff") == [draft]
        assert uow.profiles.roles("ana") == ["lead"]
        assert uow.profiles.roles("bo") == []
        assert uow.meta.get("checkpoint") == "7"
        assert uow.tickets.accounts() == {"Acme": ""}
        assert [e.kind for e in uow.events.history("INC-1")] == ["opened"]
        assert uow.events.pending() == 1
        assert uow.matrix_versions.next_number() == 1 + len(uow.matrix_versions.all())


def test_alert_claims_and_deliveries_go_through_the_unit_and_roll_back_with_it(
        open_store):  # type: ignore[no-untyped-def]
    store = open_store("a")
    with pytest.raises(Boom), store.unit() as uow:
        assert uow.alerts.claim(["k1"], T0.isoformat()) == {"k1"}
        uow.meta.set("checkpoint", "9")
        raise Boom
    with store.unit(read_only=True) as uow:
        assert uow.meta.get("checkpoint") is None
        assert uow.deliveries.counts() == {}
        with pytest.raises(StoreError, match="read-only"):
            uow.alerts.claim(["k1"], T0.isoformat())
    with store.unit() as uow:
        assert uow.alerts.claim(["k1", "k1"], T0.isoformat()) == {"k1"}
        assert uow.alerts.claim(["k1"], T0.isoformat()) == set()


@pytest.mark.postgres
def test_a_shared_transaction_commits_its_work_or_rolls_it_back(pg):  # type: ignore[no-untyped-def]
    db = pg.shared()
    try:
        def claim(conn):  # type: ignore[no-untyped-def]
            conn.execute("INSERT INTO notification_claims (key, device, claimed_at) "
                         "VALUES ('k', 'd', 't')")
            raise Boom

        with pytest.raises(Boom):
            db.transaction("claiming on", claim)
        assert pg.query("SELECT count(*) FROM notification_claims") == [(0,)]
        got = db.transaction("claiming on", lambda c: c.execute("SELECT 41 + 1").fetchone())
        assert got == (42,)
    finally:
        db.close()


def test_the_store_hands_out_tickets_as_plain_records(open_store):  # type: ignore[no-untyped-def]
    store = open_store("a")
    open_ticket(store, "INC-2", title="Login loops")
    open_ticket(store, "INC-1")
    tickets = store.tickets()
    assert all(type(t) is TicketRecord for t in tickets)
    assert sorted(t.id for t in tickets) == ["INC-1", "INC-2"]
    one = store.ticket("INC-2")
    assert type(one) is TicketRecord and one.title == "Login loops"
    assert one.confirmed is False and one.event_count == 1
    assert store.ticket("INC-404") is None


def _try_begin_immediate(store) -> str:  # type: ignore[no-untyped-def]
    conn = sqlite3.connect(store.path, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return "free"
    except sqlite3.OperationalError as exc:
        return str(exc)
    finally:
        conn.close()


def test_a_unit_holds_the_write_lock_from_its_start_and_a_read_unit_never_does(
        open_store):  # type: ignore[no-untyped-def]
    store = open_store("a")
    open_ticket(store, "INC-1")
    with store.unit() as uow:  # BEGIN IMMEDIATE: no other writer slips in before its reads
        uow.tickets.get("INC-1")
        assert "locked" in _try_begin_immediate(store)
    with store.unit(read_only=True) as uow:
        assert uow.tickets.get("INC-1") is not None
        assert _try_begin_immediate(store) == "free"
