"""Who a login is on the shared database (``whoami``), and the people's administration.

A person is a PostgreSQL login listed in the ``people`` table (migration 0006); their
role is a PostgreSQL group role. The server's triggers enforce what each may write;
the console asks ``whoami`` only to show people what they may do.
"""

from __future__ import annotations

from typing import Any

import psycopg

from console.domain.people import SUPERUSER, Person

from .server import SharedDatabase


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
