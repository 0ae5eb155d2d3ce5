"""Who a login is on the shared database (``whoami``), and the people's administration.

A person is a PostgreSQL login listed in the ``people`` table (migration 0006); their
role is a PostgreSQL group role. The server's triggers enforce what each may write;
the console asks ``whoami`` only to show people what they may do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import psycopg
from psycopg import sql

from console.domain.people import ADMIN, AGENT, ROLES, SUPERUSER, Person

from .server import SharedDatabase, SharedDBError


def _whoami(conn: psycopg.Connection) -> Person | None:
    exists = conn.execute("SELECT to_regclass('people') IS NOT NULL").fetchone()
    if exists and exists[0]:
        row: Any = conn.execute(
            "SELECT login, display_name, role, matrix_roles, disabled_at IS NOT NULL "
            "FROM people WHERE login = session_user").fetchone()
        if row is not None:
            return Person(row[0], row[1], row[2], tuple(row[3] or ()), bool(row[4]))
    su = conn.execute("SELECT session_user, rolsuper FROM pg_roles "
                      "WHERE rolname = session_user").fetchone()
    if su is not None and su[1]:
        return Person(str(su[0]), role=SUPERUSER)
    return None


def whoami(db: SharedDatabase) -> Person | None:
    """The person of ``db``'s login; a superuser that is no person comes back with the
    role ``superuser``; None for a login that is neither (the server refuses its
    writes), or a database from before people existed that is not a superuser's."""
    return db.transaction("asking who this login is on", _whoami)


# -- administration (``escalation-console people``): one transaction each, by an admin ---

LOGIN_RE = re.compile(r"[a-z_][a-z0-9_.-]{0,62}")
MATRIX_ROLE_RE = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,79}")
# names a login may not take: the group roles, the schema's owner role (migration
# 0006), and authors the service writes as
RESERVED = frozenset({*ROLES, SUPERUSER, "escalation_owner", "public", "engine", "pagerduty"})
_COLUMNS = "login, display_name, role, matrix_roles, disabled_at IS NOT NULL"
_TERMINATE_WAIT_MS = 5000


class PeopleError(SharedDBError):
    """A request about people the shared database cannot carry out, said plainly."""


def check_login(login: str) -> str:
    """``login`` when it may name a person, else PeopleError saying why."""
    if not LOGIN_RE.fullmatch(login):
        raise PeopleError(f"{login!r} is not a login name: 1 to 63 lower-case letters, digits, "
                          "'_', '.' or '-', starting with a letter or '_'")
    if login in RESERVED or login.startswith("pg_"):
        raise PeopleError(f"{login!r} is reserved (a role or an author of the service); "
                          "choose another login name")
    return login


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise PeopleError(f"{role!r} is not a role; expected one of {', '.join(ROLES)}")
    return role


def _check_matrix_roles(matrix_roles: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    for r in matrix_roles:
        if not MATRIX_ROLE_RE.fullmatch(r):
            raise PeopleError(f"{r!r} is not a matrix role id (the ids of the matrix's "
                              "roles, e.g. support_lead or cto)")
        if r not in out:
            out.append(r)
    return tuple(out)


def _person(row: Any) -> Person:
    return Person(row[0], row[1], row[2], tuple(row[3] or ()), bool(row[4]))


def _has_people(conn: psycopg.Connection) -> bool:
    row = conn.execute("SELECT to_regclass('people') IS NOT NULL").fetchone()
    return bool(row and row[0])


def _admin(conn: psycopg.Connection) -> bool:
    row = conn.execute(
        "SELECT r.rolsuper OR coalesce(pg_has_role(session_user, a.oid, 'MEMBER'), false) "
        "FROM pg_roles r LEFT JOIN pg_roles a ON a.rolname = 'admin' "
        "WHERE r.rolname = session_user").fetchone()
    return bool(row and row[0])


def _require_admin(conn: psycopg.Connection) -> None:
    if not _has_people(conn):
        raise PeopleError("the shared database has no people yet (its schema is older than "
                          "revision 0006); an admin runs 'escalation-console db upgrade URL'")
    if _admin(conn):
        return
    me = _whoami(conn)
    who = (f"{me.login} is {'an' if me.role in (AGENT, ADMIN) else 'a'} {me.role}"
           if me is not None else "this login is not a person of the database")
    raise PeopleError(f"only an admin may manage people; {who}")


def _get(conn: psycopg.Connection, login: str) -> Person:
    row = conn.execute(f"SELECT {_COLUMNS} FROM people WHERE login = %s FOR UPDATE",
                       (login,)).fetchone()
    if row is None:
        raise PeopleError(f"{login} is not a person of this database "
                          "('escalation-console people list' shows them)")
    return _person(row)


def _session_user(conn: psycopg.Connection) -> str:
    row = conn.execute("SELECT session_user").fetchone()
    return str(row[0]) if row else ""


def _verifier(conn: psycopg.Connection, login: str, password: str) -> str:
    """The password hashed here by libpq (SCRAM, or what the server's
    ``password_encryption`` asks for), as ``psql``'s ``\\password`` does: the password
    itself never reaches the server, so no statement log can show it."""
    return conn.pgconn.encrypt_password(password.encode(), login.encode()).decode()


def _ident(name: str) -> sql.Identifier:
    return sql.Identifier(name)


def _grant_role(conn: psycopg.Connection, login: str, role: str) -> None:
    """Make ``login`` a member of ``role`` and of no other of the group roles; an admin
    also creates roles (people) and ends sessions (a disabled person's)."""
    held = {r[0] for r in conn.execute(
        "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
        "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = %s", (login,)).fetchall()}
    for other in ROLES:
        if other != role and other in held:
            conn.execute(sql.SQL("REVOKE {} FROM {}").format(_ident(other), _ident(login)))
    if role not in held:
        conn.execute(sql.SQL("GRANT {} TO {}").format(_ident(role), _ident(login)))
    if role == ADMIN:
        conn.execute(sql.SQL("ALTER ROLE {} CREATEROLE").format(_ident(login)))
        if "pg_signal_backend" not in held:
            conn.execute(sql.SQL("GRANT pg_signal_backend TO {}").format(_ident(login)))
    elif ADMIN in held:
        conn.execute(sql.SQL("ALTER ROLE {} NOCREATEROLE").format(_ident(login)))
        if "pg_signal_backend" in held:
            conn.execute(sql.SQL("REVOKE pg_signal_backend FROM {}").format(_ident(login)))


def add_person(db: SharedDatabase, login: str, role: str, *,
               matrix_roles: Iterable[str] = (), display_name: str = "",
               password: str | None = None) -> Person:
    """Make ``login`` a person with ``role`` (and ``matrix_roles``): a new PostgreSQL
    login in that group role, or an existing login (not yet a person) adopted."""
    check_login(login)
    _check_role(role)
    held = _check_matrix_roles(matrix_roles)

    def work(conn: psycopg.Connection) -> Person:
        _require_admin(conn)
        row = conn.execute(f"SELECT {_COLUMNS} FROM people WHERE login = %s",
                           (login,)).fetchone()
        if row is not None:
            raise PeopleError(f"{login} is already a person ({row[2]}); "
                              f"'escalation-console people grant {login} --role ROLE' "
                              "changes their role")
        existing = conn.execute("SELECT rolcanlogin, rolsuper FROM pg_roles WHERE rolname = %s",
                                (login,)).fetchone()
        if existing is None:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(_ident(login)))
        elif existing[1]:
            raise PeopleError(f"{login} is a superuser of the server, which no check applies "
                              "to; a person needs a login of their own")
        elif not existing[0]:
            raise PeopleError(f"{login} is a group role of the server, not a login; "
                              "choose another login name")
        if password is not None:
            conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                _ident(login), sql.Literal(_verifier(conn, login, password))))
        _grant_role(conn, login, role)
        return _person(conn.execute(
            f"INSERT INTO people (login, display_name, role, matrix_roles) "
            f"VALUES (%s, %s, %s, %s) RETURNING {_COLUMNS}",
            (login, display_name, role, list(held))).fetchone())

    return db.transaction("adding a person to", work)


def list_people(db: SharedDatabase) -> list[Person]:
    """Every person of the database, disabled ones too, by login."""
    def work(conn: psycopg.Connection) -> list[Person]:
        if not _has_people(conn):
            return []
        return [_person(r) for r in conn.execute(
            f"SELECT {_COLUMNS} FROM people ORDER BY login").fetchall()]

    return db.transaction("listing the people of", work)


def disable_person(db: SharedDatabase, login: str) -> int:
    """``login`` may no longer connect (NOLOGIN) nor write (the server's check); then
    every session of theirs is ended. Returns how many sessions were ended. Their
    events stay. Two transactions: the sessions end only once the NOLOGIN is
    committed, so none can reconnect in between."""
    check_login(login)

    def work(conn: psycopg.Connection) -> None:
        _require_admin(conn)
        _get(conn, login)
        if login == _session_user(conn):
            raise PeopleError(f"{login} cannot disable themselves; another admin does it")
        conn.execute(sql.SQL("ALTER ROLE {} NOLOGIN").format(_ident(login)))
        conn.execute("UPDATE people SET disabled_at = coalesce(disabled_at, now()) "
                     "WHERE login = %s", (login,))

    db.transaction("disabling a person on", work)
    return _end_sessions(db, login, "of a disabled person")


def _end_sessions(db: SharedDatabase, login: str, whose: str) -> int:
    """End every session of ``login`` but this one; how many were ended."""
    def end(conn: psycopg.Connection) -> int:
        row = conn.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, %s)) "
            "FROM pg_stat_activity WHERE usename = %s AND pid <> pg_backend_pid()",
            (_TERMINATE_WAIT_MS, login)).fetchone()
        return int(row[0]) if row else 0

    return db.transaction(f"ending the sessions {whose} on", end)


def enable_person(db: SharedDatabase, login: str) -> Person:
    """The way back from ``disable_person``: the login connects and writes again."""
    check_login(login)

    def work(conn: psycopg.Connection) -> Person:
        _require_admin(conn)
        _get(conn, login)
        conn.execute(sql.SQL("ALTER ROLE {} LOGIN").format(_ident(login)))
        return _person(conn.execute(
            f"UPDATE people SET disabled_at = NULL WHERE login = %s RETURNING {_COLUMNS}",
            (login,)).fetchone())

    return db.transaction("enabling a person on", work)


def grant(db: SharedDatabase, login: str, *, role: str | None = None,
          matrix_roles: Iterable[str] = ()) -> Person:
    """Change ``login``'s role (when given) and add ``matrix_roles`` to theirs; then
    end their sessions, so that each console of theirs reconnects and asks again who
    they are (it asks once a connection: the flowchart and the approval form follow)."""
    check_login(login)
    if role is not None:
        _check_role(role)
    added = _check_matrix_roles(matrix_roles)
    if role is None and not added:
        raise PeopleError("nothing to grant: give a role or matrix roles")

    def work(conn: psycopg.Connection) -> Person:
        _require_admin(conn)
        person = _get(conn, login)
        if role is not None and role != person.role:
            if login == _session_user(conn):
                raise PeopleError(f"{login} cannot change their own role; another admin "
                                  "does it")
            _grant_role(conn, login, role)
        held = list(person.matrix_roles) + [r for r in added if r not in person.matrix_roles]
        return _person(conn.execute(
            f"UPDATE people SET role = %s, matrix_roles = %s WHERE login = %s "
            f"RETURNING {_COLUMNS}", (role or person.role, held, login)).fetchone())

    changed = db.transaction("granting on", work)
    _end_sessions(db, login, "of a person whose roles changed")
    return changed


def revoke(db: SharedDatabase, login: str, matrix_roles: Iterable[str]) -> Person:
    """Take ``matrix_roles`` from ``login`` (each must be one they hold); their
    consoles ask again, as after ``grant``."""
    check_login(login)
    gone = _check_matrix_roles(matrix_roles)
    if not gone:
        raise PeopleError("nothing to revoke: give the matrix roles to take away")

    def work(conn: psycopg.Connection) -> Person:
        _require_admin(conn)
        person = _get(conn, login)
        missing = [r for r in gone if r not in person.matrix_roles]
        if missing:
            holds = ", ".join(person.matrix_roles) or "none"
            raise PeopleError(f"{login} does not hold the matrix role "
                              f"{', '.join(missing)} (they hold: {holds})")
        return _person(conn.execute(
            f"UPDATE people SET matrix_roles = %s WHERE login = %s RETURNING {_COLUMNS}",
            ([r for r in person.matrix_roles if r not in gone], login)).fetchone())

    changed = db.transaction("revoking on", work)
    _end_sessions(db, login, "of a person whose roles changed")
    return changed


def is_admin(db: SharedDatabase) -> bool:
    """Whether this session may administer the database: a superuser, or a member of
    the ``admin`` group role (who also runs migrations)."""
    return db.transaction("asking whether this login is an admin on", _admin)
