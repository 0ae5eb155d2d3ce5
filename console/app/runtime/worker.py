"""One serial worker thread for all database work; results come back as signals.

The GUI thread never touches the database: it submits a function and gets its result
(or error) delivered on the GUI thread through a queued signal. Never call UI code
inside the submitted function.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Signal, Slot

log = logging.getLogger(__name__)


class DbWorker(QObject):
    _finished = Signal(object, object, object)  # (callback, result, error callback/exception)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="console-db")
        self._finished.connect(self._deliver)

    def submit(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
               on_error: Callable[[BaseException], None] | None = None) -> Future[Any]:
        """Run ``fn`` on the worker; call ``on_done(result)`` or ``on_error(exc)`` on the
        thread that owns this object (the GUI thread)."""
        future = self._pool.submit(fn)

        def done(f: Future[Any]) -> None:
            error = f.exception()
            if error is not None:
                self._finished.emit(on_error, None, error)
            elif on_done is not None:
                self._finished.emit(on_done, f.result(), None)

        future.add_done_callback(done)
        return future

    @Slot(object, object, object)
    def _deliver(self, callback: Any, result: Any, error: Any) -> None:
        owner = getattr(callback, "__self__", None)
        if isinstance(owner, QObject) and not shiboken6.isValid(owner):
            return  # its widget was closed and deleted while the work ran: nobody to tell
        if error is not None:
            if callback is not None:
                callback(error)
            else:
                log.error("background database work failed: %s", error)
            return
        callback(result)

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=False)
