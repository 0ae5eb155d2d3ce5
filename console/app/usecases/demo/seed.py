"""Seeding: a realistic demo queue, seeded relative to "now" so its countdowns are alive.

``seed_demo`` wipes the demo store in its data directory and writes a fresh one:
tickets across every severity, from accounts of every tier, most of them running
normally and some about to breach, breached, waiting on the customer, awaiting
Engineering's confirmation (P1 and P2), routed or escalated to T2 and T3 teams with a
structured handoff, or resolved recently. Behind the queue, the tickets resolved over
the last 90 days (history.py) give the reports their story: one team and one agent
over their escalation flags, T1 resolving about half. Owners come from a small list of agents
plus the person running the console, so "Mine" shows rows.

The queue is planned against the matrix's own targets and pre-breach leads on wall
time (the default matrix runs every clock 24x7; with business-hours calendars the mix
of states shifts, and nothing breaks). It is deterministic for a seed and a ``now``.

Demo events are local-only: they are written without outbox entries, so they can
never reach a shared database, and the demo console runs without sync. A marker file
(``demo.json``) says a directory holds a demo store; ``seed_demo`` refuses to wipe a
store that lacks it.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from console.app.identity import current_user
from console.domain.matrix import Matrix
from console.store.bulk import bulk_append_new_tickets
from console.store.local import DB_NAME, InstanceLock, LocalStore
from console.store.models import DeliveryRow
from console.store.private import private_dir

from .data import DEFAULT_TICKETS
from .history import DemoPage, demo_pages
from .scenarios import ProgressCallback, demo_events

MARKER = "demo.json"
_STORE_FILES = (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm", f"{DB_NAME}-journal")


class DemoError(RuntimeError):
    """The demo store could not be (re)seeded."""


def default_user() -> str:
    """The person running the console, as ``console.ui.app`` names them."""
    return current_user()


def demo_data_dir(base: Path, tickets: int = DEFAULT_TICKETS) -> Path:
    """Where the demo of ``tickets`` tickets lives under a data directory."""
    return Path(base) / ("demo" if tickets == DEFAULT_TICKETS else f"demo-{tickets}")


def seed_demo(data_dir: str | Path, matrix: Matrix, now: datetime,
              tickets: int = DEFAULT_TICKETS, seed: int = 7,
              progress: ProgressCallback | None = None, *, user: str | None = None,
              include_resolved: bool = True, history: int | None = None) -> int:
    """Wipe the demo store in ``data_dir`` and seed ``tickets`` tickets relative to
    ``now``, and ``history`` resolved ones over the last 90 days (default: see
    ``demo_events``); return how many tickets were written.

    ``progress(done, total)`` is called as tickets are planned; its last call,
    ``(total, total)``, comes once the store is written. ``user`` owns some tickets
    (default: the OS user, as the console names them). ``include_resolved=False``
    leaves out the recently resolved tickets and the history (every ticket open, for
    benchmarks).
    Raises DemoError when the directory holds a store that is not a demo, or when a
    console is using it."""
    data_dir = Path(data_dir)
    private_dir(data_dir)
    lock = InstanceLock(data_dir)
    try:
        lock.acquire()
    except (OSError, RuntimeError) as exc:
        raise DemoError(str(exc)) from None
    try:
        marker = data_dir / MARKER
        if (data_dir / DB_NAME).exists() and not marker.exists():
            raise DemoError(f"{data_dir} holds a store that is not a demo; "
                            "refusing to wipe it")
        marker.write_text(json.dumps({"tickets": tickets, "seed": seed,
                                      "seeded_at": now.isoformat()}) + "\n")
        for name in _STORE_FILES:
            (data_dir / name).unlink(missing_ok=True)
        events = demo_events(matrix, now, tickets, seed, progress=progress,
                             user=default_user() if user is None else user,
                             include_resolved=include_resolved, history=history)
        store = LocalStore(data_dir, matrix, clock=lambda: now, lock=False).open()
        try:
            bulk_append_new_tickets(store, events, outbox=False)
            _write_pages(store, demo_pages(events, now), now)
        finally:
            store.close()
    finally:
        lock.release()
    if progress is not None:
        progress(tickets, tickets)
    return len({e.ticket for e in events})




def _write_pages(store: LocalStore, pages: list[DemoPage], now: datetime) -> None:
    """The past's pages as sent deliveries of the outbox (never sent again)."""
    if not pages:
        return
    with store.unit() as uow:
        uow.deliveries.enqueue(pages, now)
        sent = {p.key: p.sent_at for p in pages}
        rows = uow.deliveries.select(select(DeliveryRow).where(
            DeliveryRow.key.in_(list(sent))))
        uow.deliveries.record({"id": r.id, "status": "sent", "attempts": 1,
                               "sent_at": sent[r.key], "external_id": "demo"}
                              for r in rows)
