"""Events the shared database refused: the local ``refused`` list (migration 0007).

A console writes offline and pushes later, so a refusal (a permission the server's
triggers check, or data it cannot take) arrives after the fact. ``move`` takes each
refused event out of the local log and outbox into ``refused`` with the server's
reason, and refolds what it touched, so the console shows again what the server holds
while the person keeps what they wrote. ``RefusedRepo`` is ``uow.refused``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from console.domain.people import Refused

from .models import EventRow, MatrixVersionRow, OutboxRow, RefusedRow, rows_affected
from .projector import MATRIX_STREAM, Projector
from .records import StoredEvent
from .repo import Repo

_CHUNK = 500


def _record(row: RefusedRow) -> Refused:
    try:
        payload = json.loads(row.payload)
    except ValueError:  # shown as text rather than failing the list
        payload = {"text": row.payload}
    return Refused(row.event_id, row.ticket, row.kind,
                   payload if isinstance(payload, dict) else {"value": payload}, row.author,
                   datetime.fromisoformat(row.at), row.reason,
                   datetime.fromisoformat(row.refused_at),
                   extra={"device": row.device, "hlc": row.hlc})


class RefusedRepo(Repo):
    """The events the shared database refused, newest refusal first."""

    def list(self, limit: int = 200) -> list[Refused]:
        """The newest ``limit`` refusals, newest first."""
        rows = self._s.scalars(select(RefusedRow).order_by(
            RefusedRow.refused_at.desc(), RefusedRow.hlc.desc()).limit(limit))
        return [_record(r) for r in rows]

    def count(self) -> int:
        return self._s.scalar(select(func.count()).select_from(RefusedRow)) or 0

    def dismiss(self, event_ids: Sequence[str]) -> int:
        """Forget these refusals (the person has seen them); returns how many went."""
        s, gone = self._writing(), 0
        ids = list(event_ids)
        for i in range(0, len(ids), _CHUNK):
            gone += rows_affected(s.execute(delete(RefusedRow).where(
                RefusedRow.event_id.in_(ids[i:i + _CHUNK]))))
        return gone


def move(s: Session, projector: Projector, refusals: Sequence[tuple[StoredEvent, str]],
         at: datetime) -> list[Refused]:
    """Inside the caller's write transaction: move each refused event from the log and
    the outbox to ``refused`` with its reason, then refold the tickets it touched (and
    the matrix in force when a refused one was a ``matrix_published``). Events this
    store no longer holds, or that came from the server (they have a ``seq``), are
    skipped. Returns what was moved."""
    by_id = {e.id: (e, reason) for e, reason in refusals}
    ids = list(by_id)
    movable: set[str] = set()
    for i in range(0, len(ids), _CHUNK):
        movable.update(s.scalars(select(EventRow.id).where(
            EventRow.id.in_(ids[i:i + _CHUNK]), EventRow.seq.is_(None))))
    moved = [by_id[i] for i in ids if i in movable]
    if not moved:
        return []
    refused_at = at.astimezone(UTC).isoformat()
    # Into ``refused`` first: the log's append-only trigger (0007) lets an event be
    # deleted only once it is there, and never one the server holds.
    s.execute(insert(RefusedRow), [
        {**_without_seq(e), "event_id": e.id, "reason": reason, "refused_at": refused_at}
        for e, reason in moved])
    gone = [e.id for e, _ in moved]
    for i in range(0, len(gone), _CHUNK):
        chunk = gone[i:i + _CHUNK]
        s.execute(delete(OutboxRow).where(OutboxRow.event_id.in_(chunk)))
        s.execute(delete(MatrixVersionRow).where(MatrixVersionRow.event_id.in_(chunk)))
        s.execute(delete(EventRow).where(EventRow.id.in_(chunk)))
    tickets = {e.ticket for e, _ in moved}
    if MATRIX_STREAM in tickets:
        # the newest version left is in force again (the bundled one when none is)
        matrix = projector.latest_matrix(s) or projector.default_matrix
        if matrix != projector.matrix:
            projector.set_matrix(matrix)
            projector.refresh_all(s)
            tickets = set()
    projector.refresh(s, tickets)
    return [_record(RefusedRow(**{**_without_seq(e), "event_id": e.id, "reason": reason,
                                  "refused_at": refused_at}))
            for e, reason in moved]


def _without_seq(e: StoredEvent) -> dict[str, str]:
    row = e.to_row()
    row.pop("id")
    return row
