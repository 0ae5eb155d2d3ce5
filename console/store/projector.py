"""Keeps the ticket and matrix-version projections in step with the event log."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from console.domain.engine import build_calendars
from console.domain.matrix import Matrix, check_matrix_text
from console.domain.projection import TicketView, project
from console.domain.reports import ticket_facts
from console.domain.tickets import TicketEvent

from .models import EventRow, MatrixVersionRow, TicketRow, table_of
from .records import StoredEvent
from .report_facts import row_values, store_facts

MATRIX_STREAM = "_matrix"


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat()


def ticket_row_values(view: TicketView, last_hlc: str, count: int) -> dict[str, Any]:
    st = view.state
    i = st.intake
    return {
        "id": view.id, "title": i.title, "account": i.account, "account_tier": i.account_tier,
        "severity": view.severity, "severity_source": view.severity_source,
        "confirmed": view.confirmed, "status": st.status, "tier": view.tier,
        "team": view.team, "owner": st.owner, "priority": st.priority,
        "category": i.category, "opened_at": st.opened_at.isoformat(),
        "resolved_at": _iso(st.resolved_at), "next_due": _iso(view.next_due),
        "clocks": json.dumps([c.to_json() for c in view.clocks]),
        "detail": json.dumps({
            "suggested": view.suggested, "reasons": list(view.reasons),
            "text": i.text, "users_affected_pct": i.users_affected_pct,
            "workaround": i.workaround, "revenue_risk": i.revenue_risk,
            "security_breach": i.security_breach, "handoffs": st.handoffs,
            "latest_handoff": st.latest_handoff,
        }),
        "last_hlc": last_hlc, "event_count": count,
    }


class Projector:
    """Recomputes projections for the tickets an event batch touched."""

    def __init__(self, matrix: Matrix) -> None:
        self.set_matrix(matrix)
        # in force while the store holds no published version (a refused first publish
        # falls back to it)
        self.default_matrix = matrix
        # versions a local publish is appending, parsed already by the publisher
        self._parsed_ahead: dict[str, Matrix] = {}

    def set_matrix(self, matrix: Matrix) -> None:
        self.matrix = matrix
        self.calendars = build_calendars(matrix)

    def refresh(self, session: Session, tickets: Iterable[str]) -> None:
        """Re-fold the touched tickets. Core statements, not ORM objects: this runs on
        every local write and every pulled page, so its cost is the write latency."""
        events_t, tickets_t = table_of(EventRow), table_of(TicketRow)
        query = (select(events_t.c.kind, events_t.c.payload, events_t.c.author,
                        events_t.c.hlc, events_t.c.at)
                 .where(events_t.c.ticket == bindparam("ticket")).order_by(events_t.c.hlc))
        facts_rows: list[dict[str, Any]] = []
        gone: list[str] = []
        for ticket in set(tickets):
            if ticket == MATRIX_STREAM:
                continue
            rows = session.execute(query, {"ticket": ticket}).all()
            events = [TicketEvent(datetime.fromisoformat(r.at), ticket, r.kind,
                                  json.loads(r.payload), r.author) for r in rows]
            view = project(events, self.matrix, self.calendars)
            # the reports' rollup follows the projection (same events, same matrix)
            facts = ticket_facts(events, self.matrix, self.calendars) if view else None
            if view is None or facts is None:
                gone.append(ticket)
                session.execute(delete(tickets_t).where(tickets_t.c.id == ticket))
                continue
            facts_rows.append(row_values(facts))
            values = ticket_row_values(view, rows[-1].hlc, len(rows))
            upsert = sqlite_insert(tickets_t).values(**values)
            session.execute(upsert.on_conflict_do_update(
                index_elements=[tickets_t.c.id],
                set_={k: upsert.excluded[k] for k in values if k != "id"}))
        store_facts(session, gone, facts_rows)

    def refresh_all(self, session: Session) -> None:
        ids = session.scalars(select(EventRow.ticket).distinct()).all()
        self.refresh(session, ids)

    @staticmethod
    def record_matrix_versions(session: Session, events: Iterable[StoredEvent]) -> bool:
        """Project matrix_published events; True when any was new."""
        added = False
        for e in events:
            if e.kind != "matrix_published" or session.get(MatrixVersionRow, e.id) is not None:
                continue
            session.add(MatrixVersionRow(
                event_id=e.id, number=int(e.payload.get("number", 0)),
                name=str(e.payload.get("name", "")), yaml=str(e.payload["yaml"]),
                author=e.author, comment=str(e.payload.get("comment", "")), hlc=e.hlc))
            added = True
        return added

    @contextmanager
    def parsed_ahead(self, event_id: str, matrix: Matrix) -> Iterator[None]:
        """While version ``event_id`` is appended, latest_matrix() takes ``matrix`` (the
        publisher's own parse of that version's YAML) instead of parsing it again."""
        self._parsed_ahead[event_id] = matrix
        try:
            yield
        finally:
            del self._parsed_ahead[event_id]

    def latest_matrix(self, session: Session) -> Matrix | None:
        """The newest valid published matrix, by HLC (so every console agrees)."""
        for row in session.scalars(select(MatrixVersionRow)
                                   .order_by(MatrixVersionRow.hlc.desc())):
            matrix = self._parsed_ahead.get(row.event_id)
            if matrix is None:
                matrix, _ = check_matrix_text(row.yaml, f"matrix version {row.number}")
            if matrix is not None:
                return matrix
        return None
