"""Form drafts: autosaved to the local store on every change, debounced, so a crash or a
kill -9 loses at most the last fraction of a second of typing.

``DraftRepo`` runs on the DB worker only (it opens write transactions on the store).
``DraftAutosaver`` lives on the GUI thread: each change restarts a short single-shot
timer, and when it fires the form's snapshot is written through the service's worker.
Saves never pile up: while one is in flight, later changes wait and go out as one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal

from console.app.runtime.worker import DbWorker
from console.store.local import LocalStore
from console.store.records import Draft

log = logging.getLogger(__name__)

DEBOUNCE_MS = 300
MAX_WAIT_S = 1.0  # while someone types without a pause, still save this often


def draft_key(form: str, ticket: str = "") -> str:
    """``intake``, ``handoff:INC-1``, ``severity:engineering:INC-1``..."""
    return f"{form}:{ticket}" if ticket else form


class DraftRepo:
    """Drafts in the store, one unit of work per call. Call from the DB worker only."""

    def __init__(self, store: LocalStore, clock: Callable[[], datetime] | None = None) -> None:
        self.store = store
        self.clock = clock or (lambda: datetime.now(UTC))

    def save(self, key: str, form: str, ticket: str, payload: dict[str, Any]) -> Draft:
        with self.store.unit() as uow:
            return uow.drafts.save(key, form, ticket, payload, self.clock())

    def load(self, key: str) -> Draft | None:
        with self.store.unit(read_only=True) as uow:
            return uow.drafts.get(key)

    def delete(self, key: str) -> None:
        with self.store.unit() as uow:
            uow.drafts.delete(key)

    def all(self, form: str | None = None) -> list[Draft]:
        with self.store.unit(read_only=True) as uow:
            return uow.drafts.all(form)


class ServiceLike(Protocol):
    """What drafts need of the ConsoleService."""

    worker: DbWorker
    store: LocalStore
    clock: Callable[[], datetime]


class DraftAutosaver(QObject):
    """Debounced autosave of one form's draft.

    ``snapshot()`` returns the form's fields as JSON-able data; ``changed()`` is called on
    every edit. ``saved`` carries the stored Draft; ``failed`` a sentence for the user."""

    saved = Signal(object)
    failed = Signal(str)

    def __init__(self, service: ServiceLike, key: str, form: str, ticket: str,
                 snapshot: Callable[[], dict[str, Any]], *, delay_ms: int = DEBOUNCE_MS,
                 monotonic: Callable[[], float] = time.monotonic,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._monotonic = monotonic  # seconds; tests step it instead of waiting
        self.service = service
        self.key, self.form, self.ticket = key, form, ticket
        self.snapshot = snapshot
        self.repo = DraftRepo(service.store, service.clock)
        self.enabled = True
        self._dirty = False
        self._in_flight = False
        self._first_change: float | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self.save_now)

    @property
    def pending(self) -> bool:
        """A change not yet written (or being written)."""
        return self._dirty or self._in_flight

    def changed(self) -> None:
        if not self.enabled:
            return
        self._dirty = True
        now = self._monotonic()
        if self._first_change is None:
            self._first_change = now
        if now - self._first_change >= MAX_WAIT_S:
            self.save_now()
        else:
            self._timer.start()

    def save_now(self) -> None:
        """Write the current snapshot now (after the save in flight, if any)."""
        self._timer.stop()
        if not self.enabled or not self._dirty or self._in_flight:
            return
        self._dirty, self._in_flight, self._first_change = False, True, None
        payload = self.snapshot()
        key, form, ticket, repo = self.key, self.form, self.ticket, self.repo
        self.service.worker.submit(lambda: repo.save(key, form, ticket, payload),
                                   self._done, self._error)

    def flush(self) -> None:
        """Save a pending change now (closing the form)."""
        if self._dirty:
            self.save_now()

    def _done(self, draft: Draft) -> None:
        if not shiboken6.isValid(self):  # the form closed meanwhile; the draft is saved
            return
        self._in_flight = False
        self.saved.emit(draft)
        if self._dirty:  # typed while the save was running
            self.save_now()

    def _error(self, error: BaseException) -> None:
        if not shiboken6.isValid(self):
            log.error("could not save the draft: %s", error)
            return
        self._in_flight = False
        self._dirty = True  # keep trying on the next change
        log.error("could not save the draft %s: %s", self.key, error)
        self.failed.emit(f"Could not save the draft: {error}")

    def stop(self) -> None:
        """No more autosaves (the form was submitted or discarded)."""
        self.enabled = False
        self._dirty = False
        self._timer.stop()

    def load(self, on_done: Callable[[Draft | None], None],
             is_stale: Callable[[Draft], bool] | None = None) -> None:
        """Fetch the draft; with ``is_stale`` (run on the worker), a stale draft, e.g. one
        whose form was already submitted, is deleted and reported as None."""
        repo, key = self.repo, self.key

        def fetch() -> Draft | None:
            draft = repo.load(key)
            if draft is not None and is_stale is not None and is_stale(draft):
                repo.delete(key)
                return None
            return draft

        self.service.worker.submit(fetch, on_done, self._error)

    def discard(self, on_done: Callable[[Any], None] | None = None) -> None:
        """Delete the draft; autosave stays on (the form is cleared, not closed)."""
        self._timer.stop()
        self._dirty, self._first_change = False, None
        self.service.worker.submit(lambda: self.repo.delete(self.key), on_done, self._error)


def list_drafts(service: ServiceLike, on_done: Callable[[list[Draft]], None],
                on_error: Callable[[BaseException], None] | None = None) -> None:
    """Every stored draft, newest first (e.g. "2 unsent drafts" at start-up)."""
    repo = DraftRepo(service.store, service.clock)
    service.worker.submit(repo.all, on_done, on_error)
