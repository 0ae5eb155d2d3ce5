"""``python -m benchmarks.service``: a year of history in the shared database.

Parts (``--parts``, comma-separated):
- first-connect: a desktop console's first connect at ``--events`` events (default
  1,000,000): open tickets first against the whole log first, same run.

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

from . import first_connect, history

PARTS = ("first-connect",)


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
        url = migrated(server)
        t0 = time.perf_counter()
        loaded = history.load(url, args.events, first_connect.now_utc())
        say(f"loaded {loaded:,} events (a year of history) in {time.perf_counter() - t0:.1f} s")
        if "first-connect" in parts:
            result["first_connect"] = first_connect.run(
                url, loaded, baseline_events=args.baseline_events,
                full_baseline=args.full_baseline, history=args.history, say=say)
    finally:
        if isinstance(server, PgCluster):
            server.remove()
    print("RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
