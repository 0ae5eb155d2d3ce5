"""Console A publishes a version that renames a team, changes P2's colour and puts P3 on
a business calendar; console B, a whole running app on the same real PostgreSQL, shows
all three in its queue, filters, details, wall and open forms, without a restart."""

from __future__ import annotations

import time

import pytest
from matrix_variant import (
    NEW_TEAM,
    P2_TICKET,
    P3_TICKET,
    open_form,
    seed_tickets,
    start_console,
    stop_console,
    variant_yaml,
    views_showing_variant,
    wait_until_views_show_variant,
)
from service_fakes import FakeScheduler

from console.app.runtime import matrix_ops
from console.app.runtime.service import ConsoleService
from console.app.settings import Settings
from console.store.local import LocalStore

# the offscreen platform cannot raise windows; the forms and the wall ask it to
pytestmark = [pytest.mark.postgres, pytest.mark.gui,
              pytest.mark.qt_log_ignore("This plugin does not support raise")]


def test_a_version_published_on_console_a_shows_in_every_view_of_console_b(
        pg, matrix, tmp_path, qtbot):
    lead_dir, wall_dir = tmp_path / "lead", tmp_path / "wall"
    for data_dir in (lead_dir, wall_dir):
        data_dir.mkdir()
        Settings(data_dir).shared_db_url = pg.url
    with LocalStore(wall_dir, matrix) as store:
        seed_tickets(store)
    lead = ConsoleService(lead_dir, matrix, sync=True, scheduler_factory=FakeScheduler,
                          user="lena.lead")
    with qtbot.waitSignal(lead.ready, timeout=10000):
        lead.start()
    window, service = start_console(qtbot, wall_dir, sync=True)
    try:
        for console in (lead, service):
            qtbot.waitUntil(lambda c=console: c.sync_state.status == "online"
                            and c.sync_state.pending == 0, timeout=15000)
        forms = [open_form(window, "intake"), open_form(window, "handoff", P3_TICKET)]
        assert window.show_ticket(P2_TICKET)
        before = views_showing_variant(window, forms)
        assert len(before) == 12 and not any(before.values()), before
        changes = []
        service.matrixChanged.connect(changes.append)

        published = []
        matrix_ops.publish(lead, variant_yaml(), "Default escalation matrix", "lena.lead",
                           "Front Desk, purple P2, P3 on business hours", published.append,
                           role="lead")
        qtbot.waitUntil(lambda: bool(published), timeout=5000)
        start = time.monotonic()
        wait_until_views_show_variant(qtbot, window, forms)
        print(f"console B showed the new version {time.monotonic() - start:.2f} s after "
              "console A published it")
        assert [m.team("frontline").name for m in changes] == [NEW_TEAM]  # one signal
        assert service.matrix is changes[0]
        assert service.store.matrix.team("frontline").name == NEW_TEAM
    finally:
        stop_console(window, service)
        lead.stop()
