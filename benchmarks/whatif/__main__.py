"""``python -m benchmarks.whatif``: both versions' what-if replay of the engine
benchmark's workload (``benchmarks.engine.workload``: N tickets open at the start, new
ones at its rate), across worker processes, against the plain single-process replay of
both versions in the same run; the two must give the same Impact. Wall seconds; peak
resident memory of this process and of the largest worker. Workload generation is not
timed. The draft is the engine benchmark's matrix change (P2 response 1h -> 45m, P3
24h -> 20h); then a draft that changes only P2 (response 1h -> 45m), whose preview
replays again only the tickets judged by P2 and reuses the others' results."""

from __future__ import annotations

import argparse
import gc
import os
import platform
import resource
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from benchmarks.engine.runner import load_matrices
from benchmarks.engine.workload import OPENED_SPREAD, generate
from console.app.usecases.whatif import impact, replay
from console.app.usecases.whatif.parallel import parallel_replay
from console.app.usecases.whatif.replay import changed_severities
from console.domain.matrix import Matrix, parse_matrix_text
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
                    for pid in (task / "children").read_text().split()]
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


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.whatif", description=__doc__)
    p.add_argument("--tickets", type=int, default=50_000, help="tickets open at the start")
    p.add_argument("--days", type=float, default=30.0, help="days of events after the start")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--seed", type=int, default=20250303)
    p.add_argument("--no-baseline", action="store_true",
                   help="skip the single-process replay (and the equality check)")
    args = p.parse_args(argv)
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
    gc.collect()
    gc.freeze()  # the workload is not traversed by the timed sections' collections
    single = None
    if not args.no_baseline:
        t0 = time.perf_counter()
        single = [replay(m, work.events, *window) for m in (draft, active)]
        base_s = time.perf_counter() - t0
        print(f"single process, both versions: {base_s:8.1f} s wall")
    seen = [0]

    def progress(done: int, total: int) -> None:
        seen[0] = done

    sampler = _Sampler()
    sampler.start()
    t0 = time.perf_counter()
    both = parallel_replay((draft, active), work.events, *window, workers=args.workers,
                           progress=progress)
    par_s = time.perf_counter() - t0
    sampler.stop.set()
    sampler.join()
    print(f"{args.workers} worker processes, both versions: {par_s:8.1f} s wall "
          f"({seen[0]:,} tickets; target <= {TARGET_S:g} s: "
          f"{'met' if par_s <= TARGET_S else 'NOT met'})")
    if single is not None:
        same = impact(*both) == impact(*single)
        print(f"speed-up {base_s / par_s:.2f}x; same Impact as the single process: {same}")
    print(f"peak RSS during the parallel run (sampled every 0.1 s): this process "
          f"{sampler.parent:,.0f} MiB, largest worker {sampler.worker:,.0f} MiB, together "
          f"{sampler.total:,.0f} MiB (limit {MEMORY_MIB} MiB: "
          f"{'met' if sampler.total < MEMORY_MIB else 'NOT met'}); this process's peak over "
          f"the whole run {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
    result = impact(*both)
    print("headline:", result.headlines[0])
    p2 = p2_only_draft()
    t0 = time.perf_counter()
    p2_both = parallel_replay((p2, active), work.events, *window, workers=args.workers)
    p2_s = time.perf_counter() - t0
    print(f"P2-only draft (changes {sorted(changed_severities(p2, active) or ())}), "
          f"{args.workers} worker processes: {p2_s:8.1f} s wall ({p2_s / par_s:.0%} of the "
          f"first draft's); headline: {impact(*p2_both).headlines[0]}")
    return 0 if single is None or same else 1


if __name__ == "__main__":
    sys.exit(main())
