"""Reports for the Reports window, computed on the service's DB worker.

The views reach these through the port: ``service.reports`` (a ``ReportActions``).
``load`` computes the domain's ``Report`` over a window in UTC (the window converts
the user's dates) with the use case ``usecases.reports.load_report``; ``tickets`` lists
the tickets behind one bar, week or heat-map cell of that report (``tickets_for``).
Both run on the DB worker and answer on the GUI thread: the window never waits on the
database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from PySide6.QtCore import SignalInstance

from console.app.runtime.port import Failed
from console.app.runtime.worker import DbWorker
from console.app.usecases.reports import load_report, tickets_for
from console.domain.reports import Report
from console.domain.reports.members import Members
from console.store.local import LocalStore

__all__ = ["ReportActions", "ReportQuery", "ReportTicket", "Selection"]

TITLED = 1000  # a longer list names its further tickets without reading their titles


@dataclass(frozen=True, slots=True)
class ReportQuery:
    """A report's window ``[window_from, window_to)`` in UTC and its filters."""

    window_from: datetime
    window_to: datetime
    team: str | None = None
    severity: str | None = None


@dataclass(frozen=True, slots=True)
class Selection:
    """One bar, week or heat-map cell of a report: the rate ``metric`` of
    ``usecases.reports.tickets_for`` (``team``, ``agent``, ``escalation_rate``,
    ``t1_resolution``, ``disagreement``, ``root_cause``) and its ``key`` (a team, an
    owner, a severity, a (Support, Engineering) pair, a category; None: all), over
    ``query`` (for a week's point: that week)."""

    query: ReportQuery
    metric: str
    key: str | tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class ReportTicket:
    """A ticket behind a rate: ``counted`` when it is in the numerator (escalated,
    resolved at T1, in the cell), else only in the denominator."""

    id: str
    counted: bool
    title: str = ""
    severity: str = ""
    status: str = ""


class ServiceLike(Protocol):
    """What the report operations need of the ConsoleService."""

    worker: DbWorker
    store: LocalStore
    failed: SignalInstance

    def clock(self) -> datetime: ...


def _load(store: LocalStore, query: ReportQuery, now: datetime) -> Report:
    return load_report(store, query.window_from, query.window_to, team=query.team,
                       severity=query.severity, now=now)


def _members(store: LocalStore, selection: Selection, now: datetime) -> Members:
    q = selection.query
    return tickets_for(store, q.window_from, q.window_to, selection.metric, selection.key,
                       team=q.team, severity=q.severity, now=now)


def listed(store: LocalStore, found: Members) -> list[ReportTicket]:
    """The numerator's tickets first, then the rest of the denominator's, with their
    titles, severities and statuses as the queue shows them (call on the worker)."""
    counted = set(found.numerator)
    ids = list(found.numerator) + [t for t in found.denominator if t not in counted]
    out: list[ReportTicket] = []
    with store.unit(read_only=True) as uow:
        for n, ticket in enumerate(ids):
            record = uow.tickets.get(ticket) if n < TITLED else None
            if record is None:
                out.append(ReportTicket(ticket, ticket in counted))
            else:
                out.append(ReportTicket(ticket, ticket in counted, record.title,
                                        record.severity, record.status))
    return out


class ReportActions:
    """The report operations the views use (``service.reports`` on the port)."""

    def __init__(self, service: ServiceLike) -> None:
        self._service = service

    def _failed(self, on_error: Failed | None) -> Failed:
        return on_error or (lambda error: self._service.failed.emit(str(error)))

    def load(self, query: ReportQuery, on_done: Callable[[Report], None],
             on_error: Failed | None = None) -> None:
        """The report over ``query``'s window (its end no later than now)."""
        service = self._service
        now = service.clock()
        service.worker.submit(lambda: _load(service.store, query, now), on_done,
                              self._failed(on_error))

    def tickets(self, selection: Selection, on_done: Callable[[list[ReportTicket]], None],
                on_error: Failed | None = None) -> None:
        """The tickets behind ``selection``: the numerator's first, then the rest of
        the denominator's."""
        service = self._service
        now = service.clock()
        service.worker.submit(
            lambda: listed(service.store, _members(service.store, selection, now)),
            on_done, self._failed(on_error))
