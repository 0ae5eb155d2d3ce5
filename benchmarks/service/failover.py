"""``failover``: the takeover after ``kill -9`` of the active ``serve``, over ``kills``
kills, with lost and duplicated pages counted at a local PagerDuty-like server.

Two real instances on the shared database (default matrix: a P1 pages the on-call
and, as a cc, the CTO, at once) while a helpdesk opens a P1 through the intake API
every ``every`` seconds (``rig.Helpdesk``: a post to the dying instance is sent again,
same event id, to the other). At a random moment (seeded) the lease holder is killed
with -9; the failover time is from the kill to the lease row naming the other
instance, live; the killed one is started again, so two always run. At the end:
every accepted P1 should have its two alerts (a missing one is lost), each dedup key
triggered once on the wire (repeats are counted; PagerDuty folds them into the one
alert) and each alert raised once. The time from each P1's 200 at the intake API to its
first page shows what a takeover costs the person waiting (it delays, never drops).
"""

from __future__ import annotations

import random
import signal
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.notify.fakes import FakeServices, wait_for

from . import rig
from .paging import PD_PATH, percentile


def run(server: Any, *, kills: int = 20, ttl: float = 15.0, every: float = 1.0,
        seed: int = 2024, say: Any) -> dict[str, Any]:
    from benchmarks.sync.common import migrated
    from console.service.http.tokens import TokenStore
    from console.store.lease import current_lease
    from console.store.server import SharedDatabase
    from tests.service.conftest import ServeProcess, clean_env, config_file

    rng = random.Random(seed)
    url = migrated(server)
    db = SharedDatabase(url)
    token = TokenStore(db).add("helpdesk")
    env = clean_env(ESCALATION_SECRET_NOTIFY_PAGERDUTY_ENGINEERING_ONCALL="R-ONCALL",
                    ESCALATION_SECRET_NOTIFY_PAGERDUTY_EXECUTIVE_ESCALATION="R-EXEC")

    def live_holder() -> str | None:
        lease = current_lease(db)
        return lease.holder if lease is not None and lease.live else None

    say(f"failover: {kills} kills -9 of the active instance, takeover_seconds {ttl:g}, "
        f"a P1 every {every:g} s through the intake API")
    takeovers: list[float] = []
    running: dict[str, Any] = {}
    with FakeServices() as services, tempfile.TemporaryDirectory(prefix="failover-") as tmp:
        notify = {"pagerduty": {"events_url": services.pagerduty_url},
                  "retry": {"base": 0.5, "cap": 2.0, "max_attempts": 10},
                  "lease_seconds": ttl + 5}  # the claim lease, as docs/service.md advises

        def start(name: str) -> int:
            same_port = {"listen": ports_in_use[name]} if name in ports_in_use else {}
            config = config_file(Path(tmp), url, name, notify=notify, takeover_seconds=ttl,
                                 **same_port)
            running[name] = ServeProcess(
                ["serve", "--config", str(config), "--log-format", "json"], env)
            return int(running[name].wait_ready())

        ports_in_use: dict[str, str] = {}
        ports = {name: start(name) for name in ("pager-a", "pager-b")}
        ports_in_use.update({name: f"127.0.0.1:{port}" for name, port in ports.items()})
        helpdesk = rig.Helpdesk(token, ports, every=every, seed=seed + 1, prefix="FO")
        helpdesk.start()
        try:
            for n in range(kills):
                if not wait_for(live_holder, ttl * 3):
                    raise RuntimeError("no instance is active")
                holder = live_holder()
                assert holder is not None
                time.sleep(rng.uniform(0.0, min(3.0, ttl / 2)))
                killed = running[holder].signal(signal.SIGKILL)
                if not wait_for(lambda h=holder: live_holder() not in (None, h),  # type: ignore[misc]
                                ttl * 3, interval=0.01):
                    raise RuntimeError(f"kill {n + 1}: no standby took over")
                takeovers.append(time.monotonic() - killed)
                running[holder].wait(10)
                running[holder].close()
                start(holder)  # on the same port, so the helpdesk's posts reach it again
                say(f"  kill {n + 1}: takeover {takeovers[-1]:.2f} s")
        finally:
            helpdesk.halt.set()
            helpdesk.join(10)
            accepted = list(helpdesk.accepted)
            wait_for(lambda: len(services.alerts) >= 2 * len(accepted), ttl * 3 + 30,
                     interval=0.2)
            for process in running.values():
                process.signal(signal.SIGTERM)
                process.wait(30)
                process.close()
            db.close()
    per_ticket = Counter(key.split("/")[1] for key in services.alerts)
    lost = sum(max(0, 2 - per_ticket.get(t, 0)) for t in accepted)
    triggers = Counter(r.body["dedup_key"] for r in services.received(PD_PATH, 202)
                       if r.body.get("event_action") == "trigger")
    repeated = sum(count - 1 for count in triggers.values())
    raised_twice = sum(1 for a in services.alerts.values() if a["incidents"] > 1)
    # from the intake API's 200 to the P1's first page: a takeover delays, never drops
    first: dict[str, float] = {}
    for r in services.received(PD_PATH, 202):
        if r.body.get("event_action") == "trigger":
            first.setdefault(r.body["dedup_key"].split("/")[1], r.at)
    delays = [first[t] - helpdesk.posted[t] for t in accepted if t in first]
    out = {"kills": kills, "ttl_s": ttl, "p1s": len(accepted), "alerts": len(services.alerts),
           "lost": lost, "triggered_again": repeated, "alerts_raised_twice": raised_twice,
           "posts_retried": helpdesk.retried,
           "intake_to_page_s": {"p50": round(percentile(delays, 50), 2),
                                "p99": round(percentile(delays, 99), 2),
                                "max": round(max(delays), 2)} if delays else None,
           "takeover_s": {"min": round(min(takeovers), 2),
                          "p50": round(percentile(takeovers, 50), 2),
                          "max": round(max(takeovers), 2)} if takeovers else None}
    if takeovers:
        say(f"  takeover after kill -9: min {min(takeovers):.2f} s, p50 "
            f"{percentile(takeovers, 50):.2f} s, max {max(takeovers):.2f} s (ttl {ttl:g} s)")
    say(f"  {len(accepted)} P1s, {len(services.alerts)} alerts: {lost} lost, {repeated} "
        f"triggers repeated on the wire, {raised_twice} alerts raised twice")
    if delays:
        say(f"  intake 200 -> first page: p50 {percentile(delays, 50):.2f} s, p99 "
            f"{percentile(delays, 99):.2f} s, max {max(delays):.2f} s")
    return out
