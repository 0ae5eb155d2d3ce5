"""``python -m benchmarks.service.checkpoint``: the notification runner's start from the
engine's checkpoint against the full replay, at 100k, 300k and 1M events of history in
a local store. Target: the start from the checkpoint takes at most 5 s.

For each size a year of history (``history.year_of_rows``: about 8 events a ticket,
tickets of the last 3 days still open) is written straight into a fresh local store's
event log, then, in one run:

- full: a runner without a checkpoint starts (the start before this change);
- first: a runner with the checkpoint on starts (a full replay, then its first save);
- restart: ``--tail`` more events (new tickets, as the hours after the stop bring)
  land, and a runner starts from the checkpoint;
- save: what one periodic save costs the runner's thread (pickle and atomic write),
  here and at ``--open`` open tickets (the engine benchmark's workload), so paging is
  not stalled by it.

The cost is the replay; the service's whole start (sync, lease, HTTP) is measured
by ``benchmarks/service/start.py``. Prints figures, then one ``RESULT {json}`` line.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.engine.workload import generate
from console.app.matrices import load_matrix_file
from console.app.notify_ops import build_runner
from console.app.notify_secrets import StaticSecrets
from console.domain.engine import Engine
from console.domain.matrix.model import Matrix
from console.domain.tickets import Intake
from console.notify.checkpoint import FILE_NAME, EngineCheckpoint
from console.paths import default_matrix_path
from console.store.local import DB_NAME, LocalStore

from . import history

SIZES = (100_000, 300_000, 1_000_000)
TARGET = 5.0
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def say(text: str) -> None:
    print(text, flush=True)


def _fill(data_dir: Path, matrix: Matrix, rows: list[tuple[str, ...]]) -> None:
    """The rows straight into the event log (the runner reads the log only)."""
    LocalStore(data_dir, matrix, clock=lambda: NOW).open().close()
    with sqlite3.connect(data_dir / DB_NAME) as conn:
        conn.executemany(f"INSERT INTO events ({', '.join(history.COLUMNS)}) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    conn.close()


def _start(data_dir: Path, matrix: Matrix, *, checkpoint: bool) -> tuple[float, Any]:
    with LocalStore(data_dir, matrix, clock=lambda: NOW) as store:
        runner = build_runner(store, config={}, secrets=StaticSecrets({}), claims=None,
                              clock=lambda: NOW, sentiment=None, checkpoint=checkpoint)
        t0 = time.perf_counter()
        report = runner.start(NOW)
        seconds = time.perf_counter() - t0
        engine = runner.engine
        saved = runner.checkpoint
        return seconds, {"events": report.events,
                         "held": len(engine.tickets) if engine else 0,
                         "open_tickets": sum(t.state.open for t in engine.tickets.values())
                         if engine else 0,
                         "save_s": round(saved.save_seconds, 3) if saved else None,
                         "restored": bool(saved and saved.restored_cursor)}


def _tail_rows(count: int, start: int) -> list[tuple[str, ...]]:
    """About ``count`` events of new tickets opened in the hour before NOW."""
    rng, rows, n = random.Random(start), [], start
    while len(rows) < count:
        opened = NOW - timedelta(minutes=rng.uniform(5, 60))
        rows.extend(history.ticket_events(rng, n, opened, NOW))
        n += 1
    return sorted(rows, key=lambda r: r[6])


def run_size(events: int, matrix: Matrix, tail: int, root: Path) -> dict[str, Any]:
    rows = sorted(history.year_of_rows(events, NOW), key=lambda r: r[6])
    tickets = len({r[1] for r in rows})
    data_dir = root / f"store-{events}"
    _fill(data_dir, matrix, rows)
    say(f"{len(rows):,} events ({tickets:,} tickets) in {data_dir}")
    full_s, full = _start(data_dir, matrix, checkpoint=False)
    say(f"  full replay, no checkpoint: {full_s:6.2f} s ({full['held']:,} tickets held, "
        f"{full['open_tickets']:,} open)")
    first_s, first = _start(data_dir, matrix, checkpoint=True)
    size = (data_dir / FILE_NAME).stat().st_size
    say(f"  first start, then its save:  {first_s:6.2f} s (save {first['save_s']:.3f} s, "
        f"{size / 1024:,.0f} KiB)")
    extra = _tail_rows(tail, 10_000_000)
    _fill(data_dir, matrix, extra)
    restart_s, restart = _start(data_dir, matrix, checkpoint=True)
    verdict = "ok" if restart_s <= TARGET and restart["restored"] else "OVER TARGET"
    say(f"  restart from the checkpoint: {restart_s:6.2f} s, {restart['events']:,} events "
        f"replayed, {restart['open_tickets']:,} open [{verdict}, target <= {TARGET:.0f} s]")
    return {"events": len(rows), "tickets": tickets, "full_replay_s": round(full_s, 2),
            "first_start_s": round(first_s, 2), "first_save_s": first["save_s"],
            "checkpoint_bytes": size, "tail_events": restart["events"],
            "restart_s": round(restart_s, 3), "restored": restart["restored"],
            "open_tickets": restart["open_tickets"], "within_target": verdict == "ok"}


class _Log:
    def after(self, cursor: int) -> tuple[list[Any], int]:
        return [], cursor

    def tickets_events(self, tickets: Collection[str], upto: int) -> dict[str, list[Any]]:
        return {}

    def event_id(self, rowid: int) -> str | None:
        return None


def save_cost(open_tickets: int, matrix: Matrix, root: Path) -> dict[str, Any]:
    """One periodic save with ``open_tickets`` open (the engine benchmark's workload)."""
    workload = generate(open_tickets, 1.0, seed=7)
    opened = {e.ticket: Intake.from_data(e.data) for e in workload.events
              if e.type == "opened"}

    def intakes(ids: Collection[str]) -> dict[str, Intake]:
        return {i: opened[i] for i in ids if i in opened}

    engine = Engine(matrix, intakes=intakes)  # as the runner's: shared words, no text
    for e in workload.events:
        engine.apply(e)
    engine.advance_to(workload.end)
    checkpoint = EngineCheckpoint(root / "save-cost.checkpoint", _Log())
    times = []
    for _ in range(3):
        checkpoint.save(engine, {}, 0, workload.end, matrix)
        times.append(checkpoint.save_seconds)
    size = (root / "save-cost.checkpoint").stat().st_size
    t0 = time.perf_counter()
    restored = EngineCheckpoint(root / "save-cost.checkpoint", _Log()).restore(
        matrix, lambda: Engine(matrix, intakes=intakes), None)
    load_s = time.perf_counter() - t0
    assert restored is not None
    say(f"save at {len(engine.tickets):,} open tickets: {min(times):.3f} s "
        f"(best of 3), {size / 2**20:.1f} MiB; restore {load_s:.3f} s")
    return {"open_tickets": len(engine.tickets), "save_s": round(min(times), 3),
            "bytes": size, "restore_s": round(load_s, 3)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.service.checkpoint",
                                description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    p.add_argument("--tail", type=int, default=2_000, help="events after the checkpoint")
    p.add_argument("--open", type=int, default=50_000,
                   help="open tickets for the save's cost (0: skip)")
    p.add_argument("--quick", action="store_true", help="100,000 events, 10,000 open")
    args = p.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.quick:
        sizes, args.open = [100_000], 10_000
    matrix = load_matrix_file(default_matrix_path())
    result: dict[str, Any] = {"target_s": TARGET, "sizes": []}
    with tempfile.TemporaryDirectory(prefix="ckpt-bench-") as tmp:
        root = Path(tmp)
        for events in sizes:
            result["sizes"].append(run_size(events, matrix, args.tail, root))
        if args.open:
            result["save"] = save_cost(args.open, matrix, root)
    print("RESULT " + json.dumps(result), flush=True)
    return 0 if all(s["within_target"] for s in result["sizes"]) else 1


if __name__ == "__main__":
    sys.exit(main())
