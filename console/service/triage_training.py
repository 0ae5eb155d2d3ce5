"""Triage training in the escalation service (docs/triage.md): when enough new resolved
tickets arrived (``console.app.triage.background.training_due``: at least 200 in all,
and 100 more or 10 % more than at the last training), every triage model is trained
again in a child process at the lowest CPU priority, one training at a time, into the
Registry of the service's state dir. The child is stopped with the service.

The part looks every ``POLL_SECONDS``: counting resolved tickets reads the ticket
projection, not the event log, and a training is minutes apart at the least.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from console.app.triage.background import (
    BackgroundTraining,
    last_trained_on,
    registry_of,
    training_due,
)
from console.store.local import LocalStore

log = logging.getLogger(__name__)

POLL_SECONDS = 300.0   # how often the part counts resolved tickets
STEP_SECONDS = 0.5     # how often it looks at a stop and at a running child


def resolved_tickets(store: LocalStore) -> int:
    """How many tickets of the projection are resolved (one count query)."""
    with store.unit(read_only=True) as uow:
        return uow.tickets.resolved_count()


class TriageTraining:
    """The service part: ``run(stop)`` on its own thread."""

    def __init__(self, store: LocalStore, *, poll: float = POLL_SECONDS,
                 training: Callable[[Path], BackgroundTraining] = BackgroundTraining) -> None:
        self.store = store
        self.poll = poll
        self._make = training
        self.registry = registry_of(store.data_dir)
        self.runs = 0  # trainings started (for tests and the log)

    def due(self) -> bool:
        """Whether enough new resolved tickets arrived since the last training."""
        return training_due(resolved_tickets(self.store), last_trained_on(self.registry))

    def run(self, stop: threading.Event) -> None:
        running: BackgroundTraining | None = None
        waited = self.poll  # look at once on start
        try:
            while not stop.is_set():
                if running is not None:
                    outcome = running.wait(timeout=0)
                    if outcome is not None:
                        log.info("%s", outcome.describe())
                        running, waited = None, 0.0
                elif waited >= self.poll:
                    waited = 0.0
                    if self.due():
                        running = self._make(self.store.data_dir)
                        if running.start():
                            self.runs += 1
                            log.info("triage training started in the background")
                        else:
                            running = None
                stop.wait(STEP_SECONDS)
                waited += STEP_SECONDS
        finally:
            if running is not None:
                running.stop()  # a half-written version has no info file: it never existed
