"""What the agents' forms submit, as background operations on the service's DB worker.

Every submission is one unit of work on the store: its events, with ids derived from the
form's ``submit_id`` (kept in its draft), and the draft's deletion commit together, or
neither does. Submitting twice, say from a second window showing the same draft,
therefore stores the events once: the store skips ids it already has, and so does the
shared database.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from PySide6.QtCore import QObject, SignalInstance

from console.app.runtime.drafts import DraftAutosaver
from console.app.runtime.port import TimelineEvent, timeline_event
from console.app.runtime.rows import QueueRow
from console.app.runtime.worker import DbWorker
from console.domain.actions import approval_events, handoff_events
from console.domain.intake import SeverityDecision, opened_payload, severity_events
from console.domain.matrix import Matrix
from console.domain.sync_state import SyncState
from console.store.local import LocalStore, NewEvent

EVENT_NAMESPACE = uuid.UUID("6f1c2a4e-5b7d-4c8e-9a0b-1d2e3f405162")
Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]


class ServiceLike(Protocol):
    worker: DbWorker
    store: LocalStore
    user: str
    sync_state: SyncState
    rowsChanged: SignalInstance
    clock: Callable[[], datetime]

    def wake_sync(self) -> None: ...


def new_submit_id() -> str:
    return uuid.uuid4().hex


def event_id(submit_id: str, n: int) -> str:
    """The id of a submission's n-th event: the same on every retry."""
    return str(uuid.uuid5(EVENT_NAMESPACE, f"{submit_id}/{n}"))


def already_submitted(store: LocalStore, submit_id: str) -> bool:
    """Whether the submission's first event is stored (call on the worker)."""
    return bool(submit_id) and bool(store.known_ids([event_id(submit_id, 0)]))


@dataclass(frozen=True, slots=True)
class Submitted:
    ticket: str
    events: list[TimelineEvent]  # newly stored; empty when an earlier try stored them
    pending: int                # events in the outbox, waiting for the shared database
    rows: list[QueueRow]

    @property
    def duplicate(self) -> bool:
        return not self.events


def submit_events(service: ServiceLike, ticket: str,
                  events: Sequence[tuple[str, dict[str, Any]]],
                  submit_id: str, on_done: Done, on_error: Failed,
                  draft_key: str | None = None) -> None:
    """Append ``events`` and delete the draft in one unit of work (idempotent by
    ``submit_id``), then refresh the queue row and wake the syncer; ``on_done(Submitted)``
    on the GUI thread."""
    store, user = service.store, service.user
    new = [NewEvent(ticket, kind, payload, user, id=event_id(submit_id, n))
           for n, (kind, payload) in enumerate(events)]

    def work() -> Submitted:
        # one unit: the events and the draft's deletion commit together, or neither does
        with store.unit() as uow:
            stored = uow.events.append(new)
            if draft_key:
                uow.drafts.delete(draft_key)
            record = uow.tickets.get(ticket)
            pending = uow.events.pending()
        rows = [QueueRow.from_record(record)] if record is not None else []
        return Submitted(ticket, [timeline_event(e) for e in stored], pending, rows)

    def done(result: Submitted) -> None:
        if result.rows:
            service.rowsChanged.emit(result.rows, [])
        service.wake_sync()  # push now, not on the syncer's safety timeout
        on_done(result)

    service.worker.submit(work, done, on_error)


# -- the forms' submissions ------------------------------------------------------------


def submit_intake(service: ServiceLike, values: dict[str, Any], decision: SeverityDecision,
                  ticket: str, submit_id: str, on_done: Done, on_error: Failed,
                  draft_key: str | None = None) -> None:
    """``opened`` plus Support's ``severity`` (with ``override_of`` for an override);
    ``values["triage"]``, the suggestion the agent saw, is recorded on ``opened``, and a
    ``values["team"]`` (with ``team_tier``) other than the intake team is assigned."""
    opened = opened_payload(values, service.user)
    if isinstance(values.get("triage"), dict):
        opened["triage"] = values["triage"]
    events = [("opened", opened), *severity_events(decision)]
    if values.get("team") and values.get("team_tier"):
        events.append(("assigned", {"team": values["team"], "tier": values["team_tier"],
                                    "by": service.user, "reason": "chosen at intake"}))
    submit_events(service, ticket, events, submit_id, on_done, on_error, draft_key)


def submit_severity(service: ServiceLike, ticket: str, decision: SeverityDecision,
                    submit_id: str, on_done: Done, on_error: Failed,
                    draft_key: str | None = None) -> None:
    """Support's initial severity or Engineering's confirmation (with a disagreement
    event when Engineering changes Support's severity)."""
    submit_events(service, ticket, severity_events(decision), submit_id, on_done, on_error,
                  draft_key)


def submit_handoff(service: ServiceLike, matrix: Matrix, ticket: str, payload: dict[str, Any],
                   current_team: str, move: bool, submit_id: str, on_done: Done,
                   on_error: Failed, draft_key: str | None = None) -> None:
    events = handoff_events(matrix, payload, current_team, service.user, move)
    submit_events(service, ticket, events, submit_id, on_done, on_error, draft_key)


def request_approval(service: ServiceLike, matrix: Matrix, ticket: str, action: str,
                     amount: float | None, role: str, reason: str, severity: str | None,
                     submit_id: str, on_done: Done, on_error: Failed,
                     draft_key: str | None = None) -> None:
    events = approval_events(matrix, event_id(submit_id, 0), action, amount, role, reason,
                             service.user, severity)
    submit_events(service, ticket, events, submit_id, on_done, on_error, draft_key)


def answer_approval(service: ServiceLike, ticket: str, request_id: str, granted: bool,
                    role: str, note: str, on_done: Done, on_error: Failed) -> None:
    """``approval_granted`` or ``approval_denied`` for a request (idempotent per answer)."""
    kind = "approval_granted" if granted else "approval_denied"
    payload = {"request_id": request_id, "by": service.user, "role": role}
    if note.strip():
        payload["reason"] = note.strip()
    submit_events(service, ticket, [(kind, payload)], f"answer/{request_id}", on_done, on_error)


# -- reads for the forms ---------------------------------------------------------------------


def load_history(service: ServiceLike, ticket: str,
                 on_done: Callable[[list[TimelineEvent]], None], on_error: Failed) -> None:
    """A ticket's history, as plain timeline events, for a form."""
    store = service.store
    service.worker.submit(lambda: [timeline_event(e) for e in store.history(ticket)],
                          on_done, on_error)


def load_accounts(service: ServiceLike, on_done: Callable[[dict[str, str]], None],
                  on_error: Failed | None = None) -> None:
    """Known accounts and their tiers (the latest ticket wins), for the intake's completer."""
    store = service.store

    def read() -> dict[str, str]:
        with store.unit(read_only=True) as uow:
            return uow.tickets.accounts()

    service.worker.submit(read, on_done, on_error)


def load_roles(service: ServiceLike, on_done: Callable[[list[str]], None],
               on_error: Failed | None = None) -> None:
    """The matrix roles this console's user holds (their local profile), maybe empty."""
    store, user = service.store, service.user

    def read() -> list[str]:
        with store.unit(read_only=True) as uow:
            return uow.profiles.roles(user)

    service.worker.submit(read, on_done, on_error)


def save_roles(service: ServiceLike, roles: list[str], on_error: Failed | None = None) -> None:
    store, user = service.store, service.user

    def write() -> None:
        with store.unit() as uow:
            uow.profiles.set_roles(user, roles)

    service.worker.submit(write, None, on_error)


def sync_message(state: SyncState, pending: int) -> tuple[str, bool]:
    """What a form says after submitting: (text, True while it waits for sync)."""
    if state.status == "online" and pending == 0:
        return "Saved and synced to the shared database.", False
    waiting = f"{pending} event{'s' if pending != 1 else ''} waiting"
    if state.status == "online" or state.status == "syncing":
        return f"Saved — syncing now ({waiting}).", True
    if state.status == "not_configured":
        return (f"Saved locally — pending sync ({waiting}). This console is not connected "
                "to a shared database yet."), True
    return f"Saved locally — pending sync ({waiting}). It is sent on reconnect.", True


class FormActions:
    """The forms' use cases bound to the console service: the views call these (as
    ``ConsoleServicePort.forms``), so they never hand the service to code that reaches
    its store. Each answers on the GUI thread, like the functions it calls."""

    def __init__(self, service: ServiceLike) -> None:
        self._service = service

    def submit_intake(self, values: dict[str, Any], decision: SeverityDecision, ticket: str,
                      submit_id: str, on_done: Done, on_error: Failed,
                      draft_key: str | None = None) -> None:
        submit_intake(self._service, values, decision, ticket, submit_id, on_done, on_error,
                      draft_key)

    def submit_severity(self, ticket: str, decision: SeverityDecision, submit_id: str,
                        on_done: Done, on_error: Failed, draft_key: str | None = None) -> None:
        submit_severity(self._service, ticket, decision, submit_id, on_done, on_error,
                        draft_key)

    def submit_handoff(self, matrix: Matrix, ticket: str, payload: dict[str, Any],
                       current_team: str, move: bool, submit_id: str, on_done: Done,
                       on_error: Failed, draft_key: str | None = None) -> None:
        submit_handoff(self._service, matrix, ticket, payload, current_team, move, submit_id,
                       on_done, on_error, draft_key)

    def request_approval(self, matrix: Matrix, ticket: str, action: str,
                         amount: float | None, role: str, reason: str, severity: str | None,
                         submit_id: str, on_done: Done, on_error: Failed,
                         draft_key: str | None = None) -> None:
        request_approval(self._service, matrix, ticket, action, amount, role, reason,
                         severity, submit_id, on_done, on_error, draft_key)

    def answer_approval(self, ticket: str, request_id: str, granted: bool, role: str,
                        note: str, on_done: Done, on_error: Failed) -> None:
        answer_approval(self._service, ticket, request_id, granted, role, note, on_done,
                        on_error)

    def history(self, ticket: str, on_done: Callable[[list[TimelineEvent]], None],
                on_error: Failed) -> None:
        load_history(self._service, ticket, on_done, on_error)

    def accounts(self, on_done: Callable[[dict[str, str]], None]) -> None:
        load_accounts(self._service, on_done)

    def roles(self, on_done: Callable[[list[str]], None]) -> None:
        load_roles(self._service, on_done)

    def save_roles(self, roles: list[str]) -> None:
        save_roles(self._service, roles)

    def autosaver(self, key: str, form: str, ticket: str,
                  snapshot: Callable[[], dict[str, Any]],
                  parent: QObject | None = None) -> DraftAutosaver:
        """A debounced autosaver for one form's draft (see drafts.DraftAutosaver)."""
        return DraftAutosaver(self._service, key, form, ticket, snapshot, parent=parent)
