"""A PagerDuty v3 webhook stops a chain with every console closed: two real ``serve``
processes on a real PostgreSQL, a local PagerDuty-like server, and the webhook sent to
the instance that is standing by."""

from __future__ import annotations

import json
import signal

import pytest

from benchmarks.notify.fakes import FakeServices, wait_for

from .conftest import clean_env, send_pagerduty_ack
from .test_serve_process import PD_PATH, _agent_opens_a_p1

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
SECRET = "whsec-serve-test"


def test_a_pagerduty_webhook_to_the_standby_stops_the_chain_the_active_instance_runs(
        tmp_path, pg, serve_config, start_serve):
    with FakeServices() as services:
        env = clean_env(ESCALATION_SECRET_NOTIFY_PAGERDUTY_ENGINEERING_ONCALL="R-ONCALL",
                        ESCALATION_SECRET_NOTIFY_PAGERDUTY_EXECUTIVE_ESCALATION="R-EXEC",
                        ESCALATION_SECRET_PAGERDUTY_WEBHOOK_SECRET=SECRET)
        notify = {"pagerduty": {"events_url": services.pagerduty_url}}
        active = start_serve(serve_config(pg.url, "pager-a", notify=notify), env=env)
        active.wait_active()
        standby = start_serve(serve_config(pg.url, "pager-b", notify=notify), env=env)
        standby_port = standby.wait_ready()

        _agent_opens_a_p1(tmp_path, pg.url)
        assert wait_for(lambda: len(services.alerts) == 2, 30), active.log_text()
        primary = next(r.body["dedup_key"] for r in services.received(PD_PATH)
                       if r.body["routing_key"] == "R-ONCALL")

        answer = send_pagerduty_ack(standby_port, SECRET, "01DA2MLYN0J5EFC1LKWXUKDDKT",
                                    primary)
        assert answer.status_code == 200 and answer.json()["recorded"] == "acknowledged"

        # the active instance learns it through the shared database and stops the chain:
        # it acknowledges every alert the chain raised in PagerDuty
        assert wait_for(lambda: {a["status"] for a in services.alerts.values()}
                        == {"acknowledged"}, 30), active.log_text()
        acks = pg.query("SELECT author, payload FROM events WHERE kind = 'acknowledged'")
        assert [(a, json.loads(p)["dedup_key"]) for a, p in acks] == [("pagerduty", primary)]
        for serve in (active, standby):
            serve.signal(signal.SIGTERM)
            assert serve.wait(timeout=10) == 0, serve.log_text()
