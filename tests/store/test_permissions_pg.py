"""The shared database's own check of who may write what (migration 0006), met
through real logins and raw SQL: a modified console gets no further than these.

Every test connects as a person (``tests/people_logins.login``) and inserts with
psycopg, as any program with that login could; the superuser only sets things up.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from people_logins import login, login_name, person_url
from shared_fixtures import migrate_to

from console.domain.actions import approval_events
from console.domain.hlc import Timestamp, to_ms
from console.domain.people import Person, authority_rows
from console.store.people import (
    PeopleError,
    add_person,
    disable_person,
    enable_person,
    grant,
    is_admin,
    list_people,
    revoke,
    whoami,
)
from console.store.records import StoredEvent
from console.store.server import SharedDatabase, SharedDBError

pytestmark = pytest.mark.postgres

_INSERT = ("INSERT INTO events (id, ticket, kind, payload, author, device, hlc, at) "
           "VALUES (%s, %s, %s, %s, %s, 'dev', %s, '2026-03-02T10:00:00+00:00') "
           "ON CONFLICT (id) DO NOTHING")


def hlc() -> str:
    """A well-formed HLC of now (the server refuses any other)."""
    return Timestamp(to_ms(datetime.now(UTC)), 0, "dev").encode()


def insert(url: str, ticket: str, kind: str, payload: dict[str, Any], author: str,
           event_id: str | None = None) -> str:
    """One event through raw SQL as the URL's login; its id."""
    eid = event_id or str(uuid.uuid4())
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(_INSERT, (eid, ticket, kind, json.dumps(payload), author,
                               hlc()))
    return eid


def refused(url: str, ticket: str, kind: str, payload: dict[str, Any], author: str) -> str:
    """The server's reason for refusing the event (SQLSTATE 42501)."""
    with pytest.raises(psycopg.errors.InsufficientPrivilege) as info:
        insert(url, ticket, kind, payload, author)
    return str(info.value.diag.message_primary)


def count(pg: Any, kind: str) -> int:
    return int(pg.query("SELECT count(*) FROM events WHERE kind = %s", (kind,))[0][0])


def publish_payload(matrix: Any, *, authority: bool = True) -> dict[str, Any]:
    payload: dict[str, Any] = {"yaml": "...", "name": matrix.name, "number": 2, "comment": ""}
    if authority:
        payload["authority"] = authority_rows(matrix)
    return payload


def request(url: str, author: str, matrix: Any, amount: float, role: str = "",
            *, ticket: str = "T-1") -> str:
    """An ``approval_requested`` for a refund of ``amount`` by ``author`` (as the
    console writes it, without the within-limit grant); its id."""
    rid = str(uuid.uuid4())
    kind, payload = approval_events(matrix, rid, "refund", amount, role, "angry customer",
                                    author, "P2")[0]
    return insert(url, ticket, kind, payload, author, rid)


def answer(rid: str, role: str, author: str) -> dict[str, Any]:
    return {"request_id": rid, "by": author, "role": role}


# -- the list: what an agent cannot do -------------------------------------------


def test_an_agent_cannot_publish_a_matrix_and_a_lead_can(pg, matrix):
    agent, lead = login(pg, "ana", "agent"), login(pg, "lee", "lead")
    ana, lee = login_name(pg, "ana"), login_name(pg, "lee")
    reason = refused(agent, "_matrix", "matrix_published", publish_payload(matrix), ana)
    assert reason == f"only a lead or an admin may publish a matrix; {ana} is an agent"
    insert(lead, "_matrix", "matrix_published", publish_payload(matrix), lee)
    assert count(pg, "matrix_published") == 1


def test_a_lead_publishes_through_the_consoles_push(pg, matrix):
    lee = login_name(pg, "lee")
    db = SharedDatabase(login(pg, "lee", "lead"))
    try:
        db.push([StoredEvent(str(uuid.uuid4()), "_matrix", "matrix_published",
                             publish_payload(matrix), lee, "dev", hlc(), datetime.now(UTC))])
    finally:
        db.close()
    assert pg.query("SELECT author FROM events WHERE kind = 'matrix_published'") == [(lee,)]


def test_an_agent_cannot_grant_an_approval(pg, matrix):
    requester = login(pg, "rita", "agent", matrix_roles=["t1_agent"])
    rid = request(requester, login_name(pg, "rita"), matrix, 800, "t1_agent")
    agent, ana = login(pg, "ana", "agent"), login_name(pg, "ana")
    reason = refused(agent, "T-1", "approval_granted", answer(rid, "t2_manager", ana), ana)
    assert reason == (f"{ana} holds no matrix role that may approve refund of 800 USD at P2 "
                      "(t2_manager may)")
    assert count(pg, "approval_granted") == 0


def test_an_agent_cannot_write_an_event_in_someone_elses_name(pg):
    ana, bob = login_name(pg, "ana"), login_name(pg, "bob")
    agent = login(pg, "ana", "agent")
    login(pg, "bob", "agent")
    reason = refused(agent, "T-1", "message", {"text": "as bob"}, bob)
    assert reason == f"event authored by {bob} cannot be written by {ana}"
    # the console's author of old, before people existed, is refused the same way
    assert refused(agent, "T-1", "message", {"text": "x"}, "engine") == (
        f"event authored by engine cannot be written by {ana}")


@pytest.mark.parametrize(("statement", "reason"), [
    ("CREATE TABLE later_migration (id int)", "permission denied for schema public"),
    ("ALTER TABLE events ADD COLUMN tampered int", "must be owner of table events"),
    ("CREATE INDEX events_by_kind ON events (kind)", "must be owner of table events"),
    ("DROP TRIGGER events_check_insert ON events", "must be owner of relation events"),
    ("ALTER TABLE events DISABLE TRIGGER events_check_insert",
     "must be owner of table events"),
])
def test_an_agent_cannot_run_migrations(pg, statement, reason):
    agent = login(pg, "ana", "agent")
    with psycopg.connect(agent, autocommit=True) as conn, \
            pytest.raises(psycopg.errors.InsufficientPrivilege) as info:
        conn.execute(statement)
    assert info.value.diag.message_primary == reason


def test_an_agent_cannot_run_the_migrations_of_a_database_behind(pg):
    agent = login(pg, "ana", "agent")
    migrate_to(pg.url, "0005")  # the downgrade drops what 0006 made; the roles stay
    assert pg.query("SELECT to_regclass('people'), count(*) FROM pg_trigger "
                    "WHERE tgname = 'events_check_insert'") == [(None, 0)]
    assert pg.query("SELECT count(*) FROM pg_roles WHERE rolname = ANY(%s)",
                    (["agent", "lead", "commander", "admin", "service"],)) == [(5,)]
    db = SharedDatabase(agent)
    try:
        with pytest.raises(SharedDBError, match=r"migrating .* failed: permission denied"):
            db.migrate()
    finally:
        db.close()
    superuser = pg.shared()
    try:
        assert superuser.migrate()[0] == "0005"
    finally:
        superuser.close()
    assert pg.query("SELECT to_regclass('people') IS NOT NULL") == [(True,)]


@pytest.mark.parametrize("createrole", [True, False])
def test_a_dba_that_is_no_superuser_migrates_with_createrole_only(pg_server, createrole):
    role, name = f"dba_{uuid.uuid4().hex[:10]}", f"d_{uuid.uuid4().hex[:10]}"
    with pg_server.admin() as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN {'CREATEROLE' if createrole else ''}")
        conn.execute(f"CREATE DATABASE {name} OWNER {role}")
    db = SharedDatabase(f"postgresql://{role}@{pg_server.host}:{pg_server.port}/{name}")
    try:
        if createrole:  # it hands the tables to admin as a member of it, an admin now
            assert db.migrate()[0] is None
            assert is_admin(db)
        else:
            with pytest.raises(SharedDBError, match=(
                    "this upgrade \\(people and permissions\\) creates the group roles and "
                    "hands the tables to admin: run it as a superuser or a login with "
                    f"CREATEROLE \\({role} may not create roles\\)")):
                db.migrate()
    finally:
        db.close()
        with pg_server.admin() as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


def test_an_agent_cannot_choose_the_seq_that_pullers_order_by(pg):
    # a seq below every console's cursor would hide the event from all of them
    agent, ana = login(pg, "ana", "agent"), login_name(pg, "ana")
    with psycopg.connect(agent, autocommit=True) as conn, \
            pytest.raises(psycopg.errors.InsufficientPrivilege) as info:
        conn.execute("INSERT INTO events (id, seq, ticket, kind, payload, author, device, "
                     "hlc, at) VALUES ('x', -1, 'T-1', 'message', '{}', %s, 'd', 'h', 'a')",
                     (ana,))
    assert info.value.diag.message_primary == "permission denied for table events"


def test_a_temporary_people_table_does_not_fool_the_check(pg, matrix):
    agent, ana = login(pg, "ana", "agent"), login_name(pg, "ana")
    with psycopg.connect(agent, autocommit=True) as conn:
        conn.execute("CREATE TEMP TABLE people AS SELECT * FROM public.people")
        conn.execute("UPDATE people SET role = 'admin'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege) as info:
            conn.execute(_INSERT, (str(uuid.uuid4()), "_matrix", "matrix_published",
                                   json.dumps(publish_payload(matrix)), ana, hlc()))
    assert info.value.diag.message_primary.endswith(f"{ana} is an agent")


# -- approvals ----------------------------------------------------------------------------


def test_a_support_lead_approves_a_refund_within_their_limit_and_another_role_cannot(
        pg, matrix):
    lead = login(pg, "lee", "lead")
    insert(lead, "_matrix", "matrix_published", publish_payload(matrix), login_name(pg, "lee"))
    rita = login_name(pg, "rita")
    rid = request(login(pg, "rita", "agent", matrix_roles=["t1_agent"]), rita, matrix, 800,
                  "t1_agent")
    cs, cara = login(pg, "cara", "lead", matrix_roles=["cs_manager"]), login_name(pg, "cara")
    assert refused(cs, "T-1", "approval_granted", answer(rid, "cs_manager", cara), cara) == (
        f"{cara} holds no matrix role that may approve refund of 800 USD at P2 "
        "(t2_manager may)")
    # claiming a matrix role one does not hold is no way round it
    assert refused(cs, "T-1", "approval_granted", answer(rid, "t2_manager", cara), cara) == (
        f"{cara} holds no matrix role that may approve refund of 800 USD at P2 "
        "(t2_manager may)")
    manager, max_ = login(pg, "max", "lead", matrix_roles=["t2_manager"]), login_name(pg, "max")
    insert(manager, "T-1", "approval_granted", answer(rid, "t2_manager", max_), max_)
    assert count(pg, "approval_granted") == 1


def test_a_denial_needs_the_same_authority_as_a_grant(pg, matrix):
    rid = request(login(pg, "rita", "agent"), login_name(pg, "rita"), matrix, 800)
    other, olga = login(pg, "olga", "agent", matrix_roles=["t1_agent"]), login_name(pg, "olga")
    assert refused(other, "T-1", "approval_denied", answer(rid, "t1_agent", olga), olga) == (
        f"{olga} holds no matrix role that may deny refund of 800 USD at P2 (t2_manager may)")
    manager, max_ = login(pg, "max", "lead", matrix_roles=["t2_manager"]), login_name(pg, "max")
    insert(manager, "T-1", "approval_denied", answer(rid, "t2_manager", max_), max_)


def test_an_approval_over_every_limit_is_refused(pg, matrix):
    lee = login_name(pg, "lee")
    insert(login(pg, "lee", "lead"), "_matrix", "matrix_published", publish_payload(matrix), lee)
    rid = request(login(pg, "rita", "agent"), login_name(pg, "rita"), matrix, 9000)
    manager, max_ = login(pg, "max", "lead", matrix_roles=["t2_manager"]), login_name(pg, "max")
    assert refused(manager, "T-1", "approval_granted", answer(rid, "t2_manager", max_),
                   max_) == (f"{max_} holds no matrix role that may approve refund of 9000 USD "
                             "at P2 (no role may under the matrix in force)")


def test_an_answer_as_a_held_role_that_may_not_approve_names_the_role_that_may(pg, matrix):
    rid = request(login(pg, "rita", "agent"), login_name(pg, "rita"), matrix, 800)
    both = login(pg, "max", "lead", matrix_roles=["t1_agent", "t2_manager"])
    max_ = login_name(pg, "max")
    assert refused(both, "T-1", "approval_granted", answer(rid, "t1_agent", max_), max_) == (
        "t1_agent may not approve refund of 800 USD at P2 (t2_manager may)")
    assert refused(both, "T-1", "approval_granted", answer(rid, "cto", max_), max_) == (
        f"{max_} answered as cto, a matrix role they do not hold "
        f"({max_} holds t1_agent, t2_manager)")


def test_the_newest_published_matrix_decides_who_approves(pg, matrix):
    lead, lee = login(pg, "lee", "lead"), login_name(pg, "lee")
    insert(lead, "_matrix", "matrix_published", publish_payload(matrix), lee)
    stricter = publish_payload(matrix)
    stricter["authority"] = [dict(r, limit=500) if r["role"] == "t2_manager" else r
                             for r in stricter["authority"]]
    insert(lead, "_matrix", "matrix_published", stricter, lee)
    rid = request(login(pg, "rita", "agent"), login_name(pg, "rita"), matrix, 800)
    manager, max_ = login(pg, "max", "lead", matrix_roles=["t2_manager"]), login_name(pg, "max")
    assert refused(manager, "T-1", "approval_granted", answer(rid, "t2_manager", max_),
                   max_).endswith("(no role may under the matrix in force)")


def test_without_an_authority_table_the_requests_own_approvers_decide(pg, matrix):
    # a matrix published before people existed carries no authority rows
    lee = login_name(pg, "lee")
    insert(login(pg, "lee", "lead"), "_matrix", "matrix_published",
           publish_payload(matrix, authority=False), lee)
    rid = request(login(pg, "rita", "agent"), login_name(pg, "rita"), matrix, 800)
    manager, max_ = login(pg, "max", "lead", matrix_roles=["t2_manager"]), login_name(pg, "max")
    insert(manager, "T-1", "approval_granted", answer(rid, "t2_manager", max_), max_)
    low, tom = login(pg, "tom", "agent", matrix_roles=["t1_agent"]), login_name(pg, "tom")
    assert refused(low, "T-1", "approval_denied", answer(rid, "t1_agent", tom), tom) == (
        f"{tom} holds no matrix role that may deny refund of 800 USD at P2 (t2_manager may)")


def test_nobody_answers_their_own_request(pg, matrix):
    manager, max_ = login(pg, "max", "lead", matrix_roles=["t2_manager"]), login_name(pg, "max")
    rid = request(manager, max_, matrix, 9000, "t2_manager")
    for kind in ("approval_granted", "approval_denied"):
        assert refused(manager, "T-1", kind, answer(rid, "t2_manager", max_), max_) == (
            f"nobody answers their own request: {max_} requested refund of 9000 USD at P2")
    # a within-limit flag on a request over the limit is no way round it either
    payload = {**answer(rid, "t2_manager", max_), "within_limit": True}
    assert refused(manager, "T-1", "approval_granted", payload, max_).startswith(
        f"{max_} holds no matrix role that may approve refund of 9000 USD")


def test_the_within_limit_grant_written_with_the_request_passes(pg, matrix):
    manager, max_ = login(pg, "max", "lead", matrix_roles=["t2_manager"]), login_name(pg, "max")
    rid = str(uuid.uuid4())
    events = approval_events(matrix, rid, "refund", 300, "t2_manager", "goodwill", max_, "P2")
    assert [k for k, _ in events] == ["approval_requested", "approval_granted"]
    db = SharedDatabase(manager)
    try:  # one push, as a console sends them: the request is an earlier row of it
        db.push([StoredEvent(rid if n == 0 else str(uuid.uuid4()), "T-1", kind, payload, max_,
                             "dev", Timestamp(to_ms(datetime.now(UTC)), n, "dev").encode(),
                             datetime.now(UTC))
                 for n, (kind, payload) in enumerate(events)])
    finally:
        db.close()
    assert count(pg, "approval_granted") == 1


def test_an_answer_to_a_request_that_is_not_in_the_log_is_refused(pg):
    manager, max_ = login(pg, "max", "lead", matrix_roles=["t2_manager"]), login_name(pg, "max")
    assert refused(manager, "T-1", "approval_granted", answer("nope", "t2_manager", max_),
                   max_) == (f"{max_} cannot approve request nope: no such approval request "
                             "in the shared log")


# -- no rewrites, for anybody -------------------------------------------------------------


@pytest.mark.parametrize("role", ["agent", "admin"])
@pytest.mark.parametrize("statement", [
    "UPDATE events SET kind = 'tampered'",
    "DELETE FROM events",
    "TRUNCATE events CASCADE",
])
def test_nobody_rewrites_the_log_not_even_an_admin(pg, role, statement):
    url, name = login(pg, "ann", role), login_name(pg, "ann")
    insert(url, "T-1", "message", {"text": "kept"}, name)
    with psycopg.connect(url, autocommit=True) as conn, \
            pytest.raises(psycopg.errors.InsufficientPrivilege) as info:
        conn.execute(statement)
    # an admin neither owns the table (tests/store/test_owner_pg.py): no rights to rewrite
    assert info.value.diag.message_primary == "permission denied for table events"
    assert pg.query("SELECT kind FROM events") == [("message",)]


# -- the service ----------------------------------------------------------------------------


def test_a_service_login_writes_the_engines_actions_and_the_intakes_events(pg):
    svc, name = login(pg, "svc", "service"), login_name(pg, "svc")
    insert(svc, "T-1", "opened", {"severity": "P2"}, "api:zendesk")
    insert(svc, "T-1", "message", {"text": "hello"}, "api:zendesk")
    insert(svc, "T-1", "routed", {"by": "engine", "team": "frontline"}, name)
    insert(svc, "T-1", "escalated", {"by": "engine", "team": "specialists"}, name)
    insert(svc, "T-1", "severity", {"by": "trigger", "severity": "P1", "trigger": "t"}, name)
    insert(svc, "T-1", "acknowledged", {"by": "pagerduty"}, "pagerduty")
    insert(svc, "T-1", "acknowledged", {"by": "slack:ana", "via": "slack"}, "slack:ana")
    insert(svc, "T-1", "resolved", {}, "pagerduty")
    assert count(pg, "acknowledged") == 2


def test_a_service_login_writes_nothing_else(pg, matrix):
    svc, name = login(pg, "svc", "service"), login_name(pg, "svc")
    ana = login_name(pg, "ana")
    assert refused(svc, "_matrix", "matrix_published", publish_payload(matrix), name) == (
        f"a service login may not write matrix_published events; {name} is a service login")
    assert refused(svc, "T-1", "message", {"text": "x"}, ana) == (
        f"event authored by {ana} cannot be written by the service login {name}")
    assert refused(svc, "T-1", "escalated", {"by": ana, "team": "executives"}, name) == (
        "a service login writes escalated events only as the engine's actions (by: engine); "
        f"{name} is a service login")
    rid = request(login(pg, "rita", "agent"), login_name(pg, "rita"), matrix, 50)
    assert refused(svc, "T-1", "approval_granted", answer(rid, "t1_agent", name), name) == (
        f"a service login may not write approval_granted events; {name} is a service login")


# -- re-pushes, disabled people, strangers ----------------------------------------------------


def test_a_repush_of_an_accepted_event_passes_after_its_author_was_demoted(pg, matrix):
    lee = login_name(pg, "lee")
    lead = login(pg, "lee", "lead")
    published = StoredEvent(str(uuid.uuid4()), "_matrix", "matrix_published",
                            publish_payload(matrix), lee, "dev", hlc(), datetime.now(UTC))
    db = SharedDatabase(lead)
    try:
        db.push([published])
        admin = pg.shared()
        try:
            assert grant(admin, lee, role="agent").role == "agent"
        finally:
            admin.close()
        db.close()  # the grant ended lee's sessions (their consoles ask again): reconnect
        db.push([published])  # a crash before the push was recorded: sent again
    finally:
        db.close()
    assert refused(lead, "_matrix", "matrix_published", publish_payload(matrix), lee) == (
        f"only a lead or an admin may publish a matrix; {lee} is an agent")
    assert count(pg, "matrix_published") == 1


def test_a_disabled_persons_session_ends_and_a_new_login_is_refused(pg):
    ana = login_name(pg, "ana")
    agent = login(pg, "ana", "agent")
    admin_url = login(pg, "ada", "admin")
    with psycopg.connect(agent, autocommit=True) as conn:
        insert(agent, "T-1", "message", {"text": "before"}, ana)
        admin = SharedDatabase(admin_url)
        try:
            assert disable_person(admin, ana) == 1
        finally:
            admin.close()
        with pytest.raises(psycopg.OperationalError):
            conn.execute("SELECT 1")
    with pytest.raises(psycopg.OperationalError, match=f'role "{ana}" is not permitted to log in'):
        psycopg.connect(agent).close()
    # the console's sync and every command say what happened and what an admin runs
    console = SharedDatabase(agent)
    with pytest.raises(SharedDBError) as refused_login:
        console.check()
    console.close()
    assert f"the login {ana} may not log in: the person is disabled" in str(refused_login.value)
    assert f"'escalation-console people enable {ana}'" in str(refused_login.value)
    assert pg.query("SELECT author FROM events") == [(ana,)]  # their history stays
    superuser = pg.shared()
    try:
        assert [p.disabled for p in list_people(superuser) if p.login == ana] == [True]
        assert enable_person(superuser, ana).disabled is False
    finally:
        superuser.close()
    insert(agent, "T-1", "message", {"text": "after"}, ana)


def test_a_login_that_is_no_person_is_refused_with_the_way_to_add_it(pg):
    # a login made by hand in a group role, never added with 'people add'
    name = login_name(pg, "stray")
    _execute(pg, f'CREATE ROLE "{name}" LOGIN IN ROLE agent')
    reason = refused(person_url(pg, name), "T-1", "message", {"text": "x"}, name)
    assert reason == (f"login {name} is not a person of this database; an admin adds people "
                      f"with 'escalation-console people add {name} --role ROLE'")


# -- administration --------------------------------------------------------------------------


def test_an_admin_person_adds_grants_revokes_and_lists_people(pg):
    admin = SharedDatabase(login(pg, "ada", "admin"))
    ben = login_name(pg, "ben")
    try:
        assert is_admin(admin)
        added = add_person(admin, ben, "agent", matrix_roles=["t1_agent"], display_name="Ben")
        assert added == Person(ben, "Ben", "agent", ("t1_agent",), False)
        assert grant(admin, ben, role="lead", matrix_roles=["t2_manager", "t1_agent"]) == Person(
            ben, "Ben", "lead", ("t1_agent", "t2_manager"), False)
        assert revoke(admin, ben, ["t1_agent"]).matrix_roles == ("t2_manager",)
        assert [p.login for p in list_people(admin)] == sorted([ben, login_name(pg, "ada")])
    finally:
        admin.close()
    assert pg.query("SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
                    "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = %s", (ben,)) == [
        ("lead",)]
    who = SharedDatabase(person_url(pg, ben))
    try:
        assert whoami(who) == Person(ben, "Ben", "lead", ("t2_manager",), False)
    finally:
        who.close()


def test_people_are_managed_by_admins_only(pg):
    ana = login_name(pg, "ana")
    agent = SharedDatabase(login(pg, "ana", "agent"))
    try:
        assert not is_admin(agent)
        with pytest.raises(PeopleError, match=f"only an admin may manage people; {ana} is an "
                                              "agent"):
            add_person(agent, login_name(pg, "eve"), "admin")
        with pytest.raises(PeopleError, match="only an admin may manage people"):
            grant(agent, ana, role="admin")
        # nor around the functions: the people table is the admins'
        with pytest.raises(SharedDBError, match="permission denied for table people"):
            agent.transaction("promoting myself on", lambda c: c.execute(
                "UPDATE people SET role = 'admin' WHERE login = session_user"))
    finally:
        agent.close()


def test_people_requests_that_cannot_be_carried_out_say_why(pg):
    db = pg.shared()
    ana = login_name(pg, "ana")
    try:
        add_person(db, ana, "agent")
        with pytest.raises(PeopleError, match=f"{ana} is already a person \\(agent\\)"):
            add_person(db, ana, "lead")
        with pytest.raises(PeopleError, match="'Ana Smith' is not a login name"):
            add_person(db, "Ana Smith", "agent")
        with pytest.raises(PeopleError, match="'agent' is reserved"):
            add_person(db, "agent", "agent")
        with pytest.raises(PeopleError, match="'boss' is not a role; expected one of agent, "
                                              "lead, commander, admin, service"):
            add_person(db, login_name(pg, "bo"), "boss")
        with pytest.raises(PeopleError, match=f"{login_name(pg, 'nobody')} is not a person"):
            disable_person(db, login_name(pg, "nobody"))
        with pytest.raises(PeopleError, match=f"{ana} does not hold the matrix role cto "
                                              "\\(they hold: none\\)"):
            revoke(db, ana, ["cto"])
        with pytest.raises(PeopleError, match="nothing to grant"):
            grant(db, ana)
        with pytest.raises(PeopleError, match="postgres is a superuser"):
            add_person(db, "postgres", "admin")
    finally:
        db.close()


def test_an_existing_login_is_adopted_as_a_person(pg):
    name = login_name(pg, "old")
    _execute(pg, f'CREATE ROLE "{name}" LOGIN')  # a deployment's login from before people
    db = pg.shared()
    try:
        assert add_person(db, name, "lead").role == "lead"
    finally:
        db.close()
    insert(person_url(pg, name), "T-1", "message", {"text": "adopted"}, name)


def test_an_admin_may_not_disable_themselves(pg):
    ada = login_name(pg, "ada")
    admin = SharedDatabase(login(pg, "ada", "admin"))
    try:
        with pytest.raises(PeopleError, match=f"{ada} cannot disable themselves"):
            disable_person(admin, ada)
    finally:
        admin.close()


def _execute(pg: Any, statement: str) -> None:
    with psycopg.connect(pg.url, autocommit=True) as conn:
        conn.execute(statement)


def test_an_admin_demoted_no_longer_creates_roles_nor_ends_sessions(pg):
    ada = login_name(pg, "ada")
    admin = SharedDatabase(login(pg, "ada", "admin"))
    try:
        with pytest.raises(PeopleError, match=f"{ada} cannot change their own role"):
            grant(admin, ada, role="lead")
        superuser = pg.shared()
        try:
            grant(superuser, ada, role="lead")
        finally:
            superuser.close()
        admin.close()  # the grant ended ada's sessions: ada's next one is no admin
        assert not is_admin(admin)
    finally:
        admin.close()
    assert pg.query("SELECT rolcreaterole, pg_has_role(%s, 'pg_signal_backend', 'MEMBER'), "
                    "pg_has_role(%s, 'admin', 'MEMBER') FROM pg_roles WHERE rolname = %s",
                    (ada, ada, ada)) == [(False, False, False)]


def test_a_session_of_a_person_marked_disabled_writes_nothing(pg):
    # disable_person ends the sessions; this is the check behind it, should one remain
    ana, agent = login_name(pg, "ana"), login(pg, "ana", "agent")
    with psycopg.connect(agent, autocommit=True) as conn:
        pg.query("UPDATE people SET disabled_at = now() WHERE login = %s RETURNING login", (ana,))
        with pytest.raises(psycopg.errors.InsufficientPrivilege) as info:
            conn.execute(_INSERT, (str(uuid.uuid4()), "T-1", "message", "{}", ana, hlc()))
    assert info.value.diag.message_primary == (
        f"{ana} is disabled and may write nothing; an admin enables them again with "
        f"'escalation-console people enable {ana}'")


def test_a_persons_password_is_stored_hashed_and_logs_them_in(pg):
    cluster = pg.require_restart()
    url, ana = login(pg, "ana", "agent", password="Corr3ct-horse"), login_name(pg, "ana")
    stored = pg.query("SELECT rolpassword FROM pg_authid WHERE rolname = %s", (ana,))[0][0]
    assert stored.startswith("SCRAM-SHA-256$") and "Corr3ct-horse" not in stored
    cluster.prepend_hba(f"host all {ana} 127.0.0.1/32 scram-sha-256")
    psycopg.connect(url).close()
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(person_url(pg, ana, "wrong")).close()
