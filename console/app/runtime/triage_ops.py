"""Triage assistance in the running console, never on the GUI thread (docs/triage.md).

The views reach these through the port: ``service.triage`` (a ``TriageActions``).

- **Suggestions.** An intake form asks ``suggestions(parent)`` for a
  ``SuggestionFeed``: ``request(title, text)`` while the agent types; 300 ms after the
  last keystroke the Suggester answers on the triage thread, and ``suggested`` brings
  the answer to the GUI thread. An answer to text the agent has changed since is
  dropped. The Suggester is loaded once and again only when the Registry holds a new
  model version (a training here, or another process's).
- **Risk.** ``risk_ops.RiskRefresh`` (``service.triage.risk``): every open ticket's
  risk, refreshed every minute and after events.
- **Training.** When enough new resolved tickets arrived (``background.training_due``),
  a child process at the lowest priority trains every model; one at a time.
- **Handoff summary, KB capture.** The summary of a ticket's history for the handoff
  form's "Triage context", and the KB draft written into the settings' KB folder.

Models are read and scored on one "console-triage" thread (a ``DbWorker`` of its own:
the same delivery through a queued signal, but never queued behind database work).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, QTimer, Signal, SignalInstance

from console.app.runtime.port import Failed
from console.app.runtime.worker import DbWorker
from console.app.settings import Settings
from console.app.triage.background import (
    BackgroundTraining,
    Outcome,
    last_trained_on,
    registry_of,
    training_due,
)
from console.domain.matrix import Matrix
from console.store.local import LocalStore

if TYPE_CHECKING:
    from console.app.runtime.risk_ops import RiskRefresh
    from console.app.runtime.rows import QueueRow
    from console.app.triage.registry import Registry
    from console.app.triage.suggest import Suggester, Suggestions

log = logging.getLogger(__name__)

DEBOUNCE_MS = 300        # after the last keystroke
TRAIN_CHECK_MS = 10_000  # after resolved tickets arrive: look whether a training is due
FIRST_CHECK_MS = 300_000  # after start-up: the console opens without a training at once


class ServiceLike(Protocol):
    """What the triage operations need of the ConsoleService."""

    worker: DbWorker
    store: LocalStore
    failed: SignalInstance
    rowsReset: SignalInstance
    rowsChanged: SignalInstance

    @property
    def matrix(self) -> Matrix: ...
    @property
    def data_dir(self) -> Path: ...
    def clock(self) -> datetime: ...


class ModelWorker(DbWorker):
    """The triage thread: models are loaded, suggest and score here, one at a time."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool.shutdown(wait=False)  # the DB worker's pool started no thread yet
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="console-triage")
        self._closed = False

    def submit(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
               on_error: Callable[[BaseException], None] | None = None) -> Future[Any]:
        """As DbWorker.submit; after ``shutdown`` (a DB answer arriving as the console
        closes) the work is dropped."""
        if self._closed:
            dropped: Future[Any] = Future()
            dropped.cancel()
            return dropped
        return super().submit(fn, on_done, on_error)

    def shutdown(self, wait: bool = True) -> None:
        self._closed = True
        super().shutdown(wait)


def registry_signature(registry: Registry) -> tuple[str, ...]:
    """What changes when a version is saved (its info file appears); call off the GUI."""
    try:
        return tuple(sorted(p.name for p in registry.folder.glob("*.json")))
    except OSError:
        return ()


class _Models:
    """The loaded Suggester, reloaded when the Registry changes (on the triage thread)."""

    def __init__(self, registry: Registry,
                 load: Callable[[Registry], Suggester] | None = None) -> None:
        self.registry = registry
        self._load = load
        self._signature: tuple[str, ...] | None = None
        self._suggester: Suggester | None = None

    def suggester(self) -> Suggester:
        signature = registry_signature(self.registry)
        if self._suggester is None or signature != self._signature:
            load = self._load
            if load is None:
                from console.app.triage.suggest import Suggester

                load = Suggester.load
            self._suggester, self._signature = load(self.registry), signature
        return self._suggester


class SuggestionFeed(QObject):
    """One intake form's suggestions: debounced requests, stale answers dropped."""

    suggested = Signal(object)   # Suggestions, for the title and text last requested

    def __init__(self, actions: TriageActions, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._actions = actions
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self._ask)
        self._wanted: tuple[str, str] | None = None  # None: nothing asked yet

    def request(self, title: str, text: str) -> None:
        """The form's title and text changed: suggest for them once typing pauses."""
        if (title, text) == self._wanted:
            return
        self._wanted = (title, text)  # an answer in flight for other text is stale now
        self._timer.start()

    def _ask(self) -> None:
        if self._wanted is not None:  # a bound method: dropped once this feed is deleted
            self._actions.suggest_for(*self._wanted, self._answer)

    def _answer(self, result: tuple[str, str, Suggestions]) -> None:
        title, text, found = result
        if (title, text) == self._wanted:
            self.suggested.emit(found)


class TriageActions(QObject):
    """The triage operations the views use (``service.triage`` on the port)."""

    trained = Signal(object)        # background.Outcome of a training that ended
    _trainingEnded = Signal(object)  # from the waiting thread; queued to the GUI

    def __init__(self, service: ServiceLike, *,
                 load_suggester: Callable[[Registry], Suggester] | None = None,
                 train: Callable[[], BackgroundTraining] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self.models = ModelWorker(self)
        self._models: _Models | None = None
        self._load_suggester = load_suggester
        self._make_training = train
        self._training: BackgroundTraining | None = None
        self._waiter: threading.Thread | None = None
        self._check = QTimer(self, singleShot=True, interval=TRAIN_CHECK_MS)
        self._check.timeout.connect(self.train_if_due)
        self._trainingEnded.connect(self._training_done)
        self._risk: RiskRefresh | None = None
        service.rowsReset.connect(self._rows_reset)
        service.rowsChanged.connect(self._rows_changed)

    @property
    def registry(self) -> Registry:
        return registry_of(self._service.data_dir)

    def _loaded(self) -> _Models:
        if self._models is None or self._models.registry.folder != self.registry.folder:
            self._models = _Models(self.registry, self._load_suggester)
        return self._models

    def _failed(self, on_error: Failed | None) -> Failed:
        return on_error or (lambda error: self._service.failed.emit(str(error)))

    # -- suggestions -------------------------------------------------------------------
    def suggestions(self, parent: QObject | None = None) -> SuggestionFeed:
        """A feed of suggestions for one intake form (see ``SuggestionFeed``)."""
        return SuggestionFeed(self, parent)

    def suggest(self, title: str, text: str, on_done: Callable[[Suggestions], None],
                on_error: Failed | None = None) -> None:
        """Suggestions for ``title`` and ``text``, computed on the triage thread."""
        models = self._loaded()
        self.models.submit(lambda: models.suggester().suggest(title, text), on_done,
                           on_error or (lambda exc: log.warning("no suggestion: %s", exc)))

    def suggest_for(self, title: str, text: str,
                    on_done: Callable[[tuple[str, str, Suggestions]], None]) -> None:
        """As ``suggest``, answering ``(title, text, suggestions)`` (a feed's stale test)."""
        models = self._loaded()
        self.models.submit(lambda: (title, text, models.suggester().suggest(title, text)),
                           on_done, lambda exc: log.warning("no suggestion: %s", exc))

    # -- risk --------------------------------------------------------------------------
    @property
    def risk(self) -> RiskRefresh:
        """The open tickets' risk, refreshed in the background."""
        if self._risk is None:
            from console.app.runtime.risk_ops import RiskRefresh

            self._risk = RiskRefresh(self._service, self.models, self.registry, self)
        return self._risk

    # -- handoff summary and KB capture ---------------------------------------------------
    def summary(self, ticket: str, on_done: Callable[[str], None],
                on_error: Failed | None = None) -> None:
        """The extractive summary of ``ticket``'s history ("Triage context")."""
        store = self._service.store

        def work() -> str:
            from console.app.triage.summary import summarise, summary_text

            return summary_text(summarise(store.history(ticket)))

        self._service.worker.submit(work, on_done, self._failed(on_error))

    def kb_folder(self, on_done: Callable[[Path], None]) -> None:
        """The settings' KB folder (read on the DB worker)."""
        data_dir = self._service.data_dir
        self._service.worker.submit(lambda: Settings(data_dir).kb_folder, on_done,
                                    self._failed(None))

    def set_kb_folder(self, folder: Path, on_done: Callable[[Path], None] | None = None,
                      on_error: Failed | None = None) -> None:
        """Choose the KB folder (saved in the settings on the DB worker)."""
        data_dir = self._service.data_dir

        def save() -> Path:
            settings = Settings(data_dir)
            settings.kb_folder = folder
            return settings.kb_folder

        self._service.worker.submit(save, on_done, self._failed(on_error))

    def capture_kb(self, ticket: str, on_done: Callable[[Path], None],
                   on_error: Failed | None = None) -> None:
        """Write the KB draft of ``ticket`` (with its similar resolved tickets, when a
        model can say) into the settings' KB folder; ``on_done(path)``."""
        store, models, data_dir = self._service.store, self._loaded(), self._service.data_dir
        failed = self._failed(on_error)

        def similar_to(history: list[Any]) -> tuple[Any, ...]:
            opened: dict[str, Any] = next((e.payload for e in history
                                           if e.kind == "opened"), {})
            try:
                return models.suggester().suggest(str(opened.get("title") or ""),
                                                  str(opened.get("text") or "")).similar
            except Exception as exc:  # no model: a draft without links is still a draft
                log.info("no similar tickets for the KB draft: %s", exc)
                return ()

        def draft(history: list[Any], folder: Path, similar: tuple[Any, ...],
                  accounts: list[str]) -> Path:
            from console.app.triage.kb import kb_draft, write_kb_draft

            # the similar tickets' accounts, which their titles may name, are scrubbed
            return write_kb_draft(folder, ticket, kb_draft(history, similar,
                                                           private=accounts))

        def accounts_of(similar: tuple[Any, ...]) -> list[str]:
            records = (store.ticket(s.ticket) for s in similar)
            return [r.account for r in records if r is not None and r.account]

        def then_similar(found: tuple[list[Any], Path]) -> None:
            history, folder = found
            self.models.submit(lambda: similar_to(history),
                               lambda similar: then_accounts(history, folder, similar), failed)

        def then_accounts(history: list[Any], folder: Path, similar: tuple[Any, ...]) -> None:
            def then_write(accounts: list[str]) -> None:
                self.models.submit(lambda: draft(history, folder, similar, accounts),
                                   on_done, failed)

            self._service.worker.submit(lambda: accounts_of(similar), then_write, failed)

        self._service.worker.submit(lambda: (store.history(ticket), Settings(data_dir).kb_folder),
                                    then_similar, failed)

    def recurring(self, days: int, on_done: Callable[[list[Any], int], None],
                  on_error: Failed | None = None) -> None:
        """The fixes that recur among the tickets resolved in the last ``days`` days:
        their events read on the DB worker, grouped on the triage thread;
        ``on_done(groups, resolved)`` with ``kb_groups.Group``s, the largest first."""
        store, matrix = self._service.store, self._service.matrix
        since = self._service.clock() - timedelta(days=days)
        failed = self._failed(on_error)

        def read() -> list[Any]:
            ids = [t.id for t in store.tickets()
                   if t.resolved_at and datetime.fromisoformat(t.resolved_at) >= since]
            with store.unit(read_only=True) as uow:
                return [e.to_domain() for e in uow.events.of_tickets(ids)]

        def group(events: list[Any]) -> tuple[list[Any], int]:
            from console.app.triage.examples import resolved_examples
            from console.app.triage.kb_groups import recurring

            recent = [e for e in resolved_examples(events, matrix) if e.resolved_at >= since]
            return recurring(recent, since), len(recent)

        def then_group(events: list[Any]) -> None:
            self.models.submit(lambda: group(events), lambda found: on_done(*found), failed)

        self._service.worker.submit(read, then_group, failed)

    # -- background training ---------------------------------------------------------------
    def _rows_reset(self, rows: list[QueueRow]) -> None:
        # at start-up (or a new matrix) nothing new was resolved here: look much later,
        # so a due training does not read the whole log just as the console opens
        if not self._check.isActive():
            self._check.start(FIRST_CHECK_MS)

    def _rows_changed(self, rows: list[QueueRow], removed: list[str]) -> None:
        if not any(not row.open for row in rows):
            return
        # not pushed back by more resolutions (a stream would starve it), only brought
        # forward from the long start-up wait
        if not self._check.isActive() or self._check.interval() > TRAIN_CHECK_MS:
            self._check.start(TRAIN_CHECK_MS)

    def train_if_due(self, checked: Callable[[bool], None] | None = None) -> None:
        """Start a background training if enough new resolved tickets arrived since the
        last one (and none runs); ``checked(started)`` follows on the GUI thread. The
        resolved tickets are counted in the store (on the DB worker), as the training
        child counts them for the run file ``training_due`` compares with."""
        answer = checked or (lambda _started: None)
        store, registry = self._service.store, self.registry
        if self._training is not None:
            answer(False)
            return

        def due() -> bool:
            with store.unit(read_only=True) as uow:
                resolved = uow.tickets.resolved_count()
            return training_due(resolved, last_trained_on(registry))

        def decided(is_due: bool) -> None:
            answer(is_due and self._start_training())

        self._service.worker.submit(
            due, decided, lambda exc: log.warning("cannot tell whether to train: %s", exc))

    def _start_training(self) -> bool:
        if self._training is not None:
            return False
        training = (self._make_training() if self._make_training is not None
                    else BackgroundTraining(self._service.data_dir))
        if not training.start():
            return False
        self._training = training
        self._waiter = threading.Thread(target=lambda: self._trainingEnded.emit(training.wait()),
                                        name="console-triage-training", daemon=True)
        self._waiter.start()
        return True

    def _training_done(self, outcome: Outcome | None) -> None:
        self._training = None
        if outcome is None:
            return
        log.info("%s", outcome.describe())
        self.trained.emit(outcome)
        if self._risk is not None:
            self._risk.refresh()  # a new risk model scores at once

    @property
    def training(self) -> bool:
        """Whether a background training runs now."""
        return self._training is not None

    def stop(self) -> None:
        """End a running training and the triage thread (the console is closing)."""
        self._check.stop()
        if self._risk is not None:
            self._risk.stop()
        if self._training is not None:
            self._training.terminate()
            if self._waiter is not None:
                self._waiter.join(10)  # it reaps the child
        self.models.shutdown(wait=True)
