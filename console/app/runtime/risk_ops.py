"""Every open ticket's risk of a breach or an escalation within the hour, kept fresh in
the background (``service.triage.risk``; the model is ``console.app.triage.risk``).

The histories are read on the DB worker (in chunks, so other database work interleaves
at start-up), folded into a ``RiskFeed`` and scored on the triage thread; ``changed``
brings ``{ticket: Risk}`` to the GUI thread. A refresh runs every minute (time alone
moves a ticket toward its due instant) and a few seconds after events change tickets
(only their histories are read again). A new matrix (a rows reset) starts a new feed.
A new model version in the Registry is loaded at the next refresh.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from console.app.runtime.worker import DbWorker

if TYPE_CHECKING:
    from console.app.runtime.rows import QueueRow
    from console.app.runtime.triage_ops import ServiceLike
    from console.app.triage.registry import Registry
    from console.app.triage.risk import Risk
    from console.store.records import StoredEvent

log = logging.getLogger(__name__)

REFRESH_MS = 60_000      # time alone moves risk
AFTER_EVENTS_MS = 2_000  # events come in bursts (a pull, a submission): one read for all
CHUNK = 500              # tickets whose histories one DB worker job reads


class _Fold:
    """The feed and the model; touched on the triage thread only."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.feed: Any = None
        self.seen: dict[str, set[str]] = {}
        self.generation = 0
        self._model: Any = None
        self._signature: tuple[str, ...] | None = None

    def reset(self, generation: int, matrix: Any) -> None:
        from console.app.triage.risk_features import RiskFeed

        self.generation, self.feed, self.seen = generation, RiskFeed(matrix), {}

    def add(self, generation: int, histories: dict[str, list[StoredEvent]]) -> None:
        if generation != self.generation or self.feed is None:
            return  # read for a feed that a new matrix replaced
        for ticket, events in histories.items():
            seen = self.seen.setdefault(ticket, set())
            for event in events:
                if event.id not in seen:
                    seen.add(event.id)
                    self.feed.apply(event.to_domain())

    def score(self, now: datetime) -> tuple[dict[str, Risk], str]:
        """Every open ticket's Risk, or ({}, why there is none)."""
        from console.app.runtime.triage_ops import registry_signature
        from console.app.triage.risk import RiskModel

        signature = registry_signature(self.registry)
        if signature != self._signature:
            self._model, self._signature = RiskModel.load(self.registry), signature
        if self._model is None:
            return {}, "no usable risk model yet"
        if self.feed is None:
            return {}, ""
        inputs = self.feed.inputs()
        open_ids = {i.ticket for i in inputs}
        for gone in set(self.seen) - open_ids:  # resolved: a reopen reads it anew
            del self.seen[gone]
        return {r.ticket: r for r in self._model.score(inputs, now)}, ""


class RiskRefresh(QObject):
    """The open tickets' risk (see the module docstring)."""

    changed = Signal(object)   # {ticket: Risk}; empty when there is no model

    def __init__(self, service: ServiceLike, models: DbWorker, registry: Registry,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._service, self._models = service, models
        self._fold = _Fold(registry)
        self.risks: dict[str, Risk] = {}
        self.status = ""        # why no risk is shown ('' when it is)
        self._generation = 0
        self._dirty: set[str] = set()
        self._running = False
        self._timer = QTimer(self, interval=REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._soon = QTimer(self, singleShot=True, interval=AFTER_EVENTS_MS)
        self._soon.timeout.connect(self._read_dirty)
        service.rowsReset.connect(self._rows_reset)
        service.rowsChanged.connect(self._rows_changed)

    def start(self, rows: Iterable[QueueRow] = ()) -> None:
        """Begin: fold the open tickets of ``rows`` and refresh every minute."""
        self._running = True
        self._timer.start()
        self._rows_reset(list(rows))

    def stop(self) -> None:
        self._running = False
        self._timer.stop()
        self._soon.stop()

    def _rows_reset(self, rows: list[QueueRow]) -> None:
        if not self._running:
            return
        self._generation += 1
        generation, fold, matrix = self._generation, self._fold, self._service.matrix
        self._models.submit(lambda: fold.reset(generation, matrix))
        tickets = [r.id for r in rows if r.open]
        for start in range(0, len(tickets), CHUNK):
            self._read(tickets[start:start + CHUNK], generation)
        self.refresh()

    def _rows_changed(self, rows: list[QueueRow], removed: list[str]) -> None:
        if not self._running:
            return
        self._dirty.update(r.id for r in rows)
        if not self._soon.isActive():  # a restart per event would starve the read
            self._soon.start()

    def _read_dirty(self) -> None:
        tickets, self._dirty = sorted(self._dirty), set()
        for start in range(0, len(tickets), CHUNK):
            self._read(tickets[start:start + CHUNK], self._generation)
        self.refresh()

    def _read(self, tickets: list[str], generation: int) -> None:
        store, fold = self._service.store, self._fold

        def read() -> dict[str, list[StoredEvent]]:
            histories: dict[str, list[StoredEvent]] = {t: [] for t in tickets}
            with store.unit(read_only=True) as uow:  # one query per chunk, not per ticket
                for event in uow.events.of_tickets(tickets):  # each ticket's in HLC order
                    histories[event.ticket].append(event)
            return histories

        def fold_in(found: dict[str, list[StoredEvent]]) -> None:
            self._models.submit(lambda: fold.add(generation, found))

        self._service.worker.submit(
            read, fold_in, lambda exc: log.warning("cannot read histories for risk: %s", exc))

    def refresh(self) -> None:
        """Score every open ticket now (on the triage thread); ``changed`` follows."""
        if not self._running:
            return
        fold, now = self._fold, self._service.clock()
        def score(_: None) -> None:
            self._models.submit(lambda: fold.score(now), self._scored,
                                lambda exc: log.warning("risk not scored: %s", exc))

        # behind the reads queued so far: a DB job first, so their folds run before
        self._service.worker.submit(lambda: None, score)

    def _scored(self, result: tuple[dict[str, Risk], str]) -> None:
        self.risks, self.status = result
        self.changed.emit(self.risks)
