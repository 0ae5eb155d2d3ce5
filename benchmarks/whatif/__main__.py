"""``python -m benchmarks.whatif``: both versions' what-if replay of the engine
benchmark's workload (``benchmarks.engine.workload``: N tickets open at the start, new
ones at its rate), across worker processes, against the plain single-process replay of
both versions in the same run; the two must give the same Impact. Wall seconds; peak
resident memory of this process and of the largest worker. Workload generation is not
timed. The draft is the engine benchmark's matrix change (P2 response 1h -> 45m, P3
24h -> 20h); then a draft that changes only P2 (response 1h -> 45m), whose preview
replays again only the tickets judged by P2 and reuses the others' results. With
``--engine-floor``: the engine's own time on a sample of the window's tickets, scaled to
the window and shared among the workers, the least that any replay running the engine on
every event can take here."""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.engine.runner import load_matrices
from benchmarks.engine.workload import OPENED_SPREAD, generate
from benchmarks.store_load import bulk_load
from console.app.usecases.simulate import simulate
from console.app.usecases.whatif import impact, replay
from console.app.usecases.whatif.replay import changed_severities, window_events
from console.domain.matrix import Matrix, parse_matrix_text
from console.domain.tickets import TicketEvent
from console.paths import default_matrix_path

TARGET_S = 15.0
MEMORY_MIB = 1024


def _vm_rss_mib(pid: int | str) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):  # exited meanwhile
        pass
    return 0.0


def _children(task: Path) -> list[str]:
    """The pids a thread of this process started (none once the thread has ended)."""
    try:
        return (task / "children").read_text().split()
    except FileNotFoundError:
        return []


class _Sampler(threading.Thread):
    """Every 0.1 s: this process's resident memory and its children's (the workers).
    ``ru_maxrss`` cannot say the workers': a spawned child's counts the parent's pages
    it was forked with before its exec."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.parent = self.worker = self.total = 0.0

    def run(self) -> None:
        me = os.getpid()
        while not self.stop.wait(0.1):
            kids = [pid for task in Path(f"/proc/{me}/task").iterdir()
                    for pid in _children(task)]
            parent, workers = _vm_rss_mib(me), [_vm_rss_mib(k) for k in kids]
            self.parent = max(self.parent, parent)
            self.worker = max([self.worker, *workers])
            self.total = max(self.total, parent + sum(workers))


def p2_only_draft() -> Matrix:
    """The default matrix with P2's response target 45m instead of 1h, nothing else."""
    text = default_matrix_path().read_text(encoding="utf-8")
    old = "response: 1h, update: 1h, resolution: 8h"
    if text.count(old) != 1:
        raise SystemExit(f"cannot build the P2-only draft: {old!r} not found once")
    return parse_matrix_text(text.replace(old, "response: 45m, update: 1h, resolution: 8h"))


def load_store(folder: Path, events: list[TicketEvent], matrix: Matrix) -> int:
    """The workload written into a local store at ``folder``, whole tickets a batch."""
    from console.store.local import LocalStore, NewEvent

    by_ticket: dict[str, list[TicketEvent]] = defaultdict(list)
    for e in events:
        by_ticket[e.ticket].append(e)
    with LocalStore(folder, matrix) as store:
        return bulk_load(store, ([NewEvent(t, e.type, e.data, "bench", e.at) for e in evs]
                                 for t, evs in by_ticket.items()))


def measure(folder: Path, window: tuple[datetime, datetime], workers: int) -> dict[str, Any]:
    """In a fresh process: both drafts' previews from the store, read a batch of tickets
    at a time as the editor reads it, with this process's and its workers' memory."""
    from console.app.usecases.whatif.preview import preview
    from console.app.usecases.whatif.source import from_store, store_reader
    from console.store.local import LocalStore

    draft, active = load_matrices()[::-1]
    out: dict[str, Any] = {}
    with LocalStore(folder, active) as store:
        seen = [0]

        def progress(done: int, total: int) -> None:
            seen[0] = done

        firsts: list[tuple[float, int, int, str]] = []

        def partial(so_far: Any, done: int, total: int) -> None:
            if not firsts:
                firsts.append((time.perf_counter() - t0, done, total, so_far.headlines[0]))

        sampler = _Sampler()
        sampler.start()
        t0 = time.perf_counter()
        result = preview(draft, active, from_store(store_reader(store), *window), *window,
                         workers=workers, progress=progress, partial=partial)
        out["seconds"] = time.perf_counter() - t0
        out["first_partial"] = firsts[0] if firsts else None
        sampler.stop.set()
        sampler.join()
        out.update(tickets=seen[0], parent=sampler.parent, worker=sampler.worker,
                   total=sampler.total, headline=result.headlines[0],
                   figures=[f.to_json() for f in result.figures])
        p2 = p2_only_draft()
        t0 = time.perf_counter()
        p2_result = preview(p2, active, from_store(store_reader(store), *window), *window,
                            workers=workers)
        out["p2_seconds"] = time.perf_counter() - t0
        out["p2_changes"] = sorted(changed_severities(p2, active) or ())
        out["p2_headline"] = p2_result.headlines[0]
    return out


def engine_floor(events: list[TicketEvent], window: tuple[datetime, datetime],
                 matrices: tuple[Matrix, Matrix], workers: int, every: int = 10) -> None:
    """Print the engine's own CPU time (``simulate`` alone: no what-if bookkeeping, no
    store, no processes) on every ``every``-th ticket of the window, for each version,
    and that rate applied to the whole window and shared among ``workers`` cores. The
    version in force is replayed whole by any preview (its figures are absolute, and a
    draft's unchanged tickets reuse them): its time is the least a preview can take."""
    chosen = window_events(events, *window)
    tickets = sorted({e.ticket for e in chosen})[::every]
    keep = set(tickets)
    sample = [e for e in chosen if e.ticket in keep]
    per_event = []
    for matrix in matrices:
        t0 = time.process_time()
        for _ in simulate(matrix, sample, window[1]):
            pass
        per_event.append((time.process_time() - t0) / len(sample))
    active = per_event[1] * len(chosen)
    print(f"engine floor: simulate alone on 1 ticket in {every} ({len(sample):,} events): "
          f"{per_event[0] * 1e6:.1f} us CPU an event under the draft, "
          f"{per_event[1] * 1e6:.1f} under the version in force; the version in force "
          f"alone over the window's {len(chosen):,} events: {active:,.1f} s CPU, at best "
          f"{active / workers:,.1f} s wall on {workers} cores (target for both versions "
          f"<= {TARGET_S:g} s)")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.whatif", description=__doc__)
    p.add_argument("--tickets", type=int, default=50_000, help="tickets open at the start")
    p.add_argument("--days", type=float, default=30.0, help="days of events after the start")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--seed", type=int, default=20250303)
    p.add_argument("--no-baseline", action="store_true",
                   help="skip the single-process replay (and the equality check)")
    p.add_argument("--engine-floor", action="store_true",
                   help="also time the engine alone on 1 ticket in 10 of the window")
    p.add_argument("--measure", nargs=3, metavar=("STORE", "FROM", "TO"),
                   help=argparse.SUPPRESS)  # the timed run, in a process of its own
    args = p.parse_args(argv)
    if args.measure:
        folder, start_text, end_text = args.measure
        window = (datetime.fromisoformat(start_text), datetime.fromisoformat(end_text))
        print(json.dumps(measure(Path(folder), window, args.workers)))
        return 0
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    t0 = time.perf_counter()
    work = generate(args.tickets, args.days * 24, args.seed)
    draft, active = load_matrices()[::-1]
    # the window holds the backlog too: it opened up to 2 days before the start
    start = work.start - timedelta(seconds=max(OPENED_SPREAD.values()))
    window = (start, work.end)
    print(f"workload: {work.tickets:,} open + {work.new_tickets:,} new tickets, "
          f"{len(work.events):,} events over {args.days:g} days "
          f"(generated in {time.perf_counter() - t0:.1f} s, not timed)")
    if args.engine_floor:
        engine_floor(work.events, window, (draft, active), args.workers)
    single = None
    if not args.no_baseline:
        gc.collect()
        gc.freeze()  # the workload is not traversed by the timed section's collections
        t0 = time.perf_counter()
        single = [replay(m, work.events, *window) for m in (draft, active)]
        base_s = time.perf_counter() - t0
        gc.unfreeze()
        print(f"baseline: plain replay of both versions in one process, from memory: "
              f"{base_s:8.1f} s wall")
    with tempfile.TemporaryDirectory(prefix="bench-whatif-") as tmp:
        t0 = time.perf_counter()
        written = load_store(Path(tmp), work.events, active)
        print(f"the workload written into a local store: {written:,} events "
              f"({time.perf_counter() - t0:.1f} s, not timed)")
        del work
        gc.collect()
        child = subprocess.run(
            [sys.executable, "-m", "benchmarks.whatif", "--workers", str(args.workers),
             "--measure", tmp, window[0].isoformat(), window[1].isoformat()],
            capture_output=True, text=True, check=False)
        if child.returncode != 0:
            print(child.stderr, file=sys.stderr)
            return 1
        m = json.loads(child.stdout.splitlines()[-1])
    par_s = m["seconds"]
    print(f"preview from the store, {args.workers} worker processes, both versions: "
          f"{par_s:8.1f} s wall ({m['tickets']:,} tickets; target <= {TARGET_S:g} s: "
          f"{'met' if par_s <= TARGET_S else 'NOT met'})")
    if m["first_partial"]:
        at, done, total, first = m["first_partial"]
        print(f"first provisional figures after {at:.1f} s, over {done:,} of {total:,} "
              f"tickets ({done / total:.0%}): {first}")
    same = True
    if single is not None:
        same = m["figures"] == impact(*single).to_json()["figures"]
        print(f"speed-up {base_s / par_s:.2f}x over the baseline; same figures and "
              f"changed tickets as the baseline: {same}")
    print(f"peak RSS of the preview (sampled every 0.1 s; a fresh process that reads the "
          f"store): the process {m['parent']:,.0f} MiB, largest worker {m['worker']:,.0f} "
          f"MiB, together {m['total']:,.0f} MiB (limit {MEMORY_MIB} MiB: "
          f"{'met' if m['total'] < MEMORY_MIB else 'NOT met'})")
    print("headline:", m["headline"])
    print(f"P2-only draft (changes {m['p2_changes']}), from the store, {args.workers} worker "
          f"processes: {m['p2_seconds']:8.1f} s wall ({m['p2_seconds'] / par_s:.0%} of the "
          f"first draft's); headline: {m['p2_headline']}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
