"""A lead publishes a matrix from the flowchart on one console; a second console on the
same PostgreSQL gets the new version, makes it active and recomputes its clocks."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from console.app.runtime import matrix_ops
from console.app.runtime.service import ConsoleService
from console.domain.flow import dump_records, load_records, set_target
from console.store.sync import Syncer

from .helpers import T0, open_ticket

pytestmark = pytest.mark.postgres


class _NoWake:
    def __init__(self, callback) -> None:  # type: ignore[no-untyped-def]
        pass

    def wake_at(self, when) -> None:  # type: ignore[no-untyped-def]
        pass

    def shutdown(self) -> None:
        pass


def _due(store, ticket: str, clock: str) -> datetime:  # type: ignore[no-untyped-def]
    row = store.ticket(ticket)
    found = next(c for c in json.loads(row.clocks) if c["name"] == clock)
    return datetime.fromisoformat(found["due"])


def test_a_version_published_on_one_console_becomes_active_on_another(
        pg, open_store, world, matrix, tmp_path, qtbot):  # type: ignore[no-untyped-def]
    world.now = T0
    lead = ConsoleService(tmp_path / "lead", matrix, clock=world.clock(), sync=False,
                          scheduler_factory=_NoWake, user="lena.lead")
    with qtbot.waitSignal(lead.ready, timeout=10000):
        lead.start()
    other = open_store("wall-screen")
    other_sync, lead_sync = Syncer(other, pg.url), Syncer(lead.store, pg.url)
    try:
        open_ticket(other, "T-1", "Checkout slow for some", pct=10, workaround="partial")
        other_sync.sync_once()
        assert other.ticket("T-1").severity == "P2"
        assert _due(other, "T-1", "response") == T0 + timedelta(hours=1)

        edited = set_target(matrix.source, "P2", "response", "45m")
        published = []
        matrix_ops.publish(lead, dump_records(edited), "Default escalation matrix",
                           "lena.lead", "P2 response 1h -> 45m", published.append,
                           role="lead")
        qtbot.waitUntil(lambda: bool(published), timeout=10000)
        assert published[0].number == 1
        lead_sync.sync_once()  # what the lead console's sync thread does after a publish

        other_sync.sync_once()
        versions = other.matrix_versions()
        assert [(v.number, v.author, v.comment) for v in versions] == [
            (1, "lena.lead", "P2 response 1h -> 45m")]
        assert other.matrix.severity("P2").targets.response == timedelta(minutes=45)
        assert _due(other, "T-1", "response") == T0 + timedelta(minutes=45)  # recomputed
        assert load_records(versions[0].yaml) == edited
        # the lead's own console has its queue recomputed too (its ticket came from sync)
        assert lead.store.matrix.severity("P2").targets.response == timedelta(minutes=45)
        assert _due(lead.store, "T-1", "response") == T0 + timedelta(minutes=45)

        loaded = []
        matrix_ops.load_versions(lead, loaded.append)
        qtbot.waitUntil(lambda: bool(loaded), timeout=5000)
        assert matrix_ops.active_version(loaded[0]).number == 1
    finally:
        other_sync.close()
        lead_sync.close()
        lead.stop()
