"""Desktop notifications for SLA alerts: freedesktop D-Bus first, the tray as a fallback.

Over 400 lines on purpose: one D-Bus client; the typed-call workaround below and the
signals coming back from the daemon share its private connection and its id map.

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

No flood: servers cap how many notifications they hold (GNOME's notification-daemon
refuses the 21st with ``MaxNotificationsExceeded``, replacements included, and never
expires critical ones). So the notifier keeps at most ``max_on_screen`` of its own:
an entry already on screen is updated in place (``replaces_id``); past the cap the
oldest is folded with the newcomers into one "N more alerts" notification, itself
updated in place; an acknowledged alert's notification is closed
(``CloseNotification``). If the server is full anyway (other applications), the
oldest of ours makes room. The Alerts panel always lists everything.
"""

from __future__ import annotations

import html
import logging
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Q_ARG, Q_RETURN_ARG, SLOT, QMetaObject, QObject, Qt, Signal, Slot
from PySide6.QtDBus import QDBusArgument, QDBusConnection, QDBusInterface, QDBusMessage
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QSystemTrayIcon

from console.app.runtime.alerts import AlertBatch, AlertEntry, AlertNotice, AlertSummary
from console.domain.alerts import Attention, by_severity
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
SUMMARY_ACTIONS = ["open", "Open most urgent"]
URGENCY = {"pre_breach": 1, "breach": 2}
MAX_ON_SCREEN = 4  # of ours at once; notification-daemon holds 20 from everyone
MAX_TRACKED = 256  # notification ids remembered for their actions
OVERFLOW_KEY = "summary|overflow"
FULL_ERROR = "org.freedesktop.Notifications.MaxNotificationsExceeded"


def icon_path() -> str:
    return str(resources_dir() / "icons" / "escalation-console.svg")


def summary_and_body(entry: AlertEntry) -> tuple[str, str]:
    """The notification's summary line and body text for an alert or a summary."""
    if isinstance(entry, AlertSummary):
        lines = [entry.detail]
        if entry.kind == "backlog":
            lines.append("Deadlines that passed before this console first started.")
        elif entry.kind == "overflow":
            lines.append("See the Alerts panel.")
        return entry.headline, "\n".join(lines)
    alert = entry.alert
    what = "BREACHED" if alert.threshold == "breach" else "about to breach"
    summary = f"{alert.severity} {alert.ticket}: {alert.clock} {what}"
    due = alert.due.astimezone()
    lines = [entry.title] if entry.title else []
    lines.append(f"{alert.clock.capitalize()} due {due:%H:%M}")
    if entry.late:
        lines.append("Fell due while the console was closed.")
    return summary, "\n".join(lines)


def keys_of(entry: AlertEntry) -> frozenset[str]:
    """The alert keys a notification stands for: acknowledging all of them closes it."""
    if isinstance(entry, AlertSummary) and entry.keys:
        return entry.keys
    return frozenset([entry.key])


def overflow_summary(entries: list[AlertEntry]) -> AlertSummary:
    """``5 more alerts: 2 P1, 3 P2`` standing for entries that did not get their own."""
    items: list[Attention] = []
    severities: list[str] = []
    keys: set[str] = set()
    for e in entries:
        keys |= keys_of(e)
        if isinstance(e, AlertSummary):
            items.extend(e.items)
            severities.extend(i.severity for i in e.items)
        else:
            a = e.alert
            items.append(Attention(a.ticket, a.severity, "breached" if e.breach
                                   else "pre_breach", a.clock, a.due, e.title))
            severities.append(a.severity)
    unique = {i.ticket: i for i in sorted(items, key=lambda i: i.rank, reverse=True)}
    ranked = tuple(sorted(unique.values(), key=lambda i: (i.rank, i.ticket)))
    n = len(severities)
    headline = f"{n} more {'alert' if n == 1 else 'alerts'}: {by_severity(severities)}"
    return AlertSummary(OVERFLOW_KEY, "overflow", headline, ranked, frozenset(keys))


@dataclass(slots=True)
class _Shown:
    """One of our notifications on screen."""

    entry: AlertEntry
    keys: set[str] = field(default_factory=set)


class _NotificationsPrototype(QObject):
    """Notify's signature with Qt types; published only while we introspect it."""

    @Slot(str, "uint", str, str, str, "QStringList", "QVariantMap", int, result="uint")
    def Notify(self, *args: Any) -> int:
        return 0

    @Slot("uint")
    def CloseNotification(self, *args: Any) -> None:
        pass


class DesktopNotifier(QObject):
    """Raises desktop notifications for alerts; ``backend`` says how."""

    acknowledgeRequested = Signal(str, str)  # ticket, alert key
    openRequested = Signal(str)              # ticket

    def __init__(self, parent: QObject | None = None, *, bus: QDBusConnection | None = None,
                 tray: QSystemTrayIcon | None = None, timeout_ms: int = 2000,
                 max_on_screen: int = MAX_ON_SCREEN) -> None:
        super().__init__(parent)
        self.max_on_screen = max(2, max_on_screen)  # room for one alert and the overflow
        self._cap = self.max_on_screen  # lower while the server is full of others' ones
        self._tries = 0
        self._shown: OrderedDict[int, _Shown] = OrderedDict()  # ours on screen, oldest first
        self._by_key: dict[str, int] = {}
        self._overflow: list[AlertEntry] = []  # entries folded into "N more alerts"
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
            if not bus.connect("", PATH, INTERFACE, name, self,
                               SLOT(slot)):  # type: ignore[call-overload]  # stub wants bytes
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
    def show(self, batch: AlertBatch) -> None:
        """Put a check's desktop entries on screen (restored ones stay in the panel)."""
        for entry in batch.desktop:
            self.notify(entry)

    def notify(self, entry: AlertEntry) -> None:
        """Show one alert or summary on the desktop; never raises."""
        try:
            if self._backend == "dbus":
                self._tries = 0
                if self._notify_capped(entry):
                    return
                if not self._setup_tray():
                    return
            if self._tray is not None:
                summary, body = summary_and_body(entry)
                kind = (QSystemTrayIcon.MessageIcon.Critical if entry.breach
                        else QSystemTrayIcon.MessageIcon.Warning)
                # the tray shows one message at a time: a new one replaces the last
                self._tray.showMessage(summary, body, kind, 0 if entry.breach else 15000)
                self._tray_ticket = entry.ticket
        except Exception:  # a notification must never take the console down
            log.exception("desktop notification failed for %s", entry.key)

    @property
    def on_screen(self) -> list[AlertEntry]:
        """Our notifications on screen, oldest first."""
        return [shown.entry for shown in self._shown.values()]

    def _notify_capped(self, entry: AlertEntry) -> bool:
        nid = self._by_key.get(entry.key)
        if nid is not None:  # already on screen: update it in place
            return self._send(entry, replaces=nid)
        if len(self._shown) >= self._cap:
            return self._fold(entry)
        return self._send(entry)

    def _fold(self, entry: AlertEntry) -> bool:
        """Past the cap: the newcomer (and, to make room, our oldest) go into the one
        "N more alerts" notification."""
        overflow = self._by_key.get(OVERFLOW_KEY)
        if overflow is None:
            oldest_nid, oldest = next(iter(self._shown.items()))
            self._close(oldest_nid)
            self._overflow = [oldest.entry]
        self._overflow.append(entry)
        return self._send(overflow_summary(self._overflow), replaces=overflow or 0)

    def _send(self, entry: AlertEntry, replaces: int = 0) -> bool:
        summary, body = summary_and_body(entry)
        nid, error = self._notify_dbus(entry, summary, body, replaces)
        if not nid and error == FULL_ERROR and self._tries < 3:
            self._tries += 1
            if replaces:  # a full server refuses even an update: close, show afresh
                self._close(replaces)
                return self._send(entry)
            if not self._shown:
                return False
            # full of other applications' notifications: hold fewer of ours for now
            self._cap = len(self._shown)
            log.info("notification server full: keeping %d of ours on screen", self._cap)
            return self._fold(entry)
        if not nid and replaces and error and error != FULL_ERROR:
            self._forget(replaces)  # it was closed meanwhile: show it afresh
            return self._notify_capped(entry)
        if not nid:
            return False
        self._remember(nid, entry)
        return True

    def _notify_dbus(self, entry: AlertEntry, summary: str, body: str, replaces: int = 0
                     ) -> tuple[int, str]:
        """Notify over D-Bus; returns (id, "") or (0, the D-Bus error name)."""
        interface = self._interface
        if interface is None:
            return 0, ""
        threshold = "breach" if entry.breach else "pre_breach"
        kind = threshold if isinstance(entry, AlertNotice) else f"summary.{entry.kind}"
        hints = {"urgency": self._urgency[threshold], "desktop-entry": DESKTOP_ENTRY,
                 "category": f"x-escalation-console.{kind}"}
        actions = ACTIONS if isinstance(entry, AlertNotice) else SUMMARY_ACTIONS
        # the stubs say bool; with Q_RETURN_ARG PySide6 returns the method's answer
        nid: Any = QMetaObject.invokeMethod(
            interface, "Notify", Qt.ConnectionType.DirectConnection, Q_RETURN_ARG("uint"),
            Q_ARG(str, APP_NAME), Q_ARG("uint", replaces), Q_ARG(str, icon_path()),
            Q_ARG(str, summary), Q_ARG(str, html.escape(body, quote=False)),
            Q_ARG("QStringList", actions), Q_ARG("QVariantMap", hints), Q_ARG(int, -1))
        error = interface.lastError()
        if not nid and error.isValid():
            log.warning("D-Bus Notify failed: %s %s", error.name(), error.message())
            return 0, error.name()
        return int(nid or 0), ""

    def _remember(self, nid: int, entry: AlertEntry) -> None:
        self.last_id = nid
        old = self._shown.pop(nid, None)
        if old is not None and self._by_key.get(old.entry.key) == nid:
            del self._by_key[old.entry.key]
        self._shown[nid] = _Shown(entry, set(keys_of(entry)))
        self._by_key[entry.key] = nid
        while len(self._shown) > MAX_TRACKED:  # only if the server never says "closed"
            self._forget(next(iter(self._shown)))

    def _forget(self, nid: int) -> None:
        shown = self._shown.pop(nid, None)
        if shown is not None and self._by_key.get(shown.entry.key) == nid:
            del self._by_key[shown.entry.key]
        if not self._shown:
            self._cap = self.max_on_screen

    def ticket_for(self, nid: int) -> tuple[str, str] | None:
        shown = self._shown.get(nid)
        return None if shown is None else (shown.entry.ticket, shown.entry.key)

    # -- closing --------------------------------------------------------------------------
    def close_acknowledged(self, keys: Iterable[str]) -> None:
        """Close our notifications whose alerts are all acknowledged now."""
        done = set(keys)
        for nid, shown in list(self._shown.items()):
            shown.keys -= done
            if not shown.keys:
                self._close(nid)
        if self._overflow:
            left = [e for e in self._overflow if keys_of(e) - done]
            overflow = self._by_key.get(OVERFLOW_KEY)
            if left and overflow is not None and len(left) < len(self._overflow):
                self._overflow = left  # "N more alerts" counts only what still waits
                self._tries = 0
                self._send(overflow_summary(left), replaces=overflow)
            self._overflow = left

    def _close(self, nid: int) -> None:
        self._forget(nid)
        if self._interface is None:
            return
        try:
            QMetaObject.invokeMethod(self._interface, "CloseNotification",
                                     Qt.ConnectionType.DirectConnection, Q_ARG("uint", nid))
        except Exception:  # e.g. the daemon went away; it is forgotten either way
            log.exception("closing notification %s failed", nid)

    # -- what the user did ----------------------------------------------------------------
    @Slot("uint", str)
    def _on_action(self, nid: int, action: str) -> None:
        target = self.ticket_for(int(nid))
        if target is None:
            return  # another application's notification
        ticket, key = target
        if action == "ack" and not key.startswith("summary|"):
            self.acknowledgeRequested.emit(ticket, key)
        elif action in ("open", "default") and ticket:
            self.openRequested.emit(ticket)

    @Slot("uint", "uint")
    def _on_closed(self, nid: int, reason: int) -> None:
        shown = self._shown.get(int(nid))
        if shown is not None and shown.entry.key == OVERFLOW_KEY:
            self._overflow = []  # dismissed or expired: the next overflow starts afresh
        self._forget(int(nid))

    def _on_tray_clicked(self) -> None:
        if self._tray_ticket:
            self.openRequested.emit(self._tray_ticket)
