"""Start the desktop console: the queue window, alerts, and optionally the wall screen."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from console import __version__
from console.paths import resources_dir

from .single_instance import EXIT_ALREADY_RUNNING, RaiseServer, ask_to_raise

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMenu

    from console.app.runtime.port import ConsoleServicePort, Person
    from console.app.runtime.rows import QueueRow
    from console.app.runtime.service import ConsoleService

    from .main_window import MainWindow

log = logging.getLogger(__name__)
STARTUP_PROBE = "ESCALATION_CONSOLE_STARTUP_PROBE"
EXIT_CANNOT_START = EXIT_ALREADY_RUNNING  # 3: a store that cannot be opened, as in the CLI
HEADLESS_PLATFORMS = ("offscreen", "minimal")  # nobody could see or close a message
UNREAD_MESSAGE_MS = 30000  # a start-up failure's message closes itself (and the app) after


@dataclass(frozen=True, slots=True)
class GuiOptions:
    data_dir: str | None = None
    wall: bool = False
    screen: int | None = None
    demo: bool = False
    tickets: int = 200
    sync: bool = True
    # the person's role in local-only mode (--local-only or no shared database; None:
    # the settings' role); with a shared database the server says who the person is
    role: str | None = None


def process_age_seconds() -> float:
    """Seconds since this process started (Linux /proc), for the start-up probe."""
    try:
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return uptime - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.process_time()


class _FirstPaint(QObject):
    """Writes the time from launch to the main window's first paint, then quits."""

    def __init__(self, path: str, quit_after: bool) -> None:
        super().__init__()
        self.path, self.quit_after, self.done = path, quit_after, False

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if not self.done and event.type() == QEvent.Type.Paint:
            self.done = True
            Path(self.path).write_text(f"{process_age_seconds():.3f}\n")
            if self.quit_after:
                QTimer.singleShot(0, QApplication.quit)
        return False


def run_gui(argv: list[str] | None = None, *, options: GuiOptions | None = None,
            data_dir: str | None = None) -> int:
    """Open the console window (and the wall screen if asked); return the exit code."""
    options = options or GuiOptions(data_dir=data_dir)
    app = QApplication.instance() or QApplication(["escalation-console", *(argv or [])])
    app.setApplicationName("Escalation Console")
    app.setOrganizationName("EscalationConsole")
    app.setApplicationVersion(__version__)
    QApplication.setDesktopFileName("escalation-console")  # matches the .desktop file (Wayland)
    QApplication.setWindowIcon(QIcon(str(resources_dir() / "icons" / "escalation-console.svg")))
    if _raised_running_console(gui_data_dir(options)):
        return EXIT_ALREADY_RUNNING
    window, service = build(options)
    probe = os.environ.get(STARTUP_PROBE)
    if probe:
        watcher = _FirstPaint(probe, quit_after=os.environ.get(STARTUP_PROBE + "_QUIT") == "1")
        window.installEventFilter(watcher)
        window._startup_probe = watcher  # keep it alive
    code = app.exec()
    service.stop()
    return code


def gui_data_dir(options: GuiOptions) -> Path:
    """The data directory this GUI session opens (the demo has its own under it)."""
    from console.app.datadir import resolve_data_dir

    data_dir = resolve_data_dir(options.data_dir)
    if options.demo:
        from console.app.usecases.demo import demo_data_dir

        data_dir = demo_data_dir(data_dir, options.tickets)
    return data_dir


def _raised_running_console(data_dir: Path) -> bool:
    """If a console already runs on ``data_dir``, bring it to the front and say so."""
    if not ask_to_raise(data_dir):
        return False
    print(f"escalation-console: another Escalation Console is already open on {data_dir}; "
          "brought its window to the front", file=sys.stderr)
    return True


def _fail_at_start(window: MainWindow, data_dir: Path, message: str) -> None:
    """The store could not be opened (locked by another process, a data dir that is a
    file, read-only, a full disk, damaged): say so on stderr, raise the running console
    if that is the cause, show the message without blocking where a display can show
    it (closing it, or 30 s unread, leaves), and exit with EXIT_CANNOT_START. A modal
    box here once hung for good, offscreen for ever."""
    def leave() -> None:  # from a timer: an exit() before exec() starts would be lost
        QTimer.singleShot(0, lambda: QApplication.exit(EXIT_CANNOT_START))

    print(f"escalation-console: {message}", file=sys.stderr, flush=True)
    QApplication.setQuitOnLastWindowClosed(False)  # closing the box must not exit 0
    window.hide()
    locked = "already using" in message
    if (locked and _raised_running_console(data_dir)) or \
            QApplication.platformName() in HEADLESS_PLATFORMS:
        leave()
        return
    box = QMessageBox(QMessageBox.Icon.Critical, "Escalation Console",
                      message[:1].upper() + message[1:])
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setWindowModality(Qt.WindowModality.NonModal)  # nothing waits on it
    unread = QTimer(box, singleShot=True, interval=UNREAD_MESSAGE_MS)  # nobody reads it
    unread.timeout.connect(box.close)
    def finished(_result: int) -> None:
        unread.stop()
        leave()

    box.finished.connect(finished)
    unread.start()
    box.show()
    window._refusal = box


def _listen_for_raise(window: MainWindow, data_dir: Path) -> None:
    """Once this console holds the data directory, a second start raises this window."""
    server = RaiseServer(data_dir, window)
    if not server.listen():
        log.warning("cannot listen for a second start on %s: %s", data_dir,
                    server.server.errorString())
        return

    def bring_to_front() -> None:
        print(f"escalation-console: a second start on {data_dir} asked this console to "
              "come to the front", file=sys.stderr)
        window.showNormal() if window.isMinimized() else window.show()
        window.raise_()
        window.activateWindow()
        window.statusBar().showMessage("Escalation Console is already open on this data "
                                       "directory: this is the window to use", 10000)

    server.raiseRequested.connect(bring_to_front)
    window._raise_server = server


def build(options: GuiOptions) -> tuple[MainWindow, ConsoleService]:
    """Wire the service, the queue window, alerts and the wall screen."""
    from console.app.identity import console_author
    from console.app.matrices import load_matrix_file
    from console.app.runtime.service import ConsoleService
    from console.paths import default_matrix_path

    from .alert_list import AlertList
    from .alert_wiring import wire_alerts
    from .main_window import K_GEOMETRY, K_STATE, MainWindow
    from .notifier import DesktopNotifier
    from .people_status import PeopleStatus
    from .wall import WallScreen, show_on_screen

    # the bundled file only seeds an empty store: the views follow service.matrix, the
    # store's active published version, and its matrixChanged signal
    matrix = load_matrix_file(default_matrix_path())
    data_dir = gui_data_dir(options)
    prepare = None
    if options.demo:
        from console.app.usecases.demo import seed_demo

        target = data_dir

        def prepare() -> None:  # runs on the DB worker, before the store opens
            from console.app.runtime.service import utc_now

            seed_demo(target, matrix, utc_now(), tickets=options.tickets)

    # the author of this console's events: its shared database login (the server
    # refuses any other), else the OS login
    user = console_author(data_dir)
    sync = options.sync and not options.demo
    service = ConsoleService(data_dir, matrix, sync=sync, user=user, role=options.role,
                             prepare=prepare)
    window = MainWindow(service)
    title = "Escalation Console" + (" — demo" if options.demo else "")
    window.setWindowTitle(title)
    alerts = AlertList(window, matrix=service.matrix)
    service.matrixChanged.connect(alerts.set_matrix)
    alert_dock = window.add_dock(alerts, "Alerts", Qt.DockWidgetArea.BottomDockWidgetArea)
    first_run = window.settings.value(K_STATE) is None
    if first_run:  # a short alert strip; the queue gets the height
        window.resizeDocks([alert_dock], [170], Qt.Orientation.Vertical)
    notifier = DesktopNotifier(window)
    def show_ticket(ticket: str) -> None:
        window.show_ticket(ticket)
        window.raise_()
        window.activateWindow()

    wire_alerts(service, alerts, notifier, show_ticket)

    def open_wall() -> None:
        wall = WallScreen(service, service.matrix, parent=None)
        wall.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wall.set_rows(list(window.current_rows()))
        show_on_screen(wall, options.screen or 0)
        window._wall = wall

    window.wallRequested.connect(open_wall)

    opened = {"store": False}  # the first rows mean the store is open
    service.rowsReset.connect(lambda _rows: opened.update(store=True))

    def on_failure(message: str) -> None:
        if not opened["store"]:  # whatever the cause, this console cannot start
            _fail_at_start(window, data_dir, message)
        elif "cannot" in message or "full" in message:
            QMessageBox.critical(window, "Escalation Console", message)
        else:
            window.statusBar().showMessage(message, 10000)

    service.failed.connect(on_failure)
    service.ready.connect(lambda: _listen_for_raise(window, data_dir))
    # menus in the order people reach for them: Ticket, Matrix, Notifications
    ticket_menu = _wire_forms(window, service)
    people = PeopleStatus(window, service, ignored_role=options.role)
    window._people = people
    ticket_menu.addSeparator()
    ticket_menu.addAction(people.action)
    _wire_matrix(window, service)
    _wire_reports(window, service, show_ticket)
    _wire_notifications(window, service, on_failure)
    if options.wall:
        service.ready.connect(open_wall)
    if window.settings.value(K_GEOMETRY) is None:
        # first run: fill the screen (set it explicitly: without a window manager,
        # e.g. on a kiosk or under Xvfb, showMaximized alone does nothing)
        screen = window.screen() or QApplication.primaryScreen()
        if screen is not None:
            window.setGeometry(screen.availableGeometry())
        window.showMaximized()
    else:
        window.show()
    service.start()
    return window, service


def chart_role(person: Person | None) -> str:
    """The role the flowchart opens with: the person's ("disabled" for a disabled
    person, "" while nobody knows who they are)."""
    if person is None:
        return ""
    return "disabled" if person.disabled else person.role


def _wire_matrix(window: MainWindow, service: ConsoleService) -> None:
    """The Matrix menu: the flowchart, editable and publishable by the persons who may
    (a lead or an admin, as the shared database says; ``--role`` in local-only mode)."""

    def open_chart() -> None:
        from .flowchart import open_flowchart

        chart = open_flowchart(service, service.matrix, chart_role(service.person),
                               parent=None)
        chart.follow_person(chart_role)  # the server's answer, a promotion, a demotion
        window._flowchart = chart

    menu = window.menuBar().addMenu("&Matrix")
    action = menu.addAction("&Flowchart…")
    action.setShortcut("Ctrl+M")
    action.triggered.connect(open_chart)


def _wire_reports(window: MainWindow, service: ConsoleServicePort,
                  show_ticket: Callable[[str], None]) -> None:
    """The Reports menu: is the matrix working? A ticket activated in the window's
    list is shown in the queue."""

    def open_reports() -> None:
        from .reports import ReportsWindow

        reports = ReportsWindow(service)
        reports.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        reports.ticketActivated.connect(show_ticket)
        screen = window.screen() or QApplication.primaryScreen()
        if screen is not None:  # most of the screen: two columns of charts on a wide one
            area = screen.availableGeometry()
            reports.setGeometry(area.adjusted(area.width() // 20, area.height() // 20,
                                              -area.width() // 20, -area.height() // 20))
        reports.show()
        window._reports = reports

    menu = window.menuBar().addMenu("&Reports")
    action = menu.addAction("&Escalation reports…")
    action.setShortcut("Ctrl+R")
    action.triggered.connect(open_reports)


def _wire_forms(window: MainWindow, service: ConsoleServicePort) -> QMenu:
    """The agents' forms, as a Ticket menu with shortcuts (see docs/forms.md). Each
    opens on the matrix in force (service.matrix) and follows matrixChanged."""
    from PySide6.QtGui import QAction, QKeySequence

    from . import forms

    menu = window.menuBar().addMenu("&Ticket")

    def act(text: str, keys: str, slot: Callable[[], object]) -> QAction:
        action = menu.addAction(text)
        action.setShortcut(QKeySequence(keys))
        action.triggered.connect(slot)
        return action

    def with_row(fn: Callable[[QueueRow], object]) -> None:
        row = window.details.row
        if row is None:
            window.statusBar().showMessage("Select a ticket first", 4000)
            return
        fn(row)

    def new_ticket() -> None:
        dialog = forms.open_intake(service, service.matrix, window)
        dialog.submitted.connect(window.show_ticket)

    act("&New ticket…", "Ctrl+N", new_ticket)
    menu.addSeparator()
    act("Set &initial severity…", "Ctrl+Shift+I", lambda: with_row(
        lambda r: forms.open_severity(service, service.matrix, r, "support", window)))
    act("&Confirm severity…", "Ctrl+Shift+C", lambda: with_row(
        lambda r: forms.open_severity(service, service.matrix, r, "engineering", window)))
    act("&Hand off…", "Ctrl+Shift+H", lambda: with_row(
        lambda r: forms.open_handoff(service, service.matrix, r, window)))
    act("&Decision authority…", "Ctrl+Shift+A", lambda: with_row(
        lambda r: forms.open_approval(service, service.matrix, r, window)))
    return menu


def _wire_notifications(window: MainWindow, service: ConsoleService,
                        on_failure: Callable[[str], None]) -> None:
    """Notification chains (Slack, Teams, email, PagerDuty, webhooks) and their menu.
    It takes the service itself: the composition root starts the runner on its store."""
    from console.app.runtime.notices import desktop_text
    from console.app.runtime.notify_handle import start_notifications

    from .channels_dialog import ChannelsDialog
    from .dead_letters import DeadLettersDialog

    notifications = start_notifications(service)
    window._notifications = notifications
    notifications.failed.connect(on_failure)
    notifications.desktopMessage.connect(
        lambda m: window.statusBar().showMessage(desktop_text(m)[0], 15000))

    def open_channels() -> None:
        dialog = ChannelsDialog(service.data_dir, service.matrix, parent=window)
        dialog.saved.connect(notifications.reload)
        dialog.secretsChanged.connect(notifications.reload)
        dialog.open()

    def open_dead_letters() -> None:
        dialog = DeadLettersDialog(service, parent=window)
        dialog.retried.connect(notifications.wake)
        dialog.open()

    menu = window.menuBar().addMenu("&Notifications")
    menu.addAction("&Channels…").triggered.connect(open_channels)
    menu.addAction("&Dead letters…").triggered.connect(open_dead_letters)


def main() -> int:  # pragma: no cover - convenience for `python -m console.ui.app`
    return run_gui(sys.argv[1:])
