"""Keeps a local store in step with the shared database.

Over 400 lines on purpose: the Syncer is one loop over one connection and one state
(push with its refusals, pull, a first connect's history, who am I, going offline and
back), and its parts share that state.

Push drains the outbox in batches: each batch is one idempotent server transaction,
acknowledged locally only after the server committed it, so a crash between the two
re-sends the batch (and the server skips it) rather than losing it. Pull reads the
server's events after the local cursor a page at a time; each page and its cursor are
ingested in one local transaction, so a crash re-reads at most one page (and ingest
skips what it has). LISTEN/NOTIFY only wakes a pull; a safety timeout pulls anyway, so
a missed notification costs latency, never data.

A console connecting for the first time to a database with a long history does not
replay all of it before its first paint: it pulls the open tickets' events (and the
matrix versions) in one snapshot first, then follows new events from that snapshot's
seq, and pulls the history before it in the background, a page of whole tickets per
sync cycle (all of it for ``sync --once``). Ingest folds each ticket from all its stored
events, so a closed ticket's older events arriving after a newer one still give the same
state.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import psycopg

from console.domain.people import Person, Refused
from console.domain.sync_state import SyncState as SyncState  # its public home

from .errors import StoreError
from .people import whoami
from .records import StoredEvent
from .server import APP_NAME, SharedDatabase, SharedDBError, parse_url

if TYPE_CHECKING:
    from .local import LocalStore

# How far the stored pull cursor may lag behind the one in memory (echo-only pages).
CURSOR_LAG = 5000
# A first connect to a log longer than this pulls the open tickets first, history after.
SNAPSHOT_MIN_EVENTS = 20_000


def utc_now() -> datetime:
    return datetime.now(UTC)


class _Wakeup:
    """A threading.Event that can also interrupt a select() (through a pipe)."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.read_fd, self._write_fd = os.pipe()
        os.set_blocking(self.read_fd, False)
        os.set_blocking(self._write_fd, False)

    def set(self) -> None:
        self.event.set()
        with contextlib.suppress(OSError):  # a full pipe: a wake-up is pending anyway
            os.write(self._write_fd, b"!")

    def drain(self) -> bool:
        """Consume pending wake-ups; True if one was pending."""
        try:
            while os.read(self.read_fd, 4096):
                pass
        except (BlockingIOError, OSError):
            pass
        was = self.event.is_set()
        self.event.clear()
        return was

    def close(self) -> None:
        for fd in (self.read_fd, self._write_fd):
            with contextlib.suppress(OSError):
                os.close(fd)


class Syncer:
    """Push and pull between one LocalStore and the shared database."""

    def __init__(self, store: LocalStore, url: str | None, password: str | None = None, *,
                 on_state: Callable[[SyncState], None] | None = None,
                 on_pulled: Callable[[list[StoredEvent]], None] | None = None,
                 clock: Callable[[], datetime] = utc_now, backoff_initial: float = 0.2,
                 backoff_max: float = 10.0, batch: int = 2000, poll_interval: float = 2.0,
                 after_server_commit: Callable[[], None] | None = None,
                 snapshot_min_events: int | None = SNAPSHOT_MIN_EVENTS,
                 on_person: Callable[[Person | None], None] | None = None,
                 on_refused: Callable[[list[Refused]], None] | None = None) -> None:
        """``after_server_commit`` runs between a push's server commit and its local
        acknowledgement, the one instant where a naive sync would duplicate or lose
        events; the crash-safety test passes one that SIGKILLs the process there.

        ``on_person`` gets the server's answer to who this console's login is after
        each (re)connection (also cached: ``LocalStore.person()``); ``on_refused`` gets
        the events the server refused in a push, once they are out of the local log
        and in the refused list. Both run on the syncing thread."""
        self.store = store
        self.on_person = on_person
        self.on_refused = on_refused
        self._asked_person = False  # since the last (re)connection
        self._after_server_commit = after_server_commit
        self.url = url
        self.on_state = on_state
        self.on_pulled = on_pulled
        self.clock = clock
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.batch = batch
        self.poll_interval = poll_interval
        self._stored_cursor: int | None = None
        self._drained = False  # the last push emptied the outbox
        self._db = SharedDatabase(url, password) if url else None
        self._wakeup = _Wakeup()
        self._state_lock = threading.Lock()
        self._state = SyncState("syncing" if url else "not_configured")
        self._cursor = 0  # may run ahead of the stored cursor, see pull()
        # None: pull everything in seq order on a first connect (no open-tickets-first)
        self.snapshot_min_events = snapshot_min_events
        self._history: tuple[str, int] | None = None  # history still to pull
        self._history_read = False  # _history read from the store yet

    # -- state ------------------------------------------------------------------------
    @property
    def state(self) -> SyncState:
        return self._state

    def _set_state(self, *, force: bool = False, **changes: object) -> None:
        with self._state_lock:
            old = self._state
            new = replace(old, **changes)  # type: ignore[arg-type]
            self._state = new
        if self.on_state is not None and (force or (
                new.status, new.offline_since, new.pending, new.last_error, new.refused,
                new.unreadable) != (old.status, old.offline_since, old.pending,
                                    old.last_error, old.refused, old.unreadable)):
            self.on_state(new)

    def _pending(self) -> int:
        try:
            return int(self.store.pending())
        except StoreError:
            return self._state.pending

    def _refused_count(self, fallback: int) -> int:
        try:
            with self.store.unit(read_only=True) as uow:
                return uow.refused.count()
        except StoreError:
            return fallback

    def recount_refused(self) -> None:
        """Count the refused list again (the app calls this after dismissing some),
        announcing the state if it changed."""
        self._set_state(refused=self._refused_count(self._state.refused))

    def _went_offline(self, error: str) -> None:
        since = self._state.offline_since if self._state.status == "offline" else None
        self._set_state(status="offline", offline_since=since or self.clock(),
                        pending=self._pending(), last_error=error)

    def _went_online(self, pushed: int = 0) -> None:
        # a push that emptied the outbox leaves nothing pending: skip the COUNT
        pending = 0 if self._drained else self._pending()
        # a push is news even when the state reads the same (online, 0 pending before
        # and after a fast push): a form waiting for its events to sync listens for it
        self._set_state(force=pushed > 0, status="online", offline_since=None,
                        pending=pending, last_sync=self.clock(), last_error="")

    def wake(self) -> None:
        """Push (and pull) now: the app calls this after every local write."""
        self._wakeup.set()

    # -- one round ----------------------------------------------------------------------
    def _require_db(self) -> SharedDatabase:
        if self._db is None:
            raise SharedDBError("no shared database is configured; run "
                                "`escalation-console connect URL` first")
        return self._db

    def push(self, max_batches: int | None = None) -> int:
        """Send the outbox to the server; returns how many events it took.

        An event the server refuses (a permission it checks, or data it cannot take)
        does not block the ones behind it: the rest of its batch is written, and it
        moves from the local log and outbox to the refused list with the server's
        reason (``LocalStore.refuse``). A crash before that move only pushes the batch
        again: the server skips what it has and refuses the same event again."""
        db, sent, batches = self._require_db(), 0, 0
        self._drained = False
        while max_batches is None or batches < max_batches:
            events = self.store.outbox(limit=self.batch)
            if not events:
                self._drained = True
                break
            refusals = db.push(events)
            if self._after_server_commit is not None:
                self._after_server_commit()
            if refusals:
                self._refused(refusals)
            refused = {r.event.id for r in refusals}
            self.store.acknowledge([e.id for e in events if e.id not in refused])
            sent, batches = sent + len(events) - len(refused), batches + 1
            if len(events) < self.batch:
                self._drained = True
                break
        return sent

    def _refused(self, refusals: Sequence[tuple[StoredEvent, str]]) -> None:
        moved = self.store.refuse(refusals, self.clock())
        self._set_state(refused=self._refused_count(self._state.refused + len(moved)))
        if moved and self.on_refused is not None:
            self.on_refused(moved)

    def ask_person(self) -> Person | None:
        """Ask the server who this console's login is, cache the answer in the local
        store and hand it to ``on_person``."""
        person = whoami(self._require_db())
        self.store.set_person(person)
        if self.on_person is not None:
            self.on_person(person)
        return person

    def _may_write(self, db: SharedDatabase, person: Person | None) -> None:
        """Raise SharedDBError, pushing nothing, when the server would refuse every
        event of this login (no person, or a disabled one): the outbox must wait for an
        admin, not move whole to the refused list. A database from before people
        existed (no ``people`` table) checks nothing."""
        if person is not None and not person.disabled:
            return
        login = person.login if person is not None else (
            parse_url(db.url).username or "this login")
        if person is None:
            exists = db.transaction("asking who this login is on", lambda c: c.execute(
                "SELECT to_regclass('people') IS NOT NULL").fetchone())
            if not (exists and exists[0]):
                return
            why = (f"{login} is not a person of this database; an admin adds people with "
                   f"'escalation-console people add {login} --role ROLE'")
        else:
            why = (f"{login} is disabled and may write nothing; an admin enables them "
                   f"again with 'escalation-console people enable {login}'")
        raise SharedDBError(f"{why}. Nothing is pushed meanwhile: "
                            "this console's changes wait in its outbox")

    def pull(self, max_batches: int | None = None) -> int:
        """Fetch the server's events after the cursor; returns how many were new here.

        A page holding only events this store already has (the echo of its own
        pushes) advances the cursor in memory only: skipping that write transaction
        (and its fsync) matters under load, and after a crash the persisted cursor
        merely re-reads a few echoes, which ingest skips."""
        db, fresh, batches = self._require_db(), 0, 0
        if self._stored_cursor is None:  # read once; afterwards we are the only writer
            self._stored_cursor = self.store.cursor()
            if self._stored_cursor == 0 and self.snapshot_min_events is not None:
                fresh += self._open_tickets_first(db, self.snapshot_min_events)
        stored = self._stored_cursor
        cursor = max(self._cursor, stored)
        while max_batches is None or batches < max_batches:
            # a row no console can read is skipped (and counted), never fatal: the
            # cursor moves past it with the page
            page, last_seq, rows = db.pull_page(cursor, self.batch)
            if last_seq is None:
                break
            cursor = last_seq
            known = self.store.known_ids([e.id for e in page])
            new = [e for e in page if e.id not in known]
            # (a page with unreadable rows stores its cursor: a restart never meets them again)
            if new or rows > len(page) or cursor - stored >= CURSOR_LAG:
                fresh += self.store.ingest(new, cursor)
                stored = self._stored_cursor = cursor
            self._cursor = cursor
            batches += 1
            if new and self.on_pulled is not None:
                self.on_pulled(new)
            if rows < self.batch:
                break
        return fresh

    # -- a first connect: open tickets first, history after ---------------------------
    def _open_tickets_first(self, db: SharedDatabase, min_events: int) -> int:
        """On a first connect to a long log, ingest the open tickets' events (and the
        matrix versions) up to the server's current seq S, move the cursor to S and
        note that history up to S is still to pull. Returns how many were new."""
        snapshot = db.open_snapshot(min_events)
        if snapshot is None:
            return 0
        top, events = snapshot
        fresh = 0
        for start in range(0, len(events), self.batch):
            page = events[start:start + self.batch]
            known = self.store.known_ids([e.id for e in page])
            new = [e for e in page if e.id not in known]
            fresh += self.store.ingest(new)
            if new and self.on_pulled is not None:
                self.on_pulled(new)
        # the cursor and the history's end move together: a crash before this line
        # makes the next start take the snapshot again (ingest skips what it has)
        self.store.ingest([], top, history="", history_until=top)
        self._stored_cursor = self._cursor = top
        self._history, self._history_read = ("", top), True
        return fresh

    def history_left(self) -> tuple[str, int] | None:
        """(the last ticket pulled, the seq history stops at) while history is still
        being pulled, else None."""
        if not self._history_read:
            self._history, self._history_read = self.store.history_left(), True
        return self._history

    def pull_history(self, max_pages: int | None = None) -> int:
        """Pull up to ``max_pages`` pages of the history before a first connect's
        snapshot (None: all of it); returns how many events were new here."""
        db, fresh, pages = self._require_db(), 0, 0
        left = self.history_left()
        tickets = max(1, self.batch // 8)  # about a batch of events a page
        while left is not None and (max_pages is None or pages < max_pages):
            after, until = left
            page = db.pull_history(after, until, tickets)
            last = max((e.ticket for e in page), default=after)
            done = len({e.ticket for e in page}) < tickets
            known = self.store.known_ids([e.id for e in page])
            new = [e for e in page if e.id not in known]
            fresh += self.store.ingest(new, history=last, history_done=done)
            if new and self.on_pulled is not None:
                self.on_pulled(new)
            left = self._history = None if done else (last, until)
            pages += 1
        return fresh

    def sync_once(self) -> tuple[int, int]:
        """Push the whole outbox, then pull everything new, history included:
        (pushed, pulled)."""
        return self._cycle(push=True, history_pages=None)

    def _cycle(self, *, push: bool, history_pages: int | None = 1) -> tuple[int, int]:
        db = self._require_db()
        try:
            if not self._asked_person:  # once a connection: the role may have changed
                self._may_write(db, self.ask_person())
                self._asked_person = True
                self.recount_refused()
            pushed = self.push() if push else 0
            pulled = self.pull()
            if history_pages != 0:
                pulled += self.pull_history(history_pages)
        except SharedDBError as exc:
            self._went_offline(str(exc))
            raise
        loading = self.history_left() is not None
        if push or self._state.status != "online":
            self._set_state(history_loading=loading, unreadable=db.unreadable)
            self._went_online(pushed)
        else:  # a pull changes nothing in the outbox: skip counting it
            self._set_state(last_sync=self.clock(), history_loading=loading,
                            unreadable=db.unreadable)
        return pushed, pulled

    # -- the background loop ------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        """Sync until ``stop`` is set: LISTEN, sync, wait for a notification, a wake()
        or the safety timeout, repeat; on a connection error go offline, back off
        exponentially and reconnect."""
        self.recount_refused()  # what earlier runs moved to the refused list
        if self._db is None:
            self._set_state(status="not_configured")
            while not stop.is_set():
                self._sleep(stop, self.backoff_max)
            return
        delay = self.backoff_initial
        while not stop.is_set():
            listener: psycopg.Connection | None = None
            try:
                listener = self._db.listen(f"{APP_NAME} listener {self.store.device}")
                if self._state.status != "online":
                    self._set_state(status="syncing", pending=self._pending())
                reason = "connected"
                while not stop.is_set():
                    woken = self._wakeup.drain()
                    # a notification alone means others wrote: pull; anything else
                    # (a local write, the safety timeout, a reconnect) also pushes
                    self._cycle(push=reason != "notify" or woken)
                    delay = self.backoff_initial
                    # history still to pull: the next page now (new events and local
                    # writes are still served each cycle in between)
                    reason = ("history" if self.history_left() is not None
                              else self._wait(listener, stop))
            except (SharedDBError, psycopg.Error, OSError) as exc:
                message = str(exc) if isinstance(exc, SharedDBError) else (
                    f"lost the connection to {self._db.masked_url}")
                self._went_offline(message)
            except StoreError as exc:  # e.g. the local disk is full: retry later
                self._went_offline(str(exc))
            except Exception as exc:  # a bug must not end syncing silently: report, retry
                self._went_offline(self._db.scrub(f"sync failed: {type(exc).__name__}: {exc}"))
            finally:
                if listener is not None:
                    with contextlib.suppress(psycopg.Error):
                        listener.close()
                self._db.close()
                self._asked_person = False
            self._sleep(stop, delay)
            delay = min(delay * 2, self.backoff_max)

    def _wait(self, listener: psycopg.Connection, stop: threading.Event) -> str:
        """Wait for a notification from another console ("notify"), a wake-up
        ("wake"), stop ("stop") or the safety timeout ("timeout"); raise
        psycopg.OperationalError if the listening connection died."""
        deadline = time.monotonic() + self.poll_interval
        fd = listener.fileno()
        while not stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout"
            ready, _, _ = select.select([fd, self._wakeup.read_fd], [], [], min(left, 0.5))
            if self._wakeup.read_fd in ready and self._wakeup.drain():
                self._wakeup.event.set()  # the next cycle pushes
                return "wake"
            if fd in ready:
                # A dead connection reads as readable: the first read takes the server's
                # FATAL message, the next one raises.
                own = self._db.backend_pid() if self._db is not None else None
                # our own pushes notify too (from our work connection): nothing to pull
                if any(n.pid != own for n in listener.notifies(timeout=0)):
                    return "notify"
                if listener.closed:
                    raise psycopg.OperationalError("the listening connection closed")
        return "stop"

    def _sleep(self, stop: threading.Event, seconds: float) -> None:
        """Back off for ``seconds`` (or until stop), keeping the pending count fresh
        when the app writes locally meanwhile."""
        deadline = time.monotonic() + seconds
        while not stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            ready, _, _ = select.select([self._wakeup.read_fd], [], [], min(left, 0.25))
            if ready and self._wakeup.drain() and self._state.status == "offline":
                self._set_state(pending=self._pending())

    def close(self) -> None:
        """Close the server connection and the wake-up pipe."""
        if self._db is not None:
            self._db.close()
        self._wakeup.close()

    def __enter__(self) -> Syncer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
