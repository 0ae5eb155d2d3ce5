"""The engine's actions written as events, by the one process that pages.

Every runner computes the same fires from the same events; only the paging process
(the active service, or a console when no service is live: the dispatcher's
``may_send``) writes the events recording the actions (``domain.action_events``), so
a standby or a console behind a live service writes nothing. The event ids come from
the fires, so two writers in a takeover race store one row, and an event already in
the log is not written again (the store skips a known id).

A process that does not page keeps the actions it computed for a while
(``horizon``), dropping each as the paging process's event for it arrives: if it takes
over before that, it writes the ones the old leader left unwritten.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from console.domain.action_events import ActionEvent, action_events
from console.domain.fires import Fire

log = logging.getLogger(__name__)


class ActionLog(Protocol):
    """Where the events go (``console.store.actions.StoreActionLog``)."""

    def known(self, ids: Sequence[str]) -> set[str]: ...
    def record_actions(self, events: Sequence[ActionEvent]) -> list[str]: ...


class ActionWriter:
    """Writes the actions among a turn's fires while ``paging()`` says so."""

    def __init__(self, log_: ActionLog | None, paging: Callable[[], bool], *,
                 horizon: timedelta = timedelta(minutes=10), limit: int = 10_000) -> None:
        self.log = log_
        self.paging = paging
        self.horizon = horizon
        self.limit = limit
        self.written = 0  # events this process wrote (tests, logs)
        self._pending: dict[str, tuple[ActionEvent, datetime]] = {}

    @property
    def pending(self) -> int:
        """Actions computed here that no event records yet."""
        return len(self._pending)

    def offer(self, fires: Iterable[Fire], now: datetime) -> int:
        """The turn's fires: write their actions (and any still pending) if this
        process pages, else keep them until the paging process's events arrive.
        Returns how many events were written now."""
        if self.log is None:
            return 0
        for event in action_events(fires):
            self._pending.setdefault(event.id, (event, now))
        if not self._pending:
            return 0
        try:
            if self.paging():
                events = [e for e, _ in self._pending.values()]
                written = self.log.record_actions(events)
                self._pending.clear()
                self.written += len(written)
                return len(written)
            self._forget(now)
        except Exception:  # a store hiccup must not end notifications: next turn again
            log.exception("recording the engine's actions failed; retrying next turn")
        return 0

    def _forget(self, now: datetime) -> None:
        """Drop what the paging process recorded, what is past the horizon, and the
        oldest beyond the limit."""
        assert self.log is not None
        for known in self.log.known(list(self._pending)):
            del self._pending[known]
        old = now - self.horizon
        for key in [k for k, (_, seen) in self._pending.items() if seen < old]:
            del self._pending[key]
        excess = len(self._pending) - self.limit
        for key in list(self._pending)[:max(0, excess)]:
            del self._pending[key]
