"""The shared database's reports rollup: ``report_facts`` on PostgreSQL (migration 0008).

The shared database holds the event log; the escalation service keeps this rollup as it
pulls (``refresh`` after each pull: it holds every event), and every console reads it
with ``load_report`` as it reads its local store's (``SharedReports`` is a
``ReportStore``). Only the ``service`` role may write it (0008's grants).

``refresh`` refolds only the tickets whose log moved: those with an event past the
highest ``seq`` already folded (pushes commit in ``seq`` order: the push lock), or of
another facts version. A new matrix in force refolds every ticket; the row of the
``_matrix`` stream records which version the rows were folded with (its ``facts`` is
that ``matrix_published`` event's id, its horizon before any window).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from console.domain.engine import build_calendars
from console.domain.matrix import Matrix, check_matrix_text
from console.domain.reports.facts import FACTS_VERSION

from .models import EventRow, table_of
from .projector import MATRIX_STREAM
from .report_facts import ReportFactsRepo, ReportFactsRow, fold_facts, store_facts

_NEVER = -(2 ** 62)  # the matrix row's instants: before every window


@dataclass(frozen=True, slots=True)
class SharedUnit:
    """A transaction on the shared database, with the rollup's repository."""

    report_facts: ReportFactsRepo


class SharedReports:
    """Reports from the shared database (``load_report(SharedReports(...), ...)``)."""

    def __init__(self, engine: Engine, default_matrix: Matrix) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._default = default_matrix
        self._parsed: tuple[str, Matrix] | None = None

    @contextmanager
    def unit(self, *, read_only: bool = False) -> Iterator[SharedUnit]:
        """One transaction (read-only: a snapshot that writes nothing)."""
        with self._sessions.begin() as s:
            if read_only:
                s.execute(text("SET TRANSACTION READ ONLY"))
            yield SharedUnit(ReportFactsRepo(s, not read_only))

    @property
    def matrix(self) -> Matrix:
        """The matrix in force in the shared log (the newest valid published version)."""
        with self._sessions.begin() as s:
            s.execute(text("SET TRANSACTION READ ONLY"))
            return self._latest(s)[1]

    def _latest(self, s: Session) -> tuple[str, Matrix]:
        e = table_of(EventRow)
        query = (select(e.c.id, e.c.payload).where(e.c.ticket == MATRIX_STREAM,
                                                   e.c.kind == "matrix_published")
                 .order_by(e.c.hlc.desc()))
        for event_id, payload in s.execute(query):
            if self._parsed is not None and self._parsed[0] == event_id:
                return self._parsed
            matrix, _ = check_matrix_text(str(json.loads(payload).get("yaml", "")),
                                          "the shared matrix")
            if matrix is not None:
                self._parsed = (event_id, matrix)
                return self._parsed
        return "", self._default

    def refresh(self) -> int:
        """Fold the tickets whose log moved since the last refresh (every ticket when
        the matrix in force changed) into the shared rollup; how many."""
        with self._sessions.begin() as s:
            t, e = table_of(ReportFactsRow), table_of(EventRow)
            matrix_id, matrix = self._latest(s)
            folded_with = s.execute(select(t.c.facts, t.c.last_seq)
                                    .where(t.c.ticket == MATRIX_STREAM)).first()
            last = s.scalar(select(func.max(t.c.last_seq))
                            .where(t.c.ticket != MATRIX_STREAM)) or 0
            if folded_with is None or folded_with.facts != matrix_id:
                last = 0  # another matrix: every ticket again
            moved = select(e.c.ticket).where(e.c.seq > last, e.c.ticket != MATRIX_STREAM)
            stale = select(t.c.ticket).where(t.c.version != FACTS_VERSION,
                                             t.c.ticket != MATRIX_STREAM)
            tickets = sorted(set(s.scalars(moved.distinct())) | set(s.scalars(stale)))
            fold_facts(s, tickets, matrix, build_calendars(matrix))
            top = s.scalar(select(func.max(e.c.seq))) or 0
            # the rows just folded (last_seq NULL): the log's top when folded
            s.execute(t.update().where(t.c.last_seq.is_(None)).values(last_seq=top))
            store_facts(s, [MATRIX_STREAM], [{
                "ticket": MATRIX_STREAM, "opened_us": _NEVER, "horizon_us": _NEVER,
                "severity": "", "teams": "", "version": FACTS_VERSION, "last_seq": top,
                "facts": matrix_id}])
            return len(tickets)
