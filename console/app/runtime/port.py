"""The app layer's port: the one interface the views use, and the plain data it returns.

``ConsoleServicePort`` names everything a window, form or dialog may ask of the
console service; ``ConsoleService`` implements it. Results are the plain values below
(and the domain's), never ORM rows; the one store record the views see is ``Draft`` (a
frozen dataclass the forms' autosaver hands back), named here so that ``console.ui``
imports neither ``console.store`` nor ``console.notify`` (an import-linter contract
keeps it so).

Calls that read or write the database run on the service's DB worker and answer on the
GUI thread through ``on_done`` (or ``on_error`` with the exception).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from console.domain.matrix import Matrix
from console.domain.people import Person, Refused
from console.domain.sync_state import SyncState
from console.store.records import Draft

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from console.app.runtime.alerts import AlertService
    from console.app.runtime.forms_ops import FormActions
    from console.app.runtime.matrix_ops import MatrixActions
    from console.app.runtime.reports_ops import ReportActions
    from console.app.runtime.triage_ops import TriageActions
    from console.app.runtime.whatif_ops import WhatifActions
    from console.store.records import StoredEvent

__all__ = ["LEAD_ROLE", "ConsoleServicePort", "DeadLetter", "Draft", "Failed",
           "MatrixVersion", "Person", "Refused", "SyncState", "TimelineEvent",
           "active_version"]

Failed = Callable[[BaseException], None]

LEAD_ROLE = "lead"  # the role that may edit and publish the matrix


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One event of a ticket's history, as the details pane and the forms read it."""

    id: str
    ticket: str
    kind: str
    payload: dict[str, Any]
    author: str
    at: datetime


def timeline_event(event: StoredEvent) -> TimelineEvent:
    """A stored event as the views read it."""
    return TimelineEvent(event.id, event.ticket, event.kind, event.payload, event.author,
                         event.at)


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A notification that could not be sent (its retry budget is spent)."""

    id: str
    ticket: str
    channel: str
    contact: str
    attempts: int
    last_error: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class MatrixVersion:
    """One published version of the matrix, as the flowchart reads it."""

    number: int
    name: str
    author: str
    comment: str
    published_at: datetime
    yaml: str
    valid: bool     # whether the YAML is a valid matrix (an invalid one is never in force)
    hlc: str
    event_id: str


def active_version(versions: Iterable[MatrixVersion]) -> MatrixVersion | None:
    """The version every console runs: the newest valid one by HLC (as the store picks)."""
    valid = [v for v in versions if v.valid]
    return max(valid, key=lambda v: v.hlc) if valid else None


@runtime_checkable
class ConsoleServicePort(Protocol):
    """What the views may ask of the console service (see the module docstring)."""

    # announced on the GUI thread
    matrixChanged: SignalInstance       # Matrix: the version now in force
    rowsReset: SignalInstance           # every QueueRow
    rowsChanged: SignalInstance         # changed QueueRows, removed ticket ids
    syncStateChanged: SignalInstance    # SyncState
    pagingChanged: SignalInstance       # str: who pages now (see ``paging``)
    historyLoaded: SignalInstance       # ticket id, [TimelineEvent]
    personChanged: SignalInstance       # Person | None: who this console's login is
    refusedChanged: SignalInstance      # [Refused]: the refused list as it is now
    refusalsArrived: SignalInstance     # [Refused]: just refused by the shared database
    failed: SignalInstance              # a sentence for the user
    ready: SignalInstance

    user: str                           # the author of this console's events
    sync_state: SyncState
    # who the person at this console is: the shared database's answer (or the one it
    # gave last time); in local-only mode, built from ``--role`` or the settings' role.
    # None: a shared database that has not said yet, or whose login is no person.
    person: Person | None
    # whether the shared database has answered who the person is this session (since
    # the start): None and known means the login is no person of that database
    person_known: bool
    local_only: bool                    # no shared database this session: --role applies
    refused: list[Refused]              # the newest refusals (see ``refused_count``)
    refused_count: int                  # how many refusals are kept in all
    paging: str                         # "service host-a" or "this console (no service)"
    alerts: AlertService
    forms: FormActions                  # the forms' submissions, reads and drafts
    matrices: MatrixActions             # matrix versions: list, publish, restore
    reports: ReportActions              # reports and the tickets behind a bar, on the worker
    triage: TriageActions               # suggestions, risk, summaries, KB drafts; training
    whatif: WhatifActions               # the flowchart's Preview impact, in the background

    @property
    def matrix(self) -> Matrix: ...
    @property
    def data_dir(self) -> Path: ...
    def clock(self) -> datetime: ...

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def acknowledge(self, ticket: str, what: str = "") -> None: ...
    def load_history(self, ticket: str) -> None: ...

    def outbox_counts(self, event_ids: list[str],
                      on_done: Callable[[tuple[int, int]], None]) -> None:
        """(how many of ``event_ids`` still wait in the outbox, how many events wait)."""
    def is_submitted(self, submit_id: str) -> bool:
        """Whether a form submission is stored; call it on the DB worker only."""
    def dead_letters(self, on_done: Callable[[list[DeadLetter]], None],
                     on_error: Failed) -> None: ...
    def retry_dead_letters(self, ids: list[str], on_done: Callable[[list[str]], None],
                           on_error: Failed) -> None:
        """Put deliveries back in the outbox; ``on_done`` gets the ids queued again."""
    def dismiss_refused(self, ids: list[str],
                        on_done: Callable[[int], None] | None = None) -> None:
        """Forget these refusals (read); ``refusedChanged`` follows, ``on_done`` gets
        how many went."""
