"""``paging``: P1 deadlines with no console running, from the due instant to the
request received at a local PagerDuty-like server.

Two real ``serve`` instances (one active, one standing by) on the shared database, the
matrix of ``rig.short_p1_matrix`` published (P1 response ``--response`` seconds,
pre-breach at half of it, chain ack timeout ``response / 3``), and ``tickets`` P1s
opened through the intake API ``spacing`` seconds apart, so the deadlines are
staggered. Each ticket has three pages with a due instant known from its opening: the
response pre-breach, the breach (the chain's primary) and the chain's backup. Their
lateness (receipt at the server minus due) gives p50 and p99; the target is p99 <= 1 s.
Pages missing or triggered twice are counted.
"""

from __future__ import annotations

import signal
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.notify.fakes import FakeServices, wait_for

from . import rig

PD_PATH = "/pagerduty/v2/enqueue"


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def run(server: Any, *, tickets: int = 50, spacing: float = 0.5, response: int = 30,
        say: Any) -> dict[str, Any]:
    from benchmarks.sync.common import migrated
    from console.service.http.tokens import TokenStore
    from console.store.server import SharedDatabase
    from tests.service.conftest import ServeProcess, clean_env, config_file

    lead, ack = response // 2, max(5, response // 3)
    offsets = {rig.WARNING_KEY: response - lead, rig.PRIMARY_KEY: response,
               rig.BACKUP_KEY: response + ack}
    url = migrated(server)
    rig.publish_matrix(url, rig.short_p1_matrix(response, lead, ack))
    db = SharedDatabase(url)
    try:
        token = TokenStore(db).add("bench")
    finally:
        db.close()
    opened: dict[str, datetime] = {}
    with FakeServices() as services, tempfile.TemporaryDirectory(prefix="paging-") as tmp:
        services.routing_keys |= set(rig.ROUTING_KEYS.values())
        env = clean_env(**rig.secret_env())
        notify = {"pagerduty": {"events_url": services.pagerduty_url}}
        processes = []
        try:
            for name in ("pager-a", "pager-b"):
                config = config_file(Path(tmp), url, name, notify=notify,
                                     takeover_seconds=15)
                processes.append(ServeProcess(
                    ["serve", "--config", str(config), "--log-format", "json"], env))
                port = processes[-1].wait_ready()
            processes[0].wait_log(lambda e: e.get("role") == "active")
            say(f"paging: {tickets} P1s through the intake API, {spacing:g} s apart "
                f"(pre-breach +{response - lead} s, breach +{response} s, "
                f"backup +{response + ack} s)")
            for n in range(tickets):
                ticket, at = f"PAGE-{n:03d}", datetime.now(UTC)
                rig.post_events(port, token, rig.p1_event(ticket, at))  # to the standby
                opened[ticket] = at
                time.sleep(spacing)
            last_due = max(opened.values()) + timedelta(seconds=max(offsets.values()))

            def measured() -> dict[tuple[str, str], list[Any]]:
                first: dict[tuple[str, str], list[Any]] = {}
                for r in services.received(PD_PATH, 202):
                    if r.body.get("event_action") == "trigger":
                        first.setdefault((r.body["dedup_key"].split("/")[1],
                                          r.body["routing_key"]), []).append(r)
                return first

            wait_for(lambda: len(measured()) >= 3 * tickets,
                     (last_due - datetime.now(UTC)).total_seconds() + 30, interval=0.2)
            pages = measured()
        finally:
            for process in processes:
                process.signal(signal.SIGTERM)
                process.wait(30)
                process.close()
    late: dict[str, list[float]] = {key: [] for key in offsets}
    lost = 0
    for ticket, at in opened.items():
        for key, offset in offsets.items():
            got = pages.get((ticket, key))
            if not got:
                lost += 1
                continue
            due = at + timedelta(seconds=offset)
            late[key].append((rig.wall(got[0].at) - due).total_seconds())
    triggers = Counter(r.body["dedup_key"] for rs in pages.values() for r in rs)
    twice = sum(1 for count in triggers.values() if count > 1)  # same dedup key again
    every = [x for xs in late.values() for x in xs]
    out: dict[str, Any] = {"tickets": tickets, "pages": len(every), "lost": lost,
                           "triggered_twice": twice}
    if every:
        out.update(p50_s=round(percentile(every, 50), 3), p99_s=round(percentile(every, 99), 3),
                   max_s=round(max(every), 3), min_s=round(min(every), 3))
        out["by_page"] = {name: {"p50_s": round(percentile(xs, 50), 3),
                                 "p99_s": round(percentile(xs, 99), 3)}
                          for name, xs in zip(("pre_breach", "breach", "backup"),
                                              late.values(), strict=True) if xs}
        say(f"  due -> received at PagerDuty over {len(every)} pages: p50 "
            f"{out['p50_s']:.3f} s, p99 {out['p99_s']:.3f} s (target <= 1 s), max "
            f"{out['max_s']:.3f} s; {lost} lost, {twice} triggered twice")
    return out
