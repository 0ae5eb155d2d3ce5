"""``python -m benchmarks.reports``: a 90-day report over a year of history (100,000
tickets, about 1,000,000 events), from the rollup (``report_facts``) on the local SQLite
store and on PostgreSQL, against the baseline that folds every event in Python, in the
same run. Also: loading the year (projection and rollup kept as it is written), filling
the rollup of a store upgraded to 0008, and what the rollup adds to one write's fold.
PostgreSQL is a throwaway cluster (fsync off) unless $ESCALATION_CONSOLE_TEST_PG_URL
names a server; ``--no-pg`` skips it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from benchmarks.store_load import bulk_load
from benchmarks.sync.common import matrix, open_store

from .workload import START, tickets

TARGET_S = 2.0
WINDOW = (START + timedelta(days=200), START + timedelta(days=290))
NOW = START + timedelta(days=400)


def _timed(work: Callable[[], Any], runs: int = 1) -> tuple[float, Any]:
    """The median seconds of ``runs`` runs, and the last result."""
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def load(store: Any, count: int) -> int:
    from console.store.local import NewEvent

    return bulk_load(store, ([NewEvent(ticket, kind, payload, "bench", at)
                              for at, kind, payload in events]
                             for ticket, events in tickets(count)))


def baseline(store: Any) -> Any:
    """The report as without a rollup: read every event, fold every ticket, report."""
    from console.domain.engine import build_calendars
    from console.domain.reports import report, ticket_facts
    from console.domain.tickets import TicketEvent

    m = store.matrix
    calendars = build_calendars(m)
    with contextlib.closing(sqlite3.connect(store.path)) as conn:
        rows = conn.execute("SELECT ticket, kind, payload, author, at FROM events "
                            "ORDER BY ticket, hlc")
        import json
        from datetime import datetime

        facts, current, events = [], None, []
        for ticket, kind, payload, author, at in rows:
            if ticket != current and events:
                facts.append(ticket_facts(events, m, calendars))
                events = []
            current = ticket
            events.append(TicketEvent(datetime.fromisoformat(at), ticket, kind,
                                      json.loads(payload), author))
        if events:
            facts.append(ticket_facts(events, m, calendars))
    return report([f for f in facts if f is not None], *WINDOW, m.kpis)


def write_path(store: Any, sample: int = 2000) -> dict[str, float]:
    """One write refolds its ticket: the projection's fold and the rollup's, per ticket."""
    from console.domain.engine import build_calendars
    from console.domain.projection import project
    from console.domain.reports import ticket_facts
    from console.domain.tickets import TicketEvent

    m = store.matrix
    calendars = build_calendars(m)
    histories = [[TicketEvent(at, t, k, p, "bench") for at, k, p in events]
                 for t, events in tickets(sample, seed=99)]
    fold, _ = _timed(lambda: [project(h, m, calendars) for h in histories])
    facts, _ = _timed(lambda: [ticket_facts(h, m, calendars) for h in histories])
    return {"project_ms": fold / sample * 1000, "facts_ms": facts / sample * 1000}


def postgres(store: Any, local_report: Any) -> dict[str, Any]:
    from benchmarks.pgcluster import start_server
    from console.app.usecases.reports import load_report
    from console.store.server import SharedDatabase
    from console.store.shared_reports import SharedReports

    server = start_server()
    try:
        url = server.create_database("reports")
        db = SharedDatabase(url)
        db.migrate()
        engine = db.sqlalchemy_engine()
        try:
            t0 = time.perf_counter()
            cols = "id, ticket, kind, payload, author, device, hlc, at"
            with contextlib.closing(sqlite3.connect(store.path)) as src, \
                    engine.connect() as conn:
                raw = conn.connection.dbapi_connection
                assert raw is not None
                with raw.cursor() as cur, cur.copy(f"COPY events ({cols}) FROM STDIN") as cp:
                    for row in src.execute(f"SELECT {cols} FROM events ORDER BY hlc"):
                        cp.write_row(row)
                raw.commit()
            copy_s = time.perf_counter() - t0
            shared = SharedReports(engine, store.matrix)
            fill_s, folded = _timed(shared.refresh_all)
            idle_s, _ = _timed(shared.refresh_all, runs=3)
            report_s, r = _timed(lambda: load_report(shared, *WINDOW, now=NOW), runs=3)
            return {"copy_s": copy_s, "fill_s": fill_s, "folded": folded, "idle_s": idle_s,
                    "report_s": report_s, "same": r == local_report,
                    "version": db.check()}
        finally:
            engine.dispose()
            db.close()
    finally:
        server.stop()


def run(count: int, pg: bool) -> dict[str, Any]:
    from console.app.usecases.reports import catch_up, load_report

    out: dict[str, Any] = {"tickets": count}
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        store = open_store(Path(tmp) / "console", matrix())
        try:
            out["load_s"], out["events"] = _timed(lambda: load(store, count))
            out["report_s"], r = _timed(lambda: load_report(store, *WINDOW, now=NOW), runs=3)
            out["report_team_s"], _ = _timed(lambda: load_report(
                store, *WINDOW, team="specialists", now=NOW), runs=3)
            out["opened"], out["resolved"] = r.opened, r.resolved
            out["baseline_s"], b = _timed(lambda: baseline(store))
            out["same"] = b == r
            with contextlib.closing(sqlite3.connect(store.path)) as conn, conn:
                conn.execute("DELETE FROM report_facts")  # as a store upgraded to 0008
            out["fill_s"], _ = _timed(lambda: catch_up(store))
            out["write"] = write_path(store)
            if pg:
                out["pg"] = postgres(store, r)
        finally:
            store.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.reports")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    r = run(args.tickets, not args.no_pg)
    w = r["write"]
    print("Reports benchmark")
    print("=" * 72)
    print(f"Python {platform.python_version()} | {platform.machine()} | "
          f"cpu_count {os.cpu_count()}")
    print(f"history: {r['tickets']:,} tickets, {r['events']:,} events over a year "
          f"(loaded in {r['load_s']:.1f} s, projection and rollup included)")
    print(f"90-day window {WINDOW[0]:%Y-%m-%d}..{WINDOW[1]:%Y-%m-%d}: "
          f"{r['opened']:,} opened, {r['resolved']:,} resolved")
    verdict = "MET" if r["report_s"] <= TARGET_S else "NOT MET"
    print(f"report, SQLite rollup      {r['report_s']:8.2f} s   target <= {TARGET_S} s: "
          f"{verdict}")
    print(f"report, team filter        {r['report_team_s']:8.2f} s")
    print(f"baseline: fold every event {r['baseline_s']:8.2f} s   "
          f"({r['baseline_s'] / r['report_s']:.0f}x; same report: {r['same']})")
    print(f"fill after upgrade to 0008 {r['fill_s']:8.2f} s   (first report; start waits not)")
    print(f"write path: one ticket's fold {w['project_ms']:.3f} ms (projection) "
          f"+ {w['facts_ms']:.3f} ms (rollup)")
    if "pg" in r:
        p = r["pg"]
        verdict = "MET" if p["report_s"] <= TARGET_S else "NOT MET"
        print(f"PostgreSQL {p['version']}: COPY of the log {p['copy_s']:.1f} s, "
              f"rollup filled by refresh {p['fill_s']:.1f} s ({p['folded']:,} tickets), "
              f"refresh with nothing new {p['idle_s'] * 1000:.0f} ms")
        print(f"report, PostgreSQL rollup  {p['report_s']:8.2f} s   target <= {TARGET_S} s: "
              f"{verdict} (same report as SQLite: {p['same']})")


if __name__ == "__main__":
    main()
