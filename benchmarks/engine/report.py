"""The human-readable block the benchmark prints before its ``RESULT`` line."""

from __future__ import annotations

from typing import Any


def _yes(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def _kv(items: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}"
                     for k, v in items.items()) or "none"


def print_report(r: dict[str, Any], examples: list[str]) -> None:
    e, x, m, b = r["engine"], r["exactness"], r["matrix_change"], r["baseline"]
    xc = b["cross_check"]
    hours, minutes = r["hours"], b["minutes_measured"]
    out = print
    out("Escalation engine benchmark")
    out("=" * 72)
    out(f"Python {r['python']} | processor {r['processor'] or '?'} ({r['machine']}) | "
        f"cpu_count {r['cpu_count']} | load average at start "
        f"{'/'.join(str(v) for v in r['load_average_at_start'])}")
    out(f"Workload: seed {r['seed']}; {r['tickets']:,} tickets open at the start, "
        f"{r['new_tickets']:,} opened during {hours:g} h")
    out(f"  {r['events']:,} events: {r['backlog_events']:,} in the 2-day backlog, "
        f"{r['window_events']:,} in the {hours:g} h window "
        f"(generated in {r['generation_wall_s']} s wall, not timed)")
    total = r["tickets"] + r["new_tickets"]
    resolved = r["event_types"].get("resolved", 0)
    mix = ", ".join(f"{k} {v / total:.0%}" for k, v in r["severity_mix"].items())
    out(f"  severity mix: {mix}; resolved by the end: {resolved:,} of {total:,} "
        f"({resolved / total:.0%})")
    out(f"  by type: {_kv(dict(sorted(r['event_types'].items(), key=lambda i: -i[1])))}")
    out("")
    out("Engine run (apply every event in time order, then advance_to(end))")
    out(f"  CPU {e['cpu_s']:.2f} s (backlog {e['backlog_cpu_s']:.2f} s + window "
        f"{e['window_cpu_s']:.2f} s), wall {e['wall_s']:.2f} s")
    out(f"  throughput {e['events_per_s']:,} events/s CPU overall, "
        f"{e['window_events_per_s']:,} events/s in the window")
    out(f"  fires {e['fires']:,} ({e['window_fires']:,} in the window): "
        f"{_kv(e['fires_by_kind'])}")
    out(f"  timer heap at the end: {e['heap_entries']:,} entries, {e['heap_live']:,} live "
        f"({e['heap_entries'] - e['heap_live']:,} stale); tickets tracked "
        f"{e['tracked_tickets']:,}; peak RSS {r['peak_rss_mb']:,} MB")
    out("")
    out("Exactness of SLA fires (independent replay of each ticket's events)")
    out(f"  SLA fires {x['sla_fires']:,}: on time {x['on_time']:,}, late by construction "
        f"{x['late_by_construction']:,}, mismatched {x['mismatched']:,}")
    out(f"  breach fires not at extra['due'] (and not late): {x['breach_due_mismatch']:,}")
    out(f"  duplicates (ticket, kind, clock, cycle): {x['duplicates']:,} (must be 0); "
        f"out-of-order fires: {x['out_of_order']:,}")
    out(f"  missed deadlines (final clocks): {x['missed']:,}; breached retroactively "
        f"without an alert: {x['retroactive_unalerted']:,}")
    if x["retroactive_unalerted"]:
        out(f"    which: {_kv(x['retroactive_kinds'])}")
        out("    (a later severity change moved the deadline before the instant the clock had "
            "already\n    stopped at: the clock reads breached, but nothing ever fired)")
    if x["late_by_construction"]:
        out(f"  late by construction: mean {x['late_mean_s']:,} s, max {x['late_max_s']:,} s "
            f"after the instant; caused by the ticket's event at the fire instant: "
            f"{_kv(x['late_causes'])}")
        out(f"    which: {_kv(x['late_kinds'])}")
        out("    (the event moved the deadline to an instant already in the past, e.g. a "
            "severity\n    upgrade on an old ticket; the engine fires it at once, "
            "flagged late)")
    for line in examples:
        out(f"  ! {line}")
    out("")
    out("Matrix change (set_matrix: P2 response 1h -> 45m, P3 response 24h -> 20h)")
    for when, label in (("at_start", "at the start, all backlog tickets open (fresh engine "
                                     "fed the backlog)"),
                        ("at_end", "after the run (the engine from the run above)")):
        _matrix_change(m[when], label)
    out("")
    out(f"Naive baseline (rescan every open ticket every simulated minute), "
        f"EXTRAPOLATED from {minutes} measured minutes")
    out(f"  measured: {minutes} min, {b['open_tickets']:,} open tickets, {b['events']:,} events,"
        f" CPU {b['cpu_s']:.2f} s (wall {b['wall_s']:.2f} s) = "
        f"{b['cpu_per_minute_s']:.3f} s per simulated minute")
    out(f"  extrapolated to {hours:g} h ({int(hours * 60):,} min): "
        f"{b['extrapolated_cpu_s']:,.0f} s CPU (linear, not run)")
    out(f"  ratio baseline/engine (same {hours:g} h window): "
        f"{b['ratio_vs_engine_window']:,}x; target >= {b['target_ratio']:g}x: "
        f"{_yes(b['target_met'])}")
    out(f"  ratio against the engine's whole run incl. the backlog replay: "
        f"{b['ratio_vs_engine_total']:,}x")
    out(f"  cross-check of the first {minutes} min: {xc['matched']:,} SLA fires in both, "
        f"{xc['engine_only']:,} engine only, {xc['baseline_only']:,} baseline only; "
        f"baseline late by {xc['baseline_late_mean_s']} s on average "
        f"(max {xc['baseline_late_max_s']} s)")
    if xc["engine_only"]:
        out(f"    engine only (the cycle ended before the next scan, so the baseline never "
            f"alerted): {_kv(xc['engine_only_why'])}")
    if xc["baseline_only"]:
        out(f"    baseline only (a severity change moved a stopped clock's deadline into the "
            f"past; the engine does not alert): {_kv(xc['baseline_only_why'])}")
    out("=" * 72)


def _matrix_change(m: dict[str, Any], label: str) -> None:
    out = print
    out(f"  {label}:")
    out(f"    {m['deadlines']:,} deadlines recomputed ({m['running_deadlines']:,} still "
        f"running) for {m['open_tickets']:,} open tickets ({m['tracked_tickets']:,} tracked)")
    out(f"    CPU {m['cpu_s']:.3f} s, wall {m['wall_s']:.3f} s, "
        f"{m['deadlines_per_s']:,} deadlines/s CPU; projected "
        f"{m['projected_s_per_150k']:.2f} s per 150,000 deadlines; target <= 2 s: "
        f"{_yes(m['target_met'])}")
    out(f"    deadlines moved: {_kv(m['moved'])}")
    out(f"    fires released at once (deadlines now in the past): {m['released_fires']:,}, "
        f"all flagged late: {m['released_late'] == m['released_fires']}")
