"""Fixtures every test folder may use, registered by tests/conftest.py: the session's
throwaway PostgreSQL (``pg_server``), shared-database handles closed at the end
(``dbs``), and the local PagerDuty/Slack/webhook stand-ins (``services``).

``Pg`` and ``database()`` are the building blocks of the per-folder ``pg`` fixtures
(tests/store, tests/service): one fresh database per test on the session's server.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the cluster helper is shared with the benchmarks
    sys.path.insert(0, str(ROOT))

from benchmarks.notify.fakes import FakeServices  # noqa: E402
from benchmarks.pgcluster import ExternalPg, PgCluster, start_server  # noqa: E402
from console.store.server import SharedDatabase  # noqa: E402


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgCluster | ExternalPg]:
    """$ESCALATION_CONSOLE_TEST_PG_URL if set, else a throwaway cluster for the session
    (per xdist worker); without PostgreSQL binaries the tests that need it skip."""
    try:
        server = start_server()
    except LookupError as exc:
        pytest.skip(f"PostgreSQL is not available: {exc}")
    except RuntimeError as exc:
        pytest.skip(f"could not start a throwaway PostgreSQL cluster: {exc}")
    yield server
    if isinstance(server, PgCluster):
        server.remove()


@dataclass
class Pg:
    """One test's database on the session's server."""

    server: PgCluster | ExternalPg
    url: str

    def shared(self) -> SharedDatabase:
        return SharedDatabase(self.url)

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def require_restart(self) -> PgCluster:
        if not isinstance(self.server, PgCluster):
            pytest.skip("needs a throwaway cluster it may restart "
                        "($ESCALATION_CONSOLE_TEST_PG_URL is set)")
        return self.server


def database(pg_server: PgCluster | ExternalPg, *, migrate: bool = True,
             prefix: str = "t") -> Iterator[Pg]:
    """A fresh database (migrated unless told otherwise), dropped after the test."""
    url = pg_server.create_database(prefix)
    if migrate:
        db = SharedDatabase(url)
        db.migrate()
        db.close()
    yield Pg(pg_server, url)
    with contextlib.suppress(Exception), pg_server.admin() as conn:  # keep the cluster small
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def migrate_to(url: str, revision: str) -> None:
    """Move the database at ``url`` (as its login) up or down to ``revision``."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from console.store import migrate

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"),
                           poolclass=NullPool)
    try:
        migrate.move_to(engine, revision)
    finally:
        engine.dispose()


@pytest.fixture
def dbs(pg: Pg) -> Iterator[Callable[[], SharedDatabase]]:
    """dbs() -> a new SharedDatabase on the test's database, closed at the end."""
    opened: list[SharedDatabase] = []

    def make() -> SharedDatabase:
        opened.append(SharedDatabase(pg.url))
        return opened[-1]

    yield make
    for db in opened:
        db.close()


@pytest.fixture
def services() -> Iterator[FakeServices]:
    """Local PagerDuty, Slack, Teams and webhook servers, stopped at the end."""
    with FakeServices() as s:
        yield s
