"""``python -m benchmarks.sync``: the shared-database sync, end to end.

(a) drain 10,000 queued events from one local store to PostgreSQL; (b) five consoles
as five processes writing 100 updates a second in total, each running Syncer.run:
latency from one console's local commit to another console's projection; (c) the
latency of one local event write (a ~2 KB handoff). PostgreSQL is a throwaway cluster
(fsync off) unless $ESCALATION_CONSOLE_TEST_PG_URL names a server.

With --people, (a) and (b) run twice: without enforcement (the superuser, the
permission triggers disabled) and with it (each console its own agent login, the
triggers on), and the report gives both and their ratio (benchmarks/sync/people.py).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.pgcluster import PgCluster, start_server

from . import drain, fleet, local_write
from .common import filesystem_of


def _yes(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def print_report(r: dict[str, Any]) -> None:
    d, f, w = r["drain"], r["fleet"], r["local_write"]
    print("Sync benchmark")
    print("=" * 72)
    print(f"Python {r['python']} | {r['machine']} | cpu_count {r['cpu_count']} | "
          f"PostgreSQL {r['postgres']} ({r['server']}) | local store on {r['local_fs']}")
    print()
    print(f"(a) Drain {d['queued']:,} queued events to PostgreSQL (batches of {d['batch']:,})")
    print(f"    pushed {d['pushed']:,} in {d['seconds']:.2f} s = {d['events_per_s']:,} events/s; "
          f"{d['on_server']:,} on the server, {d['pending_after']} left in the outbox")
    print(f"    (pulling them back as echoes took {d['pull_back_seconds']:.2f} s)")
    print(f"    target <= {d['target_s']:g} s: {_yes(d['target_met'])}")
    print()
    print(f"(b) {f['consoles']} consoles, {f['rate_per_s']:g} updates/s in total for "
          f"{f['duration_s']:g} s ({f['updates_sent']:,} updates)")
    print(f"    commit -> another console's projection: p50 {f['p50_ms']:.1f} ms, "
          f"p95 {f['p95_ms']:.1f} ms, p99 {f['p99_ms']:.1f} ms, max {f['max_ms']:.1f} ms")
    print(f"    deliveries {f['deliveries_seen']:,} of {f['deliveries_expected']:,} expected; "
          f"{f['pending_at_end']} left in outboxes")
    consoles_cpu = sum(f["console_cpu_s"]) / (f["duration_s"] + 3)
    print(f"    CPU: the consoles used {consoles_cpu:.2f} of {f['cpu_count']} CPUs; the whole "
          f"machine was {f['machine_busy_cpus']:.2f} CPUs busy (consoles, PostgreSQL, others)")
    lw = f["local_write_under_load"]
    print(f"    local writes meanwhile: p50 {lw['p50_ms']:.2f} ms, p95 {lw['p95_ms']:.2f} ms")
    print(f"    targets p50 <= {f['target_p50_ms']:g} ms, p99 <= {f['target_p99_ms']:g} ms: "
          f"{_yes(f['target_met'])}")
    print()
    print(f"(c) Local event write: a {w['payload_bytes']:,}-byte handoff, {w['n']:,} writes "
          f"over {w['tickets']} tickets (synchronous=FULL)")
    print(f"    p50 {w['p50_ms']:.2f} ms, p95 {w['p95_ms']:.2f} ms, p99 {w['p99_ms']:.2f} ms, "
          f"max {w['max_ms']:.2f} ms")
    print(f"    target p95 <= {w['target_p95_ms']:g} ms: {_yes(w['target_met'])}")
    if "enforced" in r:
        print_enforcement(r)


def print_enforcement(r: dict[str, Any]) -> None:
    """(a) and (b) without the server's permission checks, against with them."""
    off, on = r, r["enforced"]
    print()
    print("Enforcement: without (superuser, permission triggers disabled: (a), (b) above) "
          "against with (each console its own agent login, triggers on)")
    rows = [("(a) push, events/s", off["drain"]["events_per_s"], on["drain"]["events_per_s"]),
            ("(a) push, seconds", off["drain"]["seconds"], on["drain"]["seconds"]),
            ("(a) pull back, seconds", off["drain"]["pull_back_seconds"],
             on["drain"]["pull_back_seconds"])]
    rows += [(f"(b) commit -> other console {q}, ms", off["fleet"][f"{q}_ms"],
              on["fleet"][f"{q}_ms"]) for q in ("p50", "p95", "p99")]
    print(f"    {'':36} {'without':>10} {'with':>10} {'with/without':>13}")
    for name, a, b in rows:
        print(f"    {name:36} {a:>10,} {b:>10,} {b / a if a else float('nan'):>13.2f}")
    f = on["fleet"]
    print(f"    with: deliveries {f['deliveries_seen']:,} of {f['deliveries_expected']:,}, "
          f"{f['pending_at_end']} left in outboxes, {on['drain']['pending_after']} left after "
          f"the drain; p99 <= {f['target_p99_ms']:g} ms: {_yes(f['target_met'])}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.sync", description=__doc__)
    p.add_argument("--events", type=int, default=10_000, help="(a) events to drain")
    p.add_argument("--consoles", type=int, default=5, help="(b) console processes")
    p.add_argument("--rate", type=float, default=100.0, help="(b) updates/s, all consoles")
    p.add_argument("--duration", type=float, default=20.0, help="(b) seconds of load")
    p.add_argument("--writes", type=int, default=1000, help="(c) timed local writes")
    p.add_argument("--quick", action="store_true", help="2,000 events, 5 s, 200 writes")
    p.add_argument("--people", action="store_true",
                   help="(a) and (b) without and with the server's permission checks")
    args = p.parse_args(argv)
    if args.quick:
        args.events, args.duration, args.writes = 2000, 5.0, 200
    try:
        server = start_server()
    except LookupError as exc:
        print(f"cannot run: {exc}", file=sys.stderr)
        return 2
    try:
        with server.admin() as conn:
            version = conn.execute("SHOW server_version").fetchone()[0].split()[0]
        result: dict[str, Any] = {
            "python": platform.python_version(), "machine": platform.machine(),
            "cpu_count": os.cpu_count(), "postgres": version,
            "server": "throwaway cluster, fsync off" if isinstance(server, PgCluster)
            else "external server",
            "local_fs": filesystem_of(Path(tempfile.gettempdir())),
        }
        base = "off" if args.people else "superuser"
        result["drain"] = drain.run(server, events=args.events, mode=base)
        result["fleet"] = fleet.run(server, consoles=args.consoles, total_rate=args.rate,
                                    duration=args.duration, mode=base)
        if args.people:
            result["enforced"] = {
                "drain": drain.run(server, events=args.events, mode="people"),
                "fleet": fleet.run(server, consoles=args.consoles, total_rate=args.rate,
                                   duration=args.duration, mode="people")}
        result["local_write"] = local_write.run(writes=args.writes)
    finally:
        if isinstance(server, PgCluster):
            server.remove()
    print_report(result)
    print("RESULT " + json.dumps(result, sort_keys=True))
    ok = all(result[k]["target_met"] for k in ("drain", "fleet", "local_write"))
    ok = ok and all(v["target_met"] for v in result.get("enforced", {}).values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
