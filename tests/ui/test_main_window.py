"""The commander's main window on a real ConsoleService (local store, no sync)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from builders import FakeClock
from PySide6.QtCore import QPoint, QRect, QSettings, Qt
from PySide6.QtGui import QImage, QKeySequence
from PySide6.QtWidgets import QApplication
from service_fakes import running_service

from console.store.sync import SyncState
from console.ui import queue_delegates
from console.ui.main_window import MainWindow
from console.ui.queue_delegates import pause_glyph, stale_clock_cells
from console.ui.queue_filters import QueueFilter
from console.ui.queue_model import ROW_ROLE, Column

from .conftest import NOW, clock, minutes, row


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def service(tmp_path, matrix, fake_clock, qtbot):
    with running_service(tmp_path / "data", matrix, qtbot, user="alice", clock=fake_clock) as svc:
        yield svc


@pytest.fixture
def settings(tmp_path) -> QSettings:
    return QSettings(str(tmp_path / "console.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(service, matrix, settings, mixed_rows, qtbot) -> MainWindow:
    win = MainWindow(service, settings)
    qtbot.addWidget(win)
    service.rowsReset.emit(mixed_rows)
    return win


def shown_ids(win: MainWindow) -> list[str]:
    return [win.proxy.index(r, 0).data() for r in range(win.proxy.rowCount())]


def current_id(win: MainWindow) -> str | None:
    index = win.view.currentIndex()
    return index.data(ROW_ROLE).id if index.isValid() else None


def test_the_sync_state_always_shows_in_the_status_bar_and_offline_is_red(window, service):
    assert window.sync_label.text() == "Sync: not connected to a shared database"
    since = datetime(2025, 3, 12, 10, 2, 5, tzinfo=UTC)
    service.syncStateChanged.emit(SyncState("offline", offline_since=since, pending=3))
    window.statusBar().showMessage("a passing message")
    assert window.sync_label.text() == (
        "Sync: offline since 10:02:05 UTC with 3 events pending")
    assert "#c62828" in window.sync_label.styleSheet()
    assert not window.sync_label.isHidden()
    service.syncStateChanged.emit(SyncState("online"))
    assert window.sync_label.text() == "Sync: online"


def test_the_status_bar_counts_all_and_filtered_tickets(window):
    assert window.count_label.text() == "6 tickets"
    window.filters.severity_buttons["P1"].click()
    assert window.count_label.text() == "2 shown of 6 tickets"


def test_the_arrow_and_paging_keys_move_the_selection_and_enter_opens_details(window, qtbot):
    window.show()
    qtbot.waitExposed(window)
    window.details_dock.hide()
    view = window.view
    view.setFocus()
    window.show_ticket("INC-2", reveal=False)
    qtbot.keyClick(view, Qt.Key.Key_Down)
    assert current_id(window) == "INC-1"
    qtbot.keyClick(view, Qt.Key.Key_End)
    assert current_id(window) == "INC-6"
    qtbot.keyClick(view, Qt.Key.Key_Home)
    assert current_id(window) == "INC-2"
    qtbot.keyClick(view, Qt.Key.Key_PageDown)
    assert current_id(window) == "INC-6"
    qtbot.keyClick(view, Qt.Key.Key_Up)
    assert current_id(window) == "INC-5"
    assert window.details.ticket_id == "INC-5"
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert window.details_dock.isVisible()


def test_the_details_panel_shows_reasons_clocks_and_the_latest_handoff(window, qtbot):
    handoff = {"summary": "Card payments fail for EU customers",
               "steps_tried": ["restarted the gateway", "rolled back 4.2"],
               "next_steps": "check the acquirer's status page"}
    r = row("INC-8", 20, severity="P1", confirmed=False, clocks=(
        clock("response", NOW + minutes(20)),
        clock("resolution", None, paused_since=NOW - minutes(5), remaining=3600),
        clock("initial_severity", NOW - minutes(2)),
    ), detail={"reasons": ["security or data breach"], "latest_handoff": handoff})
    window.apply_changes([r], [])
    with qtbot.waitSignal(window.service.historyLoaded, timeout=5000):
        assert window.show_ticket("INC-8")
    d = window.details
    assert d.title.text() == r.title
    assert d.badge.text() == "P1 ?"
    assert "not yet confirmed by Engineering" in d.severity.text()
    assert "security or data breach" in d.reasons.text()
    states = {name: labels[0].text() for name, labels in d._clock_labels.items()}
    lefts = {name: labels[1].text() for name, labels in d._clock_labels.items()}
    paused = pause_glyph(d._clock_labels["resolution"][0].font())
    assert states == {"response": "OK", "resolution": f"{paused} PAUSED",
                      "initial_severity": "BREACHED"}
    assert lefts["response"] == "20m 00s"
    assert lefts["resolution"] == "paused, 1h 00m left"
    assert not d.handoff.isHidden()
    text = d.handoff_text.text()
    assert "Card payments fail" in text and "rolled back 4.2" in text
    assert "acquirer" in text
    assert d.timeline.item(0).text() == "No events yet."


def test_selecting_a_real_ticket_loads_its_timeline_and_acknowledge_records_an_event(
        window, service, qtbot):
    with qtbot.waitSignal(service.rowsChanged, timeout=5000):
        service.append("INC-100", "opened", {
            "title": "Checkout down", "account": "Globex", "account_tier": "enterprise",
            "severity": "P1", "by": "support", "users_affected_pct": 40,
            "workaround": "none"})
    with qtbot.waitSignal(service.rowsChanged, timeout=5000):
        service.append("INC-100", "severity", {"severity": "P1", "by": "engineering"})
    with qtbot.waitSignal(service.historyLoaded, timeout=5000):
        window.show_ticket("INC-100")
    lines = [window.details.timeline.item(i).text()
             for i in range(window.details.timeline.count())]
    assert any("opened" in line and "severity set to P1 by support" in line for line in lines)
    assert any("severity confirmed  P1 by engineering" in line for line in lines)
    with qtbot.waitSignal(service.historyLoaded, timeout=5000):
        window.details.acknowledge.click()
    last = window.details.timeline.item(window.details.timeline.count() - 1).text()
    assert "alice  acknowledged" in last


def test_the_filter_bar_controls_filter_the_queue(window, qtbot):
    bar = window.filters
    bar.severity_buttons["P1"].click()
    assert shown_ids(window) == ["INC-2", "INC-1"]
    bar.severity_buttons["P1"].click()
    tier_t1 = next(a for a in bar.tier_menu.menu().actions() if a.data() == "T1")
    tier_t1.trigger()
    assert shown_ids(window) == ["INC-4", "INC-5"]
    assert bar.tier_menu.text() == "Tier (1)"
    tier_t1.trigger()
    team = next(a for a in bar.team_menu.menu().actions() if a.data() == "customer-success")
    team.trigger()
    assert shown_ids(window) == ["INC-3"]
    team.trigger()
    status = next(a for a in bar.status_menu.menu().actions() if a.data() == "resolved")
    status.trigger()
    assert shown_ids(window) == ["INC-6"]
    status.trigger()
    bar.mine.click()
    assert shown_ids(window) == ["INC-1", "INC-4"]
    bar.mine.click()
    qtbot.keyClicks(bar.search, "globex")
    assert shown_ids(window) == ["INC-2", "INC-3"]
    window.filters.reset_action.trigger()
    assert len(shown_ids(window)) == 6
    assert bar.search.text() == ""


def test_ctrl_f_focuses_the_search_field(window, qtbot):
    window.show()
    with qtbot.waitActive(window, timeout=5000):
        window.activateWindow()
    window.view.setFocus()
    assert window.find_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Find)
    qtbot.keyClick(window.view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(window.filters.search.hasFocus, timeout=2000)


def test_clicking_a_header_sorts_and_sort_by_next_due_restores_the_queue_order(window, qtbot):
    window.show()
    qtbot.waitExposed(window)
    header = window.view.horizontalHeader()
    x = header.sectionViewportPosition(Column.OWNER) + 10
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    owners = [window.model.get(i).owner for i in shown_ids(window)]
    assert owners == sorted(owners, key=lambda o: (o or "—").lower())
    assert shown_ids(window) != [r.id for r in window.current_rows()]
    window.sort_action.trigger()
    assert shown_ids(window) == [r.id for r in window.current_rows()]
    assert header.sortIndicatorSection() == -1


def test_the_tick_repaints_without_resetting_or_resorting_the_model(window, fake_clock, qtbot):
    before = window.model.index(window.model.row_of("INC-1"), Column.RESPONSE).data()
    fake_clock.now = NOW + minutes(1)
    with qtbot.assertNotEmitted(window.model.modelReset), \
         qtbot.assertNotEmitted(window.model.layoutChanged), \
         qtbot.assertNotEmitted(window.model.dataChanged):
        window.tick()
    after = window.model.index(window.model.row_of("INC-1"), Column.RESPONSE).data()
    assert (before, after) == ("45m 00s", "44m 00s")
    assert window.timer.parent() is window and window.timer.interval() == 1000


def _show_wide(win: MainWindow, qtbot) -> None:
    """All eleven columns in view (the offscreen screen is only 800 px wide)."""
    win.details_dock.hide()
    win.resize(1900, 700)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: stale_clock_cells(win.view) == [], timeout=2000)  # painted


def _viewport_image(win: MainWindow, on_screen: bool) -> QImage:
    """The queue as the screen shows it now, or as a full repaint would draw it."""
    viewport = win.view.viewport()
    rect = QRect(viewport.mapTo(win, QPoint(0, 0)), viewport.size())
    pixmap = win.screen().grabWindow(win.winId()) if on_screen else win.grab()
    return pixmap.toImage().copy(rect).convertToFormat(QImage.Format.Format_RGB32)


def test_a_tick_repaints_only_the_clock_cells_whose_text_changed(window, fake_clock, qtbot):
    _show_wide(window, qtbot)
    view = window.view
    fake_clock.now = NOW + timedelta(seconds=1)  # every running clock ticks past a minute
    window.tick()
    qtbot.waitUntil(lambda: stale_clock_cells(view) == [], timeout=2000)
    window.model.set_now(NOW + timedelta(seconds=2))  # only the seconds of INC-2 and INC-1
    x = view.horizontalHeader().sectionViewportPosition(Column.RESPONSE)
    assert stale_clock_cells(view) == [
        QRect(x, 0, view.columnWidth(Column.RESPONSE), 2 * view.rowHeight(0))]


def test_after_a_minute_of_ticks_the_screen_shows_what_a_full_repaint_would(
        window, fake_clock, qtbot):
    paused = clock("resolution", None, paused_since=NOW - minutes(20), remaining=7200)
    window.apply_changes([row("INC-8", 0.5, severity="P1"),  # breaches half a minute in
                          replace(row("INC-5", None, status="waiting_on_customer"),
                                  clocks=(paused,))], [])
    _show_wide(window, qtbot)
    window.show_ticket("INC-8", reveal=False)
    for second in range(1, 62):
        fake_clock.now = NOW + timedelta(seconds=second)
        window.tick()
        QApplication.processEvents()
    assert window.model.index(window.model.row_of("INC-8"), Column.SLA).data() == (
        "RESPONSE BREACHED")
    assert _viewport_image(window, on_screen=True) == _viewport_image(window, on_screen=False)


def test_the_lean_painters_draw_what_the_style_draws(window, qtbot, monkeypatch):
    paused = clock("resolution", None, paused_since=NOW - minutes(20), remaining=7200)
    window.apply_changes([replace(row("INC-5", None, status="waiting_on_customer"),
                                  clocks=(paused,))], [])
    _show_wide(window, qtbot)
    window.show_ticket("INC-5", reveal=False)  # a selected row with a paused clock
    lean = _viewport_image(window, on_screen=False)
    # the same cells through QStyledItemDelegate.initStyleOption and the style
    monkeypatch.setattr(queue_delegates, "queue_rows", lambda model: None)
    for delegate in window._delegates:
        delegate._model = None
    assert _viewport_image(window, on_screen=False) == lean


def test_window_filters_and_columns_survive_a_restart_through_qsettings(
        service, matrix, settings, mixed_rows, qtbot):
    first = MainWindow(service, settings)
    qtbot.addWidget(first)
    first.resize(700, 500)  # the offscreen screen is 800x800
    first.filters.severity_buttons["P1"].click()
    first.filters.search.setText("data")
    first.column_actions[Column.OWNER].setChecked(False)
    first.view.horizontalHeader().resizeSection(Column.ACCOUNT, 321)
    first.close()

    second = MainWindow(service, settings)
    qtbot.addWidget(second)
    service.rowsReset.emit(mixed_rows)
    assert (second.size().width(), second.size().height()) == (700, 500)
    assert second.filters.filter == QueueFilter(severities=frozenset({"P1"}), text="data")
    assert second.filters.severity_buttons["P1"].isChecked()
    assert second.filters.search.text() == "data"
    assert shown_ids(second) == ["INC-2"]
    header = second.view.horizontalHeader()
    assert header.isSectionHidden(Column.OWNER)
    assert not second.column_actions[Column.OWNER].isChecked()
    assert header.sectionSize(Column.ACCOUNT) == 321


def test_show_ticket_clears_a_filter_that_hides_the_ticket(window):
    window.filters.severity_buttons["P4"].click()
    assert window.show_ticket("INC-1")
    assert current_id(window) == "INC-1"
    assert window.filters.filter == QueueFilter()
    assert not window.show_ticket("INC-404")


def test_the_wall_screen_menu_item_asks_for_the_wall(window, qtbot):
    wall = window.findChild(type(window.find_action), "wallAction")
    with qtbot.waitSignal(window.wallRequested, timeout=100):
        wall.trigger()


def test_an_extra_dock_appears_in_the_panels_menu(window):
    from PySide6.QtWidgets import QLabel

    dock = window.add_dock(QLabel("alerts"), "Alerts", Qt.DockWidgetArea.BottomDockWidgetArea)
    assert dock.objectName() == "dock_alerts"
    assert dock.toggleViewAction() in window.panels_menu.actions()


def test_a_reset_or_an_update_keeps_the_selected_ticket_and_refreshes_its_details(
        window, service, mixed_rows):
    window.show_ticket("INC-3")
    renamed = [r if r.id != "INC-3" else row("INC-3", 120, tier="T2", team="customer-success",
                                                title="Renamed by a reset")
               for r in mixed_rows]
    service.rowsReset.emit(renamed)
    assert current_id(window) == "INC-3"
    assert window.details.title.text() == "Renamed by a reset"
    service.rowsChanged.emit([row("INC-3", 30, title="Now due sooner")], [])
    assert current_id(window) == "INC-3"
    assert window.details.title.text() == "Now due sooner"
    service.rowsChanged.emit([], ["INC-3"])
    assert window.details.ticket_id != "INC-3"
    assert window.details.ticket_id == current_id(window)  # Qt moved to a neighbour
