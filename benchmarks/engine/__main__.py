"""``python -m benchmarks.engine``: throughput, exactness and matrix-change cost of the
escalation engine on a large deterministic workload, against a naive per-minute scan.

Workload generation is not timed. Before each timed section the garbage collector runs
and every object alive is frozen (``gc.freeze``), so one section's garbage (or the
workload itself) is not traversed and billed to the next. Times are CPU seconds
(``time.process_time``) unless marked wall.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import sys
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

from console.domain.tickets import TicketEvent

from .baseline import run_baseline
from .checks import check_exactness, lateness, sla_key
from .report import print_report
from .runner import (
    EngineRun,
    change_matrix,
    change_matrix_at_start,
    load_matrices,
    run_engine,
)
from .workload import generate

TARGET_RATIO = 20.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.engine", description=__doc__)
    p.add_argument("--tickets", type=int, default=50_000, help="tickets open at the start")
    p.add_argument("--hours", type=float, default=24.0, help="simulated hours after the start")
    p.add_argument("--seed", type=int, default=20250303)
    p.add_argument("--baseline-minutes", type=int, default=30,
                   help="simulated minutes the naive baseline runs (then extrapolated)")
    p.add_argument("--quick", action="store_true",
                   help="5,000 tickets, 2 hours, 5 baseline minutes")
    args = p.parse_args(argv)
    if args.quick:
        args.tickets, args.hours, args.baseline_minutes = 5_000, 2.0, 5
    args.baseline_minutes = max(1, min(args.baseline_minutes, int(args.hours * 60)))
    return args


def _settle() -> None:
    gc.collect()
    gc.freeze()


def cross_check(run: EngineRun, naive: list[Any], events: list[TicketEvent], start: datetime,
                minutes: int) -> dict[str, Any]:
    """Engine SLA fires in the baseline's window against the baseline's fires. Where
    they differ, name the ticket's events in the minute that made the difference."""
    stop = start + timedelta(minutes=minutes)
    engine = {sla_key(f): f.at for f in run.sla if start < f.at <= stop}
    base = {(tid, kind, clock, cycle): at for at, tid, kind, clock, cycle, _ in naive}
    both = engine.keys() & base.keys()
    mean, worst = lateness([(base[k], engine[k]) for k in both])
    by_ticket: dict[str, list[TicketEvent]] = defaultdict(list)
    for e in events:
        if start < e.at <= stop:
            by_ticket[e.ticket].append(e)

    def why(tid: str, after: datetime, until: datetime) -> str:
        kinds = sorted({e.type for e in by_ticket.get(tid, ()) if after < e.at <= until})
        return "+".join(kinds) or "none"

    minute = timedelta(minutes=1)
    engine_only: Counter[str] = Counter()
    for k in engine.keys() - base.keys():  # the baseline never saw it: gone by the scan
        at = engine[k]
        boundary = start + minute * -(-(at - start) // minute)
        engine_only[f"{k[2]} {k[1]} then {why(k[0], at, boundary)}"] += 1
    base_only: Counter[str] = Counter()
    for k in base.keys() - engine.keys():
        base_only[f"{k[2]} {k[1]} after {why(k[0], base[k] - minute, base[k])}"] += 1
    return {"matched": len(both), "engine_only": sum(engine_only.values()),
            "baseline_only": sum(base_only.values()),
            "engine_only_why": dict(engine_only.most_common(6)),
            "baseline_only_why": dict(base_only.most_common(6)),
            "baseline_late_mean_s": round(mean, 1), "baseline_late_max_s": round(worst, 1)}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    hours, minutes = args.hours, args.baseline_minutes
    load = [round(x, 2) for x in os.getloadavg()]
    base_matrix, modified = load_matrices()
    t0 = time.perf_counter()
    wl = generate(args.tickets, hours, args.seed)
    gen_s = time.perf_counter() - t0
    _settle()
    run = run_engine(wl, base_matrix)
    heap, live = run.heap_stats()
    exact = check_exactness(wl.events, run.sla, base_matrix, wl.end)
    _settle()
    naive = run_baseline(wl.events, wl.warmup, wl.start, base_matrix, minutes)
    xc = cross_check(run, naive.fires, wl.events, wl.start, minutes)
    _settle()
    mc_end = change_matrix(run.engine, modified).as_dict()
    n_events, window_events = len(wl.events), len(wl.events) - wl.warmup
    extrapolated = naive.extrapolate(hours)
    ratio = extrapolated / run.cpu_window if run.cpu_window else 0.0
    ratio_all = extrapolated / run.cpu if run.cpu else 0.0
    result: dict[str, Any] = {
        "python": platform.python_version(), "processor": platform.processor(),
        "machine": platform.machine(), "cpu_count": os.cpu_count(),
        "load_average_at_start": load,
        "tickets": args.tickets, "hours": hours, "seed": args.seed,
        "new_tickets": wl.new_tickets, "events": n_events, "backlog_events": wl.warmup,
        "window_events": window_events, "event_types": wl.counts(),
        "severity_mix": wl.severities,
        "generation_wall_s": round(gen_s, 2),
        "engine": {"cpu_s": round(run.cpu, 3), "wall_s": round(run.wall, 3),
                   "backlog_cpu_s": round(run.cpu_warmup, 3),
                   "window_cpu_s": round(run.cpu_window, 3),
                   "window_wall_s": round(run.wall_window, 3),
                   "events_per_s": round(n_events / run.cpu),
                   "window_events_per_s": round(window_events / run.cpu_window),
                   "fires": run.fires, "window_fires": run.window_fires,
                   "fires_by_kind": dict(run.kinds.most_common()),
                   "heap_entries": heap, "heap_live": live,
                   "tracked_tickets": len(run.engine.tickets)},
        "exactness": exact.as_dict(),
        "baseline": {**naive.as_dict(hours), "extrapolated": True,
                     "ratio_vs_engine_window": round(ratio, 1),
                     "ratio_vs_engine_total": round(ratio_all, 1),
                     "target_ratio": TARGET_RATIO, "target_met": ratio >= TARGET_RATIO,
                     "cross_check": xc},
    }
    del run, naive
    _settle()
    mc_start = change_matrix_at_start(wl, base_matrix, modified).as_dict()
    result["matrix_change"] = {"at_start": mc_start, "at_end": mc_end,
                               "target_met": mc_start["target_met"] and mc_end["target_met"]}
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print_report(result, exact.examples)
    print("RESULT " + json.dumps(result, sort_keys=True))
    ok = (exact.duplicates == 0 and exact.mismatched == 0 and exact.missed == 0
          and exact.out_of_order == 0)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
