"""Local claims and facts: what this console already alerted, the alerts still waiting
for an acknowledgement, and small meta values."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import delete, literal_column, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .models import ConsoleAlertRow, NotificationClaimRow, rows_affected
from .repo import Repo

if TYPE_CHECKING:
    from .local import LocalStore

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class StoredAlert:
    """An alert (or a summary) as the console keeps it until acknowledged."""

    key: str
    kind: str  # alert | summary
    ticket: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    raised_at: str = ""
    acknowledged_at: str | None = None


class AlertsRepo(Repo):
    """Notification claims (what this console already alerted), the alerts waiting for
    an acknowledgement, and small meta values: a unit of work's ``uow.alerts``."""

    def __init__(self, session: Session, writable: bool, device: str) -> None:
        super().__init__(session, writable)
        self._device = device

    def claim(self, keys: list[str], at_iso: str) -> set[str]:
        """Record alert keys as shown on this console; return the keys that were new."""
        if not keys:
            return set()
        s = self._writing()
        have = set(s.scalars(select(NotificationClaimRow.key)
                             .where(NotificationClaimRow.key.in_(keys))))
        fresh = [k for k in dict.fromkeys(keys) if k not in have]
        if fresh:
            s.execute(sqlite_insert(NotificationClaimRow).on_conflict_do_nothing(),
                      [{"key": k, "device": self._device, "claimed_at": at_iso,
                        "status": "shown"} for k in fresh])
        return set(fresh)

    def open_summary(self, prefix: str) -> StoredAlert | None:
        """The newest unacknowledged alert whose key starts with ``prefix``."""
        row = self._s.scalars(select(ConsoleAlertRow)
                              .where(ConsoleAlertRow.key.startswith(prefix, autoescape=True),
                                     ConsoleAlertRow.acknowledged_at.is_(None))
                              .order_by(ConsoleAlertRow.raised_at.desc())).first()
        return None if row is None else _stored(row)

    def keep(self, alerts: Iterable[StoredAlert]) -> None:
        """Insert alerts, or update the payload and time of those already kept."""
        rows = [{"key": a.key, "kind": a.kind, "ticket": a.ticket,
                 "payload": json.dumps(a.payload, sort_keys=True), "raised_at": a.raised_at,
                 "acknowledged_at": a.acknowledged_at} for a in alerts]
        if rows:
            stmt = sqlite_insert(ConsoleAlertRow)
            self._writing().execute(stmt.on_conflict_do_update(
                index_elements=[ConsoleAlertRow.key],
                set_={"payload": stmt.excluded.payload, "raised_at": stmt.excluded.raised_at}),
                rows)

    def unacknowledged(self, limit: int = 500) -> list[StoredAlert]:
        """The alerts still waiting for an acknowledgement, oldest first (at most
        ``limit``, the newest ones)."""
        rows = list(self._s.scalars(select(ConsoleAlertRow)
                                    .where(ConsoleAlertRow.acknowledged_at.is_(None))
                                    .order_by(ConsoleAlertRow.raised_at.desc(),
                                              literal_column("rowid").desc())  # insertion order
                                    .limit(limit)))
        return [_stored(r) for r in reversed(rows)]

    def acknowledge(self, acks: Iterable[tuple[str, str]], at_iso: str) -> list[str]:
        """Mark alerts acknowledged; each ack is (ticket, key), and an empty key stands for
        every alert of that ticket. Returns the keys that were waiting and are now done."""
        s = self._writing()
        done: list[str] = []
        for ticket, key in acks:
            where = (ConsoleAlertRow.key == key if key else
                     (ConsoleAlertRow.ticket == ticket) & (ConsoleAlertRow.ticket != ""))
            keys = list(s.scalars(select(ConsoleAlertRow.key).where(
                where, ConsoleAlertRow.acknowledged_at.is_(None))))
            if keys:
                s.execute(update(ConsoleAlertRow).where(ConsoleAlertRow.key.in_(keys))
                          .values(acknowledged_at=at_iso))
                done.extend(keys)
        return done

    def forget_acknowledged(self, before_iso: str) -> int:
        """Drop alerts acknowledged before ``before_iso`` (their claims stay, so they
        never come back); returns how many went."""
        result = self._writing().execute(delete(ConsoleAlertRow).where(
            ConsoleAlertRow.acknowledged_at.is_not(None),
            ConsoleAlertRow.acknowledged_at < before_iso))
        return rows_affected(result)


def _stored(row: ConsoleAlertRow) -> StoredAlert:
    return StoredAlert(row.key, row.kind, row.ticket, json.loads(row.payload), row.raised_at,
                       row.acknowledged_at)


# -- one unit of work per call, for callers that do one thing ---------------------------


def raise_alerts(store: LocalStore, keys: list[str], at_iso: str,
                 build: Callable[[set[str], StoredAlert | None], tuple[list[StoredAlert], T]],
                 *, summary_prefix: str = "summary|backlog|",
                 meta: dict[str, str] | None = None) -> T:
    """Claim ``keys`` and keep the alerts they raise, in one transaction.

    ``build(fresh_keys, open_summary)`` gets the keys claimed now and the newest
    unacknowledged summary whose key starts with ``summary_prefix`` (so a summary can
    grow instead of a second one appearing); it returns the alerts to keep (new or
    updated) and a result, which is returned. ``meta`` values (the checkpoint) are set
    in the same transaction: a crash never leaves an alert claimed but not kept."""
    with store.unit() as uow:
        fresh = uow.alerts.claim(keys, at_iso)
        keep, result = build(fresh, uow.alerts.open_summary(summary_prefix))
        uow.alerts.keep(keep)
        for key, value in (meta or {}).items():
            uow.meta.set(key, value)
        return result


def unacknowledged_alerts(store: LocalStore, limit: int = 500) -> list[StoredAlert]:
    """The alerts still waiting for an acknowledgement, oldest first (at most ``limit``,
    the newest ones)."""
    with store.unit(read_only=True) as uow:
        return uow.alerts.unacknowledged(limit)


def acknowledge_alerts(store: LocalStore, acks: Iterable[tuple[str, str]], at_iso: str
                       ) -> list[str]:
    """Mark alerts acknowledged (see ``AlertsRepo.acknowledge``), in one transaction."""
    with store.unit() as uow:
        return uow.alerts.acknowledge(acks, at_iso)


def forget_acknowledged(store: LocalStore, before_iso: str) -> int:
    """Drop alerts acknowledged before ``before_iso`` (their claims stay, so they never
    come back); returns how many went."""
    with store.unit() as uow:
        return uow.alerts.forget_acknowledged(before_iso)


def get_meta(store: LocalStore, key: str) -> str | None:
    with store.unit(read_only=True) as uow:
        return uow.meta.get(key)


def set_meta(store: LocalStore, key: str, value: str) -> None:
    with store.unit() as uow:
        uow.meta.set(key, value)
