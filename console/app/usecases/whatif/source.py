"""The tickets a preview replays, a ticket at a time: from an event file's list, or read
from the store in batches, so a window of millions of events is never held at once
(the worker processes hold a partition each; the reader, one batch).

A store is read through ``read(fn)``, which calls ``fn`` with a read-only unit of work:
directly (the command line, ``store_reader``) or on the console's one DB worker (the
editor), where each batch is a job of its own and other work runs between them.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from console.domain.tickets import TicketEvent

from .replay import window_events

if TYPE_CHECKING:  # the worker processes import this module: not the store's modules
    from console.store.local import LocalStore
    from console.store.unit import UnitOfWork

T = TypeVar("T")
Read = Callable[[Callable[["UnitOfWork"], Any]], Any]  # see the module docstring
BATCH_TICKETS = 500  # tickets read from the store at once
SHUFFLE_SEED = 16  # the tickets' order: shuffled, the same each time


@dataclass(frozen=True, slots=True)
class TicketStream:
    """The window's tickets, one list of events a ticket (each in time order), and how
    many there are (for progress, and the share behind provisional figures)."""

    total: int
    groups: Iterable[list[TicketEvent]]


def from_events(events: Sequence[TicketEvent], window_from: datetime,
                window_to: datetime) -> TicketStream:
    """The tickets opened in the window of a time-ordered list (an event file), in a
    shuffled order (see ``shuffled``)."""
    by_ticket: dict[str, list[TicketEvent]] = defaultdict(list)
    for e in window_events(events, window_from, window_to):
        by_ticket[e.ticket].append(e)
    return TicketStream(len(by_ticket), shuffled(list(by_ticket.values())))


def shuffled(items: list[T]) -> list[T]:
    """``items`` in a shuffled order, the same for the same items: the tickets done at
    any moment of a run are then a fair sample of the window (not its oldest ones), so
    the run's provisional figures mean something."""
    random.Random(SHUFFLE_SEED).shuffle(items)
    return items


def store_reader(store: LocalStore) -> Read:
    """``read`` for a caller that may read the store itself (the command line)."""
    def read(fn: Callable[[UnitOfWork], T]) -> T:
        with store.unit(read_only=True) as uow:
            return fn(uow)
    return read


def from_store(read: Read, window_from: datetime, window_to: datetime) -> TicketStream:
    """The tickets opened in ``[window_from, window_to)``, with their events up to
    ``window_to``: the ids first, then the events ``BATCH_TICKETS`` tickets a read, in
    a shuffled order (see ``shuffled``)."""
    tickets: list[str] = shuffled(
        read(lambda uow: uow.events.opened_tickets(window_from, window_to)))
    return TicketStream(len(tickets), _groups(read, tickets, window_from, window_to))


def _groups(read: Read, tickets: list[str], window_from: datetime, window_to: datetime
            ) -> Iterator[list[TicketEvent]]:
    for i in range(0, len(tickets), BATCH_TICKETS):
        batch = tickets[i:i + BATCH_TICKETS]

        def events_of(uow: UnitOfWork, ids: list[str] = batch
                      ) -> dict[str, list[TicketEvent]]:
            return uow.events.domain_of_tickets(ids)

        by_ticket: dict[str, list[TicketEvent]] = read(events_of)
        for ticket in batch:  # in the shuffled order, not the store's id order
            events = [e for e in by_ticket.get(ticket, ()) if e.at <= window_to]
            if any(e.type == "opened" and window_from <= e.at < window_to for e in events):
                yield events
