"""The notification outbox (table ``deliveries``), the event feed the notifier reads,
and notification claims in the shared database.

Every write is one local transaction, so a crash leaves a delivery either as it was or
as recorded. Times are stored as fixed-width UTC ISO strings, so they sort as text.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .claims import get_meta, set_meta
from .local import LocalStore
from .models import DeliveryRow, TicketRow, rows_affected
from .records import StoredEvent
from .server import SharedDatabase, SharedDBError

STATUSES = ("pending", "sending", "sent", "failed", "dead", "skipped")
OPEN = ("pending", "sending")


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    id: str
    key: str
    ticket: str
    channel: str
    contact: str
    payload: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str
    created_at: datetime
    sent_at: datetime | None
    external_id: str

    @classmethod
    def from_row(cls, r: DeliveryRow) -> DeliveryRecord:
        return cls(r.id, r.key, r.ticket, r.channel, r.contact, json.loads(r.payload or "{}"),
                   r.status, r.attempts, datetime.fromisoformat(r.next_attempt_at),
                   r.last_error, datetime.fromisoformat(r.created_at), _dt(r.sent_at),
                   r.external_id)

    @property
    def meta(self) -> dict[str, Any]:
        return self.payload.get("meta") or {}

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "key": self.key, "ticket": self.ticket, "channel": self.channel,
                "contact": self.contact, "status": self.status, "attempts": self.attempts,
                "next_attempt_at": self.next_attempt_at.isoformat(),
                "last_error": self.last_error, "created_at": self.created_at.isoformat(),
                "sent_at": self.sent_at.isoformat() if self.sent_at else None,
                "external_id": self.external_id, "kind": self.meta.get("kind", "")}


class DeliveryOutbox:
    """The durable notification outbox of one console."""

    def __init__(self, store: LocalStore) -> None:
        self.store = store

    # -- writes ---------------------------------------------------------------------
    def enqueue(self, new: Iterable[Any], now: datetime) -> list[str]:
        """Insert deliveries (objects with key, ticket, channel, contact, payload,
        not_before); a key already present is skipped. Returns the keys inserted."""
        rows = [{"id": str(uuid.uuid4()), "key": d.key, "ticket": d.ticket,
                 "channel": d.channel, "contact": d.contact,
                 "payload": json.dumps(d.payload, sort_keys=True, default=str),
                 "status": "pending", "attempts": 0, "next_attempt_at": iso(d.not_before),
                 "last_error": "", "created_at": iso(now), "external_id": ""} for d in new]
        if not rows:
            return []
        with self.store._write() as s:
            keys = [r["key"] for r in rows]
            have: set[str] = set()
            for i in range(0, len(keys), 500):
                have.update(s.scalars(select(DeliveryRow.key)
                                      .where(DeliveryRow.key.in_(keys[i:i + 500]))))
            fresh = [r for r in {r["key"]: r for r in rows}.values() if r["key"] not in have]
            if fresh:
                s.execute(sqlite_insert(DeliveryRow).on_conflict_do_nothing(), fresh)
            return [r["key"] for r in fresh]

    def mark_sending(self, ids: Sequence[str]) -> None:
        with self.store._write() as s:
            s.execute(update(DeliveryRow).where(DeliveryRow.id.in_(list(ids)))
                      .values(status="sending", attempts=DeliveryRow.attempts + 1))

    def record(self, outcomes: Iterable[dict[str, Any]]) -> None:
        """Apply outcomes: dicts with ``id`` and the columns to set."""
        outcomes = list(outcomes)
        if not outcomes:
            return
        with self.store._write() as s:
            for o in outcomes:
                values = {k: (iso(v) if isinstance(v, datetime) else v)
                          for k, v in o.items() if k != "id"}
                s.execute(update(DeliveryRow).where(DeliveryRow.id == o["id"]).values(**values))

    def recover(self) -> int:
        """After a crash: deliveries caught mid-send go back to pending (sent again, or
        skipped if the shared claim says they went out)."""
        with self.store._write() as s:
            return rows_affected(s.execute(update(DeliveryRow)
                                           .where(DeliveryRow.status == "sending")
                                           .values(status="pending")))

    def cancel(self, ticket: str, reason: str, kinds: tuple[str, ...] = ("notify",)) -> int:
        """Skip the ticket's open chain-step deliveries (acknowledged or resolved)."""
        n = 0
        with self.store._write() as s:
            for row in s.scalars(select(DeliveryRow).where(DeliveryRow.ticket == ticket,
                                                           DeliveryRow.status == "pending")):
                meta = (json.loads(row.payload or "{}").get("meta") or {})
                if meta.get("kind") in kinds:
                    row.status, row.last_error = "skipped", reason
                    n += 1
        return n

    def retry(self, delivery_id: str, now: datetime) -> DeliveryRecord | None:
        """A dead (or failed) delivery goes back to pending with a fresh retry budget."""
        with self.store._write() as s:
            row = self._find(s, delivery_id)
            if row is None or row.status not in ("dead", "failed", "skipped"):
                return DeliveryRecord.from_row(row) if row is not None else None
            row.status, row.attempts, row.next_attempt_at = "pending", 0, iso(now)
            row.last_error = f"retried by hand at {iso(now)}; was: {row.last_error}"[:2000]
            s.flush()
            return DeliveryRecord.from_row(row)

    # -- reads ------------------------------------------------------------------------
    @staticmethod
    def _find(s: Session, delivery_id: str) -> DeliveryRow | None:
        row = s.get(DeliveryRow, delivery_id)
        if row is None and len(delivery_id) >= 6:
            rows = s.scalars(select(DeliveryRow).where(DeliveryRow.id.like(f"{delivery_id}%"))
                             .limit(2)).all()
            row = rows[0] if len(rows) == 1 else None
        return row

    def get(self, delivery_id: str) -> DeliveryRecord | None:
        with self.store._read() as s:
            row = self._find(s, delivery_id)
            return DeliveryRecord.from_row(row) if row is not None else None

    def due(self, now: datetime, channels: Iterable[str] | None = None, limit: int = 200
            ) -> list[DeliveryRecord]:
        """Open deliveries due by ``now``: most severe first, then oldest due."""
        q = (select(DeliveryRow).where(DeliveryRow.status.in_(OPEN),
                                       DeliveryRow.next_attempt_at <= iso(now))
             .order_by(func.json_extract(DeliveryRow.payload, "$.meta.rank"),
                       DeliveryRow.next_attempt_at).limit(limit))
        if channels is not None:
            q = q.where(DeliveryRow.channel.in_(list(channels)))
        with self.store._read() as s:
            return [DeliveryRecord.from_row(r) for r in s.scalars(q)]

    def next_due(self, channels: Iterable[str] | None = None) -> datetime | None:
        q = select(func.min(DeliveryRow.next_attempt_at)).where(DeliveryRow.status.in_(OPEN))
        if channels is not None:
            q = q.where(DeliveryRow.channel.in_(list(channels)))
        with self.store._read() as s:
            return _dt(s.scalar(q))

    def for_ticket(self, ticket: str) -> list[DeliveryRecord]:
        with self.store._read() as s:
            return [DeliveryRecord.from_row(r) for r in s.scalars(
                select(DeliveryRow).where(DeliveryRow.ticket == ticket)
                .order_by(DeliveryRow.created_at))]

    def listing(self, statuses: Sequence[str] | None = None, ticket: str | None = None,
                limit: int = 500) -> list[DeliveryRecord]:
        q = select(DeliveryRow).order_by(DeliveryRow.created_at.desc()).limit(limit)
        if statuses:
            q = q.where(DeliveryRow.status.in_(list(statuses)))
        if ticket:
            q = q.where(DeliveryRow.ticket == ticket)
        with self.store._read() as s:
            return [DeliveryRecord.from_row(r) for r in s.scalars(q)]

    def counts(self) -> dict[str, int]:
        with self.store._read() as s:
            return {status: n for status, n in s.execute(
                select(DeliveryRow.status, func.count()).group_by(DeliveryRow.status))}

    def get_meta(self, key: str) -> str | None:
        return get_meta(self.store, key)

    def set_meta(self, key: str, value: str) -> None:
        set_meta(self.store, key, value)


class EventFeed:
    """The events the notifier has not seen yet, in arrival order (SQLite rowid), so
    events pulled from other consoles and written by other processes (``notify
    pd-ack``) are seen too."""

    _COLS = "rowid, id, ticket, kind, payload, author, device, hlc, at, seq"

    def __init__(self, store: LocalStore, page: int = 2000) -> None:
        self.store = store
        self.page = page

    @staticmethod
    def _event(r: Any) -> StoredEvent:
        return StoredEvent(r.id, r.ticket, r.kind, json.loads(r.payload), r.author, r.device,
                           r.hlc, datetime.fromisoformat(r.at), r.seq)

    def initial(self) -> tuple[Iterator[StoredEvent], int]:
        """Every event in HLC order, and the cursor after them. The events stream in
        pages as the caller consumes them: a list of the whole log (200,000 decoded
        events at 50,000 tickets) was the runner's peak, and the process kept that
        memory after the replay freed it."""
        with self.store._read() as s:
            cursor = s.execute(text("SELECT coalesce(max(rowid), 0) FROM events")).scalar() or 0
        return self._stream(int(cursor)), int(cursor)

    def _stream(self, cursor: int) -> Iterator[StoredEvent]:
        with self.store._read() as s:
            result = s.execute(text(f"SELECT {self._COLS} FROM events WHERE rowid <= :c "
                                    "ORDER BY hlc"), {"c": cursor},
                               execution_options={"yield_per": self.page})
            for rows in result.partitions():
                yield from [self._event(r) for r in rows]

    def since(self, cursor: int, limit: int = 5000) -> tuple[list[StoredEvent], int]:
        with self.store._read() as s:
            rows = s.execute(text(f"SELECT {self._COLS} FROM events WHERE rowid > :c "
                                  "ORDER BY rowid LIMIT :n"), {"c": cursor, "n": limit}).all()
        if not rows:
            return [], cursor
        return [self._event(r) for r in rows], int(rows[-1].rowid)

    def tickets(self, ids: Iterable[str]) -> dict[str, TicketRow]:
        ids = list(set(ids))
        out: dict[str, TicketRow] = {}
        with self.store._read() as s:
            for i in range(0, len(ids), 500):
                for row in s.scalars(select(TicketRow).where(TicketRow.id.in_(ids[i:i + 500]))):
                    out[row.id] = row
        return out


class SharedClaims:
    """Who sends what: one row per delivery key in the shared ``notification_claims``.

    ``claim`` answers per key: ``won`` (this console inserted it), ``mine`` (claimed by
    this console before: a retry or a restart), ``taken`` (another console's claim had
    gone stale, past the lease, and this console took it over), ``held`` (another
    console holds a live claim), ``sent`` or ``dead`` (another console finished it).
    The lease is renewed on every attempt, so only a console that stopped trying loses
    its claim."""

    unavailable: tuple[type[Exception], ...] = (SharedDBError,)  # = offline

    def __init__(self, db: SharedDatabase, device: str, lease_seconds: float = 120.0) -> None:
        self.db = db
        self.device = device
        self.lease_seconds = lease_seconds

    def claim(self, keys: Sequence[str], now: datetime) -> dict[str, tuple[str, str, str]]:
        """key -> (state, owner device, claimed_at)."""
        keys = list(dict.fromkeys(keys))
        if not keys:
            return {}
        stamp = iso(now)
        stale = iso(datetime.fromtimestamp(now.timestamp() - self.lease_seconds, UTC))
        me = self.device

        def work(conn: Any) -> dict[str, tuple[str, str, str]]:
            rows = conn.execute(
                "WITH input(key) AS (SELECT unnest(%s::text[])), "
                "ins AS (INSERT INTO notification_claims (key, device, claimed_at, status) "
                "SELECT key, %s, %s, 'claimed' FROM input ON CONFLICT (key) DO NOTHING "
                "RETURNING key) "
                "SELECT i.key, ins.key IS NOT NULL, c.device, c.claimed_at, c.status "
                "FROM input i LEFT JOIN ins ON ins.key = i.key "
                "LEFT JOIN notification_claims c ON c.key = i.key",
                (keys, me, stamp)).fetchall()
            # A key another console inserted while this statement ran is neither ours
            # nor in this statement's snapshot: read it again (a new snapshot).
            unseen = [r[0] for r in rows if not r[1] and r[2] is None]
            if unseen:
                again = {r[0]: r for r in conn.execute(
                    "SELECT key, false, device, claimed_at, status FROM notification_claims "
                    "WHERE key = ANY(%s)", (unseen,)).fetchall()}
                rows = [again.get(r[0], r) for r in rows]
            out: dict[str, tuple[str, str, str]] = {}
            renew, takeover = [], []
            for key, won, device, claimed_at, status in rows:
                if not won and device is None:
                    out[key] = ("held", "?", stamp)  # vanished: look again later
                    continue
                if won:
                    out[key] = ("won", me, stamp)
                elif device == me:
                    out[key] = ("sent" if status == "sent" else "mine", me, claimed_at)
                    if status != "sent":
                        renew.append(key)
                elif status in ("sent", "dead"):
                    out[key] = (status, device, claimed_at)
                elif claimed_at < stale:
                    takeover.append(key)
                    out[key] = ("held", device, claimed_at)
                else:
                    out[key] = ("held", device, claimed_at)
            if renew:
                conn.execute("UPDATE notification_claims SET claimed_at = %s, "
                             "status = 'claimed' WHERE key = ANY(%s) AND device = %s",
                             (stamp, renew, me))
            if takeover:
                taken = conn.execute(
                    "UPDATE notification_claims SET device = %s, claimed_at = %s "
                    "WHERE key = ANY(%s) AND status = 'claimed' AND claimed_at < %s "
                    "RETURNING key", (me, stamp, takeover, stale)).fetchall()
                for (key,) in taken:
                    out[key] = ("taken", me, stamp)
            return out

        claimed: dict[str, tuple[str, str, str]] = self.db._run("claiming on", work)
        return claimed

    def finish(self, keys: Sequence[str], status: str, now: datetime) -> None:
        """Record the end of this console's deliveries (sent or dead). Keys this
        console sent without a claim (offline, PagerDuty) are inserted as sent."""
        keys = list(dict.fromkeys(keys))
        if not keys:
            return

        def work(conn: Any) -> None:
            conn.execute("UPDATE notification_claims SET status = %s "
                         "WHERE key = ANY(%s) AND device = %s", (status, keys, self.device))
            conn.execute("INSERT INTO notification_claims (key, device, claimed_at, status) "
                         "SELECT unnest(%s::text[]), %s, %s, %s ON CONFLICT (key) DO NOTHING",
                         (keys, self.device, iso(now), status))

        self.db._run("recording on", work)

    def close(self) -> None:
        self.db.close()
