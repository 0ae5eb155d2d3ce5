"""A desktop console's first connect to a shared database holding a year of history.

Measured in one run on the same database:
- open tickets first (what the console does): the snapshot of the open tickets' events
  and the matrix versions, ingested and projected, then the queue read as the console
  reads it for its first paint (``store.tickets()``); target <= 60 s at 1,000,000 events;
- the old way, for comparison: a pull of the whole log in seq order before the first
  paint, timed over ``--baseline-events`` events and extrapolated to the log's size
  (``--full-baseline`` times all of it);
- the history pulled afterwards in the background (``--history``), to completion.
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.sync.common import matrix, open_store
from console.store.sync import Syncer


def _connect(url: str, data_dir: Path, the_matrix: Any, *, snapshot: bool,
             history: bool = False, max_events: int | None = None) -> dict[str, Any]:
    store = open_store(data_dir, the_matrix)
    try:
        with Syncer(store, url, snapshot_min_events=0 if snapshot else None) as syncer:
            t0 = time.perf_counter()
            if max_events is None:
                pulled = syncer.pull()
            else:
                pulled = syncer.pull(max_batches=max(1, max_events // syncer.batch))
            pulled_s = time.perf_counter() - t0
            rows = store.tickets()
            paint_s = time.perf_counter() - t0
            out: dict[str, Any] = {"pull_s": round(pulled_s, 2),
                                   "to_first_paint_s": round(paint_s, 2),
                                   "tickets_shown": len(rows),
                                   "open_shown": sum(1 for r in rows if r.status != "resolved"),
                                   "events_pulled": pulled}
            left = syncer.history_left()
            out["history_left"] = 0 if left is None else max(0, left[1] - pulled)
            if history and left is not None:
                t1 = time.perf_counter()
                syncer.pull_history()
                out["history_s"] = round(time.perf_counter() - t1, 2)
            return out
    finally:
        store.close()


def run(url: str, events: int, *, baseline_events: int, full_baseline: bool,
        history: bool, say: Any) -> dict[str, Any]:
    the_matrix = matrix()
    result: dict[str, Any] = {"events": events}
    with tempfile.TemporaryDirectory(prefix="first-connect-") as tmp:
        say(f"open tickets first, {events:,} events in the log ...")
        snap = _connect(url, Path(tmp) / "snapshot", the_matrix, snapshot=True, history=history)
        result["open_first"] = snap
        say(f"  first paint after {snap['to_first_paint_s']} s: {snap['open_shown']:,} open "
            f"tickets shown ({snap['events_pulled']:,} events pulled); "
            f"about {snap['history_left']:,} events of history left for later"
            + (f" (pulled in {snap['history_s']} s)" if "history_s" in snap else ""))
        size = events if full_baseline else min(baseline_events, events)
        say(f"the whole log in seq order, {size:,} events ...")
        t0 = time.perf_counter()
        full = _connect(url, Path(tmp) / "full", the_matrix, snapshot=False,
                        max_events=None if full_baseline else size)
        wall = time.perf_counter() - t0
        rate = full["events_pulled"] / max(full["pull_s"], 1e-9)
        full["events_per_s"] = round(rate)
        full["extrapolated_to_all_s"] = round(events / rate, 1)
        result["whole_log_first"] = full
        say(f"  {full['events_pulled']:,} events in {full['pull_s']} s ({rate:,.0f}/s, "
            f"wall {wall:.1f} s): the whole log would take {full['extrapolated_to_all_s']} s "
            f"before the first paint")
    return result


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
