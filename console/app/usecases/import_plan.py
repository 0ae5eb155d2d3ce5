"""What an import plans before it writes: the events, the problems found, and the
events' ids (shared by the CSV and JSON Lines readers and the intake API)."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from console.store.local import NewEvent

# Never change: event ids of earlier imports are derived from it.
NAMESPACE = uuid.UUID("5b0c7f64-3f1e-4f8e-9a57-6d1c2e9b7a10")


class ImportFailure(Exception):
    """The file as a whole cannot be imported (encoding, header, format)."""


@dataclass(frozen=True, slots=True)
class BadRow:
    line: int
    field: str
    reason: str

    def describe(self, name: str) -> str:
        where = f"{name}:{self.line}: "
        return where + (f"{self.field}: {self.reason}" if self.field else self.reason)


@dataclass(slots=True)
class Plan:
    """What a file would add: every event, plus every problem found."""

    events: list[NewEvent] = field(default_factory=list)
    rows: int = 0                     # data rows (CSV) or event lines (JSONL) read
    bad: list[BadRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def bad_rows(self) -> int:
        return len({b.line for b in self.bad})


@dataclass(frozen=True, slots=True)
class ImportResult:
    tickets: int
    events: int
    duplicates: int
    bad_rows: int


def event_id(ticket: str, kind: str, at: datetime, payload: dict[str, Any]) -> str:
    """uuid5 of the ticket, the event type, its instant and its content: the same event
    imported again gets the same id (and append_many skips it); a changed one does not."""
    content = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.sha256(content.encode()).hexdigest()
    key = "\x1f".join((ticket, kind, at.isoformat(), digest))
    return str(uuid.uuid5(NAMESPACE, key))


def given_event_id(given: str) -> str:
    """The id of an event whose line gives one: a UUID as it is (``export`` writes the
    log's own ids), any other text turned into one (uuid5), always the same."""
    try:
        return str(uuid.UUID(given))
    except ValueError:
        return str(uuid.uuid5(NAMESPACE, "id\x1f" + given))
