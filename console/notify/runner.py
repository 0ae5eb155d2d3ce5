"""The notification runner: the escalation engine over the store's events, feeding the
outbox, and the dispatcher's lanes sending what falls due.

Why the engine: chains (primary, backup after the ack timeout, next step, N rounds),
triggers that start chains and acknowledgements that stop them are already the
domain engine's job. The runner replays the stored events through one ``Engine`` at
start, those after the engine's checkpoint when it has one (``checkpoint``: its state
saved after the start, every few minutes and at a clean stop), else every one (fires
older than the last checkpoint of the outbox are history: they were handled before),
then feeds it each new event as it lands in the local store, whoever wrote it (this
console, a pull from the shared database, ``notify pd-ack``), and wakes exactly when
the engine's next timer falls due. Every console computes the same fires from the same
events, so the same delivery keys; the shared claim picks the one console that sends.

Deadlines have one source, ``console.domain.clocks.ticket_clocks`` judged at
``scoring.effective_severity``; the store's projector and this engine both call it, for
different readers. The projector stores each ticket's clocks in its row when its events
change, for the queue on other threads; the engine needs, beyond the clocks, what
already fired, the triggers spent and the chain steps armed, none of which the rows
hold, and it must see a matrix change at the instant it came into force. So the runner
folds the events itself, keeping one small record per ticket (``domain.tracked``: the
fold without its history, marks of what fired, chain positions; no clocks, no title or
text, which the engine reads back through ``Feed.intakes`` for a rule that reads words),
superseded timers compacted away and history fires dropped as the replay goes.

``run_once(now)`` does one whole turn synchronously (tests, fake clocks); ``run(stop)``
is the live loop with one sending thread per channel, so a slow SMTP server or a
rate-limited Slack webhook never delays a PagerDuty page.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from console.domain.engine import Engine
from console.domain.fires import Fire
from console.domain.matrix.model import Matrix
from console.domain.tickets import Intake

from .actions import ActionLog, ActionWriter
from .checkpoint import EngineCheckpoint
from .message import TicketInfo
from .oncall import OnCall
from .outbox import Dispatcher, Outbox, PassReport
from .plan import NewDelivery, Planner

log = logging.getLogger(__name__)
CHECKPOINT = "notify_checked_until"
STOP_KINDS = {"acknowledged": "acknowledge", "resolved": "resolve"}


def utc_now() -> datetime:
    return datetime.now(UTC)


class Feed(Protocol):
    def initial(self) -> tuple[Iterable[Any], int]: ...
    def since(self, cursor: int, limit: int = 5000) -> tuple[list[Any], int]: ...
    def intakes(self, ids: Collection[str]) -> Mapping[str, Intake]: ...


class RunnerOutbox(Outbox, Protocol):
    def recover(self) -> int: ...
    def cancel(self, ticket: str, reason: str, kinds: tuple[str, ...] = ...) -> int: ...
    def for_ticket(self, ticket: str) -> list[Any]: ...
    def get_meta(self, key: str) -> str | None: ...
    def set_meta(self, key: str, value: str) -> None: ...


@dataclass(slots=True)
class TurnReport:
    events: int = 0
    fires: list[Fire] = field(default_factory=list)
    enqueued: int = 0
    passes: list[PassReport] = field(default_factory=list)


class NotifyRunner:
    """``matrix`` is the version in force at start; a newly published one arrives
    through set_matrix(), which the store's matrix event calls (LocalStore.follow_matrix,
    the same event the GUI's matrixChanged comes from): the runner never polls for it."""

    def __init__(self, feed: Feed, outbox: RunnerOutbox, dispatcher: Dispatcher,
                 matrix: Matrix,
                 ticket_info: Callable[[Sequence[str]], dict[str, TicketInfo]], *,
                 clock: Callable[[], datetime] = utc_now, sentiment: Any = None,
                 oncall_dir: Path | None = None, history_grace: float = 60.0,
                 actions: ActionLog | None = None,
                 poll_interval: float = 1.0,
                 checkpoint: EngineCheckpoint | None = None) -> None:
        """``checkpoint``: the engine's saved state, so a start replays only the events
        after it (``console.notify.checkpoint``); None replays every event."""
        self.feed = feed
        self.checkpoint = checkpoint
        self.outbox = outbox
        self.dispatcher = dispatcher
        self._matrix = matrix
        self._next_matrix: Matrix | None = None  # handed over by set_matrix(), any thread
        self._matrix_lock = threading.Lock()
        self.ticket_info = ticket_info
        self.clock = clock
        self.sentiment = sentiment
        self.oncall_dir = oncall_dir
        self.history_grace = timedelta(seconds=history_grace)
        self.poll_interval = poll_interval
        self.engine: Engine | None = None
        self.planner: Planner | None = None
        self.cursor = 0
        self.stops: dict[str, tuple[datetime, str]] = {}
        self._infos: dict[str, TicketInfo] = {}
        self._wake = threading.Event()
        self._lanes: dict[str, threading.Event] = {}
        self._last_checkpoint: datetime | None = None
        self.started = threading.Event()  # set once the start's replay is done
        self.start_seconds: float | None = None  # what the start took (readiness)
        self._last_now: datetime | None = None  # the last turn's instant
        dispatcher.stopped = self.stopped
        # the engine's actions become events (into ``actions``) while this process pages
        self.actions = ActionWriter(actions, dispatcher.paging)

    # -- start ------------------------------------------------------------------------------
    def start(self, now: datetime) -> TurnReport:
        """Replay the stored events (those after the engine's checkpoint when it has a
        usable one, else every one); enqueue what fell due since the last checkpoint."""
        t0 = time.perf_counter()
        with self._matrix_lock:
            matrix = self._matrix = self._next_matrix or self._matrix
            self._next_matrix = None
        self.planner = Planner(matrix, OnCall(matrix, self.oncall_dir), self._info)
        recovered = self.outbox.recover()
        if recovered:
            log.info("%d deliveries were mid-send at the last stop: retrying them", recovered)
        mark = self.outbox.get_meta(CHECKPOINT)
        floor = datetime.fromisoformat(mark) if mark else now - self.history_grace
        saved, restored = self.checkpoint, None
        if saved is not None:
            restored = saved.restore(matrix, self._new_engine,
                                     datetime.fromisoformat(mark) if mark else None)
        if saved is not None and restored is not None:
            self.engine, self.stops = restored.engine, restored.stops
            events, self.cursor = saved.tail(restored.cursor)
        else:
            self.engine = self._new_engine()
            events, self.cursor = self.feed.initial()
        report = TurnReport()
        report.fires = self._apply(events, floor, report)
        report.fires += [f for f in self.engine.advance_to(now) if f.at >= floor]
        self.engine.compact()  # the replay's superseded timers, not kept until they pop
        report.enqueued = self._enqueue(report.fires, now)
        self.actions.offer(report.fires, now)
        self._checkpoint(now, force=True, engine=True)
        self.start_seconds = time.perf_counter() - t0
        log.info("notifier ready: %d events replayed (%s) in %.2f s", report.events,
                 "after the engine's checkpoint" if restored is not None else "the whole log",
                 self.start_seconds)
        self.started.set()
        return report

    def _new_engine(self) -> Engine:
        # the engine keeps no ticket's title and text: it reads them back from the store
        # for the rare rule that looks at words after the ticket opened
        return Engine(self._matrix, sentiment=self.sentiment, intakes=self.feed.intakes)

    # -- one turn ---------------------------------------------------------------------------
    def step(self, now: datetime) -> TurnReport:
        """New events and due timers into the outbox (no sending)."""
        if self.engine is None:
            return self.start(now)
        self._follow_matrix()
        events, self.cursor = self.feed.since(self.cursor)
        report = TurnReport()
        fires = self._apply(events, None, report)
        if self.checkpoint is not None:
            self.checkpoint.counted(len(events))
        fires += self.engine.advance_to(now)
        report.fires = fires
        report.enqueued = self._enqueue(fires, now)
        self.actions.offer(fires, now)
        self._checkpoint(now, force=bool(fires))
        return report

    def run_once(self, now: datetime | None = None) -> TurnReport:
        """One synchronous turn: step, then every lane until nothing more is due."""
        now = now or self.clock()
        report = self.step(now)
        for i in range(4):  # a failover enqueues a delivery that is due at once
            result = self.dispatcher.dispatch(now if i == 0 else max(now, self.clock()))
            report.passes.append(result)
            if not result.failed_over:
                break
        return report

    def next_wake(self) -> datetime | None:
        """When the engine next fires (the lanes track the outbox themselves)."""
        return self.engine.next_fire() if self.engine is not None else None

    def stopped(self, ticket: str, fired_at: datetime) -> str | None:
        """Why a chain step that fired at ``fired_at`` should not go out any more."""
        stop = self.stops.get(ticket)
        if stop is not None and stop[0] >= fired_at:
            return f"{stop[1]} at {stop[0].isoformat()} before it went out"
        return None

    # -- the matrix in force ----------------------------------------------------------------
    @property
    def matrix(self) -> Matrix:
        """The version the engine and the planner run on."""
        return self._matrix

    def set_matrix(self, matrix: Matrix) -> None:
        """A new version is in force (from any thread): the next turn, which this
        wakes at once, switches the engine and the planner to it."""
        with self._matrix_lock:
            if matrix is self._matrix:
                self._next_matrix = None
                return
            self._next_matrix = matrix
        self.wake()

    def _follow_matrix(self) -> None:
        assert self.engine is not None and self.planner is not None
        with self._matrix_lock:
            matrix, self._next_matrix = self._next_matrix, None
        if matrix is None or matrix is self._matrix:
            return
        self._matrix = matrix
        self.engine.set_matrix(matrix)
        self.planner.set_matrix(matrix, OnCall(matrix, self.oncall_dir))

    # -- the live loop ----------------------------------------------------------------------
    def wake(self) -> None:
        self._wake.set()
        for event in list(self._lanes.values()):
            event.set()

    def run(self, stop: threading.Event) -> None:
        threads = []
        for lane in self.dispatcher.channels:
            self._lanes[lane] = threading.Event()
        for lane in self.dispatcher.channels:
            t = threading.Thread(target=self._lane, args=(lane, stop), daemon=True,
                                 name=f"notify-{lane}")
            t.start()
            threads.append(t)
        while not stop.is_set():
            now = self.clock()
            # cleared before the turn: a wake during it (a publish, new events) is for
            # the next turn, not lost until the poll interval ends
            self._wake.clear()
            try:
                report = self.step(now)
                if report.enqueued:
                    for event in self._lanes.values():
                        event.set()
            except Exception:  # a bad event or a store hiccup must not end notifications
                log.exception("notification runner turn failed")
            wait = self.poll_interval
            nxt = self.next_wake()
            if nxt is not None:
                wait = max(0.0, min(wait, (nxt - self.clock()).total_seconds()))
            self._wake.wait(wait)
        for event in self._lanes.values():
            event.set()
        try:  # while the lanes finish: the next start replays only what comes after
            self.save_checkpoint()
        except Exception:
            log.exception("saving the engine checkpoint at the stop failed")
        for t in threads:
            t.join(timeout=5)

    def _lane(self, lane: str, stop: threading.Event) -> None:
        event = self._lanes[lane]
        while not stop.is_set():
            now = self.clock()
            event.clear()
            report = PassReport()
            try:
                report = self.dispatcher.dispatch(now, [lane])
                busy = report.sent + report.retried + report.dead + report.failed_over
                nxt = self.dispatcher.outbox.next_due([lane])
            except Exception:
                log.exception("notification lane %s failed", lane)
                busy, nxt = 0, None
            if report.failed_over:
                self.wake()  # the next channel's lane has work now
            wait = self.poll_interval * 5
            if nxt is not None:
                wait = min(wait, (nxt - self.clock()).total_seconds())
                if wait <= 0 and not busy:
                    wait = 0.02  # due rows held back (pacing): do not spin
            if wait > 0:
                event.wait(wait)

    # -- internals --------------------------------------------------------------------------
    def _apply(self, events: Iterable[Any], floor: datetime | None,
               report: TurnReport) -> list[Fire]:
        """Feed the events to the engine (one pass: the start's replay streams them).
        With a ``floor`` (the start), fires before it are history, handled before the
        last stop: they are dropped as they come, not held until the replay ends."""
        assert self.engine is not None and self.planner is not None
        fires: list[Fire] = []
        follow: list[tuple[str, str, datetime]] = []
        if self.checkpoint is not None:  # resolved tickets dropped from the engine
            events = self.checkpoint.held(self.engine, events, self._new_engine)
        for e in events:
            report.events += 1
            if e.ticket.startswith("_"):  # the matrix stream: set_matrix() brings it
                continue
            caused = self.engine.apply(e.to_domain())
            fires.extend(caused if floor is None else [f for f in caused if f.at >= floor])
            if e.kind in STOP_KINDS:
                verb = "acknowledged" if e.kind == "acknowledged" else "resolved"
                prev = self.stops.get(e.ticket)
                if prev is None or e.at >= prev[0]:
                    self.stops[e.ticket] = (e.at, verb)
                if floor is None or e.at >= floor:
                    follow.append((e.ticket, e.kind, e.at))
        for ticket, kind, at in follow:
            self._stop_ticket(ticket, kind, at)
        return fires

    def _stop_ticket(self, ticket: str, kind: str, at: datetime) -> None:
        """An acknowledgement or resolution: drop the ticket's queued chain steps and
        acknowledge or resolve the PagerDuty alerts its chain raised."""
        verb = "acknowledged" if kind == "acknowledged" else "resolved"
        self.outbox.cancel(ticket, f"{verb} at {at.isoformat()} before it went out")
        action = STOP_KINDS[kind]
        follow: list[NewDelivery] = []
        for row in self.outbox.for_ticket(ticket):
            meta = row.payload.get("meta") or {}
            went_out = row.status == "sent" or row.external_id.startswith("elsewhere:")
            if row.channel == "pagerduty" and meta.get("kind") == "notify" and went_out:
                follow.append(Planner.pagerduty_follow_up(row, action, self.clock()))
        if follow:
            self.outbox.enqueue(follow, self.clock())

    def _info(self, ticket: str) -> TicketInfo | None:
        return self._infos.get(ticket)

    def _enqueue(self, fires: list[Fire], now: datetime) -> int:
        assert self.planner is not None
        # a step its ticket's acknowledgement or resolution already stopped (both in one
        # turn: a closed ticket's history pulled in the background) is not even queued
        wanted = [f for f in fires if f.kind in ("notify", "chain_exhausted")
                  and self.stopped(f.ticket, f.at) is None]
        if not wanted:
            return 0
        self._infos = self.ticket_info(sorted({f.ticket for f in wanted}))
        planned = self.planner.plan(wanted, now)
        return len(self.outbox.enqueue(planned, now)) if planned else 0

    def _checkpoint(self, now: datetime, force: bool = False, engine: bool = False) -> None:
        """Mark the fires up to ``now`` as handled (every 30 s, or at once when some
        fired); with ``engine``, or when the engine's checkpoint is due, save the engine
        too, after the mark, so a saved engine is never ahead of the mark."""
        self._last_now = now
        saving = self.checkpoint is not None and self.engine is not None and (
            engine or self.checkpoint.due(now, self.engine.next_fire()))
        last = self._last_checkpoint
        if force or saving or last is None or now - last >= timedelta(seconds=30):
            self.outbox.set_meta(CHECKPOINT, now.isoformat())
            self._last_checkpoint = now
        if saving and self.checkpoint is not None and self.engine is not None:
            self.checkpoint.save(self.engine, self.stops, self.cursor, now, self._matrix)

    def save_checkpoint(self) -> None:
        """Save the engine as the last turn left it (a clean stop; the runner's thread)."""
        if self.engine is not None and self._last_now is not None:
            self._checkpoint(self._last_now, force=True, engine=True)
