"""What a refused event does to a console, against the real server checks (migration
0006) and real logins: it does not block the outbox, it moves to the refused list with
the server's reason, and the projection shows again what the server holds (issue #14,
"What a refused event does to a console")."""

from __future__ import annotations

import threading
from typing import Any

import psycopg
import pytest
from matrix_variant import NEW_TEAM, variant_yaml
from people_logins import login, login_name, person_url
from psycopg import sql

from console.domain.people import AGENT, LEAD, Person, Refused
from console.domain.sync_state import SyncState
from console.paths import default_matrix_path
from console.store.local import LocalStore
from console.store.people import add_person, grant
from console.store.server import Refusal, SharedDatabase, SharedDBError
from console.store.sync import Syncer

from .helpers import wait_until

pytestmark = pytest.mark.postgres


def server_messages(pg: Any) -> list[str]:
    return [r[0] for r in pg.query(
        "SELECT payload::jsonb ->> 'text' FROM events WHERE kind = 'message' ORDER BY seq")]


def open_as(store: LocalStore, ticket: str, author: str) -> None:
    store.append(ticket, "opened", {"title": "Checkout fails", "account": "Acme",
                                    "users_affected_pct": 50, "workaround": "none"}, author)


def refused_list(store: LocalStore) -> list[Refused]:
    with store.unit(read_only=True) as uow:
        return uow.refused.list()


def test_a_refused_event_in_the_middle_of_the_outbox_does_not_block_the_events_behind_it(
        pg, open_store, world):
    url, ana = login(pg, "ana", AGENT), login_name(pg, "ana")
    a = open_store("a")
    open_as(a, "T-1", ana)
    for text in ("first", "second"):
        world.advance(1)
        a.append("T-1", "message", {"text": text}, ana)
    world.advance(1)
    # written in a colleague's name: the server refuses it
    forged = a.append("T-1", "message", {"text": "as bob"}, "bob")
    for text in ("third", "fourth"):
        world.advance(1)
        a.append("T-1", "message", {"text": text}, ana)
    assert a.ticket("T-1").event_count == 6
    got: list[list[Refused]] = []
    states: list[SyncState] = []
    people: list[Person | None] = []
    with Syncer(a, url, on_refused=got.append, on_state=states.append,
                on_person=people.append, clock=world.clock()) as syncer:
        assert syncer.sync_once() == (5, 0)
        assert server_messages(pg) == ["first", "second", "third", "fourth"]
        assert forged.id not in {e.id for e in a.history("T-1")}
        assert a.ticket("T-1").event_count == 5 and a.pending() == 0
        listed = refused_list(a)
        assert [(r.event_id, r.author, r.payload) for r in listed] == [
            (forged.id, "bob", {"text": "as bob"})]
        assert listed[0].reason == f"event authored by bob cannot be written by {ana}"
        assert got == [listed]
        assert syncer.state.refused == 1 and states[-1].refused == 1
        assert syncer.state.describe() == "online · 1 change refused"

        # a second sync does not push it again; who this login is was asked once
        assert syncer.sync_once() == (0, 0)
        assert people == [Person(ana, role=AGENT)]
    assert pg.query("SELECT count(*) FROM events") == [(5,)]
    assert pg.query("SELECT count(*) FROM events WHERE id = %s", (forged.id,)) == [(0,)]


def test_a_refused_publish_leaves_the_previous_version_in_force(pg, open_store, world):
    lead_url, agent_url = login(pg, "lena", LEAD), login(pg, "ana", AGENT)
    lena, ana = login_name(pg, "lena"), login_name(pg, "ana")
    lead, agent = open_store("lead"), open_store("agent")
    first = lead.publish_matrix(default_matrix_path().read_text(encoding="utf-8"),
                                "Default", lena)
    with Syncer(lead, lead_url) as syncer:
        syncer.sync_once()
    with Syncer(agent, agent_url) as syncer:
        syncer.sync_once()
        before = agent.matrix
        world.advance(60)
        agent.publish_matrix(variant_yaml(), "Default", ana, "rename a team")
        assert NEW_TEAM in {t.name for t in agent.matrix.teams}
        syncer.sync_once()
    assert agent.matrix == before and NEW_TEAM not in {t.name for t in agent.matrix.teams}
    assert [v.event_id for v in agent.matrix_versions()] == [first.id]
    [refusal] = refused_list(agent)
    assert refusal.kind == "matrix_published"
    assert refusal.reason == f"only a lead or an admin may publish a matrix; {ana} is an agent"
    assert pg.query("SELECT id FROM events WHERE kind = 'matrix_published'") == [(first.id,)]


def test_offline_then_demoted_the_publish_is_refused_and_the_events_after_it_arrive(
        pg, open_store, world):
    """A lead publishes offline and writes more, loses the lead role, reconnects: the
    publish is refused and shown, the events queued after it arrive."""
    url, lena = login(pg, "lena", LEAD), login_name(pg, "lena")
    lead = open_store("lead")
    open_as(lead, "T-1", lena)
    people: list[Person | None] = []
    with Syncer(lead, url, on_person=people.append) as syncer:
        syncer.sync_once()
    assert people == [Person(lena, role=LEAD)] and lead.person() == people[0]
    bundled = lead.matrix

    # offline: publish, then more work
    world.advance(60)
    published = lead.publish_matrix(variant_yaml(), "Default", lena, "rename a team")
    for text in ("after the publish", "and more"):
        world.advance(1)
        lead.append("T-1", "message", {"text": text}, lena)
    world.advance(1)
    open_as(lead, "T-2", lena)
    assert lead.pending() == 4
    admin = pg.shared()
    try:
        grant(admin, lena, role=AGENT)
    finally:
        admin.close()

    refused: list[list[Refused]] = []
    syncer = Syncer(lead, url, on_person=people.append, on_refused=refused.append,
                    clock=world.clock(), backoff_initial=0.05)
    stop = threading.Event()
    thread = threading.Thread(target=syncer.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_until(lambda: syncer.state.status == "online" and syncer.state.pending == 0, 15)
    finally:
        stop.set()
        syncer.wake()
        thread.join(10)
        syncer.close()
    assert people[-1] == Person(lena, role=AGENT) and lead.person() == people[-1]
    assert [[r.event_id for r in batch] for batch in refused] == [[published.id]]
    assert refused[0][0].reason == (
        f"only a lead or an admin may publish a matrix; {lena} is an agent")
    assert syncer.state.refused == 1
    assert syncer.state.describe() == "online · 1 change refused"
    assert server_messages(pg) == ["after the publish", "and more"]
    assert pg.query("SELECT ticket FROM events WHERE kind = 'opened' ORDER BY seq") == [
        ("T-1",), ("T-2",)]
    assert lead.matrix == bundled and lead.matrix_versions() == []
    assert {t.id for t in lead.tickets()} == {"T-1", "T-2"}


def test_a_crash_before_the_refusal_is_moved_refuses_it_again_on_the_next_push(
        pg, open_store, world):
    url, ana = login(pg, "ana", AGENT), login_name(pg, "ana")
    a = open_store("a")
    open_as(a, "T-1", ana)
    forged = a.append("T-1", "message", {"text": "as bob"}, "bob")
    a.append("T-1", "message", {"text": "mine"}, ana)
    crashes = [RuntimeError("killed between the server's commit and the local move")]

    def crash() -> None:
        if crashes:
            raise crashes.pop()

    with Syncer(a, url, after_server_commit=crash) as syncer:
        with pytest.raises(RuntimeError, match="killed"):
            syncer.sync_once()
        assert a.pending() == 3 and refused_list(a) == []
        assert syncer.sync_once() == (2, 0)
    assert [r.event_id for r in refused_list(a)] == [forged.id]
    assert server_messages(pg) == ["mine"] and a.pending() == 0


def test_data_the_server_cannot_take_is_refused_like_a_permission(pg, open_store, world):
    """A data error (SQLSTATE classes 22, 23) is as permanent as a refusal: retrying
    would block the outbox forever."""
    a = open_store("a")
    long_ticket = "T-" + "9" * 100  # the server's ticket column holds 80 characters
    open_as(a, long_ticket, "ana")
    open_as(a, "T-1", "ana")
    with Syncer(a, pg.url) as syncer:
        assert syncer.sync_once() == (1, 0)
    [refusal] = refused_list(a)
    assert refusal.ticket == long_ticket and "too long" in refusal.reason
    assert pg.query("SELECT ticket FROM events") == [("T-1",)]


def test_a_caller_answering_for_a_whole_batch_gets_all_of_it_written_or_none(
        pg, open_store, world):
    """The intake API and the webhooks accept a request whole or not at all: for them a
    refusal still fails the push and writes nothing."""
    url, ana = login(pg, "ana", AGENT), login_name(pg, "ana")
    a = open_store("a")
    open_as(a, "T-1", ana)
    forged = a.append("T-1", "message", {"text": "as bob"}, "bob")
    events = a.outbox()
    db = SharedDatabase(url)
    try:
        with pytest.raises(SharedDBError, match="cannot be written by"):
            db.push(events, all_or_none=True)
        assert pg.query("SELECT count(*) FROM events") == [(0,)]
        assert db.push(events) == [
            Refusal(forged, f"event authored by bob cannot be written by {ana}")]
    finally:
        db.close()
    assert pg.query("SELECT kind FROM events") == [("opened",)]


def test_a_login_that_is_no_person_pushes_nothing_until_an_admin_adds_them(
        pg, open_store, world):
    """A login a DBA put in a group role by hand, never added as a person: the server
    would refuse every event of it, so the outbox waits for the admin instead of moving
    whole to the refused list."""
    stranger = login_name(pg, "sam")
    with psycopg.connect(pg.url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN IN ROLE agent").format(
            sql.Identifier(stranger)))
    url = person_url(pg, stranger)
    a = open_store("a")
    open_as(a, "T-1", stranger)
    a.append("T-1", "message", {"text": "hello"}, stranger)
    people: list[Person | None] = []
    with Syncer(a, url, on_person=people.append) as syncer:
        with pytest.raises(SharedDBError, match=(
                f"{stranger} is not a person of this database; an admin adds people with "
                f"'escalation-console people add {stranger} --role ROLE'")):
            syncer.sync_once()
        assert syncer.state.status == "offline" and "wait in its outbox" in syncer.state.last_error
        assert a.pending() == 2 and refused_list(a) == []
        assert pg.query("SELECT count(*) FROM events") == [(0,)]
        admin = pg.shared()
        try:
            add_person(admin, stranger, AGENT)
        finally:
            admin.close()
        assert syncer.sync_once() == (2, 0)
    assert people == [None, Person(stranger, role=AGENT)]
    assert a.pending() == 0 and refused_list(a) == []
