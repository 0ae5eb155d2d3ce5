"""The in-app alert list and the desktop notifier's fallbacks (no D-Bus needed)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtDBus import QDBusConnection

from console.app.runtime.alerts import AlertBatch, AlertNotice, AlertSummary
from console.domain.alerts import Alert, attention, backlog_headline
from console.paths import resources_dir
from console.ui import alert_list as alert_list_module
from console.ui.alert_list import MAX_ENTRIES, AlertList
from console.ui.notifier import DesktopNotifier, overflow_summary, summary_and_body

NOW = datetime(2025, 3, 12, 15, 30, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[2]


def notice(ticket: str = "INC-1", threshold: str = "breach", *, clock: str = "resolution",
           severity: str = "P1", late: bool = False, title: str = "Payments API down"
           ) -> AlertNotice:
    due = NOW + timedelta(minutes=30)
    at = due if threshold == "breach" else due - timedelta(minutes=15)
    return AlertNotice(Alert(ticket, clock, threshold, at, due, severity), title, late)


@pytest.fixture
def alerts(qtbot) -> AlertList:
    widget = AlertList()
    qtbot.addWidget(widget)
    return widget


# -- the alert list ---------------------------------------------------------------------
def test_entries_are_newest_first_with_time_headline_and_late_mark(alerts):
    alerts.add(notice("INC-1", "pre_breach", severity="P2"), at=NOW)
    alerts.add(notice("INC-2", late=True), at=NOW + timedelta(minutes=1))

    first, second = alerts.entries()
    assert first["ticket"] == "INC-2" and second["ticket"] == "INC-1"
    local = (NOW + timedelta(minutes=1)).astimezone().strftime("%H:%M:%S")
    assert first["text"].startswith(f"{local}  LATE · P1 INC-2: resolution breached")
    assert first["late"] and first["breach"]
    assert "about to breach" in second["text"] and "LATE" not in second["text"]
    assert alerts.title.text() == "Alerts · 2 to acknowledge"
    assert not alerts.list.item(0).icon().isNull()  # the severity badge


def test_acknowledge_emits_the_ticket_and_alert_key_and_greys_the_entry(qtbot, alerts):
    alerts.add(notice("INC-1"))
    alerts.add(notice("INC-2", "pre_breach"))
    alerts.list.setCurrentRow(1)  # INC-1, the older one
    assert alerts.ack_button.isEnabled()

    with qtbot.waitSignal(alerts.acknowledgeRequested) as blocker:
        qtbot.mouseClick(alerts.ack_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["INC-1", "INC-1|resolution|breach"]

    entry = alerts.entries()[1]
    assert entry["acknowledged"] and entry["text"].endswith("acknowledged")
    assert alerts.list.item(1).foreground().color().name() == "#8b949e"
    assert not alerts.ack_button.isEnabled()
    assert alerts.title.text() == "Alerts · 1 to acknowledge"

    with qtbot.assertNotEmitted(alerts.acknowledgeRequested):
        alerts.acknowledge_selected()  # only once


def test_open_comes_from_the_button_and_a_double_click(qtbot, alerts):
    alerts.add(notice("INC-9"))
    alerts.list.setCurrentRow(0)
    with qtbot.waitSignal(alerts.openRequested) as blocker:
        qtbot.mouseClick(alerts.open_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["INC-9"]
    with qtbot.waitSignal(alerts.openRequested) as blocker:
        alerts.list.itemDoubleClicked.emit(alerts.list.item(0))
    assert blocker.args == ["INC-9"]


def test_an_acknowledgement_from_elsewhere_greys_every_entry_of_that_alert(alerts):
    alerts.add(notice("INC-1"))
    alerts.add(notice("INC-1"))
    alerts.mark_acknowledged("INC-1|resolution|breach")
    assert all(e["acknowledged"] for e in alerts.entries())
    assert alerts.title.text() == "Alerts"


def test_the_list_keeps_only_the_latest_entries(alerts):
    for i in range(MAX_ENTRIES + 20):
        alerts.add(notice(f"INC-{i}", "pre_breach"))
    entries = alerts.entries()
    assert len(entries) == MAX_ENTRIES
    assert entries[0]["ticket"] == f"INC-{MAX_ENTRIES + 19}"
    assert entries[-1]["ticket"] == "INC-20"


@pytest.mark.qt_log_level_fail("CRITICAL")  # audio back-ends may warn on a headless box
def test_sound_on_a_breach_plays_or_degrades_quietly(alerts, monkeypatch):
    played = []
    alerts.set_sound_enabled(True)
    assert alerts.sound_box.isChecked()
    if alerts.sound_available:
        monkeypatch.setattr(alerts._sound, "play", lambda: played.append(1), raising=False)
    alerts.add(notice("INC-1", "pre_breach"))
    alerts.add(notice("INC-2", "breach"))
    assert played in ([], [1])  # at most the breach rang; no crash either way
    alerts.set_sound_enabled(False)
    assert not alerts.sound_box.isChecked()


def test_the_alert_sound_ships_with_the_resources():
    path = Path(alert_list_module.sound_path())
    assert path == resources_dir() / "sounds" / "alert.wav"
    import wave

    with wave.open(str(path)) as wav:
        assert 0.2 < wav.getnframes() / wav.getframerate() < 2.0


# -- the desktop notifier ---------------------------------------------------------------
def test_summary_and_body_name_the_ticket_clock_and_due_time():
    summary, body = summary_and_body(notice("INC-4", late=True))
    assert summary == "P1 INC-4: resolution BREACHED"
    due = (NOW + timedelta(minutes=30)).astimezone().strftime("%H:%M")
    assert body.splitlines() == ["Payments API down", f"Resolution due {due}",
                                 "Fell due while the console was closed."]
    assert summary_and_body(notice(threshold="pre_breach"))[0].endswith("about to breach")


def test_without_a_bus_the_notifier_falls_back_and_never_crashes(qtbot):
    bus = QDBusConnection("escalation-console-tests-no-such-connection")
    assert not bus.isConnected()
    notifier = DesktopNotifier(bus=bus)
    assert notifier.backend in ("tray", "none")
    notifier.notify(notice())
    notifier.notify(notice("INC-2", "pre_breach"))


def test_actions_map_back_to_the_ticket_and_alert(qtbot):
    notifier = DesktopNotifier(bus=QDBusConnection("escalation-console-tests-no-bus"))
    notifier._remember(41, notice("INC-7"))
    with qtbot.waitSignal(notifier.acknowledgeRequested) as blocker:
        notifier._on_action(41, "ack")
    assert blocker.args == ["INC-7", "INC-7|resolution|breach"]
    with qtbot.waitSignal(notifier.openRequested) as blocker:
        notifier._on_action(41, "open")
    assert blocker.args == ["INC-7"]
    with qtbot.assertNotEmitted(notifier.acknowledgeRequested):
        notifier._on_action(99, "ack")  # someone else's notification
    notifier._on_closed(41, 2)
    assert notifier.ticket_for(41) is None


def test_a_bogus_session_bus_address_falls_back_in_a_fresh_process(tmp_path):
    script = textwrap.dedent("""
        from datetime import UTC, datetime
        from PySide6.QtWidgets import QApplication
        from console.app.runtime.alerts import AlertNotice
        from console.domain.alerts import Alert
        from console.ui.notifier import DesktopNotifier

        app = QApplication([])
        notifier = DesktopNotifier()
        now = datetime.now(UTC)
        notifier.notify(AlertNotice(Alert("INC-1", "response", "breach", now, now, "P1"),
                                    "Payments API down", False))
        print("BACKEND", notifier.backend)
    """)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "DBUS_SESSION_BUS_ADDRESS": f"unix:path={tmp_path}/no-bus-here",
           "PYTHONPATH": str(REPO)}
    env.pop("DISPLAY", None)
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] in ("tray", "none")


# -- summaries, restoring, and the cap on screen ------------------------------------------
def backlog(n: int = 3) -> AlertSummary:
    items = attention([notice(f"INC-{i}", severity=f"P{i % 2 + 1}").alert
                       for i in range(n)])
    return AlertSummary("summary|backlog|x", "backlog", backlog_headline(items), items)


def test_a_summary_is_one_entry_updated_in_place_and_opens_the_most_urgent(qtbot, alerts):
    alerts.add(notice("INC-9", "pre_breach"))
    alerts.add(backlog(3))
    alerts.add(notice("INC-10", "pre_breach"))
    alerts.add(backlog(5))  # it grew: the same entry, now at the top
    entries = alerts.entries()
    assert [e["key"] for e in entries] == ["summary|backlog|x", "INC-10|resolution|pre_breach",
                                           "INC-9|resolution|pre_breach"]
    top = entries[0]
    assert top["summary"] and top["headline"].startswith("5 tickets need action")
    assert "INC-0 (P1 breached)" in top["text"]
    alerts.list.setCurrentRow(0)
    with qtbot.waitSignal(alerts.openRequested) as opened:
        alerts.open_selected()
    assert opened.args == ["INC-0"]
    with qtbot.waitSignal(alerts.acknowledgeRequested) as acked:
        alerts.acknowledge_selected()
    assert acked.args == ["", "summary|backlog|x"]  # seen here; no ticket is taken


def test_restored_alerts_keep_their_time_and_ring_no_bell(alerts, monkeypatch):
    rang = []
    monkeypatch.setattr(alerts, "_play", lambda: rang.append(1))
    alerts.sound_box.setChecked(True)
    at = NOW - timedelta(hours=5)
    alerts.add_batch(AlertBatch((notice("INC-1", late=True), backlog()), (), restored=True,
                                raised_at=(at, at)))
    assert [e["time"] for e in alerts.entries()] == [f"{at.astimezone():%H:%M:%S}"] * 2
    assert rang == []
    alerts.add_batch(AlertBatch((notice("INC-2"),), ()))
    assert rang == [1]
    alerts.mark_all_acknowledged(["INC-1|resolution|breach", "summary|backlog|x"])
    assert alerts.title.text() == "Alerts · 1 to acknowledge"


def test_summary_notifications_name_the_count_and_the_tickets():
    summary, body = summary_and_body(backlog(3))
    assert summary == "3 tickets need action: 3 breached (2 P1, 1 P2)"
    assert body.splitlines() == ["INC-0 (P1 breached), INC-2 (P1 breached), "
                                 "INC-1 (P2 breached)",
                                 "Deadlines that passed before this console first started."]
    over = overflow_summary([notice("INC-1"), notice("INC-2", severity="P2"), backlog(2)])
    assert over.headline == "4 more alerts: 2 P1, 2 P2"
    assert over.keys == {"INC-1|resolution|breach", "INC-2|resolution|breach",
                         "summary|backlog|x"}
    assert summary_and_body(over)[1].endswith("See the Alerts panel.")
