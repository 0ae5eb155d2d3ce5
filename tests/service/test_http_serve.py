"""The intake API inside a real ``serve`` process: an event posted to it is in the
shared database when it answers, and the service's own sync brings it into its local
store, where ``/metrics`` sees it."""

from __future__ import annotations

import json
import signal
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from benchmarks.notify.fakes import wait_for
from console.service.http.tokens import TokenStore

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
