"""The wall screen: tiles, ordering, paging, the stale-data banner and a long run."""

from __future__ import annotations

import gc
import logging
import tracemalloc
from datetime import datetime, timedelta
from typing import Any

import pytest
from builders import NOW, queue_row
from builders import clock_in as clock
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication

from console.app.matrices import load_matrix_file
from console.app.runtime.countdown import Countdown
from console.app.runtime.rows import QueueRow
from console.domain.projection import ClockView
from console.paths import default_matrix_path
from console.store.sync import SyncState
from console.ui.wall import MAX_PAGES, PAGE_SECONDS, WallScreen, big_text, show_on_screen


class FakeService(QObject):
    rowsReset = Signal(list)
    rowsChanged = Signal(list, list)
    syncStateChanged = Signal(object)
    matrixChanged = Signal(object)
    pagingChanged = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.now = NOW
        self.sync_state = SyncState("online")
        self.paging = "this console (no service)"

    def clock(self) -> datetime:
        return self.now


def row(ticket: str, severity: str = "P2", *clocks: ClockView, **extra: Any) -> QueueRow:
    return queue_row(ticket, *clocks, severity=severity, **extra)


def due_row(ticket: str, minutes: float, severity: str = "P2") -> QueueRow:
    return row(ticket, severity, clock("response", minutes))


@pytest.fixture(scope="module")
def wall_matrix():
    return load_matrix_file(default_matrix_path())


@pytest.fixture
def service() -> FakeService:
    return FakeService()


@pytest.fixture
def wall(qtbot, service, wall_matrix) -> WallScreen:
    screen = WallScreen(service, wall_matrix)
    qtbot.addWidget(screen)
    screen.resize(1920, 1080)
    return screen


def test_tiles_count_open_and_breached_tickets_per_severity(wall, service):
    service.rowsReset.emit([
        due_row("A", -5, "P1"), due_row("B", 30, "P1"), due_row("C", 90, "P1"),
        due_row("D", 10, "P2"), due_row("E", 20, "P2"),
        row("F", "P3", clock("response", -10, stopped_in=-1)),   # responded late
        row("G", "P3", clock("response", 60), status="resolved"),  # not on the wall
    ])
    wall.tick(NOW)

    assert list(wall.tile_counts()) == ["P1", "P2", "P3", "P4"]  # matrix order
    assert wall.tile_counts() == {"P1": (3, 1), "P2": (2, 0), "P3": (1, 1), "P4": (0, 0)}
    tile = wall.tiles[0]
    assert (tile.count.text(), tile.breached.text()) == ("3", "1")

    wall.tick(NOW + timedelta(minutes=15))  # D falls due on the way
    assert wall.tile_counts()["P2"] == (2, 1)


def test_changes_and_removals_update_the_wall(wall, service):
    service.rowsReset.emit([due_row("A", 10), due_row("B", 20), due_row("C", 30)])
    service.rowsChanged.emit([row("A", "P2", clock("response", 10), status="resolved")], ["B"])
    wall.tick(NOW)
    assert wall.ranked_ids() == ["C"]
    assert wall.tile_counts()["P2"] == (1, 0)


def test_tickets_closest_to_breach_come_first(wall, service):
    service.rowsReset.emit([
        due_row("later", 120),
        row("update-soon", "P3", clock("response", 300), clock("update", 12)),
        due_row("long-breached", -60),
        row("paused", "P2", clock("update", None, paused_left=600)),
        due_row("just-breached", -1),
        row("no-clocks", "P4"),
        row("met", "P1", clock("response", 5, stopped_in=-2), clock("resolution", 45)),
        due_row("soon", 3),
    ])
    wall.tick(NOW)

    # all six are at risk (breached, or due within two hours); the page is topped up
    # with the next tickets when fewer than a page are at risk
    assert wall.ranked_ids()[:6] == ["long-breached", "just-breached", "soon", "update-soon",
                                     "met", "later"]
    shown = {ticket: clock_name for ticket, clock_name, _ in wall.visible_rows()}
    assert shown["update-soon"] == "update"   # its most urgent running clock
    assert shown["met"] == "resolution"       # a stopped clock no longer counts
    texts = dict((t, text) for t, _, text in wall.visible_rows())
    assert texts["long-breached"].startswith("-1h")


def test_rows_page_every_few_seconds_when_they_do_not_fit(qtbot, wall, service):
    wall.show()
    qtbot.waitExposed(wall)
    service.rowsReset.emit([due_row(f"INC-{i:03d}", i * 5) for i in range(60)])
    wall.tick(NOW)

    per_page = wall.rows_per_page
    assert 4 <= per_page < 60
    at_risk = 25  # due within the two-hour horizon: 0, 5, ..., 120 minutes
    pages = min(-(-at_risk // per_page), MAX_PAGES)
    assert wall.page_count == pages > 1
    assert wall.page == 0
    assert [t for t, _, _ in wall.visible_rows()] == [f"INC-{i:03d}" for i in range(per_page)]
    assert wall.page_label.text() == f"page 1/{pages}"

    wall.tick(NOW + timedelta(seconds=PAGE_SECONDS - 1))
    assert wall.page == 0
    wall.tick(NOW + timedelta(seconds=PAGE_SECONDS))
    assert wall.page == 1
    assert wall.page_label.text() == f"page 2/{pages}"
    assert wall.visible_rows()[0][0] == f"INC-{per_page:03d}"

    for _ in range(pages - 1):
        wall.next_page(NOW)
    assert wall.page == 0  # wraps around


def test_a_breached_p1_leads_over_a_longer_breached_p4(wall, service):
    service.rowsReset.emit([due_row("old-p4", -120, "P4"), due_row("new-p1", -1, "P1"),
                            due_row("mid-p2", -30, "P2"), due_row("soon-p4", 5, "P4")])
    wall.tick(NOW)
    # a P4 that can still be saved comes before one that breached two hours ago
    assert wall.ranked_ids()[:4] == ["new-p1", "mid-p2", "soon-p4", "old-p4"]


def _show_at_1080p(qtbot, wall: WallScreen) -> None:
    wall.show()
    qtbot.waitExposed(wall)
    assert (wall.width(), wall.height()) == (1920, 1080)


def old_breaches(count: int = 40) -> list[QueueRow]:
    """P3 and P4 tickets breached hours ago, as a long-running queue collects them."""
    return [due_row(f"INC-{9000 + i}", -60 * (i + 1), ("P3", "P4")[i % 2])
            for i in range(count)]


def test_a_p1_due_in_a_minute_is_on_the_first_page_over_forty_breached_p3_and_p4(
        qtbot, wall, service):
    _show_at_1080p(qtbot, wall)
    p1 = row("INC-10190", "P1", clock("response", 1, lead=5),
             title="Total outage of checkout")
    service.rowsReset.emit([*old_breaches(), p1])
    wall.tick(NOW)

    assert wall.page == 0
    shown = wall.visible_rows()
    assert shown[0] == ("INC-10190", "response", "1m 00s")
    assert len(shown) == wall.rows_per_page >= 5
    # the tail is counted, not paged through
    assert wall.page_count == 1
    assert wall.summary_text == f"+{41 - len(shown)} breached P3/P4"
    assert "41 at risk of 41 open" in wall.list_title.text()


def test_a_deadline_within_a_paging_cycle_is_on_every_page(qtbot, wall, service):
    _show_at_1080p(qtbot, wall)
    breached_p1s = [due_row(f"INC-{100 + i}", -i - 1, "P1") for i in range(40)]
    soon_p3 = row("INC-2612", "P3", clock("update", 0.5))   # due in 30 s
    service.rowsReset.emit([*breached_p1s, soon_p3])
    wall.tick(NOW)

    assert wall.pinned_ids() == ["INC-2612"]
    assert wall.page_count == MAX_PAGES
    cycle = wall.page_count * PAGE_SECONDS
    for second in range(0, cycle, PAGE_SECONDS):
        wall.tick(NOW + timedelta(seconds=second))
        assert wall.visible_rows()[0][0] == "INC-2612", f"page {wall.page + 1}"
    assert wall.page == MAX_PAGES - 1  # it did page through


def test_a_smaller_window_pages_fewer_rows_and_cuts_none_off(qtbot, wall, service):
    _show_at_1080p(qtbot, wall)
    service.rowsReset.emit([*old_breaches(), due_row("P1-SOON", 1, "P1")])
    wall.tick(NOW)
    tall = wall.rows_per_page
    wall.showNormal()
    wall.resize(1280, 600)
    qtbot.waitUntil(lambda: wall.board.height() < 400, timeout=2000)
    board = wall.board
    assert wall.rows_per_page < tall
    assert len(wall.visible_rows()) == wall.rows_per_page
    assert wall.rows_per_page * board.row_height() + board._footer() <= board.height()
    assert wall.visible_rows()[0][0] == "P1-SOON"


def test_the_wall_ranks_a_confirmation_clock_about_to_breach(wall, service):
    quiet = row("INC-10198", "P1", clock("response", -600, stopped_in=-610),
                clock("update", 55), clock("resolution", 468),
                clock("confirmation", 4, lead=5))
    service.rowsReset.emit([*[due_row(f"OK-{i}", 300 + i) for i in range(20)], quiet])
    wall.tick(NOW)
    assert wall.visible_rows()[0] == ("INC-10198", "confirmation", "4m 00s")


def test_a_clock_that_just_breached_reads_minus_one_second_on_the_wall():
    assert big_text(Countdown("-1s", "breached", -0.0)) == "−1s"
    assert big_text(Countdown("-1s", "breached", -0.4)) == "−1s"
    assert big_text(Countdown("1s", "pre_breach", 0.3)) == "1s"


def test_only_tickets_at_risk_are_paged_through(wall, service):
    quiet = [due_row(f"Q-{i:02d}", 600 + i) for i in range(40)]  # due in 10 h or later
    service.rowsReset.emit([*quiet, due_row("hot", 3)])
    wall.tick(NOW)
    assert wall.page_count == 1
    assert wall.ranked_ids()[0] == "hot"
    assert "1 at risk of 41 open" in wall.list_title.text()


def test_a_single_page_shows_no_page_indicator(wall, service):
    service.rowsReset.emit([due_row("A", 10)])
    wall.tick(NOW)
    assert wall.page_count == 1
    assert wall.page_label.text() == ""


def test_the_stale_banner_shows_only_after_ten_seconds_offline(wall, service):
    service.rowsReset.emit([due_row("A", 10)])
    service.syncStateChanged.emit(SyncState("online", last_sync=NOW))
    wall.tick(NOW)
    assert wall.banner.isHidden()
    assert wall.stale_text == ""

    since = NOW - timedelta(seconds=5)
    service.syncStateChanged.emit(SyncState("offline", offline_since=since, pending=2))
    wall.tick(NOW)
    assert wall.banner.isHidden()  # a blip, not stale yet

    since = NOW - timedelta(minutes=3, seconds=10)
    service.syncStateChanged.emit(SyncState("offline", offline_since=since, pending=2))
    wall.tick(NOW)
    assert not wall.banner.isHidden()
    local = since.astimezone().strftime("%H:%M:%S")
    assert "DATA MAY BE STALE" in wall.stale_text
    assert f"shared database unreachable since {local} (3 min)" in wall.stale_text

    service.syncStateChanged.emit(SyncState("online", last_sync=NOW))
    wall.tick(NOW)
    assert wall.banner.isHidden()


def test_local_only_shows_a_quiet_note_and_no_banner(wall, service):
    service.syncStateChanged.emit(SyncState("not_configured"))
    wall.tick(NOW)
    assert wall.banner.isHidden()
    assert wall.sync_note.text() == "local only"


def test_the_clock_shows_local_time(wall):
    wall.tick(NOW)
    assert wall.clock_label.text() == NOW.astimezone().strftime("%H:%M:%S")


def test_keys_toggle_full_screen_and_close(qtbot, wall):
    wall.show()
    qtbot.waitExposed(wall)
    qtbot.keyClick(wall, Qt.Key.Key_F11)
    assert wall.isFullScreen()
    qtbot.keyClick(wall, Qt.Key.Key_Escape)
    assert not wall.isFullScreen()
    with qtbot.waitSignal(wall.closed, timeout=1000):
        qtbot.keyClick(wall, Qt.Key.Key_Escape)
    assert not wall.isVisible()


def test_show_on_a_missing_monitor_falls_back_to_the_primary(qtbot, wall, caplog):
    with caplog.at_level(logging.WARNING, logger="console.ui.wall"):
        show_on_screen(wall, 7)
    qtbot.waitExposed(wall)
    assert wall.isFullScreen()
    assert "no monitor 7" in caplog.text


def test_days_of_ticks_do_not_grow_widgets_or_memory(qtbot, wall, service):
    wall.show()
    qtbot.waitExposed(wall)
    rows = [row(f"INC-{i:04d}", ("P1", "P2", "P3", "P4")[i % 4],
                clock("response", (i % 97) - 20), clock("update", (i % 13) * 7),
                clock("resolution", i + 30)) for i in range(300)]
    service.rowsReset.emit(rows)
    for second in range(200):  # warm up caches (fonts, text layouts, countdown strings)
        wall.tick(NOW + timedelta(seconds=second))
    QApplication.processEvents()
    widgets_before = len(wall.findChildren(QObject))
    assert wall.timer.parent() is wall

    gc.collect()
    tracemalloc.start()
    try:
        start, _ = tracemalloc.get_traced_memory()
        for second in range(200, 5200):
            wall.tick(NOW + timedelta(seconds=second))
            if second % 500 == 0:
                QApplication.processEvents()  # paint now and then, as the live screen does
        gc.collect()
        end, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert len(wall.findChildren(QObject)) == widgets_before
    assert end - start < 1_000_000, f"grew by {end - start} bytes over 5,000 ticks"
    assert wall.page_count > 1


def test_the_wall_says_who_pages_in_type_readable_across_the_room(qtbot, wall, service):
    wall.show()
    qtbot.waitExposed(wall)
    assert wall.paging_note.text() == "paging: this console (no service)"
    service.pagingChanged.emit("service host-a")
    assert wall.paging_note.text() == "paging: service host-a"
    # as large as the sync note beside it, not the default 9-pt label font
    assert wall.paging_note.font().pixelSize() == wall.sync_note.font().pixelSize() > 20
