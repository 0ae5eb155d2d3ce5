"""Both versions' replay split across worker processes (not threads: the engine is pure
Python and holds the GIL).

The events are read once, a ticket at a time (``source.TicketStream``: from the store
in batches, or from an event file's list); the parent gathers tickets into partitions
of about ``PARTITION_TICKETS`` (a ticket's events all go to one partition: tickets are
independent in the engine except for the matrix) and puts them on one queue the workers
take from, at most ``QUEUE_DEPTH`` a worker ahead, so neither the parent nor a worker
holds more than a few partitions, however long the window. Each worker replays a
partition under both matrices and sends its two partial ``Outcome``s back; the parent
merges them into exactly what the single-process ``replay`` gives (per-ticket rows,
totals summed, the rates' numerators and denominators summed: both count ticket by
ticket).

While the run goes on, ``partial`` is given what the workers sent so far, merged (at
most every ``PARTIAL_S`` seconds): the sources hand out the window's tickets in a
shuffled order, so the tickets done at any moment are a fair sample of the window and a
long run's first figures already say which way the draft moves them.

Workers are started with ``spawn`` (safe next to Qt's threads). Cancel terminates them
and joins them: none is left behind. A worker that dies (or raises) stops the run with
``WorkerCrashed`` naming the worker and its exit code, instead of a wait for results
that will never come.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import time
import traceback
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from multiprocessing.process import BaseProcess
from typing import Any

from console.domain.matrix import Matrix
from console.domain.reports import Rate
from console.domain.scoring import SentimentScorer
from console.domain.tickets import TicketEvent

from .replay import Outcome, Row, compacted, replay, replay_pair
from .source import TicketStream, from_events

PARTITION_TICKETS = 400  # at most, a partition's tickets: the grain of progress and memory
QUEUE_DEPTH = 2  # partitions waiting for each worker: how far ahead the parent reads
POLL_S = 0.1  # how often the parent looks at Cancel and at dead workers
PARTIAL_S = 5.0  # at least, between two provisional results


class Cancelled(Exception):
    """The run was cancelled; its workers are gone."""


class WorkerCrashed(RuntimeError):
    """A worker process died or raised; the others were stopped."""


Progress = Callable[[int, int], None]  # (tickets done, tickets in all)
# (each matrix's outcome over the tickets done so far, tickets done, tickets in all)
Partial = Callable[[list[Outcome], int, int], None]


def partitions(groups: Iterable[list[TicketEvent]], size: int
               ) -> Iterator[list[TicketEvent]]:
    """Tickets' events (a list a ticket) gathered ``size`` tickets at a time, each
    partition in time order (a ticket's same-instant events keep their order)."""
    chunk: list[TicketEvent] = []
    tickets = 0
    for group in groups:
        chunk.extend(group)
        tickets += 1
        if tickets >= size:
            chunk.sort(key=lambda e: e.at)
            yield chunk
            chunk, tickets = [], 0
    if chunk:
        chunk.sort(key=lambda e: e.at)
        yield chunk


def merge(parts: Sequence[Outcome], window_from: datetime, window_to: datetime) -> Outcome:
    """One ``Outcome`` from the partitions' (disjoint tickets; compacted or not)."""
    tickets: dict[str, dict[Row, tuple[datetime, ...]]] = {}
    totals: dict[Row, int] = defaultdict(int)
    pages: dict[str, list[datetime]] = defaultdict(list)
    breaches: list[datetime] = []
    for p in parts:
        tickets.update(p.tickets)
        for row, n in p.totals.items():
            totals[row] += n
        for person, ats in p.pages.items():
            pages[person].extend(ats)
        breaches.extend(p.breaches)

    def rate(pick: Callable[[Outcome], Rate]) -> Rate:
        rates = [pick(p) for p in parts]
        first = rates[0]
        return replace(first, numerator=sum(r.numerator for r in rates),
                       denominator=sum(r.denominator for r in rates))

    return Outcome(window_from, window_to, tickets, rate(lambda p: p.t1_resolution),
                   rate(lambda p: p.escalation_rate), sum(p.ticket_count for p in parts),
                   dict(totals), {person: tuple(ats) for person, ats in pages.items()},
                   tuple(breaches))


def _replay_all(matrices: Sequence[Matrix], events: list[TicketEvent], window_from: datetime,
                window_to: datetime, sentiment: SentimentScorer | None) -> tuple[Outcome, ...]:
    """Every matrix's replay; two are a draft and the version in force, whose unchanged
    tickets' results ``replay_pair`` reuses."""
    if len(matrices) == 2:
        return replay_pair(matrices[0], matrices[1], events, window_from, window_to, sentiment)
    return tuple(replay(m, events, window_from, window_to, sentiment) for m in matrices)


def _worker(index: int, matrices: tuple[Matrix, ...], inbox: Any, window_from: datetime,
            window_to: datetime, sentiment: SentimentScorer | None, results: Any,
            crash_at: int | None) -> None:
    """Take (number, partition) from ``inbox`` until None, replay each under every
    matrix, put (index, tickets, outcomes). ``crash_at``: the test hook, a worker that
    takes that partition or a later one dies holding it."""
    try:
        while (item := inbox.get()) is not None:
            number, chunk = item
            if crash_at is not None and number >= crash_at:
                os._exit(3)  # die as a killed worker does, saying nothing
            outcomes = _replay_all(matrices, chunk, window_from, window_to, sentiment)
            if len(outcomes) == 2:  # send, and hold, only what the comparison reads
                outcomes = compacted(*outcomes)
            results.put((index, len({e.ticket for e in chunk}), outcomes))
            del item, chunk, outcomes
    except BaseException:  # sent to the parent, which raises WorkerCrashed
        results.put((index, -1, traceback.format_exc()))
        results.close()
        results.join_thread()  # the traceback is in the pipe before this process ends
        os._exit(1)


def parallel_replay(matrices: Sequence[Matrix],
                    events: Sequence[TicketEvent] | TicketStream,
                    window_from: datetime, window_to: datetime,
                    sentiment: SentimentScorer | None = None, *, workers: int | None = None,
                    progress: Progress | None = None, cancel: Any = None,
                    partial: Partial | None = None, partial_every: float | None = None,
                    clock: Callable[[], float] = time.monotonic,
                    _crash_partition: int | None = None) -> list[Outcome]:
    """``[replay(m, events, window_from, window_to, sentiment) for m in matrices]``,
    computed by ``workers`` processes (default: the CPU count). ``events``: a time-ordered
    list, or a ``TicketStream`` of the window's tickets (read as the workers need them).
    ``progress(done, total)`` is called in this thread as tickets finish; ``cancel``
    (anything with ``is_set()``) stops the run: its workers are terminated and joined,
    then ``Cancelled`` is raised. ``partial(outcomes, done, total)``, in this thread, is
    given each matrix's outcome over the tickets done so far, at most every
    ``partial_every`` seconds of ``clock`` (default ``PARTIAL_S``), and never once all
    are done (a single process gives none). ``_crash_partition``: the test hook, a
    worker that takes that partition or a later one dies."""
    stream = events if isinstance(events, TicketStream) else from_events(
        events, window_from, window_to)
    workers = max(1, workers or os.cpu_count() or 1)
    if workers == 1 or stream.total < 2:
        return list(_replay_all(matrices, _flat(stream), window_from, window_to, sentiment))
    size = max(1, min(PARTITION_TICKETS, -(-stream.total // (workers * 8))))
    ctx = mp.get_context("spawn")
    inbox, results = ctx.Queue(maxsize=workers * QUEUE_DEPTH), ctx.Queue()
    procs: list[BaseProcess] = [ctx.Process(target=_worker, name=f"whatif-worker-{w}", daemon=True,
                         args=(w, tuple(matrices), inbox, window_from, window_to, sentiment,
                               results, _crash_partition))
             for w in range(workers)]
    parts: list[list[Outcome]] = [[] for _ in matrices]
    done = sent = received = 0
    provisional = _Provisional(partial, PARTIAL_S if partial_every is None else partial_every,
                               clock, window_from, window_to)

    def gather(wait: float) -> None:
        nonlocal done, received
        got, taken = _collect(results, parts, procs, progress, done, stream.total, wait)
        done += got
        received += taken
        if taken:
            provisional(parts, done, stream.total)

    try:
        for p in procs:
            p.start()
        for chunk in partitions(stream.groups, size):
            item = (sent, chunk)
            while True:  # the queue is full while the workers are busy: collect meanwhile
                _check_cancel(cancel)
                try:
                    inbox.put(item, timeout=POLL_S)
                    break
                except queue.Full:  # and every worker may have died meanwhile
                    gather(0)
                    _check_alive(procs, results)
            sent += 1
            del item, chunk
            gather(0)
        while received < sent:
            _check_cancel(cancel)
            gather(POLL_S)
        for _ in procs:
            inbox.put(None)
    finally:
        _stop(procs)
        inbox.cancel_join_thread()  # what a stopped worker did not take is dropped
        inbox.close()
        results.close()
        results.join_thread()
    if progress is not None:
        progress(done, done)
    if not sent:  # no ticket in the window after all: the replay of none
        return list(_replay_all(matrices, [], window_from, window_to, sentiment))
    return [merge(p, window_from, window_to) for p in parts]


class _Provisional:
    """Gives ``partial`` the outcomes so far, at most every ``every`` seconds and, as
    merging them grows with the run, never more often than ten times what the last
    merge took. Each part list is left holding its merge: the next merge only adds
    to it, and the partitions' outcomes are not held twice."""

    def __init__(self, partial: Partial | None, every: float, clock: Callable[[], float],
                 window_from: datetime, window_to: datetime) -> None:
        self._partial, self._every, self._clock = partial, every, clock
        self._window = (window_from, window_to)
        self._next = clock() + every

    def __call__(self, parts: list[list[Outcome]], done: int, total: int) -> None:
        if self._partial is None or done >= total or self._clock() < self._next:
            return
        began = self._clock()
        merged = [merge(p, *self._window) for p in parts]
        for part, whole in zip(parts, merged, strict=True):
            part[:] = [whole]
        self._partial(merged, done, total)
        spent = self._clock() - began
        self._next = self._clock() + max(self._every, 10 * spent)


def _flat(stream: TicketStream) -> list[TicketEvent]:
    events = [e for group in stream.groups for e in group]
    events.sort(key=lambda e: e.at)
    return events


def _check_cancel(cancel: Any) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled("the what-if replay was cancelled")


def _collect(results: Any, parts: list[list[Outcome]], procs: list[BaseProcess],
             progress: Progress | None, done: int, total: int, wait: float
             ) -> tuple[int, int]:
    """Take what the workers sent (waiting up to ``wait`` for the first); the tickets
    it covered and the partitions. A worker found dead while nothing arrives stopped the
    run."""
    got = taken = 0
    while True:
        try:
            index, count, payload = results.get(timeout=wait) if wait else \
                results.get_nowait()
        except queue.Empty:
            if wait and not taken:
                _check_alive(procs, results)
            return got, taken
        if count < 0:
            raise WorkerCrashed(f"what-if worker {index} failed:\n{payload}")
        for i, outcome in enumerate(payload):
            parts[i].append(outcome)
        got += count
        taken += 1
        if progress is not None:
            progress(min(done + got, total), total)
        wait = 0


def _check_alive(procs: list[BaseProcess], results: Any) -> None:
    """Every worker runs until the parent says there is no more work: one that has
    exited before has died, and the partition it held is lost. One that raised sent its
    traceback before it ended: that is the error, if it is there to read."""
    for w, p in enumerate(procs):
        if not p.is_alive():
            try:
                while True:
                    index, count, payload = results.get(timeout=POLL_S)
                    if count < 0:
                        raise WorkerCrashed(f"what-if worker {index} failed:\n{payload}")
            except queue.Empty:
                pass
            raise WorkerCrashed(
                f"what-if worker {w} (pid {p.pid}) died with exit code {p.exitcode} "
                "while replaying a partition of tickets")


def _stop(procs: list[BaseProcess]) -> None:
    """Terminate whoever still runs, and reap every worker."""
    for p in procs:
        if p.is_alive():
            p.terminate()
    for p in procs:
        if p.pid is not None:
            p.join(timeout=5)
            if p.is_alive():
                p.kill()
                p.join()
        p.close()
