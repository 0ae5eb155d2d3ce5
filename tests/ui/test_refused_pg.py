"""End to end, against the real server checks (migration 0006) and a real login: a
console signs as its database login, the server's person decides its flowchart, and a
publish the server refuses (a lead demoted before the push) shows in the status bar
and the Refused changes window, while the version in force stays."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from matrix_variant import OLD_TEAM, TEAM_ID, variant_yaml
from people_logins import login, login_name
from PySide6.QtCore import QSettings
from PySide6.QtGui import QGuiApplication
from service_fakes import FakeScheduler
from shared_fixtures import Pg, database

from console.app.identity import console_author
from console.app.runtime.service import ConsoleService
from console.app.settings import Settings
from console.domain.flow import load_records
from console.domain.people import AGENT, LEAD, Person
from console.store.people import grant
from console.ui.app import _wire_matrix, chart_role
from console.ui.main_window import MainWindow
from console.ui.people_status import PeopleStatus

from .test_people import flowchart

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg(pg_server: Any) -> Iterator[Pg]:
    yield from database(pg_server, prefix="ui")


def team_name(service: ConsoleService) -> str:
    return next(t.name for t in service.matrix.teams if t.id == TEAM_ID)


def test_a_refused_publish_shows_in_the_status_bar_and_the_refused_window(
        pg, tmp_path, matrix, qtbot):
    url, lena = login(pg, "lena", LEAD), login_name(pg, "lena")
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    Settings(data).shared_db_url = url
    assert console_author(data) == lena  # the author is the database login
    # built as the GUI builds it, with a --role the shared database makes moot
    service = ConsoleService(data, matrix, sync=True, scheduler_factory=FakeScheduler,
                             user=console_author(data), role=AGENT)
    window = MainWindow(service, QSettings(str(tmp_path / "ui.ini"),
                                           QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    people = window._people = PeopleStatus(window, service, ignored_role=AGENT)
    _wire_matrix(window, service)
    window.show()
    with qtbot.waitSignal(service.ready, timeout=10000):
        service.start()
    try:
        qtbot.waitUntil(lambda: service.sync_state.status == "online"
                        and service.person == Person(lena, role=LEAD), timeout=15000)
        assert chart_role(service.person) == LEAD and not service.local_only
        assert people.person_label.text() == f"you: {lena} (lead)"

        admin = pg.shared()
        with flowchart(window, qtbot) as chart:
            assert chart.editable
            assert chart.replace_records(load_records(variant_yaml()), "Rename a team")
            with qtbot.waitSignal(service.refusalsArrived, timeout=15000) as arrived:
                # the server takes the lead role away as the lead publishes: the console
                # hears of it only on its next connection (the grant ends this one)
                try:
                    grant(admin, lena, role=AGENT)
                finally:
                    admin.close()
                assert chart.publish_now("rename a team")
            # then the open chart follows the server's answer (what was published is
            # in the refused list, below)
            qtbot.waitUntil(lambda: not chart.editable, timeout=5000)
            assert chart.role_label.text().startswith("Read-only (agent)")
        [refused] = arrived.args[0]
        reason = f"only a lead or an admin may publish a matrix; {lena} is an agent"
        assert (refused.ticket, refused.kind, refused.author) == (
            "_matrix", "matrix_published", lena)
        assert reason in refused.reason
        qtbot.waitUntil(lambda: people.button.isVisible(), timeout=5000)
        assert people.button.text() == "1 change refused"
        assert reason in window.statusBar().currentMessage()
        # the version in force is the server's again, not the refused one
        qtbot.waitUntil(lambda: team_name(service) == OLD_TEAM, timeout=5000)
        assert pg.query("SELECT count(*) FROM events WHERE kind = 'matrix_published'") \
            == [(0,)]

        dialog = people.open_refused()
        assert dialog.table.rowCount() == 1
        assert dialog.table.item(0, 3).text() == refused.reason
        dialog.copy_button.click()
        copied = QGuiApplication.clipboard().text()
        assert copied.startswith("_matrix: matrix published (refused)\nWhy: ")
        assert "comment: rename a team" in copied and "  yaml:\n" in copied
        with qtbot.waitSignal(service.refusedChanged, timeout=5000):
            dialog.dismiss_button.click()
        qtbot.waitUntil(lambda: not people.button.isVisible(), timeout=5000)
        qtbot.waitUntil(lambda: service.sync_state.refused == 0, timeout=5000)
        dialog.close()
    finally:
        service.stop()
