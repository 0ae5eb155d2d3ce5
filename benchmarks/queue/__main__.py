"""``python -m benchmarks.queue``: the live queue under load, offscreen.

On a queue of open tickets (50,000 by default) seeded by the demo seeder into a
temporary store and loaded as the console loads them (QueueRow.from_record):

- tick: GUI-thread time of one 1 Hz countdown tick with its paint, in the real
  MainWindow at 1920x1080, against the naive tick (dataChanged over every row's
  countdown columns through a dynamically sorted QSortFilterProxyModel);
- churn: the largest event-loop stall while 200 updates, 20 inserts and 20 closes a
  second flow into the window, with and without a filter;
- start-up: launch to first paint of the real app (its startup probe), and to the
  first paint that shows the queue (an in-process child);
- memory: resident memory of the real app holding the queue with its 1 Hz tick
  running, every minute for ``--memory-minutes``.

Prints readable figures, then one ``RESULT {json}`` line. Times are wall
(perf_counter) unless marked cpu (this thread's CPU time, immune to other load).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PARTS = ("tick", "churn", "startup", "memory")
TARGETS = {"tick_p99_ms": 4.0, "churn_max_stall_ms": 50.0, "startup_s": 2.0}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.queue",
                                description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tickets", type=int, default=None,
                   help="open tickets in the queue (default 50,000; 5,000 with --quick)")
    p.add_argument("--quick", action="store_true",
                   help="fewer ticks, 10 s churn, one start-up run, 1 minute of memory")
    p.add_argument("--parts", default=",".join(PARTS),
                   help=f"comma-separated subset of {','.join(PARTS)}")
    p.add_argument("--ticks", type=int, default=None, help="ticks measured (default 200)")
    p.add_argument("--baseline-ticks", type=int, default=None,
                   help="naive ticks measured (default 10; each re-sorts the whole queue)")
    p.add_argument("--churn-seconds", type=int, default=None, help="per churn run (default 30)")
    p.add_argument("--startup-runs", type=int, default=None, help="default 3")
    p.add_argument("--memory-minutes", type=float, default=None, help="default 10")
    p.add_argument("--data-dir", type=Path, default=None,
                   help="reuse a demo store seeded earlier (its countdowns age) instead of "
                        "seeding a fresh one")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = p.parse_args(argv)
    quick = args.quick
    args.tickets = args.tickets or (5_000 if quick else 50_000)
    args.ticks = args.ticks or (50 if quick else 200)
    args.baseline_ticks = args.baseline_ticks or (3 if quick else 10)
    args.churn_seconds = args.churn_seconds or (10 if quick else 30)
    args.startup_runs = args.startup_runs or (1 if quick else 3)
    args.memory_minutes = args.memory_minutes if args.memory_minutes is not None else (
        1.0 if quick else 10.0)
    args.parts = [x.strip() for x in args.parts.split(",") if x.strip()]
    unknown = set(args.parts) - set(PARTS)
    if unknown:
        p.error(f"unknown parts: {', '.join(sorted(unknown))}")
    return args


def say(text: str = "") -> None:
    print(text, flush=True)


def fmt(s: dict[str, Any]) -> str:
    return f"p50 {s['p50_ms']:.2f} ms, p99 {s['p99_ms']:.2f} ms, max {s['max_ms']:.2f} ms"


def child_env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["XDG_CONFIG_HOME"] = str(tmp / "config")  # fresh QSettings, no saved geometry
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


# -- in-process parts: tick and churn ----------------------------------------------------------
def run_in_process(args: argparse.Namespace, data_dir: Path, tmp: Path,
                   result: dict[str, Any]) -> None:
    from PySide6.QtWidgets import QApplication

    from .churn import run_churn
    from .common import BenchClock, load_rows, utc_now
    from .tick import measure_baseline, measure_columns_only, measure_ours

    app = QApplication.instance() or QApplication(["queue-benchmark"])
    rows, load_s = load_rows(data_dir)
    say(f"loaded {len(rows):,} QueueRows from the store (QueueRow.from_record) in {load_s:.2f} s")
    clock = BenchClock(utc_now())
    clock.fixed = clock.base
    from .common import build_window

    window, service = build_window(clock, data_dir, tmp / "settings.ini")
    window.show()
    t0 = time.perf_counter()
    window.reset_rows(rows)
    app.processEvents()
    result["load"] = {"rows": len(rows), "from_record_s": round(load_s, 2),
                      "reset_and_first_paint_s": round(time.perf_counter() - t0, 3)}
    try:
        if "tick" in args.parts:
            say("\n== tick: one 1 Hz countdown tick + its paint (GUI thread) ==")
            ours = measure_ours(app, window, clock, args.ticks)
            result["tick"] = {"ours": ours}
            say(f"ours   ({ours['ticks']} ticks, {ours['paints']} viewport paints, "
                f"{ours['visible_rows']} rows x {ours['visible_columns']} columns visible in "
                f"{ours['viewport'][0]}x{ours['viewport'][1]}):")
            say(f"   wall {fmt(ours)}")
            say(f"   cpu  {fmt(ours['cpu'])}")
            say(f"   target p99 <= {TARGETS['tick_p99_ms']} ms: "
                f"{'PASS' if ours['p99_ms'] <= TARGETS['tick_p99_ms'] else 'FAIL'}")
            say(f"   references taken from None per tick: {round(-ours['none_refs_per_tick'])}, "
                f"from True/False: {round(-ours['bool_refs_per_tick'])} "
                "(PySide6 6.12 refcount bug; see common.pin_none)")
            cols = measure_columns_only(app, window, clock, args.ticks)
            result["tick"]["experiment_countdown_columns_only"] = cols
            say(f"   experiment, not the app: repainting only the 3 countdown + SLA columns: "
                f"wall {fmt(cols)}; cpu {fmt(cols['cpu'])}")
        if "churn" in args.parts:
            say("\n== churn: 200 updates + 20 inserts + 20 closes per second, 1 Hz tick on ==")
            from console.ui.filter_value import QueueFilter

            runs = {}
            for name, per_second, flt in (
                    ("burst_1_batch_per_s", 1, None),
                    ("spread_10_batches_per_s", 10, None),
                    ("spread_10_per_s_filter_P1_P2", 10,
                     QueueFilter(severities=frozenset({"P1", "P2"})))):
                window.filters.set_filter(flt or QueueFilter())
                app.processEvents()
                run = run_churn(app, window, clock, rows, args.churn_seconds, per_second)
                runs[name] = run
                say(f"{name}: max stall {run['max_stall_ms']} ms "
                    f"({run['gaps_over_50ms']} gaps > 50 ms, p99 gap {run['p99_gap_ms']} ms); "
                    f"batch handler {fmt(run['batch_handler'])}; "
                    f"{run['batches_applied']}/{run['batches']} batches in {run['seconds']} s; "
                    f"rows {run['rows_before']:,} -> {run['rows_after']:,} "
                    f"(shown {run['shown_after']:,})")
            window.filters.set_filter(QueueFilter())
            app.processEvents()
            worst = max(r["max_stall_ms"] or 0 for r in runs.values())
            result["churn"] = {**runs, "max_stall_ms": worst}
            say(f"   target max stall <= {TARGETS['churn_max_stall_ms']} ms: "
                f"{'PASS' if worst <= TARGETS['churn_max_stall_ms'] else 'FAIL'}")
        if "tick" in args.parts:
            say("\n== tick baseline: dataChanged on every row's 3 countdown columns, "
                "dynamic sort by time left ==")
            base = measure_baseline(app, window, clock, args.baseline_ticks)
            ours = result["tick"]["ours"]
            result["tick"]["baseline"] = base
            result["tick"]["ratio_p50"] = round(base["p50_ms"] / ours["p50_ms"], 1)
            result["tick"]["ratio_p99"] = round(base["p99_ms"] / ours["p99_ms"], 1)
            say(f"naive  ({base['ticks']} ticks, {base['rows']:,} rows): wall {fmt(base)}; "
                f"cpu {fmt(base['cpu'])}")
            say(f"   baseline/ours: p50 x{result['tick']['ratio_p50']}, "
                f"p99 x{result['tick']['ratio_p99']}")
    finally:
        window.close()
        service.store.close()
        window.deleteLater()
        app.processEvents()


# -- child processes: start-up and memory ------------------------------------------------------
def run_startup(args: argparse.Namespace, data_dir: Path, tmp: Path,
                result: dict[str, Any]) -> None:
    say("\n== start-up: launch to first paint, real app, offscreen ==")
    env = child_env(tmp)
    probes, walls, children = [], [], []
    for i in range(args.startup_runs):
        probe = tmp / f"probe-{i}.txt"
        run_env = {**env, "ESCALATION_CONSOLE_STARTUP_PROBE": str(probe),
                   "ESCALATION_CONSOLE_STARTUP_PROBE_QUIT": "1"}
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "console", "--data-dir", str(data_dir),
                               "--local-only"], env=run_env, cwd=ROOT, capture_output=True,
                              text=True, timeout=300)
        wall = time.perf_counter() - t0
        if not probe.exists():
            say(f"   run {i + 1}: no probe written (exit {proc.returncode}): "
                f"{proc.stderr.strip()[-400:]}")
            continue
        probes.append(float(probe.read_text().strip()))
        walls.append(wall)
        say(f"   run {i + 1}: `python -m console --data-dir DIR --local-only` first paint of "
            f"the main window at {probes[-1]:.3f} s after exec (process exited after "
            f"{wall:.1f} s)")
    for i in range(args.startup_runs):
        proc = subprocess.run([sys.executable, "-m", "benchmarks.queue.first_paint",
                               str(data_dir)], env=env, cwd=ROOT, capture_output=True,
                              text=True, timeout=300)
        line = next((x for x in proc.stdout.splitlines() if x.startswith("{")), None)
        if line is None:
            say(f"   in-process run {i + 1} failed (exit {proc.returncode}): "
                f"{proc.stderr.strip()[-400:]}")
            continue
        marks = json.loads(line)
        children.append(marks)
        say("   in-process run {}: before import PySide6 {:.3f} s, QApplication {:.3f} s, "
            "window built {:.3f} s, first paint {:.3f} s, rows loaded {}, first paint "
            "showing the queue {} ({} rows)".format(
                i + 1, marks["before_qt"], marks["app"], marks["built"],
                marks.get("first_paint", float("nan")),
                f"{marks['rows_loaded']:.3f} s" if "rows_loaded" in marks else "never",
                f"{marks['first_paint_with_rows']:.3f} s"
                if "first_paint_with_rows" in marks else "never",
                f"{marks.get('rows', 0):,}"))
    out: dict[str, Any] = {"probe_first_paint_s": probes, "probe_process_wall_s":
                           [round(w, 2) for w in walls], "in_process": children}
    if probes:
        out["first_paint_median_s"] = round(statistics.median(probes), 3)
        say(f"   median first paint (app probe): {out['first_paint_median_s']:.3f} s; target "
            f"<= {TARGETS['startup_s']} s: "
            f"{'PASS' if out['first_paint_median_s'] <= TARGETS['startup_s'] else 'FAIL'}")
    with_rows = [m["first_paint_with_rows"] for m in children if "first_paint_with_rows" in m]
    if with_rows:
        out["first_paint_with_rows_median_s"] = round(statistics.median(with_rows), 3)
        say(f"   median first paint showing all rows: "
            f"{out['first_paint_with_rows_median_s']:.3f} s")
    result["startup"] = out


def run_memory(args: argparse.Namespace, data_dir: Path, tmp: Path,
               result: dict[str, Any]) -> None:
    say(f"\n== memory: the real app holding the queue, 1 Hz tick, "
        f"{args.memory_minutes:g} min ==")
    cmd = [sys.executable, "-m", "benchmarks.queue.hold", str(data_dir),
           str(args.memory_minutes)]
    samples: list[dict[str, Any]] = []
    with subprocess.Popen(cmd, env=child_env(tmp), cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            if not line.startswith("{"):
                continue
            sample = json.loads(line)
            samples.append(sample)
            if "error" in sample:
                say(f"   error: {sample['error']}")
                continue
            say(f"   {sample['label']:>6} t={sample['t_s']:6.1f} s  VmRSS {sample['rss_mb']:7.1f}"
                f" MiB  ru_maxrss {sample['maxrss_mb']:7.1f} MiB  rows {sample['rows']:,}  "
                f"ticks {sample['ticks']}")
        _, stderr = proc.communicate()
    rss = [s for s in samples if "rss_mb" in s]
    out: dict[str, Any] = {"minutes": args.memory_minutes, "exit_code": proc.returncode,
                           "samples": rss}
    if proc.returncode != 0:
        tail = stderr.strip().splitlines()[-3:]
        say(f"   the process exited with {proc.returncode}: {' | '.join(tail)}")
        out["stderr_tail"] = tail
    if len(rss) >= 2:
        start, end = rss[0], rss[-1]
        out.update(start_rss_mb=start["rss_mb"], end_rss_mb=end["rss_mb"],
                   growth_mb=round(end["rss_mb"] - start["rss_mb"], 1),
                   maxrss_mb=end["maxrss_mb"])
        span = max(end["t_s"] - start["t_s"], 1e-9)
        drain = (start["none_refs"] - end["none_refs"]) / span
        out["none_refs_lost_per_s"] = round(drain, 1)
        say(f"   RSS start {start['rss_mb']} MiB -> end {end['rss_mb']} MiB "
            f"(growth {out['growth_mb']} MiB), ru_maxrss {end['maxrss_mb']} MiB; "
            f"None lost {drain:.0f} refs/s (pinned: {start['pinned']})")
    result["memory"] = out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before any QApplication
    tmp = Path(tempfile.mkdtemp(prefix="queue-bench-"))
    os.environ["XDG_CONFIG_HOME"] = str(tmp / "config")
    from .common import pin_none, seed_dataset, utc_now

    pinned = pin_none()
    import PySide6

    result: dict[str, Any] = {
        "tickets": args.tickets, "quick": args.quick, "parts": args.parts,
        "python": platform.python_version(), "pyside6": PySide6.__version__,
        "platform": "offscreen", "cpus": os.cpu_count(),
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
        "refcount_workaround": pinned, "targets": TARGETS,
    }
    say(f"queue benchmark: {args.tickets:,} open tickets, Python {result['python']}, "
        f"PySide6 {result['pyside6']}, QT_QPA_PLATFORM=offscreen, {result['cpus']} CPUs, "
        f"load average {result['loadavg_start']}")
    if pinned:
        say("PySide6 refcount workaround on: None/True/False pinned (see common.pin_none)")
    try:
        if args.data_dir is not None:
            data_dir = args.data_dir
            result["dataset"] = {"reused": str(data_dir)}
            say(f"reusing the demo store in {data_dir}")
        else:
            data_dir = tmp / f"demo-{args.tickets}"
            say(f"seeding {args.tickets:,} open tickets with demo.seed_demo ...")
            result["dataset"] = seed_dataset(data_dir, args.tickets, utc_now())
            say(f"seeded in {result['dataset']['seed_s']} s "
                f"({result['dataset']['db_mb']} MiB store)")
        if {"tick", "churn"} & set(args.parts):
            run_in_process(args, data_dir, tmp, result)
        if "startup" in args.parts:
            run_startup(args, data_dir, tmp, result)
        if "memory" in args.parts:
            run_memory(args, data_dir, tmp, result)
    finally:
        result["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
        if args.keep:
            say(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    say()
    say("RESULT " + json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
