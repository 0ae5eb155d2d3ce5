"""Who owns the shared schema (migration 0006): the NOLOGIN role ``escalation_owner``,
not the ``admin`` group role. An admin person therefore has admin's grants (people,
api tokens) but not the owner's privileges, so nothing they run by accident or by
habit can disable the append-only trigger or rewrite the log; the schema's DDL (the
migrations) runs with ``SET ROLE escalation_owner``, on purpose.

Every statement runs through raw SQL as a real admin login (``tests/people_logins``).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import psycopg
import pytest
from people_logins import login, login_name
from shared_fixtures import migrate_to

from console.domain.hlc import Timestamp, to_ms
from console.service.http.tokens import TokenStore
from console.store import migrate
from console.store.people import add_person, disable_person, grant, list_people
from console.store.server import SharedDatabase

pytestmark = pytest.mark.postgres

OWNER = "escalation_owner"


def insert(url: str, text: str, author: str) -> None:
    """A message through raw SQL as the URL's login."""
    now = datetime.now(UTC)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO events (id, ticket, kind, payload, author, device, hlc, at) "
                     "VALUES (%s, 'T-1', 'message', %s, %s, 'dev', %s, %s)",
                     (str(uuid.uuid4()), json.dumps({"text": text}), author,
                      Timestamp(to_ms(now), 0, "dev").encode(), now.isoformat()))


@pytest.mark.parametrize(("statement", "reason"), [
    ("ALTER TABLE events DISABLE TRIGGER events_no_update_delete",
     "must be owner of table events"),
    ("ALTER TABLE events DISABLE TRIGGER ALL", "must be owner of table events"),
    ("DROP TRIGGER events_no_update_delete ON events", "must be owner of relation events"),
    ("DROP TRIGGER events_check_insert ON events", "must be owner of relation events"),
    ("ALTER TABLE events ADD COLUMN tampered int", "must be owner of table events"),
    ("ALTER TABLE events RENAME TO old_events", "must be owner of table events"),
    ("DROP TABLE events CASCADE", "must be owner of table events"),
    ("ALTER FUNCTION events_append_only() RENAME TO was_append_only",
     "must be owner of function events_append_only"),
    ("CREATE OR REPLACE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql "
     "AS $$ BEGIN RETURN NEW; END $$", "permission denied for schema public"),
    ("UPDATE events SET kind = 'tampered'", "permission denied for table events"),
    ("DELETE FROM events", "permission denied for table events"),
    ("TRUNCATE events CASCADE", "permission denied for table events"),
])
def test_an_admin_login_can_neither_disable_the_log_s_triggers_nor_rewrite_it(
        pg, statement, reason):
    url, ada = login(pg, "ada", "admin"), login_name(pg, "ada")
    insert(url, "kept", ada)
    with psycopg.connect(url, autocommit=True) as conn, \
            pytest.raises(psycopg.errors.InsufficientPrivilege) as info:
        conn.execute(statement)
    assert info.value.diag.message_primary == reason
    assert pg.query("SELECT kind FROM events") == [("message",)]
    assert pg.query("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'events'::regclass "
                    "AND NOT tgisinternal AND tgenabled <> 'O'") == [(0,)]


def test_the_owner_role_owns_the_schema_and_admin_does_not_inherit_it(pg):
    assert pg.query("SELECT DISTINCT tableowner FROM pg_tables "
                    "WHERE schemaname = current_schema()") == [(OWNER,)]
    assert pg.query("SELECT DISTINCT r.rolname FROM pg_proc p JOIN pg_roles r "
                    "ON r.oid = p.proowner WHERE starts_with(p.proname, 'events')") == [(OWNER,)]
    assert pg.query("SELECT rolcanlogin, rolinherit FROM pg_roles WHERE rolname = 'admin'") == [
        (False, False)]
    assert pg.query("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", (OWNER,)) == [(False,)]
    ada = login_name(pg, "ada")
    login(pg, "ada", "admin")
    # a member (SET ROLE is open to them) without the owner's privileges
    assert pg.query("SELECT pg_has_role(%s, %s, 'MEMBER'), pg_has_role(%s, %s, 'USAGE')",
                    (ada, OWNER, ada, OWNER)) == [(True, False)]


def test_an_admin_person_runs_a_migration_down_and_up_again_as_the_owner(pg):
    url, ada = login(pg, "ada", "admin"), login_name(pg, "ada")
    migrate_to(url, "0005")
    assert pg.query("SELECT to_regclass('people')") == [(None,)]
    db = SharedDatabase(url)
    try:
        assert db.migrate() == ("0005", migrate.head_revision())
        # the people table was dropped with 0006: ada is an admin by her group role
        ben = login_name(pg, "ben")
        assert add_person(db, ben, "agent").role == "agent"
        assert add_person(db, ada, "admin").role == "admin"
        assert grant(db, ben, matrix_roles=["t1_agent"]).matrix_roles == ("t1_agent",)
        assert disable_person(db, ben) == 0
        assert [p.login for p in list_people(db)] == sorted([ada, ben])
    finally:
        db.close()
    assert pg.query("SELECT DISTINCT tableowner FROM pg_tables "
                    "WHERE schemaname = current_schema()") == [(OWNER,)]
    assert pg.query("SELECT count(*) FROM pg_trigger WHERE tgname = 'events_check_insert'") == [
        (1,)]


def test_an_admin_person_adds_lists_and_revokes_api_tokens(pg):
    db = SharedDatabase(login(pg, "ada", "admin"))
    try:
        tokens = TokenStore(db)
        token = tokens.add("zendesk")
        assert tokens.verify(token) == "zendesk"
        tokens.revoke("zendesk")
        assert tokens.verify(token) is None
        assert [(t.name, t.revoked_at is not None) for t in tokens.list()] == [("zendesk", True)]
    finally:
        db.close()


def test_a_table_a_later_migration_creates_belongs_to_the_owner_and_every_role_reads_it(pg):
    admin = login(pg, "ada", "admin")
    with psycopg.connect(admin, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE later_migration (id int)")  # not without SET ROLE
        conn.execute(f"SET ROLE {OWNER}")  # what a migration does
        conn.execute("CREATE TABLE later_migration (id int)")
        conn.execute("INSERT INTO later_migration VALUES (1)")
    with psycopg.connect(login(pg, "ana", "agent"), autocommit=True) as conn:
        assert conn.execute("SELECT id FROM later_migration").fetchall() == [(1,)]
    assert pg.query("SELECT tableowner FROM pg_tables WHERE tablename = 'later_migration'") == [
        (OWNER,)]


def test_a_cluster_whose_admin_role_inherits_is_put_right_by_the_migration(pg):
    # a cluster migrated by an earlier 0006 has admin INHERIT (it owned the tables)
    migrate_to(pg.url, "0005")
    with psycopg.connect(pg.url, autocommit=True) as conn:
        conn.execute("ALTER ROLE admin INHERIT")
    db = pg.shared()
    try:
        assert db.migrate()[0] == "0005"
    finally:
        db.close()
    assert pg.query("SELECT rolinherit FROM pg_roles WHERE rolname = 'admin'") == [(False,)]
