"""The local refused list (no server needed): moving an event out of the log, the
append-only trigger's one exception, dismissing, the refold, the cached person."""

from __future__ import annotations

import contextlib
import sqlite3

import pytest
from matrix_variant import NEW_TEAM, variant_yaml

from console.domain.people import LEAD, Person
from console.paths import default_matrix_path
from console.store.errors import StoreError
from console.store.local import LocalStore
from console.store.records import StoredEvent

from .helpers import open_ticket


def _delete(store, event_id: str) -> None:  # type: ignore[no-untyped-def]
    """Delete an event behind the store's back, as a bug or a tool might."""
    with contextlib.closing(sqlite3.connect(store.path)) as conn, conn:
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("DELETE FROM outbox WHERE event_id = ?", (event_id,))
        conn.execute("DELETE FROM events WHERE id = ?", (event_id,))


def test_a_refused_event_leaves_the_log_and_outbox_for_the_refused_list(open_store, world):
    a = open_store("a")
    open_ticket(a, "T-1")
    world.advance(1)
    note = a.append("T-1", "message", {"text": "oops"}, "agent-ana")
    world.advance(1)
    moved = a.refuse([(note, "event authored by agent-ana cannot be written by bob")])
    assert [(r.event_id, r.ticket, r.kind, r.payload, r.author) for r in moved] == [
        (note.id, "T-1", "message", {"text": "oops"}, "agent-ana")]
    assert moved[0].at == note.at and moved[0].refused_at == world.now
    assert a.known_ids([note.id]) == set() and a.pending() == 1
    assert a.ticket("T-1").event_count == 1
    with a.unit(read_only=True) as uow:
        assert uow.refused.list() == moved and uow.refused.count() == 1
    # moving it again (a re-push after a crash refused it twice) changes nothing
    assert a.refuse([(note, "again")]) == []
    with a.unit(read_only=True) as uow:
        assert uow.refused.list()[0].reason.startswith("event authored by agent-ana")


def test_the_refused_list_is_newest_first_and_dismissed_entries_go(open_store, world):
    a = open_store("a")
    open_ticket(a, "T-1")
    notes = []
    for n in range(3):
        world.advance(1)
        notes.append(a.append("T-1", "message", {"text": f"n{n}"}, "agent-ana"))
    for note in notes:
        world.advance(1)
        a.refuse([(note, f"no {note.payload['text']}")])
    with a.unit(read_only=True) as uow:
        assert [r.reason for r in uow.refused.list()] == ["no n2", "no n1", "no n0"]
        assert [r.reason for r in uow.refused.list(limit=2)] == ["no n2", "no n1"]
    with a.unit() as uow:
        assert uow.refused.dismiss([notes[1].id, "unknown"]) == 1
    with a.unit(read_only=True) as uow:
        assert [r.reason for r in uow.refused.list()] == ["no n2", "no n0"]
        assert uow.refused.count() == 2
        with pytest.raises(StoreError, match="read-only"):
            uow.refused.dismiss([notes[0].id])


def test_the_local_log_still_refuses_deleting_any_event_not_moved_to_the_refused_list(
        open_store, world):
    a = open_store("a")
    open_ticket(a, "T-1")
    own = a.history("T-1")[0]
    with pytest.raises(sqlite3.IntegrityError, match="append-only: DELETE refused"):
        _delete(a, own.id)
    assert a.known_ids([own.id]) == {own.id}
    pulled = StoredEvent("pulled-1", "T-1", "message", {"text": "from bob"}, "bob", "dev-b",
                         own.hlc, own.at, 7)
    a.ingest([pulled], 7)
    # a pulled event (the server holds it) cannot be moved, even when asked to
    assert a.refuse([(pulled, "no")]) == []
    assert a.known_ids(["pulled-1"]) == {"pulled-1"}


def test_a_refused_opening_takes_its_ticket_out_of_the_projection(open_store, world):
    a = open_store("a")
    open_ticket(a, "T-1")
    open_ticket(a, "T-9")
    opening = a.history("T-9")[0]
    a.refuse([(opening, "no")])
    assert [t.id for t in a.tickets()] == ["T-1"]


def test_a_refused_publish_puts_the_newest_remaining_version_back_in_force(
        open_store, world):
    a = open_store("a")
    bundled = a.matrix
    followed = []
    a.follow_matrix(followed.append)
    first = a.publish_matrix(default_matrix_path().read_text(encoding="utf-8"), "v1", "lena")
    world.advance(60)
    variant = a.publish_matrix(variant_yaml(), "v2", "lena", "rename a team")
    assert NEW_TEAM in {t.name for t in a.matrix.teams}
    a.refuse([(variant, "only a lead or an admin may publish a matrix; lena is an agent")])
    assert NEW_TEAM not in {t.name for t in a.matrix.teams}
    assert [v.event_id for v in a.matrix_versions()] == [first.id]
    assert followed[-1] == a.matrix
    # the first version refused too: the bundled matrix is in force again
    a.refuse([(first, "no")])
    assert a.matrix_versions() == [] and a.matrix == bundled


def test_the_person_the_server_named_is_remembered_across_a_restart(open_store, world,
                                                                  tmp_path, matrix):
    a = open_store("a")
    assert a.person() is None
    lena = Person("lena", "Lena Lead", LEAD, ("support_lead",))
    a.set_person(lena)
    a.close()
    with LocalStore(tmp_path / "a", matrix) as again:
        assert again.person() == lena
        again.set_person(None)
        assert again.person() is None

