"""Both versions' replay split across worker processes (not threads: the engine is pure
Python and holds the GIL).

The events are read once, by the caller; the window's tickets are partitioned (a
ticket's events all go to one partition, tickets are independent in the engine except
for the matrix), each worker replays its partitions under both matrices and sends each
partition's two partial ``Outcome``s back; the parent merges them into exactly what the
single-process ``replay`` gives (per-ticket rows, totals summed, the rates' numerators
and denominators summed: both count ticket by ticket).

Workers are started with ``spawn`` (safe next to Qt's threads). Cancel terminates them
and joins them: none is left behind. A worker that dies (or raises) stops the run with
``WorkerCrashed`` naming the worker and its exit code, instead of a wait for results
that will never come.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import traceback
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from multiprocessing.process import BaseProcess
from typing import Any

from console.domain.matrix import Matrix
from console.domain.reports import Rate
from console.domain.scoring import SentimentScorer
from console.domain.tickets import TicketEvent

from .replay import Outcome, Row, replay, replay_pair, window_events

# partitions a worker sends back one by one: the progress callback's grain
PARTITIONS_PER_WORKER = 8
POLL_S = 0.1  # how often the parent looks at Cancel and at dead workers


class Cancelled(Exception):
    """The run was cancelled; its workers are gone."""


class WorkerCrashed(RuntimeError):
    """A worker process died or raised; the others were stopped."""


Progress = Callable[[int, int], None]  # (tickets done, tickets in all)


def partition(events: Sequence[TicketEvent], parts: int) -> list[list[TicketEvent]]:
    """Split ``events`` (time order) into at most ``parts`` lists, a ticket's events in
    one list, in time order; tickets dealt out so the lists hold about as many events."""
    by_ticket: dict[str, list[TicketEvent]] = defaultdict(list)
    for e in events:
        by_ticket[e.ticket].append(e)
    loads = [0] * max(1, parts)
    owner: dict[str, int] = {}
    for ticket, evs in sorted(by_ticket.items(), key=lambda kv: -len(kv[1])):
        i = loads.index(min(loads))
        owner[ticket] = i
        loads[i] += len(evs)
    out: list[list[TicketEvent]] = [[] for _ in loads]
    for e in events:
        out[owner[e.ticket]].append(e)
    return [p for p in out if p]


def merge(parts: Sequence[Outcome], window_from: datetime, window_to: datetime) -> Outcome:
    """One ``Outcome`` from the partitions' (disjoint tickets)."""
    tickets: dict[str, dict[Row, tuple[datetime, ...]]] = {}
    totals: dict[Row, int] = defaultdict(int)
    for p in parts:
        tickets.update(p.tickets)
        for row, n in p.totals.items():
            totals[row] += n

    def rate(pick: Callable[[Outcome], Rate]) -> Rate:
        rates = [pick(p) for p in parts]
        first = rates[0]
        return replace(first, numerator=sum(r.numerator for r in rates),
                       denominator=sum(r.denominator for r in rates))

    return Outcome(window_from, window_to, tickets, rate(lambda p: p.t1_resolution),
                   rate(lambda p: p.escalation_rate), sum(p.ticket_count for p in parts),
                   dict(totals))


def _replay_all(matrices: Sequence[Matrix], events: list[TicketEvent], window_from: datetime,
                window_to: datetime, sentiment: SentimentScorer | None) -> tuple[Outcome, ...]:
    """Every matrix's replay; two are a draft and the version in force, whose unchanged
    tickets' results ``replay_pair`` reuses."""
    if len(matrices) == 2:
        return replay_pair(matrices[0], matrices[1], events, window_from, window_to, sentiment)
    return tuple(replay(m, events, window_from, window_to, sentiment) for m in matrices)


def _worker(index: int, matrices: tuple[Matrix, ...], inbox: Any, count: int,
            window_from: datetime, window_to: datetime, sentiment: SentimentScorer | None,
            results: Any, crash: bool) -> None:
    """Take ``count`` chunks from ``inbox`` one at a time (only the one replayed is held
    here), replay it under every matrix, put (index, tickets, outcomes) per chunk. Two
    matrices are a draft and the version in force: ``replay_pair`` reuses the results
    of the tickets the draft's change cannot touch."""
    try:
        for n in range(count):
            chunk: list[TicketEvent] = inbox.get()
            if crash and n == count // 2:
                os._exit(3)  # the test hook: die as a killed worker does, saying nothing
            outcomes = _replay_all(matrices, chunk, window_from, window_to, sentiment)
            results.put((index, len({e.ticket for e in chunk}), outcomes))
            del chunk, outcomes
    except BaseException:  # sent to the parent, which raises WorkerCrashed
        results.put((index, -1, traceback.format_exc()))


def parallel_replay(matrices: Sequence[Matrix], events: Sequence[TicketEvent],
                    window_from: datetime, window_to: datetime,
                    sentiment: SentimentScorer | None = None, *, workers: int | None = None,
                    progress: Progress | None = None, cancel: Any = None,
                    _crash_worker: int | None = None) -> list[Outcome]:
    """``[replay(m, events, window_from, window_to, sentiment) for m in matrices]``,
    computed by ``workers`` processes (default: the CPU count). ``progress(done, total)``
    is called in this thread as tickets finish; ``cancel`` (anything with ``is_set()``)
    stops the run: its workers are terminated and joined, then ``Cancelled`` is raised.
    ``_crash_worker``: the test hook, that worker dies halfway."""
    chosen = window_events(events, window_from, window_to)
    total = len({e.ticket for e in chosen})
    workers = max(1, workers or os.cpu_count() or 1)
    if workers == 1 or total < 2:
        return list(_replay_all(matrices, chosen, window_from, window_to, sentiment))
    chunks = partition(chosen, workers * PARTITIONS_PER_WORKER)
    del chosen
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    procs: list[BaseProcess] = []
    inboxes: list[Any] = []
    for w in range(min(workers, len(chunks))):
        mine = chunks[w::workers]
        inbox = ctx.Queue()
        for chunk in mine:  # pickled by the queue's thread as the worker takes them
            inbox.put(chunk)
        inboxes.append(inbox)
        procs.append(ctx.Process(
            target=_worker, name=f"whatif-worker-{w}", daemon=True,
            args=(w, tuple(matrices), inbox, len(mine), window_from, window_to, sentiment,
                  results, _crash_worker == w)))
    expected = {w: len(chunks[w::workers]) for w in range(len(procs))}
    del chunks
    parts: list[list[Outcome]] = [[] for _ in matrices]
    done, quiet = 0, 0
    try:
        for p in procs:
            p.start()
        while any(expected.values()):
            if cancel is not None and cancel.is_set():
                raise Cancelled("the what-if replay was cancelled")
            try:
                index, count, payload = results.get(timeout=POLL_S)
            except queue.Empty:
                # a worker found dead twice running, with nothing arriving in between,
                # has not merely exited after its last result was sent
                quiet += 1
                if quiet >= 2:
                    _check_alive(procs, expected)
                continue
            quiet = 0
            if count < 0:
                raise WorkerCrashed(f"what-if worker {index} failed:\n{payload}")
            expected[index] -= 1
            for i, outcome in enumerate(payload):
                parts[i].append(outcome)
            done += count
            if progress is not None:
                progress(done, total)
    finally:
        _stop(procs)
        for q in inboxes:  # what a stopped worker did not take is dropped
            q.cancel_join_thread()
            q.close()
        results.close()
        results.join_thread()
    return [merge(p, window_from, window_to) for p in parts]


def _check_alive(procs: list[BaseProcess], expected: dict[int, int]) -> None:
    for w, p in enumerate(procs):
        if expected[w] and not p.is_alive():
            raise WorkerCrashed(
                f"what-if worker {w} (pid {p.pid}) died with exit code {p.exitcode} "
                f"before finishing its {expected[w]} partition(s) of tickets")


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
