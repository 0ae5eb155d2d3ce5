"""The console's engine room: the local store, sync and alerts, wired for the GUI.

Everything that touches the database runs on the DB worker; the shared-database
sync runs on its own thread. Results reach the GUI thread as signals carrying plain
QueueRow records, so widgets never wait on I/O.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from console.app.runtime.alerts import AlertService, WakeScheduler
from console.app.runtime.forms_ops import (
    FormActions,
    already_submitted,
    new_submit_id,
    submit_events,
)
from console.app.runtime.matrix_ops import MatrixActions
from console.app.runtime.port import DeadLetter, Failed, timeline_event
from console.app.runtime.reports_ops import ReportActions
from console.app.runtime.rows import QueueRow
from console.app.runtime.triage_ops import TriageActions
from console.app.runtime.whatif_ops import WhatifActions
from console.app.runtime.worker import DbWorker
from console.domain.matrix import Matrix
from console.domain.people import AGENT, Person, Refused
from console.domain.sync_state import SyncState
from console.store.lease import NO_SERVICE
from console.store.local import LocalStore
from console.store.records import StoredEvent
from console.store.sync import Syncer

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


LOCAL_ONLY = SyncState(status="not_configured", offline_since=None, pending=0,
                       last_sync=None, last_error="")
REFUSED_SHOWN = 200  # the newest refusals the views list (the count says how many in all)
Refusals = tuple[list[Refused], int]  # the newest refusals, how many in all


class ConsoleService(QObject):
    """The app layer the views talk to: it implements ``port.ConsoleServicePort``.
    Shared state (the matrix in force, the sync state) lives here and is announced by
    a signal on the GUI thread; views follow the signal and keep no copy of their own
    from start-up."""

    matrixChanged = Signal(object)      # Matrix: the version now in force
    rowsReset = Signal(list)            # every QueueRow (first load, matrix change)
    rowsChanged = Signal(list, list)    # changed QueueRows, removed ticket ids
    syncStateChanged = Signal(object)   # SyncState
    pagingChanged = Signal(str)         # who pages: "service host-a" or NO_SERVICE
    historyLoaded = Signal(str, list)   # ticket id, [TimelineEvent]
    personChanged = Signal(object)      # Person | None
    refusedChanged = Signal(list)       # [Refused]: the newest refusals, as they are now
    refusalsArrived = Signal(list)      # [Refused]: just refused by the shared database
    failed = Signal(str)                # a sentence for the user
    ready = Signal()
    _matrixSeen = Signal(object)        # from the committing thread; queued to the GUI
    _personSeen = Signal(object)        # from the sync thread; queued to the GUI
    _refusedSeen = Signal(list)         # from the sync thread; queued to the GUI

    def __init__(self, data_dir: str | Path, default_matrix: Matrix, *,
                 clock: Callable[[], datetime] = utc_now, sync: bool = True,
                 scheduler_factory: Callable[..., WakeScheduler] | None = None,
                 user: str = "", role: str | None = None,
                 prepare: Callable[[], None] | None = None,
                 parent: QObject | None = None) -> None:
        """``user`` signs this console's events (``identity.console_author``); ``role``
        is the person's role in local-only mode (None: the settings' ``role``, else
        agent); with a shared database the server says who the person is."""
        super().__init__(parent)
        self._prepare = prepare
        self.ready_once = False
        self.clock = clock
        self.user = user
        self._role = role
        self.person: Person | None = None
        self.person_known = False  # the shared database answered this session
        self.local_only = True  # until the store is open and the settings read
        self.refused: list[Refused] = []
        self.refused_count = 0
        self._personSeen.connect(self._set_person)
        self._refusedSeen.connect(self._refusals_arrived)
        self.worker = DbWorker(self)
        self.store = LocalStore(data_dir, default_matrix, clock=clock)
        # until the store is open: the bundled file (it only seeds an empty store)
        self._matrix = default_matrix
        self._matrixSeen.connect(self._set_matrix)
        self.store.follow_matrix(self._matrixSeen.emit)
        self.alerts = AlertService(self.store, self.worker, clock, scheduler_factory, self)
        self.forms = FormActions(self)
        self.matrices = MatrixActions(self)  # the flowchart's versions and publishing
        self.reports = ReportActions(self)  # the Reports window's reports, on the worker
        self.triage = TriageActions(self)  # suggestions, risk, training: off the GUI thread
        self.whatif = WhatifActions(self)  # the flowchart's Preview impact
        self.sync_state: SyncState = LOCAL_ONLY
        self.paging = NO_SERVICE  # the notifier's presence check says otherwise
        self._sync_enabled = sync
        self._syncer: Syncer | None = None
        self._stop = threading.Event()
        self._sync_thread: threading.Thread | None = None
        self.rowsReset.connect(lambda rows: self.alerts.update(rows))
        self.rowsChanged.connect(lambda rows, removed: self.alerts.update(rows, removed))
        self.syncStateChanged.connect(self._remember_sync_state)

    # -- the matrix in force ---------------------------------------------------------
    @property
    def matrix(self) -> Matrix:
        """The published version in force (the store's active one). Read it on the GUI
        thread; follow ``matrixChanged`` rather than keeping a copy."""
        return self._matrix

    @Slot(object)
    def _set_matrix(self, matrix: Matrix) -> None:
        # the store announces each change once, in commit order, on the thread that
        # made it (worker: open or publish; sync thread: a pull); this slot runs queued
        # on the GUI thread, before the rows recomputed for that version arrive
        if matrix is self._matrix:
            return
        self._matrix = matrix
        self.matrixChanged.emit(matrix)

    @property
    def data_dir(self) -> Path:
        """The console's data directory (settings, attachments, the local database)."""
        return self.store.data_dir

    # -- start and stop ---------------------------------------------------------------
    def start(self) -> None:
        """Open the store and load the queue in the background."""
        def open_and_load() -> tuple[list[QueueRow], str | None, Person | None, Refusals]:
            from console.app.settings import Settings

            if self._prepare is not None:
                self._prepare()
            self.store.open()
            self.alerts.load_checkpoint()
            settings = Settings(self.store.data_dir)
            url = settings.shared_db_url if self._sync_enabled else None
            # the person: the server's last answer (it is asked again on connecting),
            # or in local-only mode the one the --role flag or the settings name
            person = self.store.person() if url else Person(
                self.user, role=str(self._role or settings.get("role") or AGENT))
            rows = [QueueRow.from_record(r) for r in self.store.tickets()]
            return rows, url, person, self._read_refused()

        def loaded(result: tuple[list[QueueRow], str | None, Person | None, Refusals]
                   ) -> None:
            rows, url, person, refusals = result
            self.local_only = not url
            self.person = person  # announced even if None: local_only is known now
            self.personChanged.emit(person)
            self._show_refused(refusals)
            self.rowsReset.emit(rows)
            self.triage.risk.start(rows)
            self.alerts.start()
            self._start_sync(url)
            self.ready_once = True
            self.ready.emit()

        self.worker.submit(open_and_load, loaded, self._fail)

    def _start_sync(self, url: str | None) -> None:
        if not url:
            self.syncStateChanged.emit(LOCAL_ONLY)
            return
        from console.app.secrets import SecretsError, load_password

        try:
            password = load_password(url)
        except SecretsError as exc:
            self.failed.emit(str(exc))
            password = None
        self._syncer = Syncer(self.store, url, password,
                              on_state=self.syncStateChanged.emit,
                              on_pulled=self._pulled, on_person=self._personSeen.emit,
                              on_refused=self._refusedSeen.emit)
        self._sync_thread = threading.Thread(target=self._syncer.run, args=(self._stop,),
                                             name="console-sync", daemon=True)
        self._sync_thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._syncer is not None:
            self._syncer.wake()
        if self._sync_thread is not None:
            self._sync_thread.join(timeout=5)
        self.alerts.shutdown()
        try:
            self.triage.stop()
        finally:  # the store is closed and the worker ended whatever the triage did
            self.worker.submit(self.store.close)
            self.worker.shutdown(wait=True)

    # -- writes -------------------------------------------------------------------------
    def append(self, ticket: str, kind: str, payload: dict[str, Any]) -> None:
        """Record one event for a ticket on the one write path of a user's action (the
        forms' ``submit_events``: one unit of work, then the queue row and the syncer)."""
        submit_events(self, ticket, [(kind, payload)], new_submit_id(), lambda _: None,
                      self._fail)

    def wake_sync(self) -> None:
        """Push local writes to the shared database now (a no-op when local only)."""
        if self._syncer is not None:
            self._syncer.wake()

    def acknowledge(self, ticket: str, what: str = "") -> None:
        """Tell everyone this ticket is taken; ``what`` names the alert (its key), and
        an empty one acknowledges all of the ticket's alerts on this console."""
        self.append(ticket, "acknowledged", {"by": self.user, "alert": what})
        self.alerts.acknowledge(ticket, what)

    def load_history(self, ticket: str) -> None:
        """Read a ticket's history; ``historyLoaded(ticket, [TimelineEvent])`` follows."""
        self.worker.submit(lambda: [timeline_event(e) for e in self.store.history(ticket)],
                           lambda events: self.historyLoaded.emit(ticket, events), self._fail)

    # -- the outbox and the notifications ---------------------------------------------------
    def outbox_counts(self, event_ids: list[str],
                      on_done: Callable[[tuple[int, int]], None]) -> None:
        """(how many of ``event_ids`` still wait to be pushed, how many events wait in
        all), read on the worker and answered on the GUI thread."""
        store, ids = self.store, list(event_ids)
        self.worker.submit(lambda: (len(store.in_outbox(ids)), store.pending()), on_done)

    def is_submitted(self, submit_id: str) -> bool:
        """Whether a form submission's first event is stored (call on the DB worker)."""
        return already_submitted(self.store, submit_id)

    def dead_letters(self, on_done: Callable[[list[DeadLetter]], None],
                     on_error: Failed) -> None:
        """The deliveries that could not be sent, newest first."""
        from console.app.notify_ops import deliveries

        store = self.store

        def read() -> list[DeadLetter]:
            return [DeadLetter(r.id, r.ticket, r.channel, r.contact, r.attempts,
                               r.last_error, r.created_at)
                    for r in deliveries(store, dead=True)]

        self.worker.submit(read, on_done, on_error)

    def retry_dead_letters(self, ids: list[str], on_done: Callable[[list[str]], None],
                           on_error: Failed) -> None:
        """Put dead deliveries back in the outbox with a fresh retry budget; ``on_done``
        gets the ids that are pending again."""
        from console.app.notify_ops import retry_delivery

        store, wanted = self.store, list(ids)

        def work() -> list[str]:
            return [r.id for i in wanted if (r := retry_delivery(store, i)) is not None
                    and r.status == "pending"]

        self.worker.submit(work, on_done, on_error)

    # -- from the sync and notifier threads ---------------------------------------------
    def actions_recorded(self, events: list[StoredEvent]) -> None:
        """The notifier wrote the engine's actions (a routing, an escalation) on its
        thread: push them now, and show their tickets as they are now."""
        self.wake_sync()
        self._pulled(events)

    def _pulled(self, events: list[StoredEvent]) -> None:
        tickets = sorted({e.ticket for e in events})
        self.alerts.pulled(events)  # acknowledged on another console: done here too
        if any(e.kind == "matrix_published" for e in events):
            self.worker.submit(lambda: [QueueRow.from_record(r) for r in self.store.tickets()],
                               self.rowsReset.emit, self._fail)
            return
        self.worker.submit(lambda: self._rows_for(tickets),
                           lambda rows: self.rowsChanged.emit(rows, []), self._fail)

    def _rows_for(self, tickets: Iterable[str]) -> list[QueueRow]:
        out = []
        for ticket in tickets:
            record = self.store.ticket(ticket)
            if record is not None:
                out.append(QueueRow.from_record(record))
        return out

    def _remember_sync_state(self, state: SyncState) -> None:
        before, self.sync_state = self.sync_state.refused, state
        if state.refused != before:  # refused here, or dismissed by a CLI
            self._load_refused()

    # -- who the person is, and what the shared database refused -----------------------
    @Slot(object)
    def _set_person(self, person: Person | None) -> None:
        # the server's answer; the first one is news even if the cache said the same
        # (None: "not asked yet" becomes "this login is no person")
        first, self.person_known = not self.person_known, True
        if person != self.person or first:
            self.person = person
            self.personChanged.emit(person)

    def _read_refused(self) -> Refusals:
        """On the DB worker: the newest refusals and how many there are."""
        with self.store.unit(read_only=True) as uow:
            return uow.refused.list(limit=REFUSED_SHOWN), uow.refused.count()

    def _load_refused(self) -> None:
        if not self._stop.is_set():  # a sync state queued before the stop arrives after
            self.worker.submit(self._read_refused, self._show_refused, self._fail)

    def _show_refused(self, refusals: Refusals) -> None:
        self.refused, self.refused_count = refusals
        self.refusedChanged.emit(self.refused)

    @Slot(list)
    def _refusals_arrived(self, refusals: list[Refused]) -> None:
        """The syncer moved refused events out of the log: show the tickets as the
        server holds them (a refused opening removes its ticket), and the list."""
        self.refusalsArrived.emit(refusals)
        if self._stop.is_set():
            return
        self._load_refused()
        if any(r.kind == "matrix_published" for r in refusals):
            self.worker.submit(lambda: [QueueRow.from_record(r) for r in self.store.tickets()],
                               self.rowsReset.emit, self._fail)
            return
        tickets = sorted({r.ticket for r in refusals})

        def refolded() -> tuple[list[QueueRow], list[str]]:
            rows = self._rows_for(tickets)
            return rows, sorted(set(tickets) - {r.id for r in rows})

        self.worker.submit(refolded, lambda out: self.rowsChanged.emit(*out), self._fail)

    def dismiss_refused(self, ids: list[str],
                        on_done: Callable[[int], None] | None = None) -> None:
        """Forget these refusals (the person has read them); ``refusedChanged``
        follows, ``on_done`` gets how many went."""
        wanted = list(ids)

        def work() -> tuple[int, Refusals]:
            with self.store.unit() as uow:
                gone = uow.refused.dismiss(wanted)
            if self._syncer is not None:
                self._syncer.recount_refused()  # the sync state counts them too
            return gone, self._read_refused()

        def done(result: tuple[int, Refusals]) -> None:
            self._show_refused(result[1])
            if on_done is not None:
                on_done(result[0])

        self.worker.submit(work, done, self._fail)

    @Slot(str)
    def set_paging(self, paging: str) -> None:
        """Who pages now (from the notifier, queued to the GUI thread)."""
        if paging != self.paging:
            self.paging = paging
            self.pagingChanged.emit(paging)

    def _fail(self, error: BaseException) -> None:
        log.error("console error: %s", error)
        self.failed.emit(str(error))
