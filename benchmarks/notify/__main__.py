"""``python -m benchmarks.notify``: 1,000 alerts in 10 s through the live notifier.

A driver opens 1,000 tickets at 100 a second (a batch every 100 ms, as a sync pull
lands them) in one console's local store (15 % P1,
paged through PagerDuty to on-call and the CTO; 25 % P2, to two Slack webhooks; 60 %
P4, by email over STARTTLS). The console's notification runner runs as in the app:
the engine over the store's events, the durable outbox, one sending thread per
channel, claims in PostgreSQL (a throwaway cluster; ``--no-pg`` skips it). The local
Slack allows one message per second per webhook and answers 429 with Retry-After
beyond that; it also refuses every fifth message it would allow (429, Retry-After: 2),
as a workspace-wide limit the client cannot see coming would. Measured at the servers:

- lost: deliveries never received; duplicated: received more than once (PagerDuty:
  triggers per dedup_key; Slack: each alert's ref inside digests; email: Message-ID);
- requests that came back to a webhook before the Retry-After it gave had expired;
- P1 trigger (the ticket's event committed) to the first PagerDuty request, p99.

Prints figures, then one ``RESULT {json}`` line.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from console.app.matrices import load_matrix_file
from console.app.notify_ops import build_runner
from console.app.notify_secrets import StaticSecrets
from console.paths import default_matrix_path
from console.store.local import LocalStore, NewEvent

from .fakes import FakeServices, FakeSmtp, notify_config, notify_secrets, wait_for

MIX = (("P1", 0.15), ("P2", 0.25), ("P4", 0.60))
TICK = 0.1  # alerts land in batches every 100 ms, as a sync pull or an import delivers them
REF = re.compile(r"ref ([0-9a-f]{16})")


def _ticket(severity: str, n: int) -> dict[str, Any]:
    base = {"title": f"Alert {n}", "account": f"Account {n % 37}", "account_tier": "enterprise"}
    if severity == "P1":
        return {**base, "users_affected_pct": 60, "workaround": "none", "revenue_risk": True}
    if severity == "P2":
        return {**base, "users_affected_pct": 10, "workaround": "partial"}
    return {**base, "category": "feature_request", "workaround": "full"}


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def _claims(store: LocalStore, use_pg: bool) -> tuple[Any, Any]:
    if not use_pg:
        return None, None
    from benchmarks.pgcluster import start_server
    from console.store.deliveries import SharedClaims
    from console.store.server import SharedDatabase

    try:
        server = start_server()
    except (LookupError, RuntimeError) as exc:
        print(f"PostgreSQL unavailable ({exc}); claims off")
        return None, None
    url = server.create_database("notify")
    db = SharedDatabase(url)
    db.migrate()
    return SharedClaims(db, store.device), server


def run(alerts: int, seconds: float, use_pg: bool, drain_timeout: float) -> dict[str, Any]:
    matrix = load_matrix_file(default_matrix_path())
    with tempfile.TemporaryDirectory(prefix="notify-bench-") as tmp, \
            FakeServices(slack_rate=1.0, slack_throttle_every=5) as services, \
            FakeSmtp(Path(tmp)) as smtp:
        store = LocalStore(Path(tmp) / "console", matrix).open()
        claims, server = _claims(store, use_pg)
        config = notify_config(services, smtp)
        print("claims: " + ("shared PostgreSQL" if claims is not None else "off (local only)"))
        runner = build_runner(store, config=config, secrets=StaticSecrets(
            notify_secrets(services)), claims=claims if claims is not None else None,
            sentiment=None, poll_interval=0.2)
        stop = threading.Event()
        loop = threading.Thread(target=runner.run, args=(stop,), daemon=True)
        loop.start()
        time.sleep(0.5)  # the runner's first replay of the (empty) store
        opened: dict[str, tuple[str, float]] = {}
        started = time.monotonic()
        counts = Counter()
        ticks = max(1, round(seconds / TICK))
        per_tick = [alerts * (i + 1) // ticks - alerts * i // ticks for i in range(ticks)]
        n = 0
        for i, size in enumerate(per_tick):
            while (delay := started + i * TICK - time.monotonic()) > 0:
                time.sleep(delay)
            batch = []
            for _ in range(size):
                r = (n * 7919 % 1000) / 1000  # a fixed, well-spread mix
                severity = next(s for s, share in _cumulative() if r < share)
                batch.append((f"B-{n:04d}", severity, _ticket(severity, n)))
                n += 1
            store.append_many([NewEvent(t, "opened", data, "bench") for t, _, data in batch])
            committed = time.monotonic()
            for ticket, severity, _ in batch:
                opened[ticket] = (severity, committed)
                counts[severity] += 1
            runner.wake()
        offered = time.monotonic() - started

        def drained() -> bool:
            c = runner.outbox.counts()
            return c.get("pending", 0) + c.get("sending", 0) == 0 and sum(c.values()) > 0

        wait_for(drained, drain_timeout, 0.2)
        drain_s = time.monotonic() - started
        stop.set()
        runner.wake()
        loop.join(10)
        rows = runner.outbox.listing(limit=100000)
        result = _measure(rows, services, smtp, opened, counts, offered, drain_s)
        store.close()
        if claims is not None:
            claims.close()
        if server is not None and hasattr(server, "remove"):
            server.remove()
    return result


def _cumulative() -> list[tuple[str, float]]:
    out, total = [], 0.0
    for severity, share in MIX:
        total += share
        out.append((severity, total))
    out[-1] = (out[-1][0], 1.01)
    return out


def _measure(rows: list[Any], services: FakeServices, smtp: FakeSmtp,
             opened: dict[str, tuple[str, float]], counts: Counter, offered: float,
             drain_s: float) -> dict[str, Any]:
    expected = {r.payload["message"]["ref"]: r for r in rows}
    got: Counter = Counter()
    first_page: dict[str, float] = {}
    pd_requests = 0
    for req in services.received("/pagerduty/", status=202):
        pd_requests += 1
        got[req.body["dedup_key"].rsplit("/", 1)[1]] += 1
        ticket = req.body["dedup_key"].split("/")[1]
        first_page.setdefault(ticket, req.at)
    slack_ok = services.received("/slack/", status=200)
    for req in slack_ok:
        for block in req.body["blocks"]:
            if block["type"] == "context":
                got[REF.search(block["elements"][0]["text"]).group(1)] += 1
    for mail in smtp.messages:
        got[mail["msg"]["Message-ID"].strip("<>").split(".")[0]] += 1
    lost = sorted(ref for ref in expected if got[ref] == 0)
    duplicated = sorted(ref for ref, n in got.items() if n > 1)
    latencies = [first_page[t] - at for t, (sev, at) in opened.items()
                 if sev == "P1" and t in first_page]
    statuses = Counter(r.status for r in rows)
    return {
        "alerts": sum(counts.values()), "mix": dict(counts), "offered_seconds": round(offered, 2),
        "deliveries": len(expected), "statuses": dict(statuses),
        "lost": len(lost), "duplicated": len(duplicated),
        "resent_before_retry_after": len(services.early),
        "slack_messages": len(slack_ok),
        "slack_429": len(services.received("/slack/", status=429)),
        "pagerduty_requests": pd_requests, "emails": len(smtp.messages),
        "p1_pages": len(latencies), "p1_missing_pages": counts["P1"] - len(latencies),
        "p1_trigger_to_first_send_p50_s": round(statistics.median(latencies), 3)
        if latencies else None,
        "p1_trigger_to_first_send_p99_s": round(_percentile(latencies, 99), 3)
        if latencies else None,
        "p1_trigger_to_first_send_max_s": round(max(latencies), 3) if latencies else None,
        "all_delivered_after_s": round(drain_s, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.notify", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--alerts", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--no-pg", action="store_true", help="no shared database claims")
    parser.add_argument("--drain-timeout", type=float, default=120.0)
    args = parser.parse_args()
    r = run(args.alerts, args.seconds, not args.no_pg, args.drain_timeout)
    targets = {"lost_0": r["lost"] == 0, "duplicated_0": r["duplicated"] == 0,
               "no_resend_before_retry_after": r["resent_before_retry_after"] == 0,
               "p1_p99_le_2s": r["p1_trigger_to_first_send_p99_s"] is not None
               and r["p1_trigger_to_first_send_p99_s"] <= 2.0 and r["p1_missing_pages"] == 0}
    r["targets"] = targets
    print(f"alerts offered      {r['alerts']} in {r['offered_seconds']} s  {r['mix']}")
    print(f"deliveries          {r['deliveries']}  {r['statuses']}")
    print(f"  pagerduty         {r['pagerduty_requests']} requests")
    print(f"  slack             {r['slack_messages']} messages (digests), "
          f"{r['slack_429']} answered 429")
    print(f"  email             {r['emails']} over STARTTLS")
    print(f"lost                {r['lost']}")
    print(f"duplicated          {r['duplicated']}")
    print(f"resent before Retry-After expired  {r['resent_before_retry_after']}")
    print(f"P1 trigger -> first send  p50 {r['p1_trigger_to_first_send_p50_s']} s, "
          f"p99 {r['p1_trigger_to_first_send_p99_s']} s, "
          f"max {r['p1_trigger_to_first_send_max_s']} s ({r['p1_pages']} P1 pages)")
    print(f"everything delivered after {r['all_delivered_after_s']} s")
    for name, ok in targets.items():
        print(f"target {name:<30} {'MET' if ok else 'NOT MET'}")
    print("RESULT " + json.dumps(r, sort_keys=True))
    return 0 if all(targets.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
