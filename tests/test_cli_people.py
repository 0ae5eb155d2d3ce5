"""``people add|list|grant|revoke|disable|enable`` and the migration gate, through the
command line's main() against a real PostgreSQL with real logins.

PostgreSQL roles are cluster-wide and the session's databases share one cluster, so
every test names its people with a suffix of its own.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from people_logins import person_url
from shared_fixtures import Pg, database

from console.cli import main
from console.store import migrate

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg(pg_server) -> Iterator[Pg]:  # type: ignore[no-untyped-def]
    """A fresh, migrated database (its URL is the superuser's)."""
    yield from database(pg_server)


@pytest.fixture
def bare(pg_server) -> Iterator[Pg]:  # type: ignore[no-untyped-def]
    """A fresh database without a schema."""
    yield from database(pg_server, migrate=False)


@pytest.fixture
def names() -> Iterator[Callable[[str], str]]:
    suffix = uuid.uuid4().hex[:8]
    yield lambda name: f"{name}_{suffix}"


def as_login(pg: Pg, login: str) -> str:
    """pg's URL with ``login`` as the user (the test cluster trusts local logins)."""
    return person_url(pg, login, None)


def people(capsys, *args: str, stdin: str | None = None,  # type: ignore[no-untyped-def]
           monkeypatch=None) -> tuple[int, str, str]:
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(["people", *args])
    out, err = capsys.readouterr()
    return code, out, err


def listed(pg: Pg, capsys) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    code, out, err = people(capsys, "list", "--json", "--url", pg.url)
    assert code == 0, err
    return {p["login"]: p for p in json.loads(out)["people"]}


def test_an_admin_adds_lists_grants_revokes_disables_and_enables_a_person(pg, capsys, names):
    alice = names("alice")
    code, out, err = people(capsys, "add", alice, "--role", "agent", "--matrix-role",
                            "support_lead", "--name", "Alice Ng", "--url", pg.url)
    assert (code, err) == (0, "")
    assert out.strip() == f"added {alice} (Alice Ng), agent, matrix roles support_lead"
    assert pg.query("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", (alice,)) == [(True,)]
    assert pg.query("SELECT pg_has_role(%s, 'agent', 'MEMBER')", (alice,)) == [(True,)]

    code, out, _ = people(capsys, "list", "--url", pg.url)
    assert code == 0
    header, *rows, total = out.splitlines()
    assert header.split() == ["LOGIN", "NAME", "ROLE", "MATRIX", "ROLES", "DISABLED"]
    row = next(r for r in rows if r.startswith(alice))
    assert row.split() == [alice, "Alice", "Ng", "agent", "support_lead", "no"]
    assert total.endswith(("person", "people"))

    code, out, _ = people(capsys, "grant", alice, "--role", "lead", "--matrix-role",
                          "cs_manager", "--url", pg.url)
    assert code == 0 and out.startswith(f"granted: {alice} (Alice Ng), lead")
    assert pg.query("SELECT pg_has_role(%s, 'lead', 'MEMBER'), "
                    "pg_has_role(%s, 'agent', 'MEMBER')", (alice, alice)) == [(True, False)]
    code, out, _ = people(capsys, "revoke", alice, "--matrix-role", "support_lead",
                          "--url", pg.url)
    assert code == 0 and out.strip() == (f"revoked: {alice} (Alice Ng), lead, "
                                         "matrix roles cs_manager")
    assert listed(pg, capsys)[alice] == {"login": alice, "display_name": "Alice Ng",
                                         "role": "lead", "matrix_roles": ["cs_manager"],
                                         "disabled": False}

    code, out, _ = people(capsys, "disable", alice, "--url", pg.url)
    assert (code, out.strip()) == (0, f"disabled {alice}; ended 0 sessions")
    assert listed(pg, capsys)[alice]["disabled"] is True
    code, out, _ = people(capsys, "enable", alice, "--url", pg.url)
    assert code == 0 and out.startswith(f"enabled {alice}")
    assert listed(pg, capsys)[alice]["disabled"] is False
    with psycopg.connect(as_login(pg, alice)) as conn:  # may log in again
        assert conn.execute("SELECT session_user").fetchone() == (alice,)


def test_the_commands_use_the_configured_database_and_take_url_before_or_after_the_action(
        pg, capsys, names, tmp_path):
    bob, data = names("bob"), str(tmp_path / "d")
    assert main(["--data-dir", data, "connect", pg.url]) == 0
    capsys.readouterr()
    code, _, err = people(capsys, "add", bob, "--role", "commander", "--data-dir", data)
    assert (code, err) == (0, "")
    code, out, _ = people(capsys, "--url", pg.url, "list")
    assert code == 0 and bob in out
    code, out, _ = people(capsys, "list", "--json", "--data-dir", data)
    assert {p["login"]: p["role"] for p in json.loads(out)["people"]}[bob] == "commander"
    code, _, err = people(capsys, "list", "--data-dir", str(tmp_path / "unconfigured"))
    assert code == 1 and "no shared database is configured; give --url URL" in err


def test_a_new_persons_password_comes_from_standard_input_never_an_argument(
        pg, capsys, names, monkeypatch):
    carol = names("carol")
    code, _, err = people(capsys, "add", carol, "--role", "agent", "--url", pg.url,
                          "--person-password-stdin", stdin="s3cret-Carol\n",
                          monkeypatch=monkeypatch)
    assert (code, err) == (0, "")
    assert pg.query("SELECT rolpassword IS NOT NULL FROM pg_authid WHERE rolname = %s",
                    (carol,)) == [(True,)]
    code, _, err = people(capsys, "add", names("dave"), "--role", "agent", "--url", pg.url,
                          "--person-password-stdin", stdin="", monkeypatch=monkeypatch)
    assert code == 1 and "no password for dave_" in err


def test_an_agent_may_not_administer_people(pg, capsys, names):
    alice, bob = names("alice"), names("bob")
    assert people(capsys, "add", alice, "--role", "agent", "--url", pg.url)[0] == 0
    agent_url = as_login(pg, alice)
    for args in (["add", bob, "--role", "admin"], ["grant", alice, "--role", "admin"],
                 ["disable", alice], ["revoke", alice, "--matrix-role", "cto"]):
        code, out, err = people(capsys, *args, "--url", agent_url)
        assert (code, out) == (1, ""), args
        assert err.strip() == (f"escalation-console: only an admin may manage people; "
                               f"{alice} is an agent")
    assert pg.query("SELECT count(*) FROM pg_roles WHERE rolname = %s", (bob,)) == [(0,)]
    assert listed(pg, capsys)[alice]["role"] == "agent"
    code, out, _ = people(capsys, "list", "--url", agent_url)  # reading is open to everyone
    assert code == 0 and alice in out


def test_disabling_a_person_ends_their_session_and_refuses_a_new_login(pg, capsys, names):
    alice = names("alice")
    assert people(capsys, "add", alice, "--role", "agent", "--url", pg.url)[0] == 0
    session = psycopg.connect(as_login(pg, alice), autocommit=True)
    try:
        assert session.execute("SELECT 1").fetchone() == (1,)
        code, out, err = people(capsys, "disable", alice, "--url", pg.url)
        assert (code, out.strip(), err) == (0, f"disabled {alice}; ended 1 session", "")
        with pytest.raises(psycopg.OperationalError):
            session.execute("SELECT 1")
    finally:
        session.close()
    with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
        psycopg.connect(as_login(pg, alice)).close()


# -- migrations need the admin role ---------------------------------------------------

@pytest.fixture
def ddl_log(pg: Pg) -> Iterator[Callable[[], list[tuple[Any, ...]]]]:
    """ddl_log() -> the DDL commands anybody ran on pg's database since the fixture."""
    for sql in ("CREATE TABLE ddl_log (tag text, by_user text)",
                "GRANT INSERT ON ddl_log TO PUBLIC",
                "CREATE FUNCTION log_ddl() RETURNS event_trigger LANGUAGE plpgsql "
                "SECURITY DEFINER AS $$ BEGIN INSERT INTO ddl_log VALUES (tg_tag, "
                "session_user); END $$",
                "CREATE EVENT TRIGGER log_ddl ON ddl_command_start EXECUTE FUNCTION log_ddl()"):
        _run(pg, sql)
    _run(pg, "CREATE TABLE ddl_probe (x int)")  # the log sees DDL: the probe is in it
    assert pg.query("SELECT tag FROM ddl_log") == [("CREATE TABLE",)]
    _run(pg, "DELETE FROM ddl_log")
    yield lambda: pg.query("SELECT tag, by_user FROM ddl_log")


def _run(pg: Pg, sql: str, params: tuple[Any, ...] = ()) -> None:
    with psycopg.connect(pg.url, autocommit=True) as conn:
        conn.execute(sql, params)


def _previous(head: str) -> str:
    from alembic.script import ScriptDirectory

    found = ScriptDirectory.from_config(migrate._config()).get_revision(head)
    assert found is not None and isinstance(found.down_revision, str)
    return found.down_revision


def test_a_console_that_is_not_admin_never_migrates_a_database_that_is_behind(
        pg, capsys, names, tmp_path, ddl_log):
    alice = names("alice")
    assert people(capsys, "add", alice, "--role", "agent", "--url", pg.url)[0] == 0
    head = migrate.head_revision()
    older = _previous(head)
    _run(pg, "UPDATE alembic_version SET version_num = %s", (older,))
    agent_url = as_login(pg, alice)

    assert main(["--data-dir", str(tmp_path / "d"), "connect", agent_url]) == 1
    err = capsys.readouterr().err.strip()
    assert err == (f"escalation-console: the shared database is at revision {older} and "
                   f"this console needs {head}; an admin runs 'escalation-console db "
                   f"upgrade {agent_url}'")
    assert main(["db", "upgrade", agent_url]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"escalation-console: {alice} may not migrate the shared database ")
    assert err.endswith(f": migrations need the admin role (or a superuser); it is at "
                        f"revision {older}, this program's is {head}")
    assert ddl_log() == []
    assert pg.query("SELECT version_num FROM alembic_version") == [(older,)]

    from console.service.schema import prepare_schema
    from console.store.server import SchemaBehind, SharedDatabase

    db = SharedDatabase(agent_url)
    try:
        with pytest.raises(SchemaBehind, match="an admin runs"):  # serve --migrate
            prepare_schema(db, run_migrations=True)
    finally:
        db.close()
    assert ddl_log() == []


def test_a_console_at_head_runs_nothing_and_a_superuser_migrates_one_that_is_behind(
        pg, bare, capsys, names, tmp_path, ddl_log):
    admin = names("admin")
    assert people(capsys, "add", admin, "--role", "admin", "--url", pg.url)[0] == 0
    ddl_before = ddl_log()
    assert main(["--data-dir", str(tmp_path / "a"), "connect", as_login(pg, admin)]) == 0
    assert main(["--data-dir", str(tmp_path / "s"), "connect", pg.url]) == 0
    assert main(["db", "upgrade", as_login(pg, admin)]) == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith(
        f"already at revision {migrate.head_revision()}")
    assert ddl_log() == ddl_before  # at head, not even Alembic's own table is touched

    assert main(["--data-dir", str(tmp_path / "b"), "connect", bare.url]) == 0
    assert bare.query("SELECT version_num FROM alembic_version") == [(migrate.head_revision(),)]


@pytest.mark.parametrize("createrole", [True, False])
def test_before_people_exist_a_dba_with_createrole_upgrades_and_a_plain_owner_is_refused(
        pg_server, capsys, createrole):
    role, name = f"dba_{uuid.uuid4().hex[:10]}", f"d_{uuid.uuid4().hex[:10]}"
    with pg_server.admin() as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN {'CREATEROLE' if createrole else ''}")
        conn.execute(f"CREATE DATABASE {name} OWNER {role}")
    url = f"postgresql://{role}@{pg_server.host}:{pg_server.port}/{name}"
    try:
        if createrole:  # it hands the tables to admin as a member of it, an admin now
            assert main(["db", "upgrade", url]) == 0
            assert capsys.readouterr().out.strip().endswith(
                f"revision (none) → {migrate.head_revision()}")
        else:
            assert main(["db", "upgrade", url]) == 1
            assert capsys.readouterr().err.strip().endswith(
                "migrations need the admin role (or a superuser); it is at revision (none), "
                f"this program's is {migrate.head_revision()}")
            with psycopg.connect(url) as conn:  # nothing was created
                assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = "
                                    "'public'").fetchone() == (0,)
    finally:
        with pg_server.admin() as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")
