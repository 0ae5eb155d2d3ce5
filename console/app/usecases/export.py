"""``escalation-console export``: the local store's event log as an event file.

Every event the app writes, in the format ``import`` and ``simulate`` read
(docs/import.md): one JSON object a line, ``at`` (UTC), ``ticket``, ``type``, the
event's ``id`` and ``author``, then its payload's fields in key order. Lines are in
time order, events at one instant in log (HLC) order, so the same log always gives the
same file, and importing it into an empty store and exporting again gives it back
byte for byte. The matrix versions (``matrix_published`` on the ``_matrix`` stream)
are part of the log and are exported too, unless one ticket is asked for.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from console.app.usecases.event_kinds import MATRIX_STREAM
from console.store.local import LocalStore
from console.store.records import StoredEvent

# the line's own fields: a payload field of one of these names cannot be written
RESERVED = ("at", "ticket", "type", "id", "author")


class ExportError(Exception):
    """The log holds an event the event file cannot carry."""


@dataclass(frozen=True, slots=True)
class Window:
    """Which events to export: ``at`` in ``[start, end)``, of one ticket if given."""

    start: datetime | None = None
    end: datetime | None = None
    ticket: str | None = None

    def holds(self, event: StoredEvent) -> bool:
        return ((self.start is None or event.at >= self.start)
                and (self.end is None or event.at < self.end))


def event_line(event: StoredEvent) -> str:
    """One event as a line of the event file (without the line feed)."""
    clash = [k for k in RESERVED if k in event.payload]
    if clash:
        raise ExportError(f"event {event.id} ({event.kind} of {event.ticket}) has a payload "
                          f"field {clash[0]!r}, which an event line uses for itself; "
                          "it cannot be exported")
    line: dict[str, Any] = {"at": event.at.astimezone(UTC).isoformat(),
                            "ticket": event.ticket, "type": event.kind, "id": event.id,
                            "author": event.author}
    line.update(sorted(event.payload.items()))
    return json.dumps(line, ensure_ascii=False)


def ordered(events: Iterable[StoredEvent]) -> list[StoredEvent]:
    """Time order; events at one instant keep the log's (HLC) order, so ``import``,
    which stores a file's same-instant events in file order, folds them alike."""
    return sorted(events, key=lambda e: (e.at, e.hlc, e.id))


def export_events(store: LocalStore, window: Window | None = None) -> list[StoredEvent]:
    """The events of ``window`` (default: all), in the file's order, read from one
    snapshot."""
    window = window or Window()
    with store.unit(read_only=True) as uow:
        chosen = [e for e in uow.events.every(window.ticket) if window.holds(e)
                  and (window.ticket is not None or e.ticket != MATRIX_STREAM
                       or e.kind == "matrix_published")]
    return ordered(chosen)


def export_lines(events: Iterable[StoredEvent]) -> Iterator[str]:
    """The file's lines, each with its line feed."""
    for event in events:
        yield event_line(event) + "\n"
