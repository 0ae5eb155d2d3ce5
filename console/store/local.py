"""The local store: one SQLite file per console, the embedded default.

Over 400 lines on purpose: LocalStore is the store's one public class, and each of
its methods is one short transaction over the same engines, write lock and projector.

WAL mode with synchronous=FULL; every write is one ``BEGIN IMMEDIATE`` transaction
with a busy timeout, so a crash at any point leaves either all of a change or none of
it. A lock file refuses a second app instance on the same data directory.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, delete, event, func, insert, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from console.domain.hlc import HybridClock, Timestamp, to_ms
from console.domain.matrix import Matrix, MatrixError, check_matrix_text
from console.domain.people import Person, Refused, authority_rows

from . import bulk, migrate, refused
from .errors import StoreError, StoreLocked, explain_sqlite
from .models import (
    Base,
    EventRow,
    MetaRow,
    OutboxRow,
    SyncCursorRow,
    TicketRow,
    table_of,
)
from .private import private_dir, private_fd, private_sqlite
from .projector import MATRIX_STREAM, Projector
from .records import StoredEvent, TicketRecord
from .unit import MatrixVersion, UnitOfWork

log = logging.getLogger(__name__)
DB_NAME = "console.sqlite3"
LOCK_NAME = "console.lock"
BUSY_TIMEOUT_S = 10.0
# A first connect's history pull: the seq it stops at and "done" (sync cursor rows), and
# the last ticket pulled (a meta row: history comes a whole ticket at a time).
HISTORY = "history"
HISTORY_UNTIL = "history_until"
HISTORY_TICKET = "history_ticket"
# the meta key of the cached answer to "who is this console's login" (Person JSON)
PERSON = "person"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to append; ``id`` may be given to make an import idempotent."""

    ticket: str
    kind: str
    payload: dict[str, Any]
    author: str
    at: datetime | None = None
    id: str | None = None


class InstanceLock:
    """An advisory lock on the data directory, held for the process's lifetime."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise StoreLocked(
                f"another Escalation Console (pid {holder}) is already using "
                f"{self.path.parent}; close it first, or start this one with a different "
                "--data-dir") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        private_fd(fd)  # one an older version left readable by others

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def sqlite_engine(path: Path, begin: str = "BEGIN IMMEDIATE") -> Engine:
    """An engine whose transactions start with ``begin``: BEGIN IMMEDIATE for writers;
    plain (deferred) BEGIN for readers, which in WAL mode read a snapshot and never
    wait for, or block, a writer."""
    engine = create_engine(f"sqlite:///{path}",
                           connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql(begin)

    return engine


class LocalStore:
    """Events, projections and the outbox of one console."""

    def __init__(self, data_dir: str | Path, default_matrix: Matrix, *,
                 clock: Callable[[], datetime] = utc_now, lock: bool = True) -> None:
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / DB_NAME
        self.clock = clock
        self._lock = InstanceLock(self.data_dir) if lock else None
        self._engine: Engine | None = None
        self._sessions: sessionmaker[Session] | None = None
        self._read_engine: Engine | None = None
        self._read_sessions: sessionmaker[Session] | None = None
        # One writer at a time inside this process: threads (the GUI's worker, the
        # syncer) queue on this lock instead of SQLite's sleeping busy handler.
        self._write_guard = threading.RLock()
        self.device = ""
        self._hlc: HybridClock | None = None
        self.projector = Projector(default_matrix)
        self._matrix_listeners: list[Callable[[Matrix], None]] = []

    # -- life cycle ---------------------------------------------------------------
    def open(self) -> LocalStore:
        try:
            private_dir(self.data_dir)
        except OSError as exc:
            raise StoreError(f"cannot create the data directory {self.data_dir}: "
                             f"{exc.strerror}") from None
        if self._lock is not None:
            try:
                self._lock.acquire()
            except OSError as exc:
                raise StoreError(explain_sqlite(exc, str(self.data_dir))) from None
        try:
            private_sqlite(self.path)
            self._engine = sqlite_engine(self.path)
            migrate.upgrade(self._engine)
            self._sessions = sessionmaker(self._engine, expire_on_commit=False)
            self._read_engine = sqlite_engine(self.path, begin="BEGIN")
            self._read_sessions = sessionmaker(self._read_engine, expire_on_commit=False)
            with self._write() as s:
                self.device = self._meta(s, "device") or uuid.uuid4().hex[:12]
                s.merge(MetaRow(key="device", value=self.device))
                last = self._meta(s, "hlc")
                self._hlc = HybridClock(self.device, Timestamp.decode(last) if last else None)
                matrix = self.projector.latest_matrix(s)
            if matrix is not None and matrix != self.projector.matrix:
                with self._write_guard:  # the store's version replaces the bundled file
                    self.projector.set_matrix(matrix)
                    self._announce_matrix()
        except (OperationalError, DBAPIError, OSError) as exc:
            self.close()
            raise StoreError(explain_sqlite(exc, str(self.path))) from None
        return self

    def close(self) -> None:
        if self._read_engine is not None:
            self._read_engine.dispose()
            self._read_engine = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        if self._lock is not None:
            self._lock.release()

    def __enter__(self) -> LocalStore:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def matrix(self) -> Matrix:
        """The matrix in force: the newest valid published version in this store, or the
        bundled default while the store holds none (it only seeds an empty store)."""
        return self.projector.matrix

    def follow_matrix(self, listener: Callable[[Matrix], None]) -> None:
        """Call ``listener(matrix)`` with the matrix in force now, then whenever it
        changes: at open (the store's version replaces the default), after a local
        publish, after a pull. It runs on the thread that committed the change, inside
        the store's write lock, so calls arrive in commit order and none falls between
        registering and the first call; it must only hand the matrix on (emit a signal,
        set a flag), never touch the store."""
        with self._write_guard:
            self._matrix_listeners.append(listener)
            listener(self.projector.matrix)

    def unfollow_matrix(self, listener: Callable[[Matrix], None]) -> None:
        """Stop calling ``listener``. Takes no lock (announcements iterate over a copy),
        so the GUI thread may call it while a long write holds the store."""
        if listener in self._matrix_listeners:
            self._matrix_listeners.remove(listener)

    def _announce_matrix(self) -> None:
        matrix = self.projector.matrix
        for listener in list(self._matrix_listeners):
            try:
                listener(matrix)
            except Exception:  # one broken follower must not fail the commit's caller
                log.exception("a matrix listener failed")

    @contextmanager
    def _matrix_watch(self) -> Iterator[None]:
        """Around a write that may change the matrix in force: announce the new one after
        the commit, or put the old one back if the transaction rolled back."""
        with self._write_guard:
            before = self.projector.matrix
            try:
                yield
            except BaseException:
                if self.projector.matrix is not before:
                    self.projector.set_matrix(before)
                raise
            if self.projector.matrix is not before:
                self._announce_matrix()

    # -- sessions -------------------------------------------------------------------
    def _write(self) -> _WriteTxn:
        assert self._sessions is not None, "store is not open"
        return _WriteTxn(self._sessions, str(self.path), self._write_guard)

    def _read(self) -> Session:
        assert self._read_sessions is not None, "store is not open"
        return self._read_sessions()

    @staticmethod
    def _meta(s: Session, key: str) -> str | None:
        row = s.get(MetaRow, key)
        return row.value if row else None

    # -- writing --------------------------------------------------------------------
    def append(self, ticket: str, kind: str, payload: dict[str, Any], author: str,
               at: datetime | None = None) -> StoredEvent:
        """Record one local event: log, outbox and projection in one transaction."""
        return self.append_many([NewEvent(ticket, kind, payload, author, at)])[0]

    def append_many(self, new: Sequence[NewEvent]) -> list[StoredEvent]:
        """Append events atomically; those whose id already exists are skipped."""
        with self.unit() as uow:
            return uow.events.append(new)

    @contextmanager
    def unit(self, *, read_only: bool = False) -> Iterator[UnitOfWork]:
        """One unit of work: ``with store.unit() as uow`` is one BEGIN IMMEDIATE
        transaction under the write lock, committed when the block ends, rolled back
        (nothing written, the matrix in force unchanged) when it raises. With
        ``read_only`` it reads a snapshot without waiting for writers. Units do not nest:
        a write unit opened inside another on the same thread would wait for its own
        lock (SQLite's busy timeout, then a StoreError)."""
        if read_only:
            with self._read() as s:
                yield UnitOfWork(s, False, self._append_in, self._bulk_in, self.device)
            return
        with self._matrix_watch(), self._write() as s:
            yield UnitOfWork(s, True, self._append_in, self._bulk_in, self.device)

    def _append_in(self, s: Session, new: Sequence[NewEvent]) -> list[StoredEvent]:
        """append_many's work inside the caller's write transaction."""
        assert self._hlc is not None
        known: set[str] = set()
        ids = [n.id for n in new if n.id]
        for chunk in range(0, len(ids), 500):
            known.update(s.scalars(select(EventRow.id)
                                   .where(EventRow.id.in_(ids[chunk:chunk + 500]))))
        stored: list[StoredEvent] = []
        now = self.clock()
        for n in new:
            if n.id and (n.id in known):
                continue
            at = n.at or now
            stamp = self._hlc.now(to_ms(at) if n.at else to_ms(now))
            e = StoredEvent(n.id or str(uuid.uuid4()), n.ticket, n.kind, n.payload,
                            n.author, self.device, stamp.encode(), at.astimezone(UTC))
            known.add(e.id)
            stored.append(e)
        if stored:
            s.execute(insert(EventRow), [e.to_row() for e in stored])
            s.execute(insert(OutboxRow), [{"event_id": e.id, "queued_hlc": e.hlc}
                                          for e in stored])
            _upsert(s, MetaRow, key="hlc", value=stored[-1].hlc)
            self._after_new_events(s, stored)
        return stored

    def _bulk_in(self, s: Session, new: Sequence[NewEvent], outbox: bool) -> list[StoredEvent]:
        assert self._hlc is not None, "store is not open"
        return bulk.append_new_tickets_in(s, new, outbox=outbox, hlc=self._hlc,
                                          device=self.device, now=self.clock(),
                                          projector=self.projector)

    def ingest(self, remote: Iterable[StoredEvent], cursor: int | None = None, *,
               history: str | None = None, history_until: int | None = None,
               history_done: bool = False) -> int:
        """Store events pulled from the shared database (duplicates are ignored) and
        advance the pull cursor, in one transaction. Returns how many were new.

        ``history`` (the last ticket pulled), ``history_until`` (the seq it stops at) and
        ``history_done`` record a first connect's background pull of history (see
        ``Syncer``), in the same transaction as the events they cover."""
        assert self._hlc is not None
        remote = list(remote)
        with self._matrix_watch(), self._write() as s:
            have: set[str] = set()
            ids = [e.id for e in remote]
            for chunk in range(0, len(ids), 500):
                have.update(s.scalars(select(EventRow.id)
                                      .where(EventRow.id.in_(ids[chunk:chunk + 500]))))
            fresh = [e for e in remote if e.id not in have]
            now_ms = to_ms(self.clock())
            for e in fresh:
                self._hlc.observe(Timestamp.decode(e.hlc), now_ms)
            if fresh:
                s.execute(insert(EventRow), [{**e.to_row(), "seq": e.seq} for e in fresh])
                _upsert(s, MetaRow, key="hlc", value=self._hlc.now(now_ms).encode())
                self._after_new_events(s, fresh)
            if cursor is not None:
                _upsert(s, SyncCursorRow, name="server", seq=cursor)
            if history_until is not None:
                _upsert(s, SyncCursorRow, name=HISTORY_UNTIL, seq=history_until)
            if history is not None:
                _upsert(s, MetaRow, key=HISTORY_TICKET, value=history)
            if history_done:
                until = s.get(SyncCursorRow, HISTORY_UNTIL)
                _upsert(s, SyncCursorRow, name=HISTORY, seq=until.seq if until else 0)
            return len(fresh)

    def _after_new_events(self, s: Session, events: list[StoredEvent]) -> None:
        if Projector.record_matrix_versions(s, events):
            matrix = self.projector.latest_matrix(s)
            if matrix is not None and matrix != self.projector.matrix:
                self.projector.set_matrix(matrix)
                self.projector.refresh_all(s)
                return
        self.projector.refresh(s, (e.ticket for e in events))

    def publish_matrix(self, yaml_text: str, name: str, author: str, comment: str = ""
                       ) -> StoredEvent:
        """Append ``yaml_text`` as the next matrix version. Raise MatrixError when it is
        not a valid matrix. Its YAML is parsed here, once: the projection switches to
        this parse, and the matrix followers get it."""
        matrix, problems = check_matrix_text(yaml_text, "the matrix to publish")
        if matrix is None:
            raise MatrixError(problems)
        with self.unit(read_only=True) as uow:
            number = uow.matrix_versions.next_number()
        event_id = str(uuid.uuid4())
        # the authority table rides along: the server checks approvals against it
        new = NewEvent(MATRIX_STREAM, "matrix_published",
                       {"yaml": yaml_text, "name": name, "number": number,
                        "comment": comment, "authority": authority_rows(matrix)},
                       author, id=event_id)
        with self.projector.parsed_ahead(event_id, matrix):
            return self.append_many([new])[0]

    # -- outbox and cursor ------------------------------------------------------------
    def outbox(self, limit: int = 500) -> list[StoredEvent]:
        with self._read() as s:
            rows = s.scalars(select(EventRow).join(OutboxRow, OutboxRow.event_id == EventRow.id)
                             .order_by(OutboxRow.queued_hlc).limit(limit)).all()
            return [StoredEvent.from_row(r) for r in rows]

    def acknowledge(self, event_ids: Sequence[str]) -> None:
        """The shared database has these events: drop them from the outbox."""
        with self._write() as s:
            for chunk in range(0, len(event_ids), 500):
                s.execute(delete(OutboxRow)
                          .where(OutboxRow.event_id.in_(event_ids[chunk:chunk + 500])))

    def refuse(self, refusals: Sequence[tuple[StoredEvent, str]],
               at: datetime | None = None) -> list[Refused]:
        """The shared database refused these events (each with its reason): move them
        from the log and outbox to the refused list and refold what they touched, in
        one transaction (see ``refused.move``). Returns what was moved."""
        with self._matrix_watch(), self._write() as s:
            return refused.move(s, self.projector, refusals, at or self.clock())

    def person(self) -> Person | None:
        """Who this console's database login is, as the server last said (cached, so a
        console started offline still knows its role); None if never asked or nobody."""
        with self._read() as s:
            raw = self._meta(s, PERSON)
        try:
            data = json.loads(raw) if raw else None
            return Person.from_json(data) if isinstance(data, dict) else None
        except (ValueError, KeyError, TypeError):  # a damaged cache: ask again
            return None

    def set_person(self, person: Person | None) -> None:
        """Remember the server's answer to who this login is (``person()``)."""
        value = json.dumps(person.to_json() if person is not None else None)
        with self._write() as s:
            _upsert(s, MetaRow, key=PERSON, value=value)

    def pending(self) -> int:
        with self._read() as s:
            return s.scalar(select(func.count()).select_from(OutboxRow)) or 0

    def in_outbox(self, event_ids: Sequence[str]) -> set[str]:
        """Which of these events still wait for the shared database (a read)."""
        waiting: set[str] = set()
        with self._read() as s:
            for chunk in range(0, len(event_ids), 500):
                waiting.update(s.scalars(select(OutboxRow.event_id).where(
                    OutboxRow.event_id.in_(event_ids[chunk:chunk + 500]))))
        return waiting

    def cursor(self) -> int:
        with self._read() as s:
            row = s.get(SyncCursorRow, "server")
            return row.seq if row else 0

    def history_left(self) -> tuple[str, int] | None:
        """(the last ticket pulled, the seq history stops at) while a first connect's
        history is still being pulled in the background; None when the log is complete."""
        with self._read() as s:
            until = s.get(SyncCursorRow, HISTORY_UNTIL)
            done = s.get(SyncCursorRow, HISTORY)
            if until is None or (done is not None and done.seq >= until.seq):
                return None
            last = s.get(MetaRow, HISTORY_TICKET)
            return (last.value if last else ""), until.seq

    def known_ids(self, event_ids: Sequence[str]) -> set[str]:
        """Which of these event ids the local log already holds (a read, no lock)."""
        known: set[str] = set()
        with self._read() as s:
            for chunk in range(0, len(event_ids), 500):
                known.update(s.scalars(select(EventRow.id)
                                       .where(EventRow.id.in_(event_ids[chunk:chunk + 500]))))
        return known

    # -- reading ----------------------------------------------------------------------
    def tickets(self) -> list[TicketRecord]:
        """Every ticket as a plain record, the next due first."""
        with self.unit(read_only=True) as uow:
            return uow.tickets.all()

    def ticket(self, ticket_id: str) -> TicketRecord | None:
        with self.unit(read_only=True) as uow:
            return uow.tickets.get(ticket_id)

    def history(self, ticket_id: str) -> list[StoredEvent]:
        with self._read() as s:
            rows = s.scalars(select(EventRow).where(EventRow.ticket == ticket_id)
                             .order_by(EventRow.hlc)).all()
            return [StoredEvent.from_row(r) for r in rows]

    def all_events(self) -> list[StoredEvent]:
        with self._read() as s:
            return [StoredEvent.from_row(r)
                    for r in s.scalars(select(EventRow).order_by(EventRow.hlc))]

    def matrix_versions(self) -> list[MatrixVersion]:
        """Every published matrix version, oldest first."""
        with self.unit(read_only=True) as uow:
            return uow.matrix_versions.all()

    def projection_fingerprint(self) -> list[dict[str, Any]]:
        """Every ticket row as plain data: equal on two stores means identical tickets."""
        out = []
        for row in self.tickets():
            d = {c: getattr(row, c) for c in TicketRow.__table__.columns.keys()}  # noqa: SIM118
            d.pop("last_hlc")
            d["clocks"], d["detail"] = json.loads(d["clocks"]), json.loads(d["detail"])
            out.append(d)
        return out


def _upsert(s: Session, model: type[Base], **values: Any) -> None:
    """INSERT ... ON CONFLICT DO UPDATE on the primary key, in one statement (an ORM
    merge would SELECT first: this runs on every pulled page)."""
    table = table_of(model)
    key = [c.name for c in table.primary_key.columns]
    stmt = sqlite_insert(table).values(**values)
    s.execute(stmt.on_conflict_do_update(
        index_elements=key, set_={k: v for k, v in values.items() if k not in key}))


class _WriteTxn:
    """``with store._write() as session``: BEGIN IMMEDIATE ... COMMIT, or roll back and
    raise a StoreError that explains the failure."""

    def __init__(self, sessions: sessionmaker[Session], path: str,
                 guard: threading.RLock) -> None:
        self._session = sessions()
        self._path = path
        self._guard = guard

    def __enter__(self) -> Session:
        self._guard.acquire()
        try:
            self._session.begin()
        except BaseException:
            self._guard.release()
            raise
        return self._session

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            self._finish(exc_type, exc)
        finally:
            self._guard.release()

    def _finish(self, exc_type: type[BaseException] | None, exc: BaseException | None
                ) -> None:
        try:
            if exc_type is None:
                self._session.commit()
            else:
                self._session.rollback()
        except (OperationalError, DBAPIError, IntegrityError) as failure:
            self._session.rollback()
            self._session.close()
            raise StoreError(explain_sqlite(failure, self._path)) from None
        self._session.close()
        if isinstance(exc, OperationalError | DBAPIError) and not isinstance(exc, IntegrityError):
            raise StoreError(explain_sqlite(exc, self._path)) from None
