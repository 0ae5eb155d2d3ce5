"""The engine's actions into the local event log (the runner's ``ActionLog``).

One unit of work appends them: log, outbox (so sync pushes them; the shared database
inserts ``ON CONFLICT (id) DO NOTHING``) and projection, so the queue shows the team
and tier the engine gave a ticket. An id the log holds is skipped, so an action the
paging process recorded before (or another console did, pulled since) is never
written twice.

They are authored by the writing process's login (the console's database login, the
service's): the shared database accepts an event only from its author's own session.
Their payload's ``by`` still says ``engine``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from console.domain.action_events import ActionEvent

from .local import LocalStore, NewEvent
from .records import StoredEvent


class StoreActionLog:
    """``author`` signs the events (the writing process's login); ``on_written(events)``
    hears of the events stored (to push them and refresh their rows at once); it runs
    on the runner's thread."""

    def __init__(self, store: LocalStore, author: str,
                 on_written: Callable[[list[StoredEvent]], None] | None = None) -> None:
        self.store = store
        self.author = author
        self.on_written = on_written

    def known(self, ids: Sequence[str]) -> set[str]:
        """Which of these event ids the log holds."""
        with self.store.unit(read_only=True) as uow:
            return uow.events.known_ids(ids)

    def record_actions(self, events: Sequence[ActionEvent]) -> list[str]:
        """Append the events the log does not hold yet; their ids."""
        if not events:
            return []
        new = [NewEvent(e.ticket, e.kind, e.payload, self.author, e.at, e.id) for e in events]
        with self.store.unit() as uow:
            stored = uow.events.append(new)
        if stored and self.on_written is not None:
            self.on_written(stored)
        return [e.id for e in stored]
