"""The matrix in force is application state: the whole console (app.build: queue,
filters, details, wall, forms) shows the store's active published version at start,
and follows a new one without a restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from matrix_variant import (
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
from PySide6.QtWidgets import QApplication

from console.app import matrix_ops
from console.store.local import LocalStore
from console.ui.forms import ApprovalDialog, ConfirmSeverityDialog

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
