"""The shared database's reports rollup: ``report_facts`` on PostgreSQL (migration 0008).

The shared database holds the event log; the escalation service keeps this rollup as it
pulls (``refresh`` after each pull: it holds every event), and every console reads it
with ``load_report`` as it reads its local store's (``SharedReports`` is a
``ReportStore``). Only the ``service`` role may write it (0008's grants).

``refresh`` refolds only the tickets whose log moved: those with an event past their
row's ``last_seq`` (looked for among the events past the ``seq`` up to which every
ticket is folded: pushes commit in ``seq`` order, the push lock), or of another facts
version, a bounded number per transaction. The row of the ``_matrix`` stream records
that ``seq`` (``last_seq``) and the matrix version the rows were folded with (``facts``:
its ``matrix_published`` event id; its horizon lies before any window): a new matrix
in force marks every row stale, so every ticket is folded again.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine, func, or_, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from console.domain.engine import build_calendars
from console.domain.matrix import Matrix, check_matrix_text
from console.domain.reports.facts import FACTS_VERSION

from .models import EventRow, table_of
from .projector import MATRIX_STREAM
from .report_facts import ReportFactsRepo, ReportFactsRow, fold_facts, store_facts

_NEVER = -(2 ** 62)  # the matrix row's instants: before every window
REFRESH_CHUNK = 1000  # tickets a transaction folds: a stop waits for one (~0.3 s)
REFRESH_S = 10.0
log = logging.getLogger(__name__)


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

    def behind(self) -> int:
        """How many events of the shared log the rollup has not folded yet (0: up to
        date; a rollup nobody keeps, with no escalation service running, falls behind)."""
        with self._sessions.begin() as s:
            s.execute(text("SET TRANSACTION READ ONLY"))
            t, e = table_of(ReportFactsRow), table_of(EventRow)
            done = s.scalar(select(t.c.last_seq).where(t.c.ticket == MATRIX_STREAM)) or 0
            return s.scalar(select(func.count()).select_from(e).where(e.c.seq > done)) or 0

    def refresh(self, limit: int = REFRESH_CHUNK) -> int:
        """Fold up to ``limit`` tickets whose log moved since they were folded (every
        ticket once the matrix in force changed) into the shared rollup, in one
        transaction; how many. Call again while it returns ``limit``."""
        with self._sessions.begin() as s:
            t, e = table_of(ReportFactsRow), table_of(EventRow)
            matrix_id, matrix = self._latest(s)
            mark = s.execute(select(t.c.facts, t.c.last_seq)
                             .where(t.c.ticket == MATRIX_STREAM)).first()
            done = 0 if mark is None else mark.last_seq or 0  # every ticket folded to here
            if mark is not None and mark.facts != matrix_id:
                # another matrix: every row is stale, and every event counts again
                s.execute(t.update().where(t.c.ticket != MATRIX_STREAM).values(last_seq=0))
                done = 0
            top = s.scalar(select(func.max(e.c.seq))) or 0
            moved = (select(e.c.ticket).distinct()
                     .outerjoin(t, t.c.ticket == e.c.ticket)
                     .where(e.c.seq > done, e.c.seq <= top, e.c.ticket != MATRIX_STREAM,
                            or_(t.c.ticket.is_(None), e.c.seq > t.c.last_seq,
                                t.c.version != FACTS_VERSION))
                     .limit(limit))
            tickets = sorted(s.scalars(moved))
            fold_facts(s, tickets, matrix, build_calendars(matrix))
            # the rows just folded (last_seq NULL) hold the log up to ``top``
            s.execute(t.update().where(t.c.last_seq.is_(None)).values(last_seq=top))
            store_facts(s, [MATRIX_STREAM], [{
                "ticket": MATRIX_STREAM, "opened_us": _NEVER, "horizon_us": _NEVER,
                "severity": "", "teams": "", "version": FACTS_VERSION,
                "last_seq": top if len(tickets) < limit else done, "facts": matrix_id}])
            return len(tickets)

    def refresh_all(self, stop: threading.Event | None = None) -> int:
        """Refresh until nothing is left (or ``stop`` is set); how many were folded."""
        total = 0
        while stop is None or not stop.is_set():
            n = self.refresh()
            total += n
            if n < REFRESH_CHUNK:
                break
        return total


def keep_fresh(engine: Engine, default_matrix: Matrix, active: Callable[[], bool],
               stop: threading.Event, every: float = REFRESH_S) -> None:
    """The escalation service's part: while this instance is the active one, refresh
    the shared rollup every ``every`` seconds, until ``stop``."""
    shared = SharedReports(engine, default_matrix)
    try:
        while not stop.is_set():
            if active():
                try:
                    shared.refresh_all(stop)
                except SQLAlchemyError as exc:  # the next round tries again
                    log.warning("refreshing the reports rollup failed: %s", exc)
            stop.wait(every)
    finally:
        engine.dispose()
