"""SIGTERM while a page is on the wire, with a standby running: two real ``serve``
processes on a real PostgreSQL and a PagerDuty-like server that holds each request
before answering. A P1 pages two people (the on-call and, as a cc, the CTO); the
active instance gets SIGTERM while the first page is held.

- Held for less than the stop's budget for the notifier: the stopping instance
  finishes that send and records it; the standby takes over at once (the lease was
  released), sends the page that was still queued, and does not send the first again.
- Held past the budget: the stopping instance exits within 5 s with the send on the
  wire; the standby sends that page again once the claim lapses (PagerDuty folds the
  repeat into the one alert by its dedup key) and sends the queued one. Nothing lost.
"""

from __future__ import annotations

import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.notify.fakes import FakeServices, wait_for

from .conftest import clean_env
from .test_serve_process import PD_PATH, _agent_opens_a_p1, _readyz

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
CLAIM_LEASE = 4.0  # notify.lease_seconds: how long the stopped instance's claim holds


def _pair(pg, serve_config, start_serve, services):  # type: ignore[no-untyped-def]
    env = clean_env(ESCALATION_SECRET_NOTIFY_PAGERDUTY_ENGINEERING_ONCALL="R-ONCALL",
                    ESCALATION_SECRET_NOTIFY_PAGERDUTY_EXECUTIVE_ESCALATION="R-EXEC")
    notify = {"pagerduty": {"events_url": services.pagerduty_url},
              "retry": {"base": 0.5, "cap": 2.0, "max_attempts": 10},
              "lease_seconds": CLAIM_LEASE}
    # a 15 s takeover: the standby can only take over sooner if the lease was released
    active = start_serve(serve_config(pg.url, "pager-a", notify=notify, takeover_seconds=15),
                         env=env)
    port = active.wait_active()
    assert wait_for(lambda: _readyz(port)["replayed"], 10)  # its engine is paging-ready
    standby = start_serve(serve_config(pg.url, "pager-b", notify=notify, takeover_seconds=15),
                          env=env)
    standby.wait_ready()
    return active, standby


def _triggers(services: FakeServices) -> Counter[str]:
    return Counter(r.body["dedup_key"] for r in services.received(PD_PATH)
                   if r.body.get("event_action") == "trigger")


def _sigterm_while_the_first_page_is_held(tmp_path: Path, url: str, services: FakeServices,  # type: ignore[no-untyped-def]
                                          active, hold: float) -> tuple[str, float]:
    """A console opens a P1; SIGTERM the active instance once its first page is held.
    Returns that page's dedup key and how long the stop took."""
    services.delays[PD_PATH] = hold
    _agent_opens_a_p1(tmp_path, url)
    assert wait_for(lambda: services.received(PD_PATH), 30), active.log_text()
    in_flight = str(services.received(PD_PATH)[0].body["dedup_key"])
    sent = active.signal(signal.SIGTERM)
    assert active.wait(timeout=10) == 0, active.log_text()
    return in_flight, time.monotonic() - sent


def test_a_send_finished_within_the_stop_is_recorded_and_never_sent_again_by_the_standby(
        tmp_path, pg, serve_config, start_serve):
    with FakeServices() as services:
        active, standby = _pair(pg, serve_config, start_serve, services)
        in_flight, stopped = _sigterm_while_the_first_page_is_held(
            tmp_path, pg.url, services, active, hold=1.0)
        assert stopped <= 5.0
        assert not active.find(lambda e: "still in flight" in str(e.get("message"))), (
            active.log_text())
        standby.wait_log(lambda e: e.get("role") == "active", timeout=10)
        assert wait_for(lambda: len(services.alerts) == 2, 30), standby.log_text()
        # nothing is sent again once the standby has looked at its whole outbox
        assert not wait_for(lambda: sum(_triggers(services).values()) > 2, CLAIM_LEASE + 3)
        assert _triggers(services) == {key: 1 for key in services.alerts}
        assert in_flight in services.alerts
        standby.signal(signal.SIGTERM)
        assert standby.wait(timeout=10) == 0, standby.log_text()


def test_a_send_still_on_the_wire_past_the_stop_is_sent_by_the_standby_and_folded(
        tmp_path, pg, serve_config, start_serve):
    with FakeServices() as services:
        active, standby = _pair(pg, serve_config, start_serve, services)
        in_flight, stopped = _sigterm_while_the_first_page_is_held(
            tmp_path, pg.url, services, active, hold=8.0)
        assert stopped <= 5.0
        assert active.find(lambda e: "still in flight" in str(e.get("message"))), (
            active.log_text())
        services.delays.clear()
        standby.wait_log(lambda e: e.get("role") == "active", timeout=10)
        assert wait_for(lambda: len(services.alerts) == 2
                        and _triggers(services)[in_flight] == 2, CLAIM_LEASE + 20), (
            _triggers(services), standby.log_text())
        assert not wait_for(lambda: sum(_triggers(services).values()) > 3, 3)
        triggers = _triggers(services)
        assert set(triggers) == set(services.alerts)  # nothing lost
        assert {k: a["incidents"] for k, a in services.alerts.items()} == {
            k: 1 for k in services.alerts}  # PagerDuty folded the repeat: one alert each
        assert sorted(triggers.values()) == [1, 2]  # only the page on the wire went twice
        standby.signal(signal.SIGTERM)
        assert standby.wait(timeout=10) == 0, standby.log_text()
