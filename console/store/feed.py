"""The event feed the notifier reads: every event in arrival order (SQLite rowid), so
events pulled from other consoles and written by other processes are seen too."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from console.domain.tickets import Intake

from .models import TicketRow
from .records import StoredEvent, TicketRecord

if TYPE_CHECKING:
    from .local import LocalStore


class FeedRepo:
    """The event log in arrival order (SQLite rowid) and the tickets, for the notifier:
    ``uow.feed``."""

    _COLS = "rowid, id, ticket, kind, payload, author, device, hlc, at, seq"

    def __init__(self, session: Session) -> None:
        self._s = session

    @staticmethod
    def _event(r: Any) -> StoredEvent:
        return StoredEvent(r.id, r.ticket, r.kind, json.loads(r.payload), r.author, r.device,
                           r.hlc, datetime.fromisoformat(r.at), r.seq)

    def last_rowid(self) -> int:
        return int(self._s.execute(text("SELECT coalesce(max(rowid), 0) FROM events"))
                   .scalar() or 0)

    def up_to(self, cursor: int, page: int) -> Iterator[StoredEvent]:
        """Events up to ``cursor`` in HLC order, fetched ``page`` at a time."""
        result = self._s.execute(text(f"SELECT {self._COLS} FROM events WHERE rowid <= :c "
                                      "ORDER BY hlc"), {"c": cursor},
                                 execution_options={"yield_per": page})
        for rows in result.partitions():
            yield from [self._event(r) for r in rows]

    def since(self, cursor: int, limit: int) -> tuple[list[StoredEvent], int]:
        rows = self._s.execute(text(f"SELECT {self._COLS} FROM events WHERE rowid > :c "
                                    "ORDER BY rowid LIMIT :n"), {"c": cursor, "n": limit}).all()
        if not rows:
            return [], cursor
        return [self._event(r) for r in rows], int(rows[-1].rowid)

    def after(self, cursor: int, last: int, page: int) -> Iterator[StoredEvent]:
        """Events after ``cursor`` up to ``last`` in HLC order (a checkpoint's tail)."""
        result = self._s.execute(text(f"SELECT {self._COLS} FROM events WHERE rowid > :c "
                                      "AND rowid <= :l ORDER BY hlc"),
                                 {"c": cursor, "l": last},
                                 execution_options={"yield_per": page})
        for rows in result.partitions():
            yield from [self._event(r) for r in rows]

    def tickets_events(self, tickets: Collection[str], upto: int
                       ) -> dict[str, list[StoredEvent]]:
        """These tickets' events up to ``upto``, each ticket's in HLC order (to fold
        them again); a ticket with none stored is not in the answer."""
        query = text(f"SELECT {self._COLS} FROM events WHERE ticket IN :ids "
                     "AND rowid <= :u ORDER BY hlc").bindparams(
                         bindparam("ids", expanding=True))
        wanted = list(set(tickets))
        out: dict[str, list[StoredEvent]] = {}
        for i in range(0, len(wanted), 500):
            for r in self._s.execute(query, {"ids": wanted[i:i + 500], "u": upto}):
                out.setdefault(r.ticket, []).append(self._event(r))
        return out

    def event_id(self, rowid: int) -> str | None:
        """The id of the event stored at ``rowid``, if any."""
        found = self._s.execute(text("SELECT id FROM events WHERE rowid = :r"),
                                {"r": rowid}).scalar()
        return str(found) if found is not None else None

    def intakes(self, ids: Iterable[str]) -> dict[str, Intake]:
        """Each ticket's intake as its first opening (in HLC order) gave it, title and
        text included: the engine keeps only the words tickets share and reads these
        back when a rule looks at the words."""
        query = text("SELECT ticket, payload FROM events WHERE kind = 'opened' "
                     "AND ticket IN :ids ORDER BY hlc").bindparams(
                         bindparam("ids", expanding=True))
        wanted = list(set(ids))
        out: dict[str, Intake] = {}
        for i in range(0, len(wanted), 500):
            for ticket, payload in self._s.execute(query, {"ids": wanted[i:i + 500]}):
                if ticket not in out:
                    out[ticket] = Intake.from_data(json.loads(payload))
        return out

    def tickets(self, ids: Iterable[str]) -> dict[str, TicketRecord]:
        wanted = list(set(ids))
        out: dict[str, TicketRecord] = {}
        for i in range(0, len(wanted), 500):
            for row in self._s.scalars(select(TicketRow)
                                       .where(TicketRow.id.in_(wanted[i:i + 500]))):
                out[row.id] = TicketRecord.from_row(row)
        return out


class EventFeed:
    """The events the notifier has not seen yet, in arrival order (SQLite rowid), so
    events pulled from other consoles and written by other processes (``notify
    pd-ack``) are seen too."""

    def __init__(self, store: LocalStore, page: int = 2000) -> None:
        self.store = store
        self.page = page

    def initial(self) -> tuple[Iterator[StoredEvent], int]:
        """Every event in HLC order, and the cursor after them. The events stream in
        pages as the caller consumes them: a list of the whole log (200,000 decoded
        events at 50,000 tickets) was the runner's peak, and the process kept that
        memory after the replay freed it."""
        with self.store.unit(read_only=True) as uow:
            cursor = uow.feed.last_rowid()
        return self._stream(cursor), cursor

    def _stream(self, cursor: int) -> Iterator[StoredEvent]:
        with self.store.unit(read_only=True) as uow:
            yield from uow.feed.up_to(cursor, self.page)

    def since(self, cursor: int, limit: int = 5000) -> tuple[list[StoredEvent], int]:
        with self.store.unit(read_only=True) as uow:
            return uow.feed.since(cursor, limit)

    def after(self, cursor: int) -> tuple[Iterator[StoredEvent], int]:
        """The events after ``cursor`` (a checkpoint's) in HLC order, streamed, and the
        cursor after them."""
        with self.store.unit(read_only=True) as uow:
            last = uow.feed.last_rowid()
        return self._tail(cursor, last), last

    def _tail(self, cursor: int, last: int) -> Iterator[StoredEvent]:
        with self.store.unit(read_only=True) as uow:
            yield from uow.feed.after(cursor, last, self.page)

    def tickets_events(self, tickets: Collection[str], upto: int
                       ) -> dict[str, list[StoredEvent]]:
        """These tickets' events up to ``upto`` in HLC order, by ticket, in one read
        (``FeedRepo.tickets_events``)."""
        if not tickets:
            return {}
        with self.store.unit(read_only=True) as uow:
            return uow.feed.tickets_events(tickets, upto)

    def event_id(self, rowid: int) -> str | None:
        """The id of the event at ``rowid`` (a checkpoint's cursor still means the
        same event), None when there is none."""
        with self.store.unit(read_only=True) as uow:
            return uow.feed.event_id(rowid)

    def intakes(self, ids: Collection[str]) -> dict[str, Intake]:
        """These tickets' intakes as they were opened (FeedRepo.intakes)."""
        with self.store.unit(read_only=True) as uow:
            return uow.feed.intakes(ids)

    def tickets(self, ids: Iterable[str]) -> dict[str, TicketRecord]:
        """The tickets of these ids that exist, as plain records."""
        with self.store.unit(read_only=True) as uow:
            return uow.feed.tickets(ids)
