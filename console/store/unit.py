"""The store's public API for one piece of work: a unit of work and its repositories.

``with store.unit() as uow:`` is one transaction: a ``BEGIN IMMEDIATE`` under the
store's write lock (WAL, synchronous=FULL, as every write of the store). It commits
when the block ends and rolls back when the block raises, so either everything the
block wrote is stored or nothing is. ``store.unit(read_only=True)`` reads one snapshot
and never waits for, or blocks, a writer; its repositories refuse to write.

Repositories return plain records (dataclasses), never ORM rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from itertools import groupby
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from console.domain.tickets import TicketEvent

from .claims import AlertsRepo
from .deliveries import DeliveriesRepo
from .delivery_stats import DeliveryStatsRepo
from .feed import FeedRepo
from .models import (
    DraftRow,
    EventRow,
    MatrixVersionRow,
    MetaRow,
    OutboxRow,
    TicketRow,
    UserProfileRow,
)
from .records import Draft, StoredEvent, TicketRecord
from .refused import RefusedRepo
from .repo import Repo
from .report_facts import ReportFactsRepo

if TYPE_CHECKING:
    from .local import NewEvent

_CHUNK = 500

Append = Callable[[Session, Sequence["NewEvent"]], list[StoredEvent]]
BulkAppend = Callable[[Session, Sequence["NewEvent"], bool], list[StoredEvent]]



class EventsRepo(Repo):
    """The event log (append-only) and its outbox."""

    def __init__(self, session: Session, writable: bool, append: Append,
                 bulk: BulkAppend) -> None:
        super().__init__(session, writable)
        self._append = append
        self._bulk = bulk

    def append(self, new: Sequence[NewEvent]) -> list[StoredEvent]:
        """Append events (log, outbox, projection); ids already stored are skipped.
        Returns the events stored now."""
        return self._append(self._writing(), new)

    def append_new_tickets(self, new: Sequence[NewEvent], *, outbox: bool = True
                           ) -> list[StoredEvent]:
        """The fast path for tickets the log has never seen (see ``bulk``); with
        ``outbox=False`` the events never reach the shared database."""
        return self._bulk(self._writing(), new, outbox)

    def history(self, ticket: str) -> list[StoredEvent]:
        """A ticket's events in HLC order."""
        rows = self._s.scalars(select(EventRow).where(EventRow.ticket == ticket)
                               .order_by(EventRow.hlc))
        return [StoredEvent.from_row(r) for r in rows]

    def every(self, ticket: str | None = None) -> Iterator[StoredEvent]:
        """Every event of the log, or of one ticket, in HLC order, read in batches
        (``export`` writes a whole log)."""
        query = select(EventRow).order_by(EventRow.hlc, EventRow.id)
        if ticket is not None:
            query = query.where(EventRow.ticket == ticket)
        for row in self._s.scalars(query.execution_options(yield_per=2000)):
            yield StoredEvent.from_row(row)

    def opened_tickets(self, window_from: datetime, window_to: datetime,
                       slack: timedelta = timedelta(days=1)) -> list[str]:
        """The tickets with an ``opened`` event in ``[from, to)``, in id order. ``at`` is
        stored as text, compared as text only to narrow the read (the window widened by
        ``slack`` each side), then exactly, as instants."""
        lo, hi = (window_from - slack).isoformat(), (window_to + slack).isoformat()
        rows = self._s.execute(
            select(EventRow.ticket, EventRow.at).where(EventRow.kind == "opened",
                                                       EventRow.at >= lo, EventRow.at < hi))
        return sorted({ticket for ticket, at in rows
                       if window_from <= datetime.fromisoformat(at) < window_to})

    def of_tickets(self, tickets: Sequence[str]) -> list[StoredEvent]:
        """The events of these tickets, ticket after ticket (in id order), each
        ticket's in HLC order."""
        out: list[StoredEvent] = []
        ids = list(tickets)
        for i in range(0, len(ids), _CHUNK):
            rows = self._s.scalars(select(EventRow).where(EventRow.ticket.in_(ids[i:i + _CHUNK]))
                                   .order_by(EventRow.ticket, EventRow.hlc, EventRow.id))
            out.extend(StoredEvent.from_row(r) for r in rows)
        return out

    def domain_of_tickets(self, tickets: Sequence[str]) -> dict[str, list[TicketEvent]]:
        """The events of these tickets as the engine reads them, each ticket's in time
        order, same-instant events in HLC order (``export.ordered``'s order): a third of
        the cost of ``of_tickets`` for a replay of millions of events (no records, only
        the columns the engine reads)."""
        out: dict[str, list[TicketEvent]] = {}
        ids, loads, parse = list(tickets), json.loads, datetime.fromisoformat
        columns = (EventRow.ticket, EventRow.kind, EventRow.payload, EventRow.author,
                   EventRow.at)
        for i in range(0, len(ids), _CHUNK):
            rows = self._s.execute(select(*columns).where(EventRow.ticket.in_(ids[i:i + _CHUNK]))
                                   .order_by(EventRow.ticket, EventRow.hlc, EventRow.id))
            for ticket, group in groupby(rows, key=itemgetter(0)):
                events = [TicketEvent(parse(at), ticket, kind, loads(payload), author)
                          for _, kind, payload, author, at in group]
                events.sort(key=attrgetter("at"))  # stable: HLC order within an instant
                out[ticket] = events
        return out

    def known_ids(self, event_ids: Sequence[str]) -> set[str]:
        """Which of these event ids the log holds."""
        known: set[str] = set()
        ids = list(event_ids)
        for i in range(0, len(ids), _CHUNK):
            known.update(self._s.scalars(select(EventRow.id)
                                         .where(EventRow.id.in_(ids[i:i + _CHUNK]))))
        return known

    def pending(self) -> int:
        """How many events wait in the outbox for the shared database."""
        return self._s.scalar(select(func.count()).select_from(OutboxRow)) or 0


_TICKET_COLUMNS = [getattr(TicketRow, f.name) for f in fields(TicketRecord)]


class TicketsRepo(Repo):
    """The ticket projection (written only by appending events)."""

    def get(self, ticket: str) -> TicketRecord | None:
        row = self._s.execute(select(*_TICKET_COLUMNS).where(TicketRow.id == ticket)).first()
        return None if row is None else TicketRecord(*row)

    def all(self) -> list[TicketRecord]:
        """Every ticket, the next due first (tickets with nothing due last)."""
        query = select(*_TICKET_COLUMNS).order_by(TicketRow.next_due.is_(None),
                                                 TicketRow.next_due, TicketRow.id)
        # plain column tuples: no ORM object (and its identity-map state) per ticket
        return [TicketRecord(*row) for row in self._s.execute(query)]

    def open_clocks(self) -> list[tuple[str, str]]:
        """(severity, clocks JSON) of every ticket not resolved (the service's /metrics:
        open tickets by severity and SLA state)."""
        query = select(TicketRow.severity, TicketRow.clocks).where(TicketRow.status != "resolved")
        return [(severity, clocks) for severity, clocks in self._s.execute(query)]

    def resolved_count(self) -> int:
        """How many tickets are resolved (what triage training counts, without loading
        the projection)."""
        query = select(func.count()).select_from(TicketRow).where(TicketRow.status == "resolved")
        return int(self._s.execute(query).scalar_one())

    def accounts(self) -> dict[str, str]:
        """Known accounts and their tiers; the latest opened ticket wins."""
        rows = self._s.execute(select(TicketRow.account, TicketRow.account_tier)
                               .order_by(TicketRow.opened_at)).all()
        return {a: t for a, t in rows if a}


class DraftsRepo(Repo):
    """Form drafts, keyed like ``handoff:INC-1``."""

    def save(self, key: str, form: str, ticket: str, payload: dict[str, Any],
             at: datetime) -> Draft:
        at = at.astimezone(UTC)
        self._writing().merge(DraftRow(key=key, form=form, ticket=ticket,
                                       payload=json.dumps(payload, sort_keys=True),
                                       updated_at=at.isoformat()))
        return Draft(key, form, ticket, payload, at)

    def get(self, key: str) -> Draft | None:
        row = self._s.get(DraftRow, key)
        return None if row is None else _draft(row)

    def delete(self, key: str) -> None:
        self._writing().execute(delete(DraftRow).where(DraftRow.key == key))

    def all(self, form: str | None = None) -> list[Draft]:
        """Every draft (of ``form``), newest first."""
        query = select(DraftRow).order_by(DraftRow.updated_at.desc())
        if form is not None:
            query = query.where(DraftRow.form == form)
        return [_draft(r) for r in self._s.scalars(query)]


def _draft(row: DraftRow) -> Draft:
    try:
        payload = json.loads(row.payload)
    except ValueError:  # a damaged draft opens empty rather than failing the form
        payload = {}
    return Draft(row.key, row.form, row.ticket, payload if isinstance(payload, dict) else {},
                 datetime.fromisoformat(row.updated_at))


class ProfilesRepo(Repo):
    """Local user profiles: the matrix roles this console's users hold."""

    def roles(self, user: str) -> list[str]:
        row = self._s.get(UserProfileRow, user)
        try:
            roles = json.loads(row.roles) if row is not None else []
        except ValueError:
            roles = []
        return [str(r) for r in roles] if isinstance(roles, list) else []

    def set_roles(self, user: str, roles: Sequence[str]) -> None:
        s = self._writing()
        row = s.get(UserProfileRow, user)
        if row is None:
            s.add(UserProfileRow(id=user, display_name=user, roles=json.dumps(list(roles))))
        else:
            row.roles = json.dumps(list(roles))


@dataclass(frozen=True, slots=True)
class MatrixVersion:
    """One published matrix version."""

    event_id: str
    number: int
    name: str
    yaml: str
    author: str
    comment: str
    hlc: str


class MatrixVersionsRepo(Repo):
    """Published matrix versions (a projection of ``matrix_published`` events)."""

    def all(self) -> list[MatrixVersion]:
        rows = self._s.scalars(select(MatrixVersionRow).order_by(MatrixVersionRow.number))
        return [MatrixVersion(r.event_id, r.number, r.name, r.yaml, r.author, r.comment, r.hlc)
                for r in rows]

    def next_number(self) -> int:
        return (self._s.scalar(select(func.max(MatrixVersionRow.number))) or 0) + 1


class MetaRepo(Repo):
    """Small local facts (checkpoints, the device id)."""

    def get(self, key: str) -> str | None:
        row = self._s.get(MetaRow, key)
        return row.value if row else None

    def set(self, key: str, value: str) -> None:
        self._writing().merge(MetaRow(key=key, value=value))


class UnitOfWork:
    """One transaction over the store's repositories (see the module's docstring)."""

    def __init__(self, session: Session, writable: bool, append: Append, bulk: BulkAppend,
                 device: str) -> None:
        self.writable = writable
        self.alerts = AlertsRepo(session, writable, device)
        self.deliveries = DeliveriesRepo(session, writable)
        self.delivery_stats = DeliveryStatsRepo(session, writable)
        self.feed = FeedRepo(session)
        self.events = EventsRepo(session, writable, append, bulk)
        self.tickets = TicketsRepo(session, writable)
        self.drafts = DraftsRepo(session, writable)
        self.profiles = ProfilesRepo(session, writable)
        self.matrix_versions = MatrixVersionsRepo(session, writable)
        self.meta = MetaRepo(session, writable)
        self.refused = RefusedRepo(session, writable)
        self.report_facts = ReportFactsRepo(session, writable)
