"""The intake API inside a real ``serve`` process: an event posted to it is in the
shared database when it answers, and the service's own sync brings it into its local
store, where ``/metrics`` sees it."""

from __future__ import annotations

import json
import signal
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from benchmarks.notify.fakes import FakeServices, wait_for
from console.service.http.tokens import TokenStore

from .conftest import clean_env
from .test_serve_process import PD_PATH

pytestmark = pytest.mark.postgres


def _open_p1_tickets(port: int) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
        text = reply.read().decode()
    family = next(f for f in text_string_to_metric_families(text)
                  if f.name == "escalation_open_tickets")
    return sum(s.value for s in family.samples if s.labels["severity"] == "P1")


def test_an_event_posted_to_serve_is_committed_then_synced_into_its_metrics(
        pg, serve_config, start_serve):
    db = pg.shared()
    try:
        token = TokenStore(db).add("crm")
    finally:
        db.close()
    serve = start_serve(serve_config(pg.url, "intake"))
    port = serve.wait_ready()
    assert _open_p1_tickets(port) == 0
    event = {"id": "crm-1", "at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
             "ticket": "INC-77", "type": "opened", "title": "EU checkout down",
             "account": "Acme", "users_affected_pct": 80, "workaround": "none",
             "severity": "P1"}
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/events", data=json.dumps(event).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        assert reply.status == 200 and json.load(reply)["new"] == 1
    # committed before the answer: it is in the shared log already
    assert pg.query("SELECT author FROM events WHERE ticket = 'INC-77'") == [("api:crm",)]
    assert wait_for(lambda: _open_p1_tickets(port) == 1, 10)
    serve.signal(signal.SIGTERM)
    assert serve.wait(timeout=10) == 0


@pytest.mark.slow
def test_a_p1_posted_to_the_standby_is_paged_by_the_active_instance_once_per_dedup_key(
        pg, serve_config, start_serve):
    """Every console closed, two instances: the helpdesk's event reaches the shared log
    through whichever instance it was sent to, and only the active one pages."""
    db = pg.shared()
    try:
        token = TokenStore(db).add("helpdesk")
    finally:
        db.close()
    with FakeServices() as services:
        env = clean_env(ESCALATION_SECRET_NOTIFY_PAGERDUTY_ENGINEERING_ONCALL="R-ONCALL",
                        ESCALATION_SECRET_NOTIFY_PAGERDUTY_EXECUTIVE_ESCALATION="R-EXEC")
        notify = {"pagerduty": {"events_url": services.pagerduty_url}}
        active = start_serve(serve_config(pg.url, "pager-a", notify=notify), env=env)
        active.wait_active()
        standby = start_serve(serve_config(pg.url, "pager-b", notify=notify), env=env)
        standby_port = standby.wait_ready()

        event = {"id": "hd-1", "at": datetime.now(UTC).isoformat(), "ticket": "INC-1",
                 "type": "opened", "title": "Checkout fails", "account": "Acme",
                 "users_affected_pct": 50, "workaround": "none"}
        request = urllib.request.Request(
            f"http://127.0.0.1:{standby_port}/api/v1/events", data=json.dumps(event).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as reply:
            assert reply.status == 200

        assert wait_for(lambda: len(services.alerts) == 2, 30), active.log_text()
        triggers = Counter(r.body["dedup_key"] for r in services.received(PD_PATH)
                           if r.body.get("event_action") == "trigger")
        assert sorted(triggers.values()) == [1, 1]
        for serve in (active, standby):
            serve.signal(signal.SIGTERM)
            assert serve.wait(timeout=10) == 0, serve.log_text()
        # nothing more went out at the stop: still one trigger per dedup key
        assert Counter(r.body["dedup_key"] for r in services.received(PD_PATH)
                       if r.body.get("event_action") == "trigger") == triggers
