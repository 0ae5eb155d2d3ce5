"""The running notifier inside the GUI: ``start_notifications(service)`` starts the
runner on its own thread once the service's store is open (nothing here runs on the GUI
thread: building the runner reads the keyring and connects to the shared database, so
that happens on the runner thread), wakes it on every change, and stops it on quit.

Kept apart from ``notify_ops`` because it needs Qt signals, and the headless commands
that use ``notify_ops`` must never load PySide6.

While an escalation service is live on the shared database, this console sends no
external notifications (its desktop alerts stay): the dispatcher's ``may_send`` is a
``ServicePresence`` check, refreshed every few seconds on a notifier thread, never on
the GUI thread; ``pagingChanged`` tells the views who pages.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal

from console.app.notify_ops import build_runner, load_config, open_claims
from console.app.notify_secrets import NotifySecrets, Secrets
from console.notify.channels import build_channels
from console.notify.runner import NotifyRunner
from console.store.deliveries import SharedClaims
from console.store.lease import NO_SERVICE, ServicePresence
from console.store.local import LocalStore

log = logging.getLogger(__name__)
# A console holding deliveries back for a service looks at them again this often: it
# steps in only after the takeover time anyway, so there is no hurry.
CONSOLE_GATE_INTERVAL = 5.0


class NotificationHandle(QObject):
    """The running notifier: wake it, stop it, and receive its desktop messages."""

    desktopMessage = Signal(dict)  # a chain step for this console's desktop (GUI thread)
    failed = Signal(str)
    pagingChanged = Signal(str)    # "service host-a" or "this console (no service)"

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner: NotifyRunner | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._store: LocalStore | None = None
        self.presence: ServicePresence | None = None
        self._watcher: threading.Thread | None = None
        self._secrets: Secrets | None = None  # the runner's, re-read after a reload

    def start(self, store: LocalStore, **kwargs: Any) -> None:
        if self._thread is not None:
            return
        self._store = store

        def main() -> None:
            try:
                options = self._gate(store, dict(kwargs))
                self._secrets = options.setdefault("secrets", NotifySecrets())
                self.runner = build_runner(store, show=self.desktopMessage.emit, **options)
                if self.presence is not None:
                    self.runner.dispatcher.gate_interval = CONSOLE_GATE_INTERVAL
                self.runner.run(self._stop)
            except Exception as exc:
                log.exception("notifications stopped")
                self.failed.emit(f"notifications stopped: {exc}")

        self._thread = threading.Thread(target=main, name="console-notify", daemon=True)
        self._thread.start()

    def _gate(self, store: LocalStore, options: dict[str, Any]) -> dict[str, Any]:
        """On the notifier thread: claims on the shared database and, with them, the
        service presence check as the dispatcher's ``may_send``."""
        if options.get("claims", "auto") == "auto":
            config = options.get("config") or load_config(store.data_dir)
            options["claims"] = open_claims(store, float(config.get("lease_seconds", 120.0)))
        claims = options["claims"]
        if not isinstance(claims, SharedClaims) or "may_send" in options:
            self.pagingChanged.emit(NO_SERVICE)  # no shared database: no service either
            return options
        self.presence = ServicePresence(claims.db)
        options["may_send"] = self.presence.may_send
        self._watcher = threading.Thread(target=self._watch, args=(self.presence,),
                                         name="console-presence", daemon=True)
        self._watcher.start()
        return options

    def _watch(self, presence: ServicePresence) -> None:
        """Refresh the presence every few seconds; tell the views who pages."""
        shown = None
        while not self._stop.is_set():
            presence.refresh()
            if presence.paging != shown:
                shown = presence.paging
                self.pagingChanged.emit(shown)
            self._stop.wait(presence.refresh_every)

    def reload(self, *_: Any) -> None:
        """Apply changed channel settings and secrets (after the Channels dialog saved)."""
        runner = self.runner
        if runner is None:
            return

        def work() -> None:
            config = load_config(runner.oncall_dir or ".")
            runner.dispatcher.channels = build_channels(config, self.desktopMessage.emit)
            if self._secrets is not None:
                self._secrets.invalidate()
            runner.wake()

        threading.Thread(target=work, name="console-notify-reload", daemon=True).start()

    def wake(self, *_: Any) -> None:
        if self.runner is not None:
            self.runner.wake()

    def stop(self) -> None:
        self._stop.set()
        self.wake()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._watcher is not None:
            self._watcher.join(timeout=10)
            self._watcher = None
        if self.runner is not None and self._store is not None:
            self._store.unfollow_matrix(self.runner.set_matrix)
        claims = self.runner.dispatcher.claims if self.runner is not None else None
        if isinstance(claims, SharedClaims):
            claims.close()


def start_notifications(service: Any, **kwargs: Any) -> NotificationHandle:
    """Run notification chains for a ConsoleService: starts once its store is open,
    wakes on every change the service sees, stops before the application quits."""
    handle = NotificationHandle(service)
    started = {"done": False}
    kwargs.setdefault("on_actions", service.actions_recorded)  # push and show them
    kwargs.setdefault("author", service.user)  # the engine's actions: this console's login

    def begin() -> None:
        if not started["done"]:
            started["done"] = True
            handle.start(service.store, clock=service.clock, **kwargs)

    if service.ready_once:
        begin()
    else:
        service.ready.connect(begin)
    service.rowsChanged.connect(handle.wake)
    service.rowsReset.connect(handle.wake)
    handle.pagingChanged.connect(service.set_paging)
    app = QCoreApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(handle.stop)
    return handle
