"""Keeps the ticket and matrix-version projections in step with the event log."""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from console.domain.engine import build_calendars
from console.domain.matrix import Matrix, check_matrix_text
from console.domain.projection import TicketView, project

from .models import EventRow, MatrixVersionRow, TicketRow
from .records import StoredEvent

MATRIX_STREAM = "_matrix"


def _iso(t):  # type: ignore[no-untyped-def]
    return None if t is None else t.isoformat()


def ticket_row_values(view: TicketView, last_hlc: str, count: int) -> dict:
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
            "latest_handoff": None,
        }),
        "last_hlc": last_hlc, "event_count": count,
    }


class Projector:
    """Recomputes projections for the tickets an event batch touched."""

    def __init__(self, matrix: Matrix) -> None:
        self.set_matrix(matrix)

    def set_matrix(self, matrix: Matrix) -> None:
        self.matrix = matrix
        self.calendars = build_calendars(matrix)

    def refresh(self, session: Session, tickets: Iterable[str]) -> None:
        for ticket in set(tickets):
            if ticket == MATRIX_STREAM:
                continue
            rows = session.scalars(select(EventRow).where(EventRow.ticket == ticket)
                                   .order_by(EventRow.hlc)).all()
            events = [StoredEvent.from_row(r) for r in rows]
            view = project((e.to_domain() for e in events), self.matrix, self.calendars)
            session.execute(delete(TicketRow).where(TicketRow.id == ticket))
            if view is not None:
                values = ticket_row_values(view, events[-1].hlc, len(events))
                handoffs = [e.payload for e in events if e.kind == "handoff_submitted"]
                if handoffs:
                    detail = json.loads(values["detail"])
                    detail["latest_handoff"] = handoffs[-1]
                    values["detail"] = json.dumps(detail)
                session.add(TicketRow(**values))

    def refresh_all(self, session: Session) -> None:
        ids = session.scalars(select(EventRow.ticket).distinct()).all()
        self.refresh(session, ids)

    @staticmethod
    def record_matrix_versions(session: Session, events: Iterable[StoredEvent]) -> bool:
        """Project matrix_published events; True when any was new."""
        added = False
        for e in events:
            if e.kind != "matrix_published" or session.get(MatrixVersionRow, e.id):
                continue
            session.add(MatrixVersionRow(
                event_id=e.id, number=int(e.payload.get("number", 0)),
                name=str(e.payload.get("name", "")), yaml=str(e.payload["yaml"]),
                author=e.author, comment=str(e.payload.get("comment", "")), hlc=e.hlc))
            added = True
        return added

    @staticmethod
    def latest_matrix(session: Session) -> Matrix | None:
        """The newest valid published matrix, by HLC (so every console agrees)."""
        for row in session.scalars(select(MatrixVersionRow)
                                   .order_by(MatrixVersionRow.hlc.desc())):
            matrix, _ = check_matrix_text(row.yaml, f"matrix version {row.number}")
            if matrix is not None:
                return matrix
        return None
