"""The matrix in force is application state: the whole console (app.build: queue,
filters, details, wall, forms) shows the store's active published version at start,
and follows a new one without a restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from matrix_variant import (
    ADDED_TEAM,
    ADDED_TEAM_ID,
    NEW_TEAM,
    P2_NAME,
    P2_TICKET,
    P3_TICKET,
    T1_ROLE,
    open_form,
    seed_tickets,
    start_console,
    stop_console,
    trigger,
    variant_yaml,
    views_showing_variant,
    wait_until_views_show_variant,
)
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication
from service_fakes import FakeScheduler

from console.app.runtime import matrix_ops
from console.app.runtime.service import ConsoleService
from console.domain.matrix import check_matrix_text
from console.paths import default_matrix_path
from console.store.local import LocalStore
from console.ui.forms import ApprovalDialog, ConfirmSeverityDialog
from console.ui.main_window import K_FILTERS, MainWindow
from console.ui.queue_filters import QueueFilter
from console.ui.queue_model import Column

# the offscreen platform cannot raise windows; the forms and the wall ask it to
pytestmark = [pytest.mark.gui, pytest.mark.qt_log_ignore("This plugin does not support raise")]
COMMENT = "Front Desk, purple P2, P3 on business hours"


@pytest.fixture
def console(qtbot) -> Iterator:  # type: ignore[no-untyped-def]
    """console(data_dir) -> (window, service): the real app, wall screen included."""
    started = []

    def start(data_dir: Path):  # type: ignore[no-untyped-def]
        started.append(start_console(qtbot, data_dir))
        return started[-1]

    yield start
    for window, service in started:
        stop_console(window, service)


def seed(data_dir: Path, matrix, publish: bool) -> None:  # type: ignore[no-untyped-def]
    with LocalStore(data_dir, matrix) as store:
        seed_tickets(store)
        if publish:
            store.publish_matrix(variant_yaml(), "Default escalation matrix", "lena.lead",
                                 COMMENT)


def test_a_console_starts_on_the_stores_active_version_not_the_bundled_file(
        console, matrix, tmp_path, qtbot):
    seed(tmp_path / "data", matrix, publish=True)
    window, service = console(tmp_path / "data")
    forms = [open_form(window, "intake"), open_form(window, "handoff", P3_TICKET)]
    assert window.show_ticket(P2_TICKET)
    wait_until_views_show_variant(qtbot, window, forms)
    assert service.matrix.team("frontline").name == NEW_TEAM


def test_a_publish_on_this_console_reaches_every_view_and_open_form_without_a_restart(
        console, matrix, tmp_path, qtbot):
    seed(tmp_path / "data", matrix, publish=False)
    window, service = console(tmp_path / "data")
    forms = [open_form(window, "intake"), open_form(window, "handoff", P3_TICKET)]
    assert window.show_ticket(P2_TICKET)
    before = views_showing_variant(window, forms)
    assert len(before) == 12 and not any(before.values()), before
    changes = []
    service.matrixChanged.connect(changes.append)

    matrix_ops.publish(service, variant_yaml(), "Default escalation matrix", "lena.lead",
                       COMMENT, role="lead")
    wait_until_views_show_variant(qtbot, window, forms)
    assert [m.team("frontline").name for m in changes] == [NEW_TEAM]  # one signal
    assert service.matrix is changes[0]
    assert "new matrix version" in forms[1].banner.text.text()


def test_open_severity_and_approval_forms_offer_the_published_names(
        console, matrix, tmp_path, qtbot):
    seed(tmp_path / "data", matrix, publish=False)
    window, service = console(tmp_path / "data")
    assert window.show_ticket(P2_TICKET)
    trigger(window, "Set initial severity…")
    trigger(window, "Decision authority…")
    forms = QApplication.topLevelWidgets()
    severity = next(w for w in forms if isinstance(w, ConfirmSeverityDialog))
    approval = next(w for w in forms if isinstance(w, ApprovalDialog))

    def offered(box) -> list[str]:  # type: ignore[no-untyped-def]
        return [box.itemText(i) for i in range(box.count())]

    assert f"P2 · {P2_NAME}" not in offered(severity.severity_box)
    matrix_ops.publish(service, variant_yaml(), "Default escalation matrix", "lena.lead",
                       COMMENT, role="lead")
    qtbot.waitUntil(lambda: f"P2 · {P2_NAME}" in offered(severity.severity_box)
                    and T1_ROLE in offered(approval.role_box), timeout=5000)
    assert severity.severity_box.currentData() == "P2"  # the choice survives the refill


@pytest.fixture
def service(tmp_path, matrix, qtbot):  # type: ignore[no-untyped-def]
    """A console's service (local only) on a store holding the published variant."""
    seed(tmp_path / "data", matrix, publish=True)
    svc = ConsoleService(tmp_path / "data", matrix, sync=False,
                         scheduler_factory=FakeScheduler, user="alice")
    yield svc
    svc.stop()


def test_a_saved_filter_on_a_team_only_the_active_version_has_survives_a_start(
        service, tmp_path, qtbot):
    settings = QSettings(str(tmp_path / "console.ini"), QSettings.Format.IniFormat)
    settings.setValue(K_FILTERS, QueueFilter(teams=frozenset({ADDED_TEAM_ID})).to_json())
    window = MainWindow(service, settings)  # built on the bundled file: no such team yet
    qtbot.addWidget(window)
    with qtbot.waitSignal(service.ready, timeout=10000):
        service.start()
    qtbot.waitUntil(lambda: window.proxy.filter.teams == {ADDED_TEAM_ID}, timeout=5000)
    chosen = [a.text() for a in window.filters.team_menu.menu().actions() if a.isChecked()]
    assert chosen == [f"T1 · {ADDED_TEAM}"]
    assert window.filters.team_menu.text() == "Team (1)"


def test_a_header_sort_by_team_follows_the_new_team_names(tmp_path, matrix, mixed_rows, qtbot):
    service = ConsoleService(tmp_path / "data", matrix, sync=False,
                             scheduler_factory=FakeScheduler, user="alice")
    try:
        with qtbot.waitSignal(service.ready, timeout=10000):
            service.start()
        settings = QSettings(str(tmp_path / "console.ini"), QSettings.Format.IniFormat)
        window = MainWindow(service, settings)
        qtbot.addWidget(window)
        service.rowsReset.emit(mixed_rows)
        window.view.sortByColumn(Column.TEAM, Qt.SortOrder.AscendingOrder)

        def engineering() -> list[str]:  # the two T3 tickets, in the order shown
            ids = [window.proxy.index(r, 0).data() for r in range(window.proxy.rowCount())]
            return [t for t in ids if t in ("INC-1", "INC-2")]

        assert engineering() == ["INC-2", "INC-1"]  # Incident Response < Payments Engineering
        text = default_matrix_path().read_text(encoding="utf-8").replace(
            "name: Incident Response,", "name: Zulu Response,")
        renamed, problems = check_matrix_text(text, "renamed")
        assert renamed is not None, problems
        service.matrixChanged.emit(renamed)
        assert engineering() == ["INC-1", "INC-2"]
    finally:
        service.stop()
