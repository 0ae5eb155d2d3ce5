"""The flowchart editor's Preview impact, run in the background (issue 16).

``service.whatif.start(draft, active, days)`` gives a ``PreviewRun``: a thread of its
own calls ``usecases.whatif.preview.preview`` on the tickets opened in the last ``days``
days, which replays both versions in worker processes; that thread only feeds and waits
for them. The store is read a batch of tickets at a time (``whatif.source``), each
batch a job of the service's DB worker, so other database work runs between them. The
GUI thread does neither: it hears ``progressed`` and, now and then, ``provisional``
(the comparison over the tickets done so far), then one of ``finished`` (the
``Impact``), ``failed`` (a sentence) or ``cancelled``. ``cancel()`` stops the run; the
worker processes are terminated and reaped before ``cancelled`` is announced.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from PySide6.QtCore import QObject, Signal

from console.app.runtime.worker import DbWorker
from console.app.usecases.whatif.parallel import Cancelled, WorkerCrashed
from console.app.usecases.whatif.preview import preview
from console.app.usecases.whatif.source import Read, from_store
from console.domain.matrix import Matrix
from console.store.local import LocalStore
from console.store.unit import UnitOfWork

__all__ = ["PreviewRun", "WhatifActions"]

T = TypeVar("T")


class ServiceLike(Protocol):
    """What the preview needs of the ConsoleService."""

    worker: DbWorker
    store: LocalStore

    def clock(self) -> datetime: ...


def on_worker(service: ServiceLike) -> Read:
    """``read`` for the replay thread: each read is a job of the DB worker, waited for
    (never call it on the GUI thread)."""
    def read(fn: Callable[[UnitOfWork], T]) -> T:
        def job() -> T:
            with service.store.unit(read_only=True) as uow:
                return fn(uow)
        done: T = service.worker.submit(job).result()
        return done
    return read


class PreviewRun(QObject):
    """One preview in the background (see the module docstring). Signals arrive on the
    GUI thread; exactly one of ``finished``, ``failed`` and ``cancelled`` ends a run."""

    progressed = Signal(int, int)   # tickets replayed, tickets in all
    provisional = Signal(object, int, int)  # Impact over the tickets done so far, done, all
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
        """Read and replay the window's tickets on a thread of its own."""
        self._thread = threading.Thread(target=self._run, name="console-whatif",
                                        daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        """Stop the run: ``cancelled`` follows once its worker processes are gone."""
        self._cancel.set()

    def _run(self) -> None:
        from console.app.sentiment import vader_compound
        from console.store.errors import StoreError

        try:
            tickets = from_store(on_worker(self._service), self.window_from, self.window_to)
            result = preview(self.draft, self.active, tickets, self.window_from,
                             self.window_to, vader_compound, workers=self._workers,
                             progress=self.progressed.emit, cancel=self._cancel,
                             partial=self.provisional.emit)
        except Cancelled:
            self.cancelled.emit()
        except StoreError as exc:
            self.failed.emit(f"Could not read the store's tickets: {exc}")
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

