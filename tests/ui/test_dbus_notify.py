"""A real freedesktop notification round trip over a private D-Bus session bus.

The fixture starts its own dbus-daemon, Xvfb (when there is no DISPLAY), GNOME's
notification-daemon and dbus-monitor. The notifier runs in a child process pointed
at that bus; dbus-monitor shows exactly what went over the wire, and an
ActionInvoked signal sent with dbus-send comes back as acknowledgeRequested.
CI installs the binaries: apt-get install xvfb dbus dbus-x11 notification-daemon.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.gui

NOTIFICATION_DAEMON = "/usr/lib/notification-daemon/notification-daemon"
REPO = Path(__file__).resolve().parents[2]
INSTALL = "apt-get install xvfb dbus dbus-x11 notification-daemon"

CHILD = textwrap.dedent("""
    import sys
    from datetime import UTC, datetime, timedelta
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from console.app.runtime.alerts import AlertNotice
    from console.domain.alerts import Alert
    from console.ui.notifier import DesktopNotifier

    app = QApplication([])
    notifier = DesktopNotifier()
    print("BACKEND", notifier.backend, flush=True)
    due = datetime.now(UTC) + timedelta(minutes=5)
    seen = []

    def done(line):
        print(line, flush=True)
        seen.append(line)
        if len(seen) == 2:
            app.quit()

    notifier.acknowledgeRequested.connect(lambda t, k: done(f"ACK {t} {k}"))
    notifier.openRequested.connect(lambda t: done(f"OPEN {t}"))
    for ticket, threshold, severity in (("INC-7", "breach", "P1"),
                                        ("INC-8", "pre_breach", "P2")):
        alert = Alert(ticket, "resolution", threshold, due, due, severity)
        notifier.notify(AlertNotice(alert, f"Payments API down ({ticket})", False))
        print("ID", ticket, notifier.last_id, flush=True)
    QTimer.singleShot(20000, lambda: (print("TIMEOUT", flush=True), app.exit(2)))
    sys.exit(app.exec())
""")


def need(binary: str) -> str:
    path = shutil.which(binary)
    if path is None:
        pytest.skip(f"needs {binary} ({INSTALL})")
    return path


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def free_display() -> int:
    for number in range(90, 400):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and \
                not Path(f"/tmp/.X{number}-lock").exists():
            return number
    pytest.skip("no free X display number")


@dataclass
class Desktop:
    env: dict[str, str]
    monitor_log: Path

    def send(self, *args: str) -> str:
        done = subprocess.run(["dbus-send", "--session", *args], env=self.env,
                              capture_output=True, text=True, timeout=10)
        return done.stdout

    def other_app_notifies(self) -> bool:
        """Another application shows a critical (never expiring) notification; False
        when the server refuses it as full."""
        done = subprocess.run(
            [need("gdbus"), "call", "--session", "--dest", "org.freedesktop.Notifications",
             "--object-path", "/org/freedesktop/Notifications", "--method",
             "org.freedesktop.Notifications.Notify", "--", "other-app", "0", "", "hello",
             "", "[]", "{'urgency': <byte 2>}", "-1"],
            env=self.env, capture_output=True, text=True, timeout=10)
        if "MaxNotificationsExceeded" in done.stderr:
            return False
        assert done.returncode == 0, done.stderr
        return True

    def monitor_text(self) -> str:
        return self.monitor_log.read_text(errors="replace")


@pytest.fixture
def desktop(tmp_path: Path) -> Iterator[Desktop]:
    dbus_daemon, monitor = need("dbus-daemon"), need("dbus-monitor")
    need("dbus-send")
    if not os.access(NOTIFICATION_DAEMON, os.X_OK):
        pytest.skip(f"needs {NOTIFICATION_DAEMON} ({INSTALL})")
    env = {**os.environ, "NO_AT_BRIDGE": "1", "GTK_A11Y": "none"}
    started: list[subprocess.Popen] = []
    logs = []

    def start(args: list[str], name: str, **kwargs) -> subprocess.Popen:
        log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 - closed in teardown
        logs.append(log)
        kwargs.setdefault("stdout", log)
        proc = subprocess.Popen(args, env=env, stderr=subprocess.STDOUT
                                if kwargs["stdout"] is log else log, **kwargs)
        started.append(proc)
        return proc

    try:
        if not os.environ.get("DISPLAY"):
            display = free_display()
            start([need("Xvfb"), f":{display}", "-screen", "0", "1280x1024x24",
                   "-nolisten", "tcp"], "xvfb")
            wait_for(lambda: Path(f"/tmp/.X11-unix/X{display}").exists(), 15, "Xvfb")
            env["DISPLAY"] = f":{display}"
        bus = start([dbus_daemon, "--session", "--nofork", "--print-address=1"], "bus",
                    stdout=subprocess.PIPE, text=True)
        env["DBUS_SESSION_BUS_ADDRESS"] = bus.stdout.readline().strip()
        assert env["DBUS_SESSION_BUS_ADDRESS"], "dbus-daemon printed no address"
        desk = Desktop(env, tmp_path / "monitor.log")
        start([NOTIFICATION_DAEMON], "notification-daemon")
        wait_for(lambda: "boolean true" in desk.send(
            "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.Notifications"),
            15, "notification-daemon on the bus")
        start([monitor, "--address", env["DBUS_SESSION_BUS_ADDRESS"],
               "interface='org.freedesktop.Notifications'", "type='error'"], "monitor")
        wait_for(lambda: desk.monitor_log.stat().st_size > 0, 10, "dbus-monitor")
        yield desk
    finally:
        for proc in reversed(started):
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            close_pipes(proc)
        for log in logs:
            log.close()


def close_pipes(proc: subprocess.Popen, reader: threading.Thread | None = None) -> None:
    """After ``proc`` ended: let ``reader`` reach the end of its output, close its pipes."""
    if reader is not None:
        reader.join(timeout=10)
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def notify_calls(monitor_text: str) -> list[list[str]]:
    """Each Notify method call in dbus-monitor's output, as stripped lines."""
    calls, current = [], None
    for line in monitor_text.splitlines():
        if line.startswith(("method call", "signal", "method return", "error")):
            current = [] if "member=Notify" in line else None
            if current is not None:
                calls.append(current)
        elif current is not None:
            current.append(" ".join(line.split()))
    return calls


def test_a_notification_goes_out_typed_and_its_action_comes_back(desktop):
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env={**desktop.env, "QT_QPA_PLATFORM": "offscreen",
                        "PYTHONPATH": str(REPO)})
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(x.strip()) for x in child.stdout],
                              daemon=True)
    reader.start()

    def next_line() -> str:
        try:
            return lines.get(timeout=30)
        except queue.Empty:
            child.kill()
            raise AssertionError(f"child said nothing; stderr: {child.stderr.read()}") from None

    try:
        assert next_line() == "BACKEND dbus"
        ids = {}
        for _ in range(2):
            word, ticket, nid = next_line().split()
            assert word == "ID" and int(nid) > 0
            ids[ticket] = int(nid)
        signal = ["--type=signal", "/org/freedesktop/Notifications",
                  "org.freedesktop.Notifications.ActionInvoked"]
        desktop.send(*signal, f"uint32:{max(ids.values()) + 100}", "string:ack")  # not ours
        desktop.send(*signal, f"uint32:{ids['INC-7']}", "string:ack")
        desktop.send(*signal, f"uint32:{ids['INC-8']}", "string:open")
        answers = {next_line(), next_line()}
        assert child.wait(timeout=30) == 0, child.stderr.read()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        close_pipes(child, reader)
    assert answers == {"ACK INC-7 INC-7|resolution|breach", "OPEN INC-8"}

    calls = notify_calls(desktop.monitor_log.read_text(errors="replace"))
    assert len(calls) == 2
    breach, pre_breach = calls
    assert breach[:2] == ['string "Escalation Console"', "uint32 0"]
    assert breach[2].endswith('escalation-console.svg"')
    assert breach[3] == 'string "P1 INC-7: resolution BREACHED"'
    assert breach[4].startswith('string "Payments API down (INC-7)')
    actions = ['string "ack"', 'string "Acknowledge"', 'string "open"', 'string "Open ticket"']
    start = breach.index("array [") + 1
    assert breach[start:start + 4] == actions
    assert "variant byte 2" in breach  # urgency: critical
    assert 'variant string "escalation-console"' in breach
    assert breach[-1] == "int32 -1"
    assert pre_breach[3] == 'string "P2 INC-8: resolution about to breach"'
    assert "variant byte 1" in pre_breach  # urgency: normal


# -- no floods: a cap on screen, updates in place, closing what is acknowledged ----------
FLOOD = textwrap.dedent("""
    import sys
    from datetime import UTC, datetime, timedelta
    from PySide6.QtWidgets import QApplication
    from console.app.runtime.alerts import AlertNotice
    from console.domain.alerts import Alert
    from console.ui.notifier import DesktopNotifier

    app = QApplication([])
    notifier = DesktopNotifier(max_on_screen=int(sys.argv[1]))
    print("BACKEND", notifier.backend, flush=True)

    def screen():
        ids = {key: nid for nid, key in
               ((n, notifier.ticket_for(n)[1]) for n in notifier._shown)}
        print("SCREEN", " ".join(f"{k}={ids[k]}" for k in
                                 (e.key for e in notifier.on_screen)), flush=True)
        for e in notifier.on_screen:
            print("HEADLINE", e.headline, flush=True)
        print("END", flush=True)

    due = datetime.now(UTC) + timedelta(minutes=5)
    for i in range(int(sys.argv[2])):
        alert = Alert(f"INC-{i}", "resolution", "breach", due, due, "P1" if i % 3 == 0 else "P2")
        notifier.notify(AlertNotice(alert, f"Outage {i}", False))
    screen()
    for line in sys.stdin:
        command, *args = line.split()
        if command == "ack":
            notifier.close_acknowledged(args)
            screen()
        elif command == "quit":
            break
""")


class Child:
    """A notifier in its own process on the private bus, driven line by line."""

    def __init__(self, desktop: Desktop, script: str, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", script, *args], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**desktop.env, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO)})
        self.lines: queue.Queue[str] = queue.Queue()
        self.reader = threading.Thread(target=lambda: [self.lines.put(x.rstrip("\n"))
                                                       for x in self.proc.stdout], daemon=True)
        self.reader.start()

    def line(self) -> str:
        try:
            return self.lines.get(timeout=30)
        except queue.Empty:
            self.proc.kill()
            raise AssertionError(f"child said nothing; stderr: {self.proc.stderr.read()}"
                                 ) from None

    def screen(self) -> tuple[dict[str, int], list[str]]:
        """Our notifications on screen (key -> id, oldest first) and their headlines."""
        word, *pairs = self.line().split(" ")
        assert word == "SCREEN", word
        on_screen = dict(p.rsplit("=", 1) for p in pairs if p)
        headlines = []
        while (line := self.line()) != "END":
            headlines.append(line.removeprefix("HEADLINE "))
        return {k: int(v) for k, v in on_screen.items()}, headlines

    def say(self, line: str) -> None:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def finish(self) -> None:
        if self.proc.poll() is None:
            self.say("quit")
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        close_pipes(self.proc, self.reader)


def room_for_others(desktop: Desktop, limit: int = 30) -> int:
    """How many more notifications another application gets before the server refuses."""
    for n in range(limit):
        if not desktop.other_app_notifies():
            return n
    return limit


def full_errors(desktop: Desktop) -> int:
    return desktop.monitor_text().count("MaxNotificationsExceeded")


def test_thirty_breaches_hold_four_places_on_the_server_and_leave_room_for_others(desktop):
    child = Child(desktop, FLOOD, "4", "30")
    try:
        assert child.line() == "BACKEND dbus"
        on_screen, headlines = child.screen()
        assert list(on_screen) == ["INC-1|resolution|breach", "INC-2|resolution|breach",
                                   "INC-3|resolution|breach", "summary|overflow"]
        # the other 27 (the oldest made room for the overflow) are one notification
        assert headlines[-1] == "27 more alerts: 9 P1, 18 P2"

        # the server holds 21 (notification-daemon): ours take 4, others get the rest
        assert room_for_others(desktop) == 17
        wait_for(lambda: full_errors(desktop) >= 1, 10, "the server refusing the 18th")
        assert full_errors(desktop) == 1  # that one, never one of ours

        calls = notify_calls(desktop.monitor_text())
        assert len([c for c in calls if c[0] == 'string "Escalation Console"']) == 30
        overflow = on_screen["summary|overflow"]
        replaced = [c[1] for c in calls if c[1] != "uint32 0"]
        assert replaced == [f"uint32 {overflow}"] * 25  # updated in place, not stacked

        # acknowledging one closes its notification, and the server has room again
        inc2 = on_screen["INC-2|resolution|breach"]
        child.say("ack INC-2|resolution|breach")
        on_screen, _ = child.screen()
        assert "INC-2|resolution|breach" not in on_screen and len(on_screen) == 3
        assert desktop.other_app_notifies()
        # INC-0 made room for the overflow, then INC-2 was acknowledged
        wait_for(lambda: desktop.monitor_text().count("member=CloseNotification") >= 2, 10,
                 "CloseNotification on the bus")
        text = desktop.monitor_text()
        assert text.count("member=CloseNotification") == 2
        close = text[text.rindex("member=CloseNotification"):].splitlines()[1]
        assert close.split() == ["uint32", str(inc2)]
    finally:
        child.finish()


def test_a_server_full_of_others_notifications_still_shows_ours_in_one(desktop):
    for _ in range(20):  # leaves one place (notification-daemon holds 21)
        assert desktop.other_app_notifies()
    child = Child(desktop, FLOOD, "4", "3")
    try:
        assert child.line() == "BACKEND dbus"
        on_screen, headlines = child.screen()
        # one place: the first alert, then one "N more" standing for all three
        assert list(on_screen) == ["summary|overflow"]
        assert headlines == ["3 more alerts: 1 P1, 2 P2"]
        assert not desktop.other_app_notifies()  # the server is full, and no more
    finally:
        child.finish()


# -- the whole path: store, alert service, Alerts panel, notifier, real daemon ------------
CONSOLE = textwrap.dedent("""
    import json, sys
    from datetime import datetime
    from PySide6.QtWidgets import QApplication
    from console.app.runtime.alerts import AlertService
    from console.app.matrices import load_matrix_file
    from console.app.runtime.rows import QueueRow
    from console.app.runtime.worker import DbWorker
    from console.paths import default_matrix_path
    from console.store.local import LocalStore
    from console.ui.alert_list import AlertList
    from console.ui.alert_wiring import wire_alerts
    from console.ui.notifier import DesktopNotifier

    data_dir, now, opened = sys.argv[1], datetime.fromisoformat(sys.argv[2]), sys.argv[3]

    class NoWake:  # the clock is fixed: one check at start is the whole run
        def __init__(self, callback): pass
        def wake_at(self, when): pass
        def shutdown(self): pass

    app = QApplication([])
    store = LocalStore(data_dir, load_matrix_file(default_matrix_path()),
                       clock=lambda: now).open()
    if opened != "-":  # 12 tickets, 3 of each severity
        for i in range(12):
            ticket, severity = f"{sys.argv[4]}-{i:02d}", f"P{i % 4 + 1}"
            store.append(ticket, "opened", {"title": f"Outage {ticket}", "severity": severity,
                                            "users_affected_pct": 60, "workaround": "none"},
                         "alice", at=datetime.fromisoformat(opened))
    worker = DbWorker()
    alerts = AlertService(store, worker, lambda: now, NoWake)

    class Service:  # what the wiring needs of ConsoleService
        def __init__(self): self.alerts = alerts
        def acknowledge(self, ticket, key): alerts.acknowledge(ticket, key)

    panel, notifier = AlertList(), DesktopNotifier()
    wire_alerts(Service(), panel, notifier, lambda ticket: None)
    print("BACKEND", notifier.backend, flush=True)
    alerts.load_checkpoint()
    alerts.update([QueueRow.from_record(r) for r in store.tickets()])
    alerts.start()

    def report(_):
        print("PANEL", json.dumps([[e["late"], e["summary"], e["headline"]]
                                   for e in panel.entries()]), flush=True)
        print("SCREEN", json.dumps([e.headline for e in notifier.on_screen]), flush=True)
        app.quit()

    worker.submit(lambda: None, report)
    app.exec()
    worker.shutdown()
    store.close()
""")


def run_console(desktop: Desktop, data_dir: Path, now: str, opened: str = "-",
                prefix: str = "INC") -> tuple[list, list]:
    """One console run on ``data_dir`` at ``now``: its Alerts panel (newest first) and
    its notifications on screen."""
    done = subprocess.run(
        [sys.executable, "-c", CONSOLE, str(data_dir), now, opened, prefix],
        env={**desktop.env, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO)},
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    assert out["BACKEND"] == "dbus"
    return json.loads(out["PANEL"]), json.loads(out["SCREEN"])


def our_notify_summaries(desktop: Desktop) -> list[str]:
    return [c[3] for c in notify_calls(desktop.monitor_text())
            if c[0] == 'string "Escalation Console"']


def test_first_start_catch_up_and_restart_with_the_real_daemon(desktop, tmp_path):
    data = tmp_path / "console"
    # a brand-new console whose store holds 12 week-old open tickets (as after a pull)
    panel, screen = run_console(desktop, data, "2026-11-26T09:00:00+00:00",
                                opened="2026-11-19T09:00:00+00:00")
    backlog = "12 tickets need action: 12 breached (3 P1, 3 P2, 3 P3, 3 P4)"
    assert panel == [[False, True, backlog]]
    assert screen == [backlog]
    wait_for(lambda: len(our_notify_summaries(desktop)) >= 1, 10, "the summary on the bus")
    assert our_notify_summaries(desktop) == [f'string "{backlog}"']

    # a minute later: 12 new tickets; nothing is due yet, the summary is still waiting
    panel, screen = run_console(desktop, data, "2026-11-26T09:01:00+00:00",
                                opened="2026-11-26T09:01:00+00:00", prefix="NEW")
    assert panel == [[False, True, backlog]] and screen == []

    # closed for three hours: each missed alert is listed, the desktop gets one
    panel, screen = run_console(desktop, data, "2026-11-26T12:01:00+00:00")
    late = [e for e in panel if not e[1]]
    assert len(late) >= 12 and all(e[0] for e in late)
    assert all(e[2].endswith("(while the console was closed)") for e in late)
    assert panel[-1] == [False, True, backlog]  # restored, still unacknowledged
    (catch_up,) = screen
    assert catch_up.startswith(f"{len(late)} alerts while closed: ")
    wait_for(lambda: len(our_notify_summaries(desktop)) >= 2, 10, "the catch-up on the bus")
    assert our_notify_summaries(desktop) == [f'string "{backlog}"', f'string "{catch_up}"']
