"""Fixtures for the store tests: a real PostgreSQL, local stores, injected clocks.

The server is $ESCALATION_CONSOLE_TEST_PG_URL if set, else a throwaway cluster that
``benchmarks.pgcluster`` starts once per session (as the ``postgres`` user when we run
as root). Every test gets its own database, so tests never see each other's events.
Without PostgreSQL binaries the tests that need a server skip with the reason.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the cluster helper is shared with benchmarks/sync
    sys.path.insert(0, str(ROOT))

from benchmarks.pgcluster import ExternalPg, PgCluster, start_server  # noqa: E402
from console.app.matrices import load_matrix_file  # noqa: E402
from console.paths import default_matrix_path  # noqa: E402
from console.store.local import LocalStore  # noqa: E402
from console.store.server import SharedDatabase  # noqa: E402

from .helpers import World  # noqa: E402


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgCluster | ExternalPg]:
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

    def query(self, sql: str, params: tuple = ()) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def require_restart(self) -> PgCluster:
        if not isinstance(self.server, PgCluster):
            pytest.skip("needs a throwaway cluster it may restart "
                        "($ESCALATION_CONSOLE_TEST_PG_URL is set)")
        return self.server


@pytest.fixture
def pg(pg_server: PgCluster | ExternalPg) -> Iterator[Pg]:
    """A fresh, migrated database."""
    url = pg_server.create_database()
    db = SharedDatabase(url)
    db.migrate()
    db.close()
    yield Pg(pg_server, url)
    with contextlib.suppress(Exception), pg_server.admin() as conn:  # keep the cluster small
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


@pytest.fixture(scope="session")
def matrix():  # type: ignore[no-untyped-def]
    return load_matrix_file(default_matrix_path())


@pytest.fixture
def world() -> Iterator[World]:
    w = World()
    yield w
    for store in w.stores:
        store.close()


@pytest.fixture
def open_store(tmp_path: Path, matrix, world: World):  # type: ignore[no-untyped-def]
    """open_store(name, skew=timedelta()) -> an open LocalStore in tmp_path/name."""
    def make(name: str, skew: timedelta = timedelta(), **kwargs: Any) -> LocalStore:
        store = LocalStore(tmp_path / name, matrix, clock=world.clock(skew), **kwargs).open()
        world.stores.append(store)
        return store

    return make
