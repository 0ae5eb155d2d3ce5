"""``python -m benchmarks.service``: a year of history in the shared database.

Parts (``--parts``, comma-separated):
- first-connect: a desktop console's first connect at ``--events`` events (default
  1,000,000): open tickets first against the whole log first, same run.
- start: ``serve`` from spawn to ready to page (cold and warm) at ``--sizes`` events,
  against the full replay of the log, same run (start.py).
- paging: P1 deadlines with no console running, due instant -> request received at a
  local PagerDuty-like server, p50 and p99 over ``--tickets`` P1s (paging.py).
- failover: takeover after kill -9 of the active ``serve``, ``--kills`` times at
  ``--ttl`` (default 15 s), lost and duplicated pages counted (failover.py).

A throwaway PostgreSQL cluster (fsync off) holds the log unless
$ESCALATION_CONSOLE_TEST_PG_URL names a server. Prints figures, then one
``RESULT {json}`` line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from benchmarks.pgcluster import PgCluster, start_server
from benchmarks.sync.common import migrated

from . import failover, first_connect, history, paging, start

PARTS = ("first-connect", "start", "paging", "failover")


def say(text: str) -> None:
    print(text, flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.service", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--events", type=int, default=1_000_000, help="events in the log")
    p.add_argument("--parts", default=",".join(PARTS))
    p.add_argument("--baseline-events", type=int, default=100_000,
                   help="events the whole-log pull is timed over (then extrapolated)")
    p.add_argument("--full-baseline", action="store_true",
                   help="time the whole-log pull over every event (minutes at 1M)")
    p.add_argument("--history", action="store_true",
                   help="also pull the history after the first paint, to completion")
    p.add_argument("--quick", action="store_true", help="100,000 events, 20,000 baseline")
    p.add_argument("--sizes", default=",".join(str(n) for n in start.SIZES),
                   help="start: the log sizes, comma-separated")
    p.add_argument("--tickets", type=int, default=50, help="paging: P1s opened")
    p.add_argument("--kills", type=int, default=20, help="failover: kills -9")
    p.add_argument("--ttl", type=float, default=15.0, help="failover: takeover_seconds")
    args = p.parse_args(argv)
    if args.quick:
        args.events, args.baseline_events = 100_000, 20_000
    parts = [x.strip() for x in args.parts.split(",") if x.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        p.error(f"unknown part(s): {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    server = start_server()
    result: dict[str, object] = {}
    try:
        if "first-connect" in parts:
            url = migrated(server)
            t0 = time.perf_counter()
            loaded = history.load(url, args.events, first_connect.now_utc())
            say(f"loaded {loaded:,} events (a year of history) in "
                f"{time.perf_counter() - t0:.1f} s")
            result["first_connect"] = first_connect.run(
                url, loaded, baseline_events=args.baseline_events,
                full_baseline=args.full_baseline, history=args.history, say=say)
        if "start" in parts:
            sizes = tuple(int(x) for x in args.sizes.split(",") if x.strip())
            result["start"] = start.run(server, sizes, say)
        if "paging" in parts:
            result["paging"] = paging.run(server, tickets=args.tickets, say=say)
        if "failover" in parts:
            result["failover"] = failover.run(server, kills=args.kills, ttl=args.ttl, say=say)
    finally:
        if isinstance(server, PgCluster):
            server.remove()
    print("RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
