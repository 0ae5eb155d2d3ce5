"""Over 400 lines on purpose: the one client of the shared database (URLs and their
secrets, errors, the schema and who may migrate it, push, pull, snapshots, claims,
listen), each method a transaction of its own; its users never touch psycopg.

The shared PostgreSQL database that every console pushes to and pulls from.

The password travels separately from the URL (the URL is shown to people and may be
logged; the password never is): it goes to psycopg as a keyword argument, and every
error message is scrubbed of it and shows the URL masked as ``user:***@host``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

import psycopg
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from . import migrate
from .records import StoredEvent

T = TypeVar("T")
log = logging.getLogger(__name__)

CHANNEL = "escalation_console_events"
APP_NAME = "escalation-console"
# pg_advisory_xact_lock key taken by every push ("ESCALATE" in ASCII).
PUSH_LOCK_KEY = 0x4553_4341_4C41_5445
CONNECT_TIMEOUT_S = 5
_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5,
               "keepalives_count": 3}
_COLUMNS = ("id", "ticket", "kind", "payload", "author", "device", "hlc", "at")


# What every console can read back, as migration 0006's check demands of new rows
# (``Timestamp.encode``; ``datetime.isoformat`` of an aware time).
_HLC = re.compile(r"[0-9]{15}-[0-9]{6}-.+", re.DOTALL)


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    return {list: "array", str: "string", int: "number", float: "number"}.get(
        type(value), "null")


def _event(r: Sequence[Any]) -> StoredEvent:
    """A server row (seq first, then ``_COLUMNS``) as a StoredEvent with its seq; a
    ValueError naming the field when no console could use it."""
    try:
        payload = json.loads(r[4])
    except (TypeError, ValueError):
        raise ValueError("payload is not JSON") from None
    if not isinstance(payload, dict):
        raise ValueError(f"payload is a JSON {_json_type(payload)}, not an object")
    if not isinstance(r[7], str) or not _HLC.fullmatch(r[7]):
        raise ValueError(f"hlc {r[7]!r} is not a hybrid logical clock timestamp")
    try:
        at = datetime.fromisoformat(r[8])
    except (TypeError, ValueError):
        raise ValueError(f"at {r[8]!r} is not an ISO 8601 time") from None
    if at.tzinfo is None:
        raise ValueError(f"at {r[8]!r} has no UTC offset")
    return StoredEvent(r[1], r[2], r[3], payload, r[5], r[6], r[7], at, int(r[0]))


class Unreadable(NamedTuple):
    """A row of the shared log no console can read (written before the server checked,
    or past the check by a superuser): skipped, never fatal."""

    seq: int
    id: str
    reason: str


class Page(NamedTuple):
    """One page of ``pull_page``: the readable events, the highest seq read and how
    many rows were read, unreadable rows included (the cursor moves past those too, and
    a full page means there may be more)."""

    events: list[StoredEvent]
    last_seq: int | None
    rows: int


class Refusal(NamedTuple):
    """An event the shared database refused, and the server's reason (its message)."""

    event: StoredEvent
    reason: str


_PUSH_SQL = (f"INSERT INTO events ({', '.join(_COLUMNS)}) "
             f"SELECT * FROM unnest({', '.join(['%s::text[]'] * len(_COLUMNS))}) "
             "ON CONFLICT (id) DO NOTHING")


def _columns(events: Sequence[StoredEvent]) -> list[list[Any]]:
    rows = [e.to_row() for e in events]
    return [[r[c] for r in rows] for c in _COLUMNS]


def _is_refusal(exc: psycopg.Error) -> bool:
    """The server refused the data itself, for good: a permission check
    (insufficient_privilege, 42501) or a data or integrity error (classes 22, 23)."""
    state = exc.sqlstate or ""
    return state == "42501" or state[:2] in ("22", "23")


def _reason(exc: psycopg.Error) -> str:
    return exc.diag.message_primary or str(exc).strip() or type(exc).__name__


def _explain_login(message: str) -> str | None:
    """A login the server does not let in (a disabled person: ``people disable``)."""
    found = re.search(r'role "([^"]+)" is not permitted to log in', message)
    if found is None:
        return None
    who = found.group(1)
    return (f"the login {who} may not log in: the person is disabled (or it is no "
            f"person's login); an admin enables it with 'escalation-console people "
            f"enable {who}'")


class SharedDBError(RuntimeError):
    """The shared database could not be reached or refused a request. The message
    names the server with its password masked and never contains the password."""


def parse_url(url: str) -> URL:
    """A PostgreSQL URL (postgresql://, postgres:// or postgresql+psycopg://)."""
    try:
        parsed = make_url(url.strip())
    except ArgumentError:
        raise SharedDBError("not a database URL; expected "
                            "postgresql://user@host:port/database") from None
    except ValueError as exc:  # SQLAlchemy parses the port with int()
        port = re.fullmatch(r"invalid literal for int\(\) with base 10: ('.*')", str(exc))
        detail = f"the port {port.group(1)} is not a number" if port else str(exc)
        raise SharedDBError(f"not a database URL: {detail}; expected "
                            "postgresql://user@host:port/database") from None
    if parsed.get_backend_name() not in ("postgresql", "postgres"):
        raise SharedDBError(f"not a PostgreSQL URL ({parsed.drivername}://...); expected "
                            "postgresql://user@host:port/database")
    return parsed.set(drivername="postgresql")


def split_password(url: str) -> tuple[str, str | None]:
    """(the URL without its password, the password it carried or None)."""
    parsed = parse_url(url)
    in_query = parsed.query.get("password")
    return public_url(url), parsed.password or (in_query if isinstance(in_query, str) else None)


def public_url(url: str) -> str:
    """The URL with any password removed: safe to store in settings and show."""
    parsed = parse_url(url)._replace(password=None).difference_update_query(["password"])
    return parsed.render_as_string(hide_password=False)


def mask_url(url: str, *, password: bool = True) -> str:
    """``postgresql://user:***@host:port/db`` for messages (``user@`` when no password
    is in use, so a message never suggests one was sent)."""
    try:
        parsed = parse_url(url)
    except SharedDBError:
        return "<invalid URL>"
    host = parsed.host or "localhost"
    where = f"{host}:{parsed.port}" if parsed.port else host
    user = (f"{parsed.username}{':***' if password else ''}@" if parsed.username else "")
    return f"postgresql://{user}{where}/{parsed.database or ''}"


def describe_server(url: str) -> str:
    """``host:port/database`` for messages."""
    parsed = parse_url(url)
    port = parsed.port or 5432
    return f"{parsed.host or 'localhost'}:{port}/{parsed.database or parsed.username or ''}"


def scrub(text: str, url: str, password: str | None) -> str:
    """Remove the password and the raw URL from a message."""
    if password:
        text = text.replace(password, "***")
    raw = split_password(url)[1] if url else None
    if raw:
        text = text.replace(raw, "***")
    return text.replace(url, mask_url(url)) if url else text


def _dba_before_people(conn: psycopg.Connection) -> bool:
    """A login with CREATEROLE on a database from before people (migration 0006): the
    DBA who creates the group roles and becomes an admin by migrating."""
    row = conn.execute("SELECT to_regclass('people') IS NULL AND rolcreaterole "
                       "FROM pg_roles WHERE rolname = session_user").fetchone()
    return bool(row and row[0])


class SchemaBehind(SharedDBError):
    """The shared database's schema is behind this program's, and this session (not an
    admin's) may not migrate it."""

    def __init__(self, message: str, current: str | None, head: str) -> None:
        super().__init__(message)
        self.current, self.head = current, head


class SharedDatabase:
    """Push, pull, listen and claim on the shared database. Thread-safe: one lock
    guards the work connection, which reconnects lazily after a failure."""

    def __init__(self, url: str, password: str | None = None) -> None:
        base, in_url = split_password(url)
        self.url = base
        self._password = password if password is not None else in_url
        self._parsed = parse_url(base)
        self._conn: psycopg.Connection | None = None
        self._lock = threading.RLock()
        self._unreadable: dict[str, Unreadable] = {}  # by event id

    def __repr__(self) -> str:
        return f"SharedDatabase({mask_url(self.url)!r})"

    @property
    def masked_url(self) -> str:
        return mask_url(self.url, password=bool(self._password))

    def _kwargs(self, app: str) -> dict[str, Any]:
        p = self._parsed
        kwargs: dict[str, Any] = {k: v for k, v in p.query.items() if isinstance(v, str)}
        kwargs.update({"host": p.host, "port": p.port, "dbname": p.database, "user": p.username,
                       "connect_timeout": CONNECT_TIMEOUT_S, "application_name": app,
                       **_KEEPALIVES})
        if self._password is not None:
            kwargs["password"] = self._password
        return {k: v for k, v in kwargs.items() if v is not None}

    def scrub(self, text: str) -> str:
        """text without this database's password or raw URL."""
        return scrub(text, self.url, self._password)

    def _error(self, what: str, exc: BaseException) -> SharedDBError:
        from .tls import explain as explain_tls  # libpq's TLS failures, said plainly

        text = str(exc).strip()
        detail = scrub(explain_tls(text, self._parsed.query) or _explain_login(text) or
                       (text.splitlines()[0] if text else type(exc).__name__),
                       self.url, self._password)
        return SharedDBError(f"{what} {self.masked_url} failed: {detail}")

    def connect(self, *, autocommit: bool = False, app: str = APP_NAME) -> psycopg.Connection:
        """A new raw connection (the caller closes it)."""
        try:
            return psycopg.connect(autocommit=autocommit, **self._kwargs(app))
        except psycopg.Error as exc:
            raise self._error("connecting to", exc) from None

    def _work(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            self._conn = self.connect()
        return self._conn

    def backend_pid(self) -> int | None:
        """The server process of the work connection (pushes notify with it), if open."""
        conn = self._conn
        return conn.info.backend_pid if conn is not None and not conn.closed else None

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = None

    def transaction(self, what: str, work: Callable[[psycopg.Connection], T]) -> T:
        """Run ``work(connection)`` in one transaction on the shared database: committed
        when it returns, rolled back when it raises. A database failure drops the
        connection (the next call reconnects) and raises SharedDBError saying what was
        being done (``what``: "claiming on", "pushing to"...)."""
        with self._lock:
            try:
                conn = self._work()
                with conn.transaction():
                    return work(conn)
            except psycopg.Error as exc:
                self._drop()
                raise self._error(what, exc) from None

    # -- administration ---------------------------------------------------------------
    def check(self) -> str:
        """Connect and return the server version, e.g. ``15.8``."""
        row = self.transaction("checking", lambda c: c.execute("SHOW server_version").fetchone())
        if row is None:
            raise SharedDBError("the shared database did not report its version")
        return str(row[0]).split()[0]

    def sqlalchemy_engine(self, app: str = APP_NAME) -> Engine:
        """A SQLAlchemy engine on this database (no pool; the caller disposes it)."""
        return create_engine(self._parsed.set(drivername="postgresql+psycopg"),
                             connect_args={k: v for k, v in self._kwargs(app).items()
                                           if k not in ("host", "port", "dbname", "user")},
                             poolclass=NullPool)

    def migrate(self) -> tuple[str | None, str]:
        """Run the Alembic migrations; (revision before, revision after)."""
        engine = self.sqlalchemy_engine()
        try:
            return migrate.upgrade(engine)
        except (SQLAlchemyError, psycopg.Error) as exc:
            raise self._error("migrating", getattr(exc, "orig", None) or exc) from None
        finally:
            engine.dispose()

    def schema_revision(self) -> str | None:
        """The Alembic revision of the shared database; None when it has no schema yet."""
        def work(conn: psycopg.Connection) -> str | None:
            exists = conn.execute("SELECT to_regclass('alembic_version')").fetchone()
            if exists is None or exists[0] is None:
                return None
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            return str(row[0]) if row else None

        return self.transaction("reading the schema revision of", work)

    def ensure_schema(self) -> tuple[str | None, str]:
        """The schema at this program's head; (revision before, revision after).
        At head, nothing runs. Behind, an admin's or a superuser's session migrates
        (migrations are DDL, which only the admin role may run; before people exist,
        a DBA with CREATEROLE, who becomes an admin by migrating); any other session
        issues no DDL and raises SchemaBehind saying who must upgrade it."""
        from .people import is_admin  # people builds on this module

        head, current = migrate.head_revision(), self.schema_revision()
        if current == head:
            return current, head
        if not is_admin(self) and not self.transaction("asking who may migrate",
                                                       _dba_before_people):
            at = f"at revision {current}" if current else "empty (no schema)"
            raise SchemaBehind(
                f"the shared database is {at} and this console needs {head}; an admin "
                f"runs 'escalation-console db upgrade {self.url}'", current, head)
        return self.migrate()

    # -- events -------------------------------------------------------------------------
    def push(self, events: Sequence[StoredEvent], *, all_or_none: bool = False
             ) -> list[Refusal]:
        """Insert events idempotently (an id already there is skipped) in one
        transaction; return the events the server refused, each with its reason.

        The batch goes in as one INSERT. When the server refuses a row of it (the
        permission triggers' SQLSTATE 42501, or a data error, classes 22 and 23: both
        permanent, so retrying cannot help), the batch is redone one event at a time in
        the same transaction, each in a savepoint: the refused ones are rolled back and
        returned, the others are written, so one refused event never blocks the events
        queued behind it. With ``all_or_none`` (a caller that answers for the whole
        batch, e.g. the intake API) a refusal raises SharedDBError and nothing is
        written. Any other failure raises SharedDBError (try again later).

        Why the advisory lock: ``seq`` is an identity column, and PostgreSQL hands out
        identity values when a row is inserted, not when its transaction commits. Two
        concurrent pushes could take seq 10 and 11 and commit 11 first; a puller that
        read 11 would move its cursor past 10 and never see it once it committed. The
        transaction-scoped lock serialises pushes: a push takes its seqs only after the
        previous push has committed (the lock is released after the commit is visible),
        so seq order equals commit order and a cursor can never skip a late commit. The
        one-at-a-time retry runs under the same lock, in the same transaction (the
        rolled-back savepoints only leave gaps in ``seq``, which pullers never mind)."""
        if not events:
            return []

        def work(conn: psycopg.Connection) -> list[Refusal]:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (PUSH_LOCK_KEY,))
            try:
                with conn.transaction():
                    conn.execute(_PUSH_SQL, _columns(events))
                return []
            except psycopg.Error as exc:
                if all_or_none or not _is_refusal(exc):
                    raise
            refused: list[Refusal] = []
            for e in events:
                try:
                    with conn.transaction():
                        conn.execute(_PUSH_SQL, _columns([e]))
                except psycopg.Error as exc:
                    if not _is_refusal(exc):
                        raise
                    refused.append(Refusal(e, self.scrub(_reason(exc))))
            return refused

        return self.transaction("pushing to", work)

    @property
    def unreadable(self) -> int:
        """How many rows of the shared log this object has skipped as unreadable."""
        return len(self._unreadable)

    def _readable(self, rows: Sequence[Sequence[Any]]) -> list[StoredEvent]:
        """The rows as events; a row no console can read is logged and left out, so
        that it never stops a pull (the server refuses such rows since 0006)."""
        events: list[StoredEvent] = []
        for r in rows:
            try:
                events.append(_event(r))
            except ValueError as exc:
                if str(r[1]) not in self._unreadable:
                    log.warning("skipped event %s (seq %s) of %s, which no console can "
                                "read: %s", r[1], r[0], self.masked_url, exc)
                self._unreadable[str(r[1])] = Unreadable(int(r[0]), str(r[1]), str(exc))
        return events

    def pull_page(self, after_seq: int, limit: int = 2000) -> Page:
        """Events with seq > after_seq, in seq order, with ``seq`` set; the page's
        unreadable rows are skipped (``unreadable`` counts them) but still move
        ``last_seq`` on."""
        def work(conn: psycopg.Connection) -> list[Any]:
            return conn.execute(
                f"SELECT seq, {', '.join(_COLUMNS)} FROM events WHERE seq > %s "
                "ORDER BY seq LIMIT %s", (after_seq, limit)).fetchall()

        rows = self.transaction("pulling from", work)
        return Page(self._readable(rows), int(rows[-1][0]) if rows else None, len(rows))

    def pull(self, after_seq: int, limit: int = 2000) -> list[StoredEvent]:
        """The readable events of ``pull_page``."""
        return self.pull_page(after_seq, limit).events

    def pull_history(self, after_ticket: str, until_seq: int, tickets: int = 250
                     ) -> list[StoredEvent]:
        """History a whole ticket at a time: every event with seq <= until_seq of the
        next ``tickets`` tickets after ``after_ticket`` (in ticket order), ordered by
        ticket then seq. Whole tickets, so a closed ticket never lands half-way (opened
        but not yet resolved) where the notifier could take it for an open one."""
        def work(conn: psycopg.Connection) -> list[Any]:
            return conn.execute(
                "WITH page AS (SELECT DISTINCT ticket FROM events "
                "WHERE ticket > %s AND seq <= %s ORDER BY ticket LIMIT %s) "
                f"SELECT seq, {', '.join(_COLUMNS)} FROM events "
                "WHERE ticket IN (SELECT ticket FROM page) AND seq <= %s "
                "ORDER BY ticket, seq", (after_ticket, until_seq, tickets, until_seq)
            ).fetchall()

        return self._readable(self.transaction("pulling history from", work))

    def open_snapshot(self, min_events: int = 0) -> tuple[int, list[StoredEvent]] | None:
        """What a console connecting for the first time needs before its first paint:
        the highest ``seq`` now, and every event up to it of the tickets open at that
        point and of the non-ticket streams (``_matrix``), read in one snapshot.

        A ticket is open when it has no ``resolved`` event or its latest one (by HLC,
        the fold's order) is followed by a ``reopened``. Everything else up to that
        seq is history, pulled afterwards (``pull_history``). None when the log holds
        no more than ``min_events`` events: pulling it in order is as quick."""
        def work(conn: psycopg.Connection) -> tuple[int, list[Any]] | None:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            row = conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()
            top = int(row[0]) if row else 0
            if top <= min_events:
                return None
            rows = conn.execute(
                "WITH live AS (SELECT ticket FROM events GROUP BY ticket HAVING "
                "left(ticket, 1) = '_' OR "
                "coalesce(max(hlc) FILTER (WHERE kind = 'resolved'), '') <= "
                "coalesce(max(hlc) FILTER (WHERE kind = 'reopened'), '')) "
                f"SELECT seq, {', '.join(_COLUMNS)} FROM events "
                "WHERE ticket IN (SELECT ticket FROM live) ORDER BY seq").fetchall()
            return top, rows

        found = self.transaction("reading the open tickets from", work)
        if found is None:
            return None
        return found[0], self._readable(found[1])

    def claim(self, key: str, device: str, at_iso: str) -> bool:
        """Claim a one-time action (an alert, a notification step); True if this call
        won, False if some console (this one included) claimed it before."""
        def work(conn: psycopg.Connection) -> bool:
            return conn.execute(
                "INSERT INTO notification_claims (key, device, claimed_at) VALUES (%s, %s, %s) "
                "ON CONFLICT (key) DO NOTHING RETURNING key", (key, device, at_iso)
            ).fetchone() is not None

        return bool(self.transaction("claiming on", work))

    # -- notifications ------------------------------------------------------------------
    def listen(self, app: str = f"{APP_NAME} listener") -> psycopg.Connection:
        """A new autocommit connection listening on the events channel."""
        conn = self.connect(autocommit=True, app=app)
        try:
            conn.execute(f"LISTEN {CHANNEL}")
        except psycopg.Error as exc:
            conn.close()
            raise self._error("listening on", exc) from None
        return conn

    def close(self) -> None:
        with self._lock:
            self._drop()
