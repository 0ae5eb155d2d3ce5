"""Pages at 03:00 with every console closed: two real ``serve`` processes on a real
PostgreSQL, a local PagerDuty-like server, a matrix with short P1 targets published
into the shared database, and the P1 opened through the intake API with a token made by
``serve tokens add``. Nobody acknowledges: the response pre-breach page and the breach
page reach PagerDuty once each, on time (received within 2 s of their due instant),
then the chain's backup is paged; a signed PagerDuty v3 webhook acknowledgement then
stops the chain: its second round never goes out."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from benchmarks.notify.fakes import FakeServices, wait_for
from benchmarks.service import rig

from .conftest import ROOT, clean_env, send_pagerduty_ack

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
PD_PATH = "/pagerduty/v2/enqueue"
SECRET = "whsec-e2e"
RESPONSE, LEAD, ACK = 40, 20, 15  # P1 response target, pre-breach lead, chain ack timeout
ON_TIME = 2.0


def _token(config, env) -> str:  # type: ignore[no-untyped-def]
    done = subprocess.run([sys.executable, "-m", "console", "serve", "tokens", "add",
                           "helpdesk", "--config", str(config)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.strip()


def test_an_unacknowledged_p1_pages_on_time_then_the_backup_until_a_webhook_ack_stops_it(
        pg, serve_config, start_serve):
    rig.publish_matrix(pg.url, rig.short_p1_matrix(RESPONSE, LEAD, ACK))
    with FakeServices() as services:
        services.routing_keys |= set(rig.ROUTING_KEYS.values())
        env = clean_env(**rig.secret_env(), ESCALATION_SECRET_PAGERDUTY_WEBHOOK_SECRET=SECRET)
        notify = {"pagerduty": {"events_url": services.pagerduty_url}}
        configs = [serve_config(pg.url, name, notify=notify) for name in ("pager-a", "pager-b")]
        active = start_serve(configs[0], env=env)
        active.wait_active()
        standby = start_serve(configs[1], env=env)
        standby_port = standby.wait_ready()
        token = _token(configs[1], env)

        opened = datetime.now(UTC).replace(microsecond=0)
        answer = rig.post_events(standby_port, token, rig.p1_event("INC-3AM", opened))
        assert answer["new"] == 1

        def triggers(key: str) -> list:  # type: ignore[type-arg]
            return [r for r in services.received(PD_PATH, 202)
                    if r.body["event_action"] == "trigger" and r.body["routing_key"] == key]

        due = {rig.WARNING_KEY: opened + timedelta(seconds=RESPONSE - LEAD),
               rig.PRIMARY_KEY: opened + timedelta(seconds=RESPONSE),
               rig.BACKUP_KEY: opened + timedelta(seconds=RESPONSE + ACK)}
        late = {}
        for key, instant in due.items():  # in this order: pre-breach, breach, backup
            wait = (instant - datetime.now(UTC)).total_seconds() + 10
            assert wait_for(lambda k=key: triggers(k), wait), (key, active.log_text())  # type: ignore[misc]
            late[key] = (rig.wall(triggers(key)[0].at) - instant).total_seconds()
        assert all(abs(x) <= ON_TIME for x in late.values()), late

        # PagerDuty's webhook for the breach page, to the standby: the chain stops
        breach_key = triggers(rig.PRIMARY_KEY)[0].body["dedup_key"]
        acked = send_pagerduty_ack(standby_port, SECRET, "01E2E0ACK0000000000000000",
                                   breach_key)
        assert acked.status_code == 200 and acked.json()["recorded"] == "acknowledged"
        assert datetime.now(UTC) < due[rig.BACKUP_KEY] + timedelta(seconds=ACK - 2), (
            "acknowledged too late to see the chain stop")

        # unacknowledged, round 2 would page the primary again ACK s after the backup
        round_two = due[rig.BACKUP_KEY] + timedelta(seconds=ACK)
        assert wait_for(lambda: {a["status"] for a in services.alerts.values()}
                        == {"acknowledged"}, 20), active.log_text()

        def sent() -> Counter:  # type: ignore[type-arg]
            return Counter((r.body["routing_key"], r.body["dedup_key"])
                           for r in services.received(PD_PATH, 202)
                           if r.body["event_action"] == "trigger")

        assert not wait_for(lambda: sum(sent().values()) > 3,
                            (round_two - datetime.now(UTC)).total_seconds() + 3), sent()
        pages = sent()
        assert sorted(pages.values()) == [1, 1, 1], pages  # once each, no round 2
        assert [k for k, _ in sorted(pages, key=lambda k: due[k[0]])] == list(due)
        for serve in (active, standby):
            serve.signal(signal.SIGTERM)
            assert serve.wait(timeout=10) == 0, serve.log_text()
    print("lateness (receipt - due): " + ", ".join(f"{k} {v:+.2f} s" for k, v in late.items()))
