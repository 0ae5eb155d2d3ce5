"""``/metrics``: the service in the Prometheus text format (prometheus_client).

Every value is read when Prometheus scrapes, by one collector, from this instance's
local store (one read-only unit of work: the deliveries table and the open tickets'
clocks) and from ``readiness`` (leader state, sync lag). Nothing is counted on the
request or delivery paths, so the numbers are the store's, not this process's memory,
and they survive a restart.

Fire lateness is ``sent_at - meta.fire_at`` of every sent delivery: the instant the
engine's fire was due (a pre-breach, a breach, a chain step) to the instant the channel
accepted the message. It is measured per delivery (a fire paging two people counts
twice), and it includes retries and fail-overs, which is what the person waiting sees.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from console.domain.projection import ClockView
from console.store.local import LocalStore

LATENESS_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0)
# worst first: a ticket counts under the worst state among its clocks
SLA_ORDER = ("breached", "pre_breach", "ok", "paused", "met")
OUTCOMES = {"sent": "sent", "failed": "failed", "dead": "dead_lettered"}
OPEN = ("pending", "sending")


def sla_state(clocks_json: str, now: datetime) -> str:
    states = {ClockView.from_json(c).state(now) for c in json.loads(clocks_json or "[]")}
    return next((s for s in SLA_ORDER if s in states), "met")


class StoreCollector(Collector):
    """Reads the store and ``readiness`` at scrape time."""

    def __init__(self, store: LocalStore, readiness: Callable[[], dict[str, Any]],
                 clock: Callable[[], datetime]) -> None:
        self.store, self.readiness, self.clock = store, readiness, clock

    def collect(self) -> Iterator[Metric]:
        with self.store.unit(read_only=True) as uow:
            stats = uow.delivery_stats.channel_stats()
            buckets, total, count = uow.delivery_stats.lateness(LATENESS_BUCKETS)
            tickets = uow.tickets.open_clocks()
        deliveries = CounterMetricFamily(
            "escalation_deliveries", "Deliveries by channel and outcome: sent, retried "
            "(attempts after the first), failed (over to the next channel), dead_lettered",
            labels=["channel", "outcome"])
        depth = GaugeMetricFamily("escalation_outbox_depth", "Deliveries waiting to be sent "
                                  "(pending or sending), by channel", labels=["channel"])
        totals: dict[tuple[str, str], int] = {}
        waiting: dict[str, int] = {}
        for channel, status, n, retries in stats:
            for outcome in ("sent", "retried", "failed", "dead_lettered"):
                totals.setdefault((channel, outcome), 0)
            totals[(channel, "retried")] += retries
            if status in OUTCOMES:
                totals[(channel, OUTCOMES[status])] += n
            waiting[channel] = waiting.get(channel, 0) + (n if status in OPEN else 0)
        for (channel, outcome), n in sorted(totals.items()):
            deliveries.add_metric([channel, outcome], n)
        for channel, n in sorted(waiting.items()):
            depth.add_metric([channel], n)
        yield deliveries
        yield depth
        lateness = HistogramMetricFamily(
            "escalation_fire_lateness_seconds", "Due instant of a fire to its delivery "
            "being accepted by the channel (sent_at - fire_at), per sent delivery",
            buckets=[*[(_le(b), n) for b, n in zip(LATENESS_BUCKETS, buckets, strict=True)],
                     ("+Inf", count)], sum_value=total)
        yield lateness
        now = self.clock()
        open_tickets: dict[tuple[str, str], int] = {}
        for severity, clocks in tickets:
            key = (severity or "none", sla_state(clocks, now))
            open_tickets[key] = open_tickets.get(key, 0) + 1
        gauge = GaugeMetricFamily("escalation_open_tickets", "Open tickets by severity and "
                                  "SLA state (the worst of their clocks)",
                                  labels=["severity", "sla_state"])
        for (severity, state), n in sorted(open_tickets.items()):
            gauge.add_metric([severity, state], n)
        yield gauge
        yield from self._readiness()

    def _readiness(self) -> Iterator[Metric]:
        ready = self.readiness()
        leader = GaugeMetricFamily("escalation_leader", "1 while this instance is the active "
                                   "one (it pages), 0 while it stands by")
        leader.add_metric([], 1.0 if ready.get("role") == "active" else 0.0)
        database = GaugeMetricFamily("escalation_database_up", "1 while the shared database "
                                     "answers")
        database.add_metric([], 1.0 if ready.get("database") else 0.0)
        lag = GaugeMetricFamily("escalation_sync_lag_seconds", "How far this instance's "
                                "copy of the shared event log is behind")
        lag.add_metric([], float(ready.get("sync_lag_seconds") or 0.0))
        yield from (leader, database, lag)


def _le(bound: float) -> str:
    return repr(float(bound))


def make_registry(store: LocalStore, readiness: Callable[[], dict[str, Any]],
                  clock: Callable[[], datetime]) -> CollectorRegistry:
    """A registry of its own (not prometheus_client's global one, which would also
    export this process's Python and GC metrics and outlive the app in tests)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(store, readiness, clock))
    return registry
