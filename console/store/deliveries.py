"""The notification outbox (table ``deliveries``) and notification claims in the shared
database (the event feed the notifier reads is in ``feed``).

Every write is one local transaction, so a crash leaves a delivery either as it was or
as recorded. Times are stored as fixed-width UTC ISO strings, so they sort as text.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import psycopg
from sqlalchemy import Select, func, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .claims import get_meta, set_meta
from .feed import EventFeed as EventFeed  # re-exported: the notifier's import
from .lease import LEASE_NAME
from .models import DeliveryRow, rows_affected
from .repo import Repo
from .server import SharedDatabase, SharedDBError

if TYPE_CHECKING:
    from .local import LocalStore

# a delivery is pending, sending, sent, failed, dead or skipped
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


class DeliveriesRepo(Repo):
    """The notification outbox inside a unit of work: ``uow.deliveries``."""

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
        s = self._writing()
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
        self._writing().execute(update(DeliveryRow).where(DeliveryRow.id.in_(list(ids)))
                                .values(status="sending", attempts=DeliveryRow.attempts + 1))

    def record(self, outcomes: Iterable[dict[str, Any]]) -> None:
        """Apply outcomes: dicts with ``id`` and the columns to set."""
        outcomes = list(outcomes)
        if not outcomes:
            return
        s = self._writing()
        for o in outcomes:
            values = {k: (iso(v) if isinstance(v, datetime) else v)
                      for k, v in o.items() if k != "id"}
            s.execute(update(DeliveryRow).where(DeliveryRow.id == o["id"]).values(**values))

    def recover(self) -> int:
        """Deliveries caught mid-send go back to pending; returns how many."""
        return rows_affected(self._writing().execute(
            update(DeliveryRow).where(DeliveryRow.status == "sending")
            .values(status="pending")))

    def cancel(self, ticket: str, reason: str, kinds: tuple[str, ...] = ("notify",)) -> int:
        """Skip the ticket's open deliveries of these kinds; returns how many."""
        n = 0
        s = self._writing()
        for row in s.scalars(select(DeliveryRow).where(DeliveryRow.ticket == ticket,
                                                       DeliveryRow.status == "pending")):
            meta = (json.loads(row.payload or "{}").get("meta") or {})
            if meta.get("kind") in kinds:
                row.status, row.last_error = "skipped", reason
                n += 1
        return n

    def retry(self, delivery_id: str, now: datetime) -> DeliveryRecord | None:
        """A dead (or failed) delivery goes back to pending with a fresh retry budget."""
        s = self._writing()
        row = self._find(delivery_id)
        if row is None or row.status not in ("dead", "failed", "skipped"):
            return DeliveryRecord.from_row(row) if row is not None else None
        row.status, row.attempts, row.next_attempt_at = "pending", 0, iso(now)
        row.last_error = f"retried by hand at {iso(now)}; was: {row.last_error}"[:2000]
        s.flush()
        return DeliveryRecord.from_row(row)

    # -- reads ------------------------------------------------------------------------
    def _find(self, delivery_id: str) -> DeliveryRow | None:
        row = self._s.get(DeliveryRow, delivery_id)
        if row is None and len(delivery_id) >= 6:
            rows = self._s.scalars(select(DeliveryRow)
                                   .where(DeliveryRow.id.like(f"{delivery_id}%"))
                                   .limit(2)).all()
            row = rows[0] if len(rows) == 1 else None
        return row

    def get(self, delivery_id: str) -> DeliveryRecord | None:
        """A delivery by its id, or by a unique prefix of at least 6 characters."""
        row = self._find(delivery_id)
        return DeliveryRecord.from_row(row) if row is not None else None

    def select(self, query: Select[DeliveryRow]) -> list[DeliveryRecord]:
        return [DeliveryRecord.from_row(r) for r in self._s.scalars(query)]

    def scalar(self, query: Select[str]) -> str | None:
        return self._s.scalar(query)

    def counts(self) -> dict[str, int]:
        return {status: n for status, n in self._s.execute(
            select(DeliveryRow.status, func.count()).group_by(DeliveryRow.status))}


class DeliveryOutbox:
    """The durable notification outbox of one console: one unit of work per call."""

    def __init__(self, store: LocalStore) -> None:
        self.store = store

    # -- writes ---------------------------------------------------------------------
    def enqueue(self, new: Iterable[Any], now: datetime) -> list[str]:
        """Insert deliveries (objects with key, ticket, channel, contact, payload,
        not_before); a key already present is skipped. Returns the keys inserted."""
        new = list(new)
        if not new:
            return []
        with self.store.unit() as uow:
            return uow.deliveries.enqueue(new, now)

    def mark_sending(self, ids: Sequence[str]) -> None:
        with self.store.unit() as uow:
            uow.deliveries.mark_sending(ids)

    def record(self, outcomes: Iterable[dict[str, Any]]) -> None:
        """Apply outcomes: dicts with ``id`` and the columns to set."""
        outcomes = list(outcomes)
        if not outcomes:
            return
        with self.store.unit() as uow:
            uow.deliveries.record(outcomes)

    def recover(self) -> int:
        """After a crash: deliveries caught mid-send go back to pending (sent again, or
        skipped if the shared claim says they went out)."""
        with self.store.unit() as uow:
            return uow.deliveries.recover()

    def cancel(self, ticket: str, reason: str, kinds: tuple[str, ...] = ("notify",)) -> int:
        """Skip the ticket's open chain-step deliveries (acknowledged or resolved)."""
        with self.store.unit() as uow:
            return uow.deliveries.cancel(ticket, reason, kinds)

    def retry(self, delivery_id: str, now: datetime) -> DeliveryRecord | None:
        """A dead (or failed) delivery goes back to pending with a fresh retry budget."""
        with self.store.unit() as uow:
            return uow.deliveries.retry(delivery_id, now)

    # -- reads ------------------------------------------------------------------------
    def get(self, delivery_id: str) -> DeliveryRecord | None:
        with self.store.unit(read_only=True) as uow:
            return uow.deliveries.get(delivery_id)

    def due(self, now: datetime, channels: Iterable[str] | None = None, limit: int = 200
            ) -> list[DeliveryRecord]:
        """Open deliveries due by ``now``: most severe first, then oldest due."""
        q = (select(DeliveryRow).where(DeliveryRow.status.in_(OPEN),
                                       DeliveryRow.next_attempt_at <= iso(now))
             .order_by(func.json_extract(DeliveryRow.payload, "$.meta.rank"),
                       DeliveryRow.next_attempt_at).limit(limit))
        if channels is not None:
            q = q.where(DeliveryRow.channel.in_(list(channels)))
        with self.store.unit(read_only=True) as uow:
            return uow.deliveries.select(q)

    def next_due(self, channels: Iterable[str] | None = None) -> datetime | None:
        q = select(func.min(DeliveryRow.next_attempt_at)).where(DeliveryRow.status.in_(OPEN))
        if channels is not None:
            q = q.where(DeliveryRow.channel.in_(list(channels)))
        with self.store.unit(read_only=True) as uow:
            return _dt(uow.deliveries.scalar(q))

    def for_ticket(self, ticket: str) -> list[DeliveryRecord]:
        with self.store.unit(read_only=True) as uow:
            return uow.deliveries.select(select(DeliveryRow).where(DeliveryRow.ticket == ticket)
                                         .order_by(DeliveryRow.created_at))

    def listing(self, statuses: Sequence[str] | None = None, ticket: str | None = None,
                limit: int = 500) -> list[DeliveryRecord]:
        q = select(DeliveryRow).order_by(DeliveryRow.created_at.desc()).limit(limit)
        if statuses:
            q = q.where(DeliveryRow.status.in_(list(statuses)))
        if ticket:
            q = q.where(DeliveryRow.ticket == ticket)
        with self.store.unit(read_only=True) as uow:
            return uow.deliveries.select(q)

    def counts(self) -> dict[str, int]:
        with self.store.unit(read_only=True) as uow:
            return uow.deliveries.counts()

    def get_meta(self, key: str) -> str | None:
        return get_meta(self.store, key)

    def set_meta(self, key: str, value: str) -> None:
        set_meta(self.store, key, value)


class SharedClaims:
    """Who sends what: one row per delivery key in the shared ``notification_claims``.

    ``claim`` answers per key: ``won`` (this console inserted it), ``mine`` (claimed by
    this console before: a retry or a restart), ``taken`` (another console's claim had
    gone stale, past the lease, and this console took it over), ``held`` (another
    console holds a live claim), ``sent`` or ``dead`` (another console finished it).
    The lease is renewed on every attempt, so only a console that stopped trying loses
    its claim.

    With a ``fence`` (the service's ``lambda: lease.epoch``), every key is ``fenced``
    (nothing claimed) unless the service lease row still has that epoch and has not
    expired by the database clock, checked in the claim's own transaction: a leader
    paused past its lease claims nothing the new leader could send too."""

    unavailable: tuple[type[Exception], ...] = (SharedDBError,)  # = offline

    def __init__(self, db: SharedDatabase, device: str, lease_seconds: float = 120.0,
                 fence: Callable[[], int | None] | None = None) -> None:
        self.db = db
        self.device = device
        self.lease_seconds = lease_seconds
        self.fence = fence

    def claim(self, keys: Sequence[str], now: datetime) -> dict[str, tuple[str, str, str]]:
        """key -> (state, owner device, claimed_at)."""
        keys = list(dict.fromkeys(keys))
        if not keys:
            return {}
        stamp = iso(now)
        stale = iso(datetime.fromtimestamp(now.timestamp() - self.lease_seconds, UTC))
        me = self.device
        epoch = self.fence() if self.fence is not None else None
        fenced = {k: ("fenced", "", stamp) for k in keys}
        if self.fence is not None and epoch is None:
            return fenced  # not the active instance: claim nothing

        def work(conn: psycopg.Connection) -> dict[str, tuple[str, str, str]]:
            if epoch is not None and conn.execute(
                    "SELECT 1 FROM service_lease WHERE name = %s AND epoch = %s "
                    "AND expires_at > now()", (LEASE_NAME, epoch)).fetchone() is None:
                return fenced
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

        return self.db.transaction("claiming on", work)

    def finish(self, keys: Sequence[str], status: str, now: datetime) -> None:
        """Record the end of this console's deliveries (sent or dead). Keys this
        console sent without a claim (offline, PagerDuty) are inserted as sent."""
        keys = list(dict.fromkeys(keys))
        if not keys:
            return

        def work(conn: psycopg.Connection) -> None:
            conn.execute("UPDATE notification_claims SET status = %s "
                         "WHERE key = ANY(%s) AND device = %s", (status, keys, self.device))
            conn.execute("INSERT INTO notification_claims (key, device, claimed_at, status) "
                         "SELECT unnest(%s::text[]), %s, %s, %s ON CONFLICT (key) DO NOTHING",
                         (keys, self.device, iso(now), status))

        self.db.transaction("recording on", work)

    def settled(self, keys: Sequence[str]) -> dict[str, tuple[str, str]]:
        """key -> (status, device) for the keys some instance finished (sent or dead),
        read without claiming: a console that may not send still learns what went
        out."""
        keys = list(dict.fromkeys(keys))
        if not keys:
            return {}
        rows = self.db.transaction("reading claims on", lambda conn: conn.execute(
            "SELECT key, status, device FROM notification_claims "
            "WHERE key = ANY(%s) AND status IN ('sent', 'dead')", (keys,)).fetchall())
        return {str(k): (str(status), str(device)) for k, status, device in rows}

    def release(self, keys: Sequence[str]) -> None:
        """Give up this instance's open claims on keys it will not send after all
        (it lost the lease between the claim and the send), so the next leader need
        not wait out the claim lease."""
        keys = list(dict.fromkeys(keys))
        if keys:
            self.db.transaction("releasing claims on", lambda conn: conn.execute(
                "DELETE FROM notification_claims WHERE key = ANY(%s) AND device = %s "
                "AND status = 'claimed'", (keys, self.device)))

    def close(self) -> None:
        self.db.close()
