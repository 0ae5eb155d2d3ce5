"""One active escalation service: a lease row in the shared database, with fencing.

Several ``serve`` instances may point at one database; the row ``service_lease/pager``
says which one pages. ``LeaderLease.tick`` acquires or renews it in one atomic
statement (``INSERT ... ON CONFLICT DO UPDATE ... WHERE holder = me OR expired``),
timed by the database's clock, so hosts whose clocks disagree still agree on who holds
it. The epoch goes up by one on every change of holder: it is the fencing token that a
claim checks in its own transaction (``SharedClaims(fence=...)``), so a leader that
was paused past its lease cannot claim a page the new leader will send.

Why ``active`` is a local deadline and not the row: a paused or partitioned leader
cannot read the row. It counts from the *start* of its last successful renewal, which
came before the database stamped ``expires_at``, and stops ``margin`` seconds short of
the ttl, so it considers itself inactive before the database could hand the lease to
a standby (even when its connection hangs mid-renewal). Takeover takes at most the ttl
after the last renewal (15 s by default).

``ServicePresence`` is the desktop consoles' side: a cached check, refreshed every few
seconds on the notifier's threads, of whether a service is live, so a console sends no
external notifications while one is (its desktop alerts stay) and takes over as before
once none has been seen live for the takeover time.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import psycopg

from .server import SharedDatabase, SharedDBError

log = logging.getLogger(__name__)

LEASE_NAME = "pager"
NO_SERVICE = "this console (no service)"

# "Mine" is this process's token, not its name: two processes configured with one
# instance name (a restart, a replacement started beside a partitioned original) are
# two holders, and the second gets the lease only once it expired, with a new epoch.
_ACQUIRE = (
    "INSERT INTO service_lease AS l (name, holder, host, token, epoch, renewed_at, expires_at) "
    "VALUES (%(name)s, %(holder)s, %(host)s, %(token)s, 1, now(), "
    "now() + make_interval(secs => %(ttl)s)) "
    "ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, host = EXCLUDED.host, "
    "token = EXCLUDED.token, "
    "epoch = CASE WHEN l.token = EXCLUDED.token THEN l.epoch ELSE l.epoch + 1 END, "
    "renewed_at = now(), expires_at = EXCLUDED.expires_at "
    "WHERE l.token = EXCLUDED.token OR l.expires_at < now() "
    "RETURNING l.epoch")
_LEFT = ("SELECT extract(epoch FROM expires_at - now()) FROM service_lease "
         "WHERE name = %s")
_SELECT = ("SELECT holder, host, epoch, renewed_at, expires_at, expires_at > now(), "
           "extract(epoch FROM expires_at - now()) FROM service_lease WHERE name = %s")


@dataclass(frozen=True)
class LeaseView:
    """The lease row as the database sees it."""

    holder: str              # instance id, e.g. "host-a:4711"
    host: str
    epoch: int               # +1 on every change of holder (the fencing token)
    renewed_at: datetime
    expires_at: datetime     # database clock
    live: bool               # expires_at > now() in the database
    remaining: float = 0.0   # seconds until expires_at, by the database clock

    @property
    def ttl(self) -> float:
        """The holder's lease length (its takeover time)."""
        return max(0.0, (self.expires_at - self.renewed_at).total_seconds())


def _read(conn: psycopg.Connection, name: str) -> LeaseView | None:
    # A database not yet migrated to 0004 has no lease table: no service there.
    exists = conn.execute("SELECT to_regclass('service_lease') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return None
    row = conn.execute(_SELECT, (name,)).fetchone()
    if row is None:
        return None
    return LeaseView(str(row[0]), str(row[1]), int(row[2]), row[3], row[4], bool(row[5]),
                     float(row[6]))


def current_lease(db: SharedDatabase, name: str = LEASE_NAME) -> LeaseView | None:
    """The lease row, or None when no service ever held it. Raises SharedDBError when
    the database cannot be reached."""
    return db.transaction("reading the service lease on", lambda conn: _read(conn, name))


class LeaderLease:
    """This instance's hold on the lease: ``tick`` acquires or renews, ``active`` says
    whether it may page right now, ``epoch`` is the fencing token while it may."""

    def __init__(self, db: SharedDatabase, holder: str, *, host: str, ttl: float = 15.0,
                 monotonic: Callable[[], float] = time.monotonic, margin: float | None = None,
                 name: str = LEASE_NAME) -> None:
        if ttl <= 0:
            raise ValueError(f"the lease ttl must be positive, not {ttl}")
        self.db = db
        self.holder = holder
        self.host = host
        self.ttl = float(ttl)
        # The local deadline stops this much short of the database's expiry: room for
        # clock-rate drift between the hosts and for a send begun just before it.
        self.margin = float(margin) if margin is not None else self.ttl / 5
        if not 0 <= self.margin < self.ttl:
            raise ValueError(f"the lease margin must be in [0, ttl), not {self.margin}")
        self.name = name
        self.token = uuid.uuid4().hex
        self._monotonic = monotonic
        self._deadline: float | None = None
        self._epoch: int | None = None
        self._lock = threading.Lock()
        self._holder_left: float | None = None  # standby: the holder's lease runs this long
        self.last_error = ""

    def tick(self) -> bool:
        """Acquire or renew the lease; True when this instance is active. A database
        failure keeps the previous deadline, which then runs out on its own."""
        start = self._monotonic()
        params = {"name": self.name, "holder": self.holder, "host": self.host,
                  "token": self.token, "ttl": self.ttl}
        # A renewal that waits longer than a third of the ttl is of no use.
        timeout_ms = str(max(1, int(self.ttl * 1000 / 3)))

        def work(conn: psycopg.Connection) -> tuple[int | None, float | None]:
            conn.execute("SELECT set_config('statement_timeout', %s, true)", (timeout_ms,))
            row = conn.execute(_ACQUIRE, params).fetchone()
            if row is not None:
                return int(row[0]), None
            left = conn.execute(_LEFT, (self.name,)).fetchone()
            return None, float(left[0]) if left is not None else None

        try:
            epoch, self._holder_left = self.db.transaction("renewing the service lease on",
                                                           work)
        except SharedDBError as exc:
            self.last_error = str(exc)
            log.warning("cannot renew the service lease: %s", exc)
            return self.active
        self.last_error = ""
        with self._lock:
            if epoch is None:  # another instance holds a live lease
                self._deadline, self._epoch = None, None
            else:
                self._deadline, self._epoch = start + self.ttl - self.margin, epoch
        return self.active

    @property
    def active(self) -> bool:
        """Whether this instance may page now: renewed, and the local deadline (the last
        renewal's start + ttl - margin) has not passed."""
        with self._lock:
            deadline = self._deadline
        return deadline is not None and self._monotonic() < deadline

    @property
    def epoch(self) -> int | None:
        """The fencing token while active, else None."""
        with self._lock:
            epoch = self._epoch
        return epoch if self.active else None

    def release(self) -> None:
        """On a clean stop: stop paging at once and expire the lease now, so a standby
        takes over on its next tick instead of after the ttl."""
        with self._lock:
            epoch, self._deadline, self._epoch = self._epoch, None, None
        if epoch is None:
            return
        try:
            self.db.transaction("releasing the service lease on", lambda conn: conn.execute(
                "UPDATE service_lease SET expires_at = now() "
                "WHERE name = %s AND token = %s AND epoch = %s AND expires_at > now()",
                (self.name, self.token, epoch)))
        except SharedDBError as exc:  # it expires by itself after the ttl
            log.warning("cannot release the service lease: %s", exc)

    def run(self, stop: threading.Event, on_change: Callable[[bool], None] | None = None,
            *, release_on_stop: bool = True) -> None:
        """Tick every ttl/3 until ``stop`` is set; ``on_change(active)`` when the role
        changes (also when the local deadline ran out between ticks). Releases the
        lease on the way out unless told not to."""
        was = False
        while True:
            now_active = self.tick() if not stop.is_set() else False
            if stop.is_set() and release_on_stop:
                self.release()
                now_active = False
            if now_active != was and on_change is not None:
                on_change(now_active)
            was = now_active
            if stop.is_set():
                return
            stop.wait(self._next_tick())

    def _next_tick(self) -> float:
        """Seconds to the next tick: a third of the ttl; sooner at this instance's local
        deadline (so on_change(False) is not late), or, standing by, just after the
        holder's lease expires (so takeover takes the ttl, not the ttl plus a tick)."""
        wait = self.ttl / 3
        with self._lock:
            deadline = self._deadline
        if deadline is not None and deadline - self._monotonic() > 0:
            wait = min(wait, deadline - self._monotonic())
        elif deadline is None and self._holder_left is not None:
            wait = min(wait, max(0.0, self._holder_left) + 0.01)
        return wait


class ServicePresence:
    """A console's cached view of the service lease: ``may_send`` (the dispatcher's
    gate) is False while a service was seen live within the takeover time. Refreshes
    at most every ``refresh`` seconds, on the calling thread (a notifier thread, never
    the GUI thread). An unreachable database leaves what was last seen in force."""

    def __init__(self, db: SharedDatabase, *, takeover: float = 15.0, refresh: float = 3.0,
                 monotonic: Callable[[], float] = time.monotonic,
                 name: str = LEASE_NAME) -> None:
        self.db = db
        self.takeover = float(takeover)
        self.refresh_every = float(refresh)
        self.name = name
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._checked: float | None = None
        self._live_until: float | None = None  # the service counts as live until then
        self._lease: LeaseView | None = None
        self.last_error = ""

    def refresh(self) -> None:
        """Read the lease row now (a database round trip)."""
        start = self._monotonic()
        try:
            lease = current_lease(self.db, self.name)
        except SharedDBError as exc:
            with self._lock:
                self._checked, self.last_error = start, str(exc)
            log.debug("service presence unknown: %s", exc)
            return
        with self._lock:
            self._checked, self.last_error = start, ""
            if lease is not None and lease.live:
                self._lease = lease
                # Seen live now and (by the database clock) until it expires; a standby
                # gets the takeover time after that before this console steps in.
                window = max(self.takeover, lease.ttl)
                self._live_until = start + max(0.0, lease.remaining) + window

    def _fresh(self) -> None:
        with self._lock:
            checked = self._checked
        if checked is None or self._monotonic() - checked >= self.refresh_every:
            self.refresh()

    @property
    def service_live(self) -> bool:
        """Whether a service was seen live within the takeover time (cached)."""
        with self._lock:
            until = self._live_until
        return until is not None and self._monotonic() < until

    def may_send(self) -> bool:
        """The console's gate for external notifications: refreshed when stale."""
        self._fresh()
        return not self.service_live

    @property
    def paging(self) -> str:
        """Who pages, for the status bar: "service host-a" or "this console (no
        service)"."""
        with self._lock:
            lease = self._lease
        if self.service_live and lease is not None:
            return f"service {lease.host or lease.holder}"
        return NO_SERVICE
