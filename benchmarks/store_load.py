"""Writing a benchmark's generated tickets into a local store, whole tickets a batch,
through the store's fast path for new tickets (kept out of the outbox)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

BATCH_EVENTS = 50_000


def bulk_load(store: Any, tickets: Iterable[list[Any]]) -> int:
    """Append each ticket's events (a list of ``NewEvent``, in the order they happened);
    how many were written."""
    from console.store.bulk import bulk_append_new_tickets

    batch: list[Any] = []
    total = 0
    for events in tickets:
        batch += events
        if len(batch) >= BATCH_EVENTS:
            total += len(bulk_append_new_tickets(store, batch, outbox=False))
            batch = []
    if batch:
        total += len(bulk_append_new_tickets(store, batch, outbox=False))
    return total
