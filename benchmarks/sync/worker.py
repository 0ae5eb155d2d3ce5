"""One console of the fleet benchmark: ``python -m benchmarks.sync.worker ...``.

Opens its own data dir, runs Syncer.run in a thread, opens its tickets, prints
``ready`` and waits for ``go START`` on stdin. From the wall-clock instant START it
appends ``rate`` updates a second for ``duration`` seconds, each carrying its commit
time (time.time(), comparable across processes on one machine), and wakes the
syncer after each. Every event from another console that reaches this projection
(on_pulled runs after the ingest transaction committed) records now - sent. At the
end it writes its figures as JSON to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import threading
import time
from pathlib import Path

from .common import open_store, opened


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--data-dir", required=True)
    p.add_argument("--url", required=True)
    p.add_argument("--author", default="bench", help="the author of its events (its login)")
    p.add_argument("--index", type=int, required=True)
    p.add_argument("--consoles", type=int, required=True)
    p.add_argument("--rate", type=float, required=True, help="updates per second, this console")
    p.add_argument("--duration", type=float, required=True)
    p.add_argument("--tickets", type=int, default=20, help="tickets each console opens")
    p.add_argument("--settle", type=float, default=3.0, help="seconds to keep pulling after")
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)

    from console.store.sync import Syncer

    store = open_store(Path(args.data_dir))
    latencies: list[float] = []
    received = {"events": 0}

    def on_pulled(events) -> None:  # type: ignore[no-untyped-def]
        now = time.time()
        for e in events:
            received["events"] += 1
            sent = e.payload.get("sent")
            if sent is not None:
                latencies.append(now - sent)

    syncer = Syncer(store, args.url, on_pulled=on_pulled)
    stop = threading.Event()
    thread = threading.Thread(target=syncer.run, args=(stop,), daemon=True)
    thread.start()
    mine = [f"C{args.index}-T{k}" for k in range(args.tickets)]
    for ticket in mine:
        store.append(ticket, "opened", opened(f"console {args.index} {ticket}"),
                     args.author)
    syncer.wake()
    while syncer.state.status != "online":
        time.sleep(0.01)
    print("ready", flush=True)
    start = float(sys.stdin.readline().split()[1])
    cpu_before = _cpu()
    everyone = [f"C{c}-T{k}" for c in range(args.consoles) for k in range(args.tickets)]
    rng = random.Random(args.index)
    interval, n = 1.0 / args.rate, 0
    writes: list[float] = []
    while True:
        due = start + n * interval
        if due >= start + args.duration:
            break
        delay = due - time.time()
        if delay > 0:
            time.sleep(delay)
        t0 = time.perf_counter()
        store.append(rng.choice(everyone), "message",
                     {"text": f"update {n} from console {args.index}", "sent": time.time()},
                     args.author)
        writes.append(time.perf_counter() - t0)
        syncer.wake()
        n += 1
    time.sleep(args.settle)
    cpu_load = _cpu() - cpu_before
    stop.set()
    thread.join(10)
    pending = store.pending()
    syncer.close()
    store.close()
    Path(args.out).write_text(json.dumps({
        "cpu_s": cpu_load, "index": args.index, "sent": n, "received": received["events"],
        "latencies": latencies, "pending": pending, "writes": writes}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
