"""The flowchart editor's Preview impact, run in the background (issue 16).

``service.whatif.start(draft, active, days)`` gives a ``PreviewRun``: the store's events
of the tickets opened in the last ``days`` days are read on the service's DB worker,
then a thread of its own calls ``usecases.whatif.preview.preview``, which replays both
versions in worker processes; that thread only waits for them. The GUI thread does
neither: it hears ``progressed``, then one of ``finished`` (the ``Impact``), ``failed``
(a sentence) or ``cancelled``. ``cancel()`` stops the run; the worker processes are
terminated and reaped before ``cancelled`` is announced.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Protocol

from PySide6.QtCore import QObject, Signal

from console.app.runtime.worker import DbWorker
from console.app.usecases.event_kinds import MATRIX_STREAM
from console.app.usecases.export import Window, export_events
from console.app.usecases.whatif.parallel import Cancelled, WorkerCrashed
from console.app.usecases.whatif.preview import preview
from console.domain.matrix import Matrix
from console.domain.tickets import TicketEvent
from console.store.local import LocalStore

__all__ = ["PreviewRun", "WhatifActions"]


class ServiceLike(Protocol):
    """What the preview needs of the ConsoleService."""

    worker: DbWorker
    store: LocalStore

    def clock(self) -> datetime: ...


def window_events(store: LocalStore, window_from: datetime) -> list[TicketEvent]:
    """The ticket events from ``window_from`` on (a ticket opened in the window has no
    earlier one), in time order, from one snapshot (call on the DB worker)."""
    return [e.to_domain() for e in export_events(store, Window(start=window_from))
            if e.ticket != MATRIX_STREAM]


class PreviewRun(QObject):
    """One preview in the background (see the module docstring). Signals arrive on the
    GUI thread; exactly one of ``finished``, ``failed`` and ``cancelled`` ends a run."""

    progressed = Signal(int, int)   # tickets replayed, tickets in all
    finished = Signal(object)       # Impact
    failed = Signal(str)            # a sentence for the lead
    cancelled = Signal()

    def __init__(self, service: ServiceLike, draft: Matrix, active: Matrix,
                 window_from: datetime, window_to: datetime, workers: int | None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self.draft, self.active = draft, active
        self.window_from, self.window_to = window_from, window_to
        self._workers = workers
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Read the events on the DB worker, then replay them on a thread of its own."""
        store, window_from = self._service.store, self.window_from
        self._service.worker.submit(lambda: window_events(store, window_from),
                                    self._replay, self._read_failed)

    def cancel(self) -> None:
        """Stop the run: ``cancelled`` follows once its worker processes are gone."""
        self._cancel.set()

    def wait(self, timeout: float = 10.0) -> None:
        """Block until the replay thread ended (the editor closing)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _read_failed(self, error: BaseException) -> None:
        self.failed.emit(f"Could not read the store's tickets: {error}")

    def _replay(self, events: list[TicketEvent]) -> None:
        if self._cancel.is_set():
            self.cancelled.emit()
            return
        self._thread = threading.Thread(target=self._run, args=(events,),
                                        name="console-whatif", daemon=True)
        self._thread.start()

    def _run(self, events: list[TicketEvent]) -> None:
        from console.app.sentiment import vader_compound

        try:
            result = preview(self.draft, self.active, events, self.window_from,
                             self.window_to, vader_compound, workers=self._workers,
                             progress=self.progressed.emit, cancel=self._cancel)
        except Cancelled:
            self.cancelled.emit()
        except WorkerCrashed as exc:
            first = str(exc).splitlines()[0].rstrip(":")
            self.failed.emit(f"The preview stopped: {first}. Nothing was changed; "
                             "try again, or with a shorter window.")
        except Exception as exc:  # said to the lead: never a hung progress bar
            self.failed.emit(f"The preview failed: {exc}")
        else:
            self.finished.emit(result)


class WhatifActions:
    """The preview the flowchart editor asks for (``service.whatif`` on the port)."""

    def __init__(self, service: ServiceLike) -> None:
        self._service = service

    def start(self, draft: Matrix, active: Matrix, days: int, *,
              workers: int | None = None, parent: QObject | None = None) -> PreviewRun:
        """Replay the tickets opened in the last ``days`` days through ``draft`` and
        ``active`` (see ``PreviewRun``); ``workers`` processes (default: the CPU
        count)."""
        window_to = self._service.clock()
        run = PreviewRun(self._service, draft, active, window_to - timedelta(days=days),
                         window_to, workers, parent)
        run.start()
        return run

