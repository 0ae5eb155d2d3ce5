"""Fixtures for the store tests: a real PostgreSQL, local stores, injected clocks.

The server is $ESCALATION_CONSOLE_TEST_PG_URL if set, else a throwaway cluster that
``benchmarks.pgcluster`` starts once per session (as the ``postgres`` user when we run
as root). Every test gets its own database, so tests never see each other's events.
Without PostgreSQL binaries the tests that need a server skip with the reason.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the cluster helper is shared with benchmarks/sync
    sys.path.insert(0, str(ROOT))

from shared_fixtures import Pg, database  # noqa: E402

from benchmarks.pgcluster import ExternalPg, PgCluster  # noqa: E402
from console.app.matrices import load_matrix_file  # noqa: E402
from console.paths import default_matrix_path  # noqa: E402
from console.store.local import LocalStore  # noqa: E402

from .helpers import World  # noqa: E402


@pytest.fixture
def pg(pg_server: PgCluster | ExternalPg) -> Iterator[Pg]:
    """A fresh, migrated database."""
    yield from database(pg_server)


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
