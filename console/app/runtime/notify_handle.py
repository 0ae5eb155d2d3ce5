"""The running notifier inside the GUI: ``start_notifications(service)`` starts the
runner on its own thread once the service's store is open (nothing here runs on the GUI
thread: building the runner reads the keyring and connects to the shared database, so
that happens on the runner thread), wakes it on every change, and stops it on quit.

Kept apart from ``notify_ops`` because it needs Qt signals, and the headless commands
that use ``notify_ops`` must never load PySide6.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal

from console.app.notify_ops import build_runner, load_config
from console.notify.channels import build_channels
from console.notify.runner import NotifyRunner
from console.store.deliveries import SharedClaims
from console.store.local import LocalStore

log = logging.getLogger(__name__)


class NotificationHandle(QObject):
    """The running notifier: wake it, stop it, and receive its desktop messages."""

    desktopMessage = Signal(dict)  # a chain step for this console's desktop (GUI thread)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner: NotifyRunner | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._store: LocalStore | None = None

    def start(self, store: LocalStore, **kwargs: Any) -> None:
        if self._thread is not None:
            return
        self._store = store

        def main() -> None:
            try:
                self.runner = build_runner(store, show=self.desktopMessage.emit, **kwargs)
                self.runner.run(self._stop)
            except Exception as exc:
                log.exception("notifications stopped")
                self.failed.emit(f"notifications stopped: {exc}")

        self._thread = threading.Thread(target=main, name="console-notify", daemon=True)
        self._thread.start()

    def reload(self, *_: Any) -> None:
        """Apply changed channel settings and secrets (after the Channels dialog saved)."""
        runner = self.runner
        if runner is None:
            return

        def work() -> None:
            config = load_config(runner.oncall_dir or ".")
            runner.dispatcher.channels = build_channels(config, self.desktopMessage.emit)
            source = getattr(runner.dispatcher, "secret_source", None)
            if source is not None:
                source.invalidate()
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
    app = QCoreApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(handle.stop)
    return handle
