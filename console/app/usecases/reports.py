"""Reports from a store: what ``escalation-console report`` and the Reports window call
(on the DB worker: no Qt here).

A report reads the rollup (``report_facts``: one row of ``TicketFacts`` per ticket,
kept by the projector) for the tickets that can count in the window, and computes it in
one pass (``console.domain.reports.report``); it never folds the event log. A store
upgraded to 0008 has an empty rollup: the first report fills it (about
``FILL_SECONDS_PER_100K`` for a year of history), the console's start does not wait.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select

from console.domain.engine import build_calendars
from console.domain.matrix import Matrix
from console.domain.reports import Page, Report, report
from console.domain.reports.members import Members, members
from console.store.deliveries import DeliveryRecord, iso
from console.store.local import LocalStore
from console.store.models import DeliveryRow
from console.store.report_facts import ReportFactsRepo

FILL_CHUNK = 2000
# a chain run's pages all come within this (its rounds and steps take hours, not days)
CHAIN_LOOKBACK = timedelta(days=7)


class ReportUnit(Protocol):
    @property
    def report_facts(self) -> ReportFactsRepo: ...


class ReportStore(Protocol):
    """What a report reads: the local store (``LocalStore``), or the shared database's
    rollup (``console.store.shared_reports.SharedReports``)."""

    @property
    def matrix(self) -> Matrix: ...

    def unit(self, *, read_only: bool = False) -> AbstractContextManager[ReportUnit]: ...


class ReportWindowError(ValueError):
    """The window is empty once its end is clamped to now."""


def _clamp(window_from: datetime, window_to: datetime, now: datetime) -> datetime:
    # a clock's due instant in the future is not a breach yet (docs/reports.md)
    to = min(window_to, now)
    if to <= window_from:
        raise ReportWindowError(f"the window [{window_from.isoformat()}, "
                                f"{window_to.isoformat()}) has not begun at "
                                f"{now.isoformat()}")
    return to


def catch_up(store: ReportStore) -> int:
    """Fold the tickets the rollup lacks (a store upgraded to 0008); how many. Each
    chunk is its own short write, so the console's other writes interleave."""
    with store.unit(read_only=True) as uow:
        missing = uow.report_facts.missing()
    for i in range(0, len(missing), FILL_CHUNK):
        with store.unit() as uow:
            matrix = store.matrix  # the one in force, under the write lock
            chunk = uow.report_facts.missing(missing[i:i + FILL_CHUNK])
            uow.report_facts.fill(chunk, matrix, build_calendars(matrix))
    return len(missing)


def load_report(store: ReportStore, window_from: datetime, window_to: datetime, *,
                team: str | None = None, severity: str | None = None,
                now: datetime) -> Report:
    """The report over ``[window_from, min(window_to, now))`` from the rollup, for the
    tickets a ``team`` held and of an effective ``severity`` when given.
    ReportWindowError when that window is empty."""
    to = _clamp(window_from, window_to, now)
    catch_up(store)
    with store.unit(read_only=True) as uow:
        facts = uow.report_facts.window(window_from, to, team=team, severity=severity)
    return report(facts, window_from, to, store.matrix.kpis, team=team, severity=severity)


def tickets_for(store: ReportStore, window_from: datetime, window_to: datetime,
                metric: str, key: str | tuple[str, str] | None = None, *,
                team: str | None = None, severity: str | None = None,
                now: datetime) -> Members:
    """The tickets behind one rate of ``load_report``'s report with the same arguments
    (a click on a bar or a cell): see ``console.domain.reports.members``."""
    to = _clamp(window_from, window_to, now)
    catch_up(store)
    with store.unit(read_only=True) as uow:
        facts = uow.report_facts.window(window_from, to, team=team, severity=severity)
    return members(facts, window_from, to, store.matrix.kpis, metric, key,
                   team=team, severity=severity)


def _pages(records: list[DeliveryRecord], acks: dict[str, list[datetime]]) -> Iterator[Page]:
    for d in records:
        message = d.payload.get("message") or {}
        if d.meta.get("kind") != "notify" or not message.get("chain") or d.sent_at is None:
            continue
        # a chain run: the ticket's chain in one round; it stops at an acknowledgement
        chain = f"{d.ticket}|{message['chain']}|{message.get('round')}"
        ack = next((at for at in acks.get(d.ticket, []) if at >= d.sent_at), None)
        yield Page(d.contact or str(message.get("recipient") or ""), d.sent_at, chain, ack)


def paging_pages(store: LocalStore, window_from: datetime, window_to: datetime
                 ) -> list[Page]:
    """The pages the delivery outbox sent before ``window_to`` (chain steps: ``notify``
    deliveries, by the contact paged), each with its ticket's first acknowledgement at
    or after it: the input of ``console.domain.reports.paging_load``. Pages from
    ``CHAIN_LOOKBACK`` before ``window_from`` come too, so a chain run that began
    before the window is not taken for one that begins in it."""
    with store.unit(read_only=True) as uow:
        records = uow.deliveries.select(
            select(DeliveryRow).where(DeliveryRow.status == "sent",
                                      DeliveryRow.sent_at >= iso(window_from - CHAIN_LOOKBACK),
                                      DeliveryRow.sent_at < iso(window_to))
            .order_by(DeliveryRow.sent_at))
        tickets = sorted({d.ticket for d in records})
        acks: dict[str, list[datetime]] = {}
        for i in range(0, len(tickets), 500):
            for ticket, at in uow.report_facts.acknowledgements(tickets[i:i + 500]):
                acks.setdefault(ticket, []).append(at)
    for ats in acks.values():
        ats.sort()
    return list(_pages(records, acks))
