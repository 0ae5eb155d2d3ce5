"""Events from outside into the shared database: checking a request's events, giving
them stable ids and HLC timestamps, and writing them all or none.

The format is the ``simulate``/``import`` event format (docs/simulate.md), checked by
the same code (``load_json_line``, ``parse_event``, ``check_ticket_id``), plus an
optional ``id``: the sender's own event id, which makes a retry harmless.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg

from console.app.usecases.import_values import check_ticket_id
from console.app.usecases.importer import event_id
from console.app.usecases.simulate import load_json_line, parse_event
from console.domain.hlc import HybridClock, Timestamp, to_ms
from console.domain.matrix import Matrix
from console.store.records import StoredEvent
from console.store.server import SharedDatabase

# Never change: the ids of events already accepted are derived from it.
API_NAMESPACE = uuid.UUID("0e6f4c53-8d0b-4f55-a0d4-8a2d6f0b7c21")
MAX_BATCH = 1000
MAX_CLIENT_ID = 200
_FIELD = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*(?:\[\d+\])?(?:\.[A-Za-z0-9_]+)*): ")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a request: which event (``index`` in the batch, None for
    the body as a whole), which field ("" for the event as a whole) and why."""

    index: int | None
    field: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "message": self.message}


class Rejected(Exception):
    """The request is refused as a whole; nothing was written."""

    def __init__(self, status: int, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.status = status
        self.problems = list(problems)


@dataclass(frozen=True, slots=True)
class Accepted:
    ids: list[str]
    new: int


def decode_body(raw: bytes) -> Any:
    """The request body as JSON (UTF-8; the same checks as an event line: nesting depth,
    NUL characters, lone surrogates), or Rejected(400)."""
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise Rejected(400, [Problem(None, "", f"the body is not UTF-8 text (byte "
                                                f"0x{raw[exc.start]:02x} at offset {exc.start})")
                             ]) from None
    if not text.strip():
        raise Rejected(400, [Problem(None, "", "the body is empty; send a JSON event "
                                               "object or an array of them")])
    try:
        return load_json_line(text)
    except ValueError as exc:
        raise Rejected(400, [Problem(None, "", str(exc))]) from None


def _split(message: str) -> tuple[str, str]:
    """``"at: '...' has no UTC offset"`` -> ("at", the message)."""
    m = _FIELD.match(message)
    return (m.group(1), message) if m else ("", message)


def _stable_id(integration: str, *parts: str) -> str:
    return str(uuid.uuid5(API_NAMESPACE, "\x1f".join((integration, *parts))))


@dataclass(frozen=True, slots=True)
class Planned:
    """A checked event, before its HLC timestamp."""

    id: str
    ticket: str
    kind: str
    payload: dict[str, Any]
    at: datetime


def plan(body: Any, matrix: Matrix, *, integration: str,
         idempotency_key: str | None = None) -> list[Planned]:
    """Check one event (an object) or a batch (an array); every problem of the batch,
    by index and field, or the events with their ids. Ids: ``uuid5`` of the integration
    and the sender's ``id``; else of the ``Idempotency-Key`` header and the event's
    index; else of the event's content (as ``import`` does), so a replay adds nothing."""
    items = body if isinstance(body, list) else [body]
    if isinstance(body, list) and not body:
        raise Rejected(400, [Problem(None, "", "the batch is empty")])
    if len(items) > MAX_BATCH:
        raise Rejected(400, [Problem(None, "", f"the batch has {len(items)} events; at most "
                                               f"{MAX_BATCH} per request")])
    problems: list[Problem] = []
    out: list[Planned] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append(Problem(index, "", f"expected a JSON object, got {item!r:.60}"))
            continue
        fields = dict(item)
        client_id = fields.pop("id", None)
        if client_id is not None and (not isinstance(client_id, str) or not client_id
                                      or len(client_id) > MAX_CLIENT_ID):
            problems.append(Problem(index, "id", f"id: expected a non-empty string of at most "
                                                 f"{MAX_CLIENT_ID} characters, got "
                                                 f"{client_id!r:.60}"))
            continue
        try:
            event = parse_event(fields, matrix)
        except ValueError as exc:
            problems.append(Problem(index, *_split(str(exc))))
            continue
        try:
            check_ticket_id(event.ticket)
        except ValueError as exc:
            problems.append(Problem(index, "ticket", f"ticket: {exc}"))
            continue
        if client_id is not None:
            eid = _stable_id(integration, "id", client_id)
        elif idempotency_key is not None:
            eid = _stable_id(integration, "key", idempotency_key, str(index))
        else:
            eid = event_id(event.ticket, event.type, event.at, event.data)
        out.append(Planned(eid, event.ticket, event.type, event.data, event.at))
    if problems:
        raise Rejected(400, problems)
    return out


class Writer:
    """Stamps planned events with this instance's API clock and pushes them to the
    shared database in one transaction (durable before the caller answers 2xx). The
    clock first observes the newest HLC the local store has seen, as a console's own
    clock does, so HLC order stays the order in which events reach the log."""

    def __init__(self, db: SharedDatabase, device: str,
                 seen: Callable[[], str | None] = lambda: None) -> None:
        self.db = db
        self.seen = seen  # the latest HLC this instance's store has seen
        # Its own HLC device, so its stamps never equal the local store's (same host).
        self.device = (device.replace("-", "_") + ".api")[:64]
        self._hlc = HybridClock(self.device)
        self._lock = threading.Lock()

    def write(self, planned: Sequence[Planned], author: str,
              clock: Callable[[], datetime]) -> Accepted:
        """Push the events, in time order (as ``import`` stamps them); an id already in
        the database is skipped. Raises SharedDBError when the database fails."""
        unique = list({p.id: p for p in planned}.values())
        unique.sort(key=lambda p: p.at)
        ids = [p.id for p in unique]

        def known(conn: psycopg.Connection) -> set[str]:
            rows = conn.execute("SELECT id FROM events WHERE id = ANY(%s)", (ids,)).fetchall()
            return {str(r[0]) for r in rows}

        have = self.db.transaction("reading from", known)
        fresh = [p for p in unique if p.id not in have]
        last = self.seen()
        with self._lock:
            now_ms = to_ms(clock())
            if last:  # as a console's append: after everything already in the log here
                self._hlc.observe(Timestamp.decode(last), now_ms)
            stored = [StoredEvent(p.id, p.ticket, p.kind, p.payload, author, self.device,
                                  self._hlc.now(min(to_ms(p.at), now_ms)).encode(),
                                  p.at.astimezone(UTC)) for p in fresh]
        self.db.push(stored, all_or_none=True)  # the request is accepted whole or not at all
        return Accepted([p.id for p in planned], len(fresh))

