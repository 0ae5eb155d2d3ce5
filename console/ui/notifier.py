"""Desktop notifications for SLA alerts: freedesktop D-Bus first, the tray as a fallback.

The D-Bus call needs exact types: ``Notify(s u s s s as a{sv} i)``, with a uint32
``replaces_id`` and a byte ``urgency`` hint. PySide6 turns every Python int into an
int32 (or, through ``QDBusArgument <<``, a uint16), and GLib-based daemons reject the
call. What works in PySide6 6.12:

* uint32: QtDBus marshals a call made through a QDBusInterface's meta-object with
  the C++ types of that method. Daemons introspect ``hints`` as a raw ``a{sv}``, which
  leaves Notify uncallable that way, so on our own private connection we first
  publish a typed prototype of the interface (a slot taking ``uint`` and
  ``QVariantMap``), introspect it once, and QtDBus reuses that cached meta-object for
  the real daemon's interface. ``QMetaObject.invokeMethod(..., Q_ARG("uint", 0))``
  then sends a real uint32.
* byte: ``QDBusArgument() << "\\x02"`` (a one-character str) writes a ``y``; as a
  ``QVariantMap`` value it goes out as a variant holding that byte.

ActionInvoked and NotificationClosed come back as D-Bus signals; notification ids
map to the ticket and alert key, and the Qt signals below carry them to the app.
"""

from __future__ import annotations

import html
import logging
from collections import OrderedDict
from typing import Any

from PySide6.QtCore import Q_ARG, Q_RETURN_ARG, SLOT, QMetaObject, QObject, Qt, Signal, Slot
from PySide6.QtDBus import QDBusArgument, QDBusConnection, QDBusInterface, QDBusMessage
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QSystemTrayIcon

from console.app.alerts import AlertNotice
from console.paths import resources_dir

log = logging.getLogger(__name__)

APP_NAME = "Escalation Console"
DESKTOP_ENTRY = "escalation-console"
SERVICE = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
INTERFACE = "org.freedesktop.Notifications"
CONNECTION_NAME = "escalation-console-notifier"
PROTOTYPE_PATH = "/EscalationConsole/NotificationsPrototype"
NOTIFY_SIGNATURE = "Notify(QString,uint,QString,QString,QString,QStringList,QVariantMap,int)"
ACTIONS = ["ack", "Acknowledge", "open", "Open ticket"]
URGENCY = {"pre_breach": 1, "breach": 2}
MAX_TRACKED = 256  # notification ids remembered for their actions


def icon_path() -> str:
    return str(resources_dir() / "icons" / "escalation-console.svg")


def summary_and_body(notice: AlertNotice) -> tuple[str, str]:
    alert = notice.alert
    what = "BREACHED" if alert.threshold == "breach" else "about to breach"
    summary = f"{alert.severity} {alert.ticket}: {alert.clock} {what}"
    due = alert.due.astimezone()
    lines = [notice.title] if notice.title else []
    lines.append(f"{alert.clock.capitalize()} due {due:%H:%M}")
    if notice.late:
        lines.append("Fell due while the console was closed.")
    return summary, "\n".join(lines)


class _NotificationsPrototype(QObject):
    """Notify's signature with Qt types; published only while we introspect it."""

    @Slot(str, "uint", str, str, str, "QStringList", "QVariantMap", int, result="uint")
    def Notify(self, *args: Any) -> int:
        return 0


class DesktopNotifier(QObject):
    """Raises desktop notifications for alerts; ``backend`` says how."""

    acknowledgeRequested = Signal(str, str)  # ticket, alert key
    openRequested = Signal(str)              # ticket

    def __init__(self, parent: QObject | None = None, *, bus: QDBusConnection | None = None,
                 tray: QSystemTrayIcon | None = None, timeout_ms: int = 2000) -> None:
        super().__init__(parent)
        self._ids: OrderedDict[int, tuple[str, str]] = OrderedDict()
        self._interface: QDBusInterface | None = None
        self._bus: QDBusConnection | None = None
        self._tray = tray
        self._tray_ticket = ""
        self._urgency = {k: self._byte(v) for k, v in URGENCY.items()}
        self.last_id = 0
        if self._setup_dbus(bus, timeout_ms):
            self._backend = "dbus"
        elif self._setup_tray():
            self._backend = "tray"
        else:
            self._backend = "none"
        log.info("desktop notifications: %s", self._backend)

    @property
    def backend(self) -> str:
        """``dbus``, ``tray`` or ``none`` (the in-app alert list still shows everything)."""
        return self._backend

    # -- set-up -------------------------------------------------------------------------
    @staticmethod
    def _byte(value: int) -> QDBusArgument:
        arg = QDBusArgument()
        arg << chr(value)  # a one-character str marshals as a D-Bus byte
        return arg

    def _setup_dbus(self, bus: QDBusConnection | None, timeout_ms: int) -> bool:
        if bus is None:
            bus = QDBusConnection.connectToBus(QDBusConnection.BusType.SessionBus,
                                               CONNECTION_NAME)
        if not bus.isConnected():
            log.info("no D-Bus session bus: %s", bus.lastError().message() or "not connected")
            return False
        if not self._service_present(bus):
            log.info("no desktop notification service on the session bus")
            return False
        interface = self._typed_interface(bus)
        if interface is None:
            return False
        interface.setTimeout(timeout_ms)
        for name, slot in (("ActionInvoked", "_on_action(uint,QString)"),
                           ("NotificationClosed", "_on_closed(uint,uint)")):
            # any sender: the daemon's unique name changes when it restarts
            if not bus.connect("", PATH, INTERFACE, name, self, SLOT(slot)):
                log.warning("cannot listen to %s.%s", INTERFACE, name)
        self._bus, self._interface = bus, interface
        return True

    @staticmethod
    def _service_present(bus: QDBusConnection) -> bool:
        def ask(method: str, *args: Any) -> list[Any]:
            msg = QDBusMessage.createMethodCall("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                "org.freedesktop.DBus", method)
            msg.setArguments(list(args))
            reply = bus.call(msg, timeout=2000)
            if reply.type() != QDBusMessage.MessageType.ReplyMessage:
                return []
            return reply.arguments()

        owned = ask("NameHasOwner", SERVICE)
        if owned and owned[0]:
            return True
        names = ask("ListActivatableNames")
        return bool(names) and SERVICE in names[0]

    def _typed_interface(self, bus: QDBusConnection) -> QDBusInterface | None:
        prototype = _NotificationsPrototype()
        published = bus.registerObject(PROTOTYPE_PATH, INTERFACE, prototype,
                                       QDBusConnection.RegisterOption.ExportAllSlots)
        try:
            if published:  # introspecting it caches a typed meta-object for INTERFACE
                QDBusInterface(bus.baseService(), PROTOTYPE_PATH, INTERFACE, bus)
            interface = QDBusInterface(SERVICE, PATH, INTERFACE, bus, self)
        finally:
            if published:
                bus.unregisterObject(PROTOTYPE_PATH)
        if interface.metaObject().indexOfMethod(NOTIFY_SIGNATURE) < 0:
            log.warning("D-Bus notifications unavailable: Notify has no callable signature "
                        "(was %s introspected on this connection before?)", INTERFACE)
            return None
        return interface

    def _setup_tray(self) -> bool:
        if self._tray is not None:
            self._tray.messageClicked.connect(self._on_tray_clicked)
            return True
        if not isinstance(QGuiApplication.instance(), QGuiApplication):
            return False
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return False
        self._tray = QSystemTrayIcon(QIcon(icon_path()), self)
        self._tray.setToolTip(APP_NAME)
        self._tray.messageClicked.connect(self._on_tray_clicked)
        self._tray.show()
        return True

    # -- notifying ----------------------------------------------------------------------
    def notify(self, notice: AlertNotice) -> None:
        """Show one alert on the desktop; never raises."""
        summary, body = summary_and_body(notice)
        try:
            if self._backend == "dbus":
                nid = self._notify_dbus(notice, summary, body)
                if nid:
                    self._remember(nid, notice)
                    return
                if not self._setup_tray():
                    return
            if self._tray is not None:
                critical = notice.alert.threshold == "breach"
                kind = (QSystemTrayIcon.MessageIcon.Critical if critical
                        else QSystemTrayIcon.MessageIcon.Warning)
                self._tray.showMessage(summary, body, kind, 0 if critical else 15000)
                self._tray_ticket = notice.alert.ticket
        except Exception:  # a notification must never take the console down
            log.exception("desktop notification failed for %s", notice.alert.key)

    def _notify_dbus(self, notice: AlertNotice, summary: str, body: str) -> int:
        interface = self._interface
        if interface is None:
            return 0
        hints = {"urgency": self._urgency.get(notice.alert.threshold, self._urgency["breach"]),
                 "desktop-entry": DESKTOP_ENTRY,
                 "category": f"x-escalation-console.{notice.alert.threshold}"}
        nid = QMetaObject.invokeMethod(
            interface, "Notify", Qt.ConnectionType.DirectConnection, Q_RETURN_ARG("uint"),
            Q_ARG(str, APP_NAME), Q_ARG("uint", 0), Q_ARG(str, icon_path()),
            Q_ARG(str, summary), Q_ARG(str, html.escape(body, quote=False)),
            Q_ARG("QStringList", ACTIONS), Q_ARG("QVariantMap", hints), Q_ARG(int, -1))
        error = interface.lastError()
        if not nid and error.isValid():
            log.warning("D-Bus Notify failed: %s %s", error.name(), error.message())
        return int(nid or 0)

    def _remember(self, nid: int, notice: AlertNotice) -> None:
        self.last_id = nid
        self._ids[nid] = (notice.alert.ticket, notice.alert.key)
        self._ids.move_to_end(nid)
        while len(self._ids) > MAX_TRACKED:
            self._ids.popitem(last=False)

    def ticket_for(self, nid: int) -> tuple[str, str] | None:
        return self._ids.get(nid)

    # -- what the user did ----------------------------------------------------------------
    @Slot("uint", str)
    def _on_action(self, nid: int, action: str) -> None:
        target = self._ids.get(int(nid))
        if target is None:
            return  # another application's notification
        ticket, key = target
        if action == "ack":
            self.acknowledgeRequested.emit(ticket, key)
        elif action in ("open", "default"):
            self.openRequested.emit(ticket)

    @Slot("uint", "uint")
    def _on_closed(self, nid: int, reason: int) -> None:
        self._ids.pop(int(nid), None)

    def _on_tray_clicked(self) -> None:
        if self._tray_ticket:
            self.openRequested.emit(self._tray_ticket)
