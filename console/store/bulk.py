"""A fast path for loading many brand-new tickets at once (the demo seeder, benchmarks).

``LocalStore.append_many`` projects each touched ticket by reading its events back
from the log, which is right for a few events on existing tickets but costs one query
per ticket: tens of thousands of new tickets take minutes. When every ticket in the
batch is new, its events are all in memory already, so this module stamps them
exactly as ``append_many`` does, projects each ticket from the in-memory events (in
HLC order, after the same JSON round trip the log applies) and writes events, outbox
and ticket rows with ``executemany`` in one ``BEGIN IMMEDIATE`` transaction.

The rows it writes are the rows ``append_many`` would write (tests/app/test_demo.py
checks the projections match); only the speed differs.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table, select
from sqlalchemy.orm import Session

from console.domain.hlc import HybridClock, to_ms
from console.domain.projection import project
from console.domain.reports import ticket_facts
from console.domain.tickets import TicketEvent

from .models import EventRow, MetaRow, OutboxRow, TicketRow, table_of
from .projector import MATRIX_STREAM, Projector, ticket_row_values
from .records import StoredEvent
from .report_facts import ReportFactsRow, row_values

if TYPE_CHECKING:
    from .local import LocalStore, NewEvent

_CHUNK = 500  # SQLite's limit on bound parameters is far above this


class NotNewTickets(ValueError):
    """The batch touches a ticket the store already holds events for."""


def bulk_append_new_tickets(store: LocalStore, new: Sequence[NewEvent], *,
                            outbox: bool = True) -> list[StoredEvent]:
    """Append the events of tickets the store has never seen, in one transaction.

    Same contract as ``append_many`` (ids that already exist are skipped; events are
    stamped in list order, so list each ticket's events in the order they happened),
    restricted to new tickets: raises ``NotNewTickets`` when any ticket already has
    events (nothing is written), and ``ValueError`` for matrix events, which must go
    through ``append_many``. With ``outbox=False`` the events are kept out of the
    outbox, so they never reach the shared database (local-only data such as the demo).
    """
    with store.unit() as uow:
        return uow.events.append_new_tickets(new, outbox=outbox)


def append_new_tickets_in(s: Session, new: Sequence[NewEvent], *, outbox: bool,
                          hlc: HybridClock, device: str, now: datetime,
                          projector: Projector) -> list[StoredEvent]:
    """``bulk_append_new_tickets``'s work inside the caller's write transaction."""
    tickets = list(dict.fromkeys(n.ticket for n in new))
    if MATRIX_STREAM in tickets or any(n.kind == "matrix_published" for n in new):
        raise ValueError("matrix events cannot be bulk-loaded; use append_many")
    known: set[str] = set()
    if s.scalar(select(EventRow.id).limit(1)) is not None:  # an empty log needs no checks
        _refuse_known_tickets(s, tickets)
        ids = [n.id for n in new if n.id]
        for i in range(0, len(ids), _CHUNK):
            known.update(s.scalars(select(EventRow.id)
                                   .where(EventRow.id.in_(ids[i:i + _CHUNK]))))

    # Stamp exactly as append_many does.
    stored: list[StoredEvent] = []
    for n in new:
        if n.id and n.id in known:
            continue
        at = n.at or now
        stamp = hlc.now(to_ms(at) if n.at else to_ms(now))
        e = StoredEvent(n.id or str(uuid.uuid4()), n.ticket, n.kind, n.payload, n.author,
                        device, stamp.encode(), at.astimezone(UTC))
        known.add(e.id)
        stored.append(e)
    if not stored:
        return stored

    rows = [e.to_row() for e in stored]
    conn = s.connection()
    _insert_many(conn, table_of(EventRow), rows)
    if outbox:
        _insert_many(conn, table_of(OutboxRow),
                     [{"event_id": e.id, "queued_hlc": e.hlc} for e in stored])
    s.merge(MetaRow(key="hlc", value=stored[-1].hlc))

    # Project each ticket from its own events, in HLC order (list order: the clock
    # only moves forward), with payloads as the log gives them back.
    by_ticket: dict[str, list[tuple[StoredEvent, dict[str, Any]]]] = {}
    for e, row in zip(stored, rows, strict=True):
        by_ticket.setdefault(e.ticket, []).append((e, json.loads(row["payload"])))
    ticket_rows: list[dict[str, Any]] = []
    facts_rows: list[dict[str, Any]] = []
    for ticket, events in by_ticket.items():
        view = project((TicketEvent(e.at, ticket, e.kind, payload, e.author)
                        for e, payload in events), projector.matrix, projector.calendars)
        if view is None:
            continue
        values = ticket_row_values(view, events[-1][0].hlc, len(events))
        ticket_rows.append(values)
        facts = ticket_facts((TicketEvent(e.at, ticket, e.kind, payload, e.author)
                              for e, payload in events), projector.matrix, projector.calendars)
        if facts is not None:
            facts_rows.append(row_values(facts))
    if ticket_rows:
        _insert_many(conn, table_of(TicketRow), ticket_rows)
    if facts_rows:
        _insert_many(conn, table_of(ReportFactsRow), facts_rows)
    return stored


def _refuse_known_tickets(s: Session, tickets: list[str]) -> None:
    existing: set[str] = set()
    for i in range(0, len(tickets), _CHUNK):
        existing.update(s.scalars(select(EventRow.ticket).distinct()
                                  .where(EventRow.ticket.in_(tickets[i:i + _CHUNK]))))
    if existing:
        sample = ", ".join(sorted(existing)[:5])
        raise NotNewTickets(f"{len(existing)} ticket(s) already have events ({sample}); "
                            "use append_many for existing tickets")


def _insert_many(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """One ``executemany`` straight on the driver: the same values a Core insert would
    bind (text, numbers, NULL; booleans as 0/1), without building parameters per row."""
    names = list(rows[0])
    sql = (f"INSERT INTO {table.name} ({', '.join(names)}) "
           f"VALUES ({', '.join('?' * len(names))})")
    conn.exec_driver_sql(sql, [tuple(r[n] for n in names) for r in rows])
