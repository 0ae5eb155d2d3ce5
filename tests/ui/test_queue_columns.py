"""A commander can read the queue's titles: at 1920x1080 with the details panel open
the Title column takes what the fitted columns leave, and a layout saved by an older
version does not bring back the cramped one."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QHeaderView
from service_fakes import running_service

from console.ui.main_window import MainWindow
from console.ui.queue_model import Column

TITLE = "Checkout returns 502 for EU customers at peak"


@pytest.fixture
def service(tmp_path, matrix, qtbot):  # type: ignore[no-untyped-def]
    with running_service(tmp_path / "data", matrix, qtbot, user="alice") as svc:
        yield svc


@pytest.fixture
def settings(tmp_path) -> QSettings:
    return QSettings(str(tmp_path / "console.ini"), QSettings.Format.IniFormat)


def full_hd(service, settings, rows, qtbot) -> MainWindow:  # type: ignore[no-untyped-def]
    """The window as a first start shows it on a 1920x1080 screen, details open."""
    win = MainWindow(service, settings)
    qtbot.addWidget(win)
    service.rowsReset.emit(rows)
    win.setGeometry(0, 0, 1920, 1080)
    win.show()
    qtbot.waitExposed(win)
    assert win.details_dock.isVisible()
    return win


def shown_title(win: MainWindow) -> str:
    """The title as the queue paints it (elided to its cell by the delegate)."""
    win.view.viewport().grab()  # paints: the delegate measures with the view's own font
    look = win._delegates[0]._look
    assert look is not None
    width = win.view.horizontalHeader().sectionSize(Column.TITLE)
    return look.place(TITLE, width, win.view.verticalHeader().defaultSectionSize())[0].text()


def test_a_45_character_title_is_shown_whole_at_1920x1080_with_the_details_open(
        service, settings, mixed_rows, qtbot):
    assert len(TITLE) == 45
    rows = [replace(mixed_rows[0], title=TITLE), *mixed_rows[1:]]
    win = full_hd(service, settings, rows, qtbot)
    assert shown_title(win) == TITLE  # nothing selected yet
    win.show_ticket(rows[0].id)
    qtbot.waitUntil(lambda: win.details.ticket_id == rows[0].id, timeout=2000)
    assert shown_title(win) == TITLE  # and with a ticket in the details panel
    header = win.view.horizontalHeader()
    assert header.sectionResizeMode(Column.TITLE) == QHeaderView.ResizeMode.Stretch


def test_a_header_layout_saved_by_the_previous_version_is_not_restored(
        service, settings, mixed_rows, qtbot):
    old = MainWindow(service, settings)
    qtbot.addWidget(old)
    header = old.view.horizontalHeader()
    header.setSectionResizeMode(Column.TITLE, QHeaderView.ResizeMode.Interactive)
    header.resizeSection(Column.TITLE, 150)
    header.resizeSection(Column.TEAM, 400)
    settings.setValue("queue/header", header.saveState())  # the old version's key
    settings.sync()
    old.close()
    settings.remove("queue/header-v2")  # whatever this close saved: only the old one
    rows = [replace(mixed_rows[0], title=TITLE), *mixed_rows[1:]]
    win = full_hd(service, settings, rows, qtbot)
    assert win.view.horizontalHeader().sectionResizeMode(Column.TITLE) == \
        QHeaderView.ResizeMode.Stretch
    assert shown_title(win) == TITLE


def test_at_125_percent_the_account_and_team_give_way_so_a_title_stays_readable(
        service, settings, mixed_rows, qtbot):
    """1920x1080 at 125% leaves 1536 logical pixels: the Title must not be squeezed to
    nothing; the Account and Team columns narrow (they elide, with a tooltip)."""
    rows = [replace(mixed_rows[0], title=TITLE), *mixed_rows[1:]]
    win = full_hd(service, settings, rows, qtbot)
    win.setGeometry(0, 0, 1536, 864)
    qtbot.waitUntil(lambda: win.view.viewport().width() < 1300, timeout=2000)
    assert shown_title(win).startswith("Checkout returns 502")
    header = win.view.horizontalHeader()
    assert header.length() <= win.view.viewport().width()  # no sideways scrolling
    win.set_column_visible(Column.OWNER, False)  # hiding a column is no resize by hand
    win.set_column_visible(Column.OWNER, True)
    assert win.columns.user_sized == set()
    assert header.length() <= win.view.viewport().width()


def test_a_column_the_user_resized_keeps_its_width_across_a_restart(
        service, settings, mixed_rows, qtbot):
    first = full_hd(service, settings, mixed_rows, qtbot)
    first.view.horizontalHeader().resizeSection(Column.TEAM, 333)
    first.close()
    second = full_hd(service, settings, mixed_rows, qtbot)
    second.setGeometry(0, 0, 1536, 864)
    qtbot.waitUntil(lambda: second.view.viewport().width() < 1300, timeout=2000)
    assert second.view.horizontalHeader().sectionSize(Column.TEAM) == 333


def test_a_paused_countdown_reads_whole_beside_its_pause_glyph(
        service, settings, mixed_rows, qtbot):
    from console.ui.queue_delegates import ICON, paused_cell_text

    win = full_hd(service, settings, mixed_rows, qtbot)
    win.view.viewport().grab()
    look = win._delegates[3]._look
    assert look is not None
    text = paused_cell_text("paused, 25m 30s left")
    assert text == "25m 30s"
    width = win.view.horizontalHeader().sectionSize(Column.RESOLUTION)
    room = width - ICON - 2 * look.margin
    shown = look.place(text, room, win.view.verticalHeader().defaultSectionSize(),
                       "paused")[0].text()
    assert shown == text
