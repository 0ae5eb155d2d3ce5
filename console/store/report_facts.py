"""The reports' rollup (table ``report_facts``, migration 0008): one row per ticket with
its window-free ``TicketFacts``, kept by the projector whenever it refolds a ticket.

A report over ``[from, to)`` reads only the rows it needs (``opened_us < to`` and
``horizon_us >= from``: an index range on each) and decodes only those; the team and
severity filters narrow in SQL first (``teams`` is ``|a|b|``, every team the ticket
ever held; the domain then checks "before ``to``"). Instants are integer microseconds
since the epoch, so they compare exactly in SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Integer, String, Text, delete, insert, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from console.domain.calendar import BusinessCalendar
from console.domain.matrix import Matrix
from console.domain.reports import TicketFacts, ticket_facts
from console.domain.reports.facts import FACTS_VERSION
from console.domain.tickets import TicketEvent

from .models import Base, EventRow, TicketRow, table_of
from .repo import Repo

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_CHUNK = 500


def micros(at: datetime) -> int:
    """``at`` as integer microseconds since the epoch (the rollup's instants)."""
    return (at - _EPOCH) // _US


class ReportFactsRow(Base):
    """One ticket's report facts (``TicketFacts.to_json()``), and what a window filters."""

    __tablename__ = "report_facts"

    ticket: Mapped[str] = mapped_column(String(80), primary_key=True)
    opened_us: Mapped[int] = mapped_column(BigInteger, index=True)
    horizon_us: Mapped[int] = mapped_column(BigInteger, index=True)
    severity: Mapped[str] = mapped_column(String(20))
    teams: Mapped[str] = mapped_column(Text)      # "|a|b|": every team that held it
    version: Mapped[int] = mapped_column(Integer)  # FACTS_VERSION of ``facts``
    last_seq: Mapped[int | None] = mapped_column(BigInteger)  # PostgreSQL: log seq folded
    facts: Mapped[str] = mapped_column(Text)


def row_values(facts: TicketFacts, last_seq: int | None = None) -> dict[str, Any]:
    """The ``report_facts`` row of one ticket's facts."""
    teams = sorted({h.team for h in facts.holdings})
    return {"ticket": facts.id, "opened_us": micros(facts.opened_at),
            "horizon_us": micros(facts.horizon), "severity": facts.severity,
            "teams": "|" + "|".join(teams) + "|", "version": FACTS_VERSION,
            "last_seq": last_seq,
            "facts": json.dumps(facts.to_json(), separators=(",", ":"))}


def store_facts(s: Session, gone: Iterable[str], rows: Sequence[dict[str, Any]]) -> None:
    """Replace the rows of these tickets (delete, then insert: the same statements on
    both dialects); ``gone`` tickets (never opened) lose theirs."""
    table = table_of(ReportFactsRow)
    ids = list(dict.fromkeys([*gone, *(r["ticket"] for r in rows)]))
    for i in range(0, len(ids), _CHUNK):
        s.execute(delete(table).where(table.c.ticket.in_(ids[i:i + _CHUNK])))
    for i in range(0, len(rows), _CHUNK):
        s.execute(insert(table), list(rows[i:i + _CHUNK]))


def fold_facts(s: Session, tickets: Sequence[str], matrix: Matrix,
               calendars: dict[str, BusinessCalendar]) -> None:
    """Fold these tickets' events from the log into their rollup rows."""
    events_t = table_of(EventRow)
    for i in range(0, len(tickets), _CHUNK):
        chunk = list(tickets[i:i + _CHUNK])
        by_ticket: dict[str, list[TicketEvent]] = {t: [] for t in chunk}
        query = (select(events_t.c.ticket, events_t.c.kind, events_t.c.payload,
                        events_t.c.author, events_t.c.at)
                 .where(events_t.c.ticket.in_(chunk))
                 .order_by(events_t.c.ticket, events_t.c.hlc))
        for r in s.execute(query):
            by_ticket[r.ticket].append(TicketEvent(datetime.fromisoformat(r.at), r.ticket,
                                                   r.kind, json.loads(r.payload), r.author))
        rows, gone = [], []
        for ticket, events in by_ticket.items():
            facts = ticket_facts(events, matrix, calendars)
            if facts is None:
                gone.append(ticket)
            else:
                rows.append(row_values(facts))
        store_facts(s, gone, rows)


class ReportFactsRepo(Repo):
    """The rollup a report reads."""

    def window(self, window_from: datetime, window_to: datetime, *,
               team: str | None = None, severity: str | None = None) -> list[TicketFacts]:
        """The facts of every ticket that can count in a report over the window (opened
        before ``to``, horizon at or after ``from``), narrowed by the filters."""
        t = table_of(ReportFactsRow)
        query = select(t.c.facts).where(t.c.opened_us < micros(window_to),
                                        t.c.horizon_us >= micros(window_from),
                                        t.c.version == FACTS_VERSION)
        if severity is not None:
            query = query.where(t.c.severity == severity)
        if team is not None:
            query = query.where(t.c.teams.contains(f"|{team}|", autoescape=True))
        return [TicketFacts.from_json(json.loads(text)) for text, in self._s.execute(query)]

    def missing(self, ticket_ids: Sequence[str] | None = None) -> list[str]:
        """Tickets of the projection with no current rollup row (a store upgraded to
        0008, or rows of another facts version): the rollup fills them."""
        tickets, t = table_of(TicketRow), table_of(ReportFactsRow)
        query = (select(tickets.c.id).outerjoin(t, t.c.ticket == tickets.c.id)
                 .where(or_(t.c.ticket.is_(None), t.c.version != FACTS_VERSION))
                 .order_by(tickets.c.id))
        if ticket_ids is not None:
            query = query.where(tickets.c.id.in_(list(ticket_ids)))
        return list(self._s.scalars(query))

    def fill(self, tickets: Sequence[str], matrix: Matrix,
             calendars: dict[str, BusinessCalendar]) -> None:
        """Fold these tickets into the rollup (the catch-up after an upgrade)."""
        fold_facts(self._writing(), tickets, matrix, calendars)

    def acknowledgements(self, tickets: Sequence[str]) -> list[tuple[str, datetime]]:
        """(ticket, instant) of every ``acknowledged`` event of these tickets (the
        paging load's MTTA)."""
        e = table_of(EventRow)
        query = select(e.c.ticket, e.c.at).where(e.c.kind == "acknowledged",
                                                 e.c.ticket.in_(list(tickets)))
        return [(t, datetime.fromisoformat(at)) for t, at in self._s.execute(query)]
