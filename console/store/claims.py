"""Local claims and facts: what this console already alerted, and small meta values."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .local import LocalStore
from .models import MetaRow, NotificationClaimRow


def claim_locally(store: LocalStore, keys: list[str], at_iso: str) -> set[str]:
    """Record alert keys as shown on this console; return the keys that were new.
    One transaction, so a crash never leaves an alert half-recorded."""
    if not keys:
        return set()
    with store._write() as s:
        have = set(s.scalars(select(NotificationClaimRow.key)
                             .where(NotificationClaimRow.key.in_(keys))))
        fresh = [k for k in dict.fromkeys(keys) if k not in have]
        if fresh:
            s.execute(sqlite_insert(NotificationClaimRow).on_conflict_do_nothing(),
                      [{"key": k, "device": store.device, "claimed_at": at_iso,
                        "status": "shown"} for k in fresh])
        return set(fresh)


def get_meta(store: LocalStore, key: str) -> str | None:
    with store._read() as s:
        row = s.get(MetaRow, key)
        return row.value if row else None


def set_meta(store: LocalStore, key: str, value: str) -> None:
    with store._write() as s:
        s.merge(MetaRow(key=key, value=value))
