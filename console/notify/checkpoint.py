"""The engine's checkpoint: the notification runner's start costs the events since the
last checkpoint, not the whole log.

Replaying a year of history (1,000,000 events) through the engine at every start took
tens of CPU seconds before the runner could page. The runner saves what its engine
holds (the open tickets' folds, what fired for them, their chain positions, the live
timers, the engine's instant and sequence counter) together with the acknowledgements
and resolutions it guards sends with, after its start, every ``interval`` seconds or
``max_events`` events, and at a clean stop. A start restores it and replays only the
events stored after its cursor.

The file lives in the store's data directory next to the SQLite file. It is written
atomically (a temporary file, fsync, rename) and holds one JSON header line, then a
pickle. Pickle is acceptable here: this program writes it and reads it back, in a
directory that belongs to the user (a console) or to the service's user, the file
itself mode 0600; it never travels and never comes from anyone else. The header stamps a
format version, the program version and the field layout of the engine's records
(pickled as tuples), the feed cursor (the last event rowid it covers
and that event's id), the matrix version it was computed under (a fingerprint of its
content, and the version's event id when there is one), the instant its fires were
handled through, and the body's length and SHA-256. Anything that does not match (an
older format or program, another matrix, a cursor the log does not hold, a checkpoint
newer than the outbox's "fires handled" mark, a truncated or corrupt file) is
discarded with one WARNING line and the start replays every event, as before.

Resolved tickets leave the engine when it is checkpointed (they have no timers, and a
store keeps every ticket it ever had). An event that comes later for one of them
(reopened, a late message) has the ticket folded again from its events in the store,
up to the cursor at which it was dropped, before the event applies: what a full
replay would have held. The events come in pages (``PAGE``) and the stored events of
every ticket in a page that the engine does not hold are read in one query: a tail
of a year of history (hundreds of thousands of tickets the engine never held, a
history pull after the checkpoint) cost one query a ticket, slower than a full replay.
A ticket whose first event in the tail is ``opened`` is looked up too: a second
opening of a ticket (another console's) folds as nothing, so only the stored events
tell a new ticket from one the engine dropped.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import logging
import pickle
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any, Protocol

from console import __version__
from console.atomic_file import write_private_atomically
from console.domain.engine import Engine
from console.domain.matrix.model import Matrix
from console.domain.tracked import layout

log = logging.getLogger(__name__)
FILE_NAME = "notify-engine.checkpoint"
FORMAT = 1
MAGIC = "escalation-console engine checkpoint"
Stops = dict[str, tuple[datetime, str]]
PAGE = 2000  # events a store query for the dropped tickets covers
QUIET = timedelta(seconds=5)  # a periodic save waits for no timer due this soon
# the records' field names (pickled as tuples): a build that changed them reads none
_LAYOUT = hashlib.sha256(layout().encode()).hexdigest()[:16]


class History(Protocol):
    """What the checkpoint reads back from the store's event log (``EventFeed``)."""

    def after(self, cursor: int) -> tuple[Iterable[Any], int]: ...
    def tickets_events(self, tickets: Collection[str], upto: int) -> dict[str, list[Any]]: ...
    def event_id(self, rowid: int) -> str | None: ...


@dataclass(slots=True)
class Restored:
    """A checkpoint taken back: the engine and the stops as saved, the cursor it
    covers and the instant its fires were handled through."""

    engine: Engine
    stops: Stops
    cursor: int
    at: datetime


class Discarded(Exception):
    """Why a checkpoint cannot be used (said in the warning)."""


def matrix_fingerprint(matrix: Matrix) -> str:
    """A digest of the matrix's content, equal in every process for equal content
    (sets sorted, so hash randomisation does not change it)."""
    return hashlib.sha256(repr(_canon(matrix)).encode()).hexdigest()[:32]


def _canon(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, tuple((f.name, _canon(getattr(value, f.name)))
                                            for f in dataclasses.fields(value) if f.compare))
    if isinstance(value, dict):
        return tuple(sorted((repr(k), _canon(v)) for k, v in value.items()))
    if isinstance(value, (set, frozenset)):
        return tuple(sorted(repr(_canon(v)) for v in value))
    if isinstance(value, (list, tuple)):
        return tuple(_canon(v) for v in value)
    if isinstance(value, enum.Enum):
        return repr(value)
    return value


class EngineCheckpoint:
    """The checkpoint file of one runner, and the bookkeeping of tickets dropped
    from its engine. ``history`` reads the store's log; ``matrix_event`` names the
    matrix version in force (its publishing event), for the header."""

    def __init__(self, path: Path, history: History, *, interval: float = 300.0,
                 max_events: int = 100_000,
                 matrix_event: Callable[[], str | None] | None = None,
                 program: str = __version__) -> None:
        self.path = Path(path)
        self.history = history
        self.interval = timedelta(seconds=interval)
        self.max_events = max_events
        self.matrix_event = matrix_event
        self.program = program
        # resolved tickets folded from the events up to this rowid were dropped
        self.dropped_upto = 0
        self.restored_cursor: int | None = None  # the cursor the last start restored
        self.save_seconds = 0.0  # what the last save took (pickle and write)
        self._saved_at: datetime | None = None
        self._events = 0
        self._fingerprints: tuple[Matrix, str] | None = None
        self._write_failed = False

    # -- restore ----------------------------------------------------------------------
    def restore(self, matrix: Matrix, make_engine: Callable[[], Engine],
                checked_until: datetime | None) -> Restored | None:
        """The saved engine, if the file is there and matches this program, this
        matrix and this log; None (one warning) means: replay every event."""
        self.restored_cursor = None
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            self._discard(f"cannot read it: {exc}")
            return None
        try:
            restored = self._restore(data, matrix, make_engine, checked_until)
        except Discarded as why:
            self._discard(str(why))
            return None
        except Exception as exc:  # a corrupt body: whatever unpickling raises
            self._discard(f"corrupt: {type(exc).__name__}: {exc}")
            return None
        self.restored_cursor = self.dropped_upto = restored.cursor
        self._saved_at = restored.at
        return restored

    def _restore(self, data: bytes, matrix: Matrix, make_engine: Callable[[], Engine],
                 checked_until: datetime | None) -> Restored:
        line, sep, body = data.partition(b"\n")
        try:
            head = json.loads(line) if sep else None
        except ValueError:
            head = None
        if not isinstance(head, dict) or head.get("magic") != MAGIC:
            raise Discarded("not a checkpoint (garbage or truncated header)")
        if head.get("format") != FORMAT:
            raise Discarded(f"format {head.get('format')!r}, this program reads {FORMAT}")
        if head.get("program") != self.program:
            raise Discarded(f"written by version {head.get('program')!r}, "
                            f"this is {self.program}")
        if head.get("layout") != _LAYOUT:
            raise Discarded("the engine's records have other fields in this build")
        if head.get("matrix") != self._fingerprint(matrix):
            raise Discarded(f"computed under another matrix version "
                            f"({head.get('matrix_event') or 'the default'})")
        cursor = int(head["cursor"])
        if cursor > 0 and self.history.event_id(cursor) != head.get("cursor_event"):
            raise Discarded(f"the event log does not hold its cursor (event {cursor})")
        at = datetime.fromisoformat(head["at"])
        if checked_until is not None and at > checked_until:
            raise Discarded(f"newer ({at.isoformat()}) than the outbox's mark of fires "
                            f"handled ({checked_until.isoformat()})")
        if len(body) != head.get("body_bytes"):
            raise Discarded(f"truncated: {len(body)} of {head.get('body_bytes')} bytes")
        if hashlib.sha256(body).hexdigest() != head.get("body_sha256"):
            raise Discarded("corrupt: its checksum does not match")
        saved = pickle.loads(body)  # our own file (see the module doc)
        engine = make_engine()
        engine.import_state(saved["engine"])
        return Restored(engine, saved["stops"], cursor, at)

    def _discard(self, why: str) -> None:
        log.warning("engine checkpoint %s not used (%s): replaying every event",
                    self.path, why)

    def tail(self, cursor: int) -> tuple[Iterable[Any], int]:
        """The events stored after the restored cursor, in HLC order."""
        return self.history.after(cursor)

    # -- tickets dropped from the engine ----------------------------------------------
    def held(self, engine: Engine, events: Iterable[Any],
             make_engine: Callable[[], Engine]) -> Iterator[Any]:
        """``events`` as they come, each ticket the engine dropped once it was resolved
        folded again from its stored events up to the drop just before its first event
        is yielded. One store query a page of events, for every ticket in the page the
        engine does not hold (the engine drops none while the events apply)."""
        it = iter(events)
        while page := list(islice(it, PAGE)):
            upto = self.dropped_upto
            unknown = {e.ticket for e in page
                       if e.ticket not in engine.tickets and not e.ticket.startswith("_")}
            stored = self.history.tickets_events(unknown, upto) if upto and unknown else {}
            for e in page:
                found = stored.pop(e.ticket, None)
                if found and e.ticket not in engine.tickets:
                    self._fold(engine, e.ticket, found, make_engine)
                yield e

    @staticmethod
    def _fold(engine: Engine, ticket: str, events: list[Any],
              make_engine: Callable[[], Engine]) -> None:
        scratch = make_engine()
        for e in events:
            scratch.apply(e.to_domain())  # its fires went out (or not) long ago
        folded = scratch.tickets.get(ticket)
        if folded is not None:
            engine.adopt(folded)

    def prune(self, engine: Engine, cursor: int) -> int:
        """Drop the resolved tickets (every event up to ``cursor`` applied); how many.
        Their stops stay: a step queued in the turn that resolved a ticket (its events
        arriving late, a history pull) is kept from going out by its stop alone."""
        gone = engine.drop_closed()
        self.dropped_upto = cursor
        return len(gone)

    # -- save ---------------------------------------------------------------------------
    def counted(self, events: int) -> None:
        self._events += events

    def due(self, now: datetime, next_fire: datetime | None = None) -> bool:
        """Whether the periodic checkpoint is due: ``interval`` since the last save or
        ``max_events`` events, at a quiet moment (no timer of the engine due within
        ``QUIET``: a save at 50,000 open tickets holds the runner's thread for a
        fraction of a second), or at twice the interval whatever is due."""
        if self._saved_at is None:
            return True
        since = now - self._saved_at
        if since < self.interval and self._events < self.max_events:
            return False
        quiet = next_fire is None or next_fire - now > QUIET
        return quiet or since >= 2 * self.interval

    def save(self, engine: Engine, stops: Stops, cursor: int, at: datetime,
             matrix: Matrix) -> bool:
        """Drop the resolved tickets, then write the engine's state covering the events
        up to ``cursor``, its fires handled through ``at``. A failure to write is a
        warning: the next start replays more, nothing else."""
        t0 = time.perf_counter()
        self.prune(engine, cursor)
        body = pickle.dumps({"engine": engine.export_state(), "stops": stops},
                            protocol=pickle.HIGHEST_PROTOCOL)
        head = {"magic": MAGIC, "format": FORMAT, "program": self.program, "layout": _LAYOUT,
                "cursor": cursor, "cursor_event": self.history.event_id(cursor),
                "matrix": self._fingerprint(matrix),
                "matrix_event": self.matrix_event() if self.matrix_event else None,
                "at": at.isoformat(), "tickets": len(engine.tickets),
                "body_bytes": len(body), "body_sha256": hashlib.sha256(body).hexdigest()}
        try:
            write_private_atomically(self.path, json.dumps(head).encode() + b"\n", body)
        except OSError as exc:  # said once: the next turns would say it again
            log.log(logging.DEBUG if self._write_failed else logging.WARNING,
                    "cannot write the engine checkpoint %s: %s", self.path, exc)
            self._write_failed = True
            return False
        finally:
            self.save_seconds = time.perf_counter() - t0
        self._saved_at, self._events = at, 0
        log.debug("engine checkpoint: %d open tickets up to event %d in %.3f s",
                  len(engine.tickets), cursor, self.save_seconds)
        return True

    def _fingerprint(self, matrix: Matrix) -> str:
        if self._fingerprints is None or self._fingerprints[0] is not matrix:
            self._fingerprints = (matrix, matrix_fingerprint(matrix))
        return self._fingerprints[1]

