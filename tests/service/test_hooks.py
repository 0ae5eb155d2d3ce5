"""Acknowledgements from outside: PagerDuty v3 webhooks and Slack's Acknowledge button,
through the service's own application and server (make_app, HttpServer, a free port),
into a real throwaway PostgreSQL, with requests signed by the senders' real
algorithms."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the shared fixtures

import notify.conftest as notify_fixtures
from store.helpers import open_ticket, wait_until

from console.notify.message import pd_dedup_key, slack_payload
from console.service.http import hooks
from console.service.http.server import HttpContext, HttpServer, make_app
from console.store.server import SharedDatabase

# the notification tests' consoles (a store and a runner on a fake clock) and their fake
# Slack and PagerDuty; PostgreSQL comes from tests/service/conftest.py
make_console, matrix = notify_fixtures.make_console, notify_fixtures.matrix
world = notify_fixtures.world  # services: tests/shared_fixtures.py

pytestmark = pytest.mark.postgres

PD_SECRET = "pd-webhook-secret-1"
SLACK_SECRET = "slack-signing-secret-1"
PRIMARY = "notify|INC-1|p1-page|r1|s1|primary|oncall-primary"
BACKUP = "notify|INC-1|p1-page|r1|s1|backup|oncall-secondary"


@dataclass
class Rig:
    """The service's HTTP endpoint over a console's store and a test database."""

    ctx: HttpContext
    server: HttpServer
    pg: Any
    console: Any
    secrets: dict[str, str]
    wakes: list[int] = field(default_factory=list)

    def events(self, kind: str | None = None) -> list[tuple[Any, ...]]:
        sql = "SELECT id, ticket, kind, payload, author FROM events"
        rows = self.pg.query(sql + (" WHERE kind = %s" if kind else ""),
                             (kind,) if kind else ())
        return [(r[0], r[1], r[2], json.loads(r[3]), r[4]) for r in rows]

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> requests.Response:
        return requests.post(f"http://127.0.0.1:{self.server.port}{path}", data=body,
                             headers=headers, timeout=10)

    def pagerduty(self, body: bytes, signature: str | None = "good") -> requests.Response:
        headers = {"Content-Type": "application/json"}
        if signature == "good":
            signature = hooks.pagerduty_signature(PD_SECRET, body)
        if signature is not None:
            headers["X-PagerDuty-Signature"] = signature
        return self.post(hooks.PAGERDUTY_PATH, body, headers)

    def slack(self, body: bytes, *, at: datetime | None = None, secret: str = SLACK_SECRET,
              signed: bool = True) -> requests.Response:
        ts = str(int((at or self.ctx.clock()).timestamp()))
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if signed:
            headers["X-Slack-Request-Timestamp"] = ts
            headers["X-Slack-Signature"] = hooks.slack_signature(secret, ts, body)
        return self.post(hooks.SLACK_PATH, body, headers)


@pytest.fixture
def rig(pg, make_console, world) -> Iterator[Rig]:
    console = make_console()
    db = SharedDatabase(pg.url)
    secrets = {hooks.PAGERDUTY_SECRET: PD_SECRET, hooks.SLACK_SECRET: SLACK_SECRET}
    wakes: list[int] = []

    def wake() -> None:
        """What the service's sync does when woken: pull the shared log into the local
        store, which the runner reads."""
        wakes.append(console.store.ingest(db.pull(console.store.cursor())))

    ctx = HttpContext(db, console.store, "service", "svc1", world.clock(),
                      lambda: {"role": "active", "database": True}, secrets.get, wake)
    server = HttpServer(make_app(ctx), port=0)
    server.start()
    try:
        yield Rig(ctx, server, pg, console, secrets, wakes)
    finally:
        server.stop()
        db.close()


def pd_webhook(event_type: str, incident_key: str, event_id: str | None = None) -> bytes:
    """A PagerDuty v3 webhook body as PagerDuty sends it (shape from its docs)."""
    return json.dumps({"event": {
        "id": event_id or uuid.uuid4().hex, "event_type": event_type,
        "resource_type": "incident", "occurred_at": "2026-03-02T10:01:00.000Z",
        "agent": {"id": "PLH1HKV", "summary": "Dana Oncall", "type": "user_reference"},
        "client": {"name": "PagerDuty"},
        "data": {"id": "PGR0VU2", "type": "incident", "number": 2,
                 "status": event_type.split(".")[1], "incident_key": incident_key,
                 "title": "[P1] INC-1: Checkout fails", "urgency": "high",
                 "resolve_reason": None}}}).encode()


def slack_click(message: dict[str, Any], response_url: str, *, user: str = "U024BE7LH",
                name: str = "dana", index: int = 0) -> bytes:
    """The form Slack posts when someone clicks a button of ``message``."""
    button = [b["accessory"] for b in message["blocks"] if "accessory" in b][index]
    payload = {"type": "block_actions", "team": {"id": "T9TK3CUKW", "domain": "example"},
               "user": {"id": user, "username": name, "name": name, "team_id": "T9TK3CUKW"},
               "api_app_id": "A0KRD7HC3", "token": "legacy", "trigger_id": "1.2.3",
               "container": {"type": "message", "message_ts": "1548261231.000200",
                             "channel_id": "C0123", "is_ephemeral": False},
               "channel": {"id": "C0123", "name": "escalations"},
               "message": {"type": "message", "ts": "1548261231.000200",
                           "text": message["text"], "blocks": message["blocks"]},
               "response_url": response_url,
               "actions": [{"type": "button", "action_id": button["action_id"],
                            "block_id": "b1", "value": button["value"],
                            "text": button["text"], "action_ts": "1548426417.840180"}]}
    return urlencode({"payload": json.dumps(payload)}).encode()


def a_slack_message(ticket: str = "INC-1") -> dict[str, Any]:
    return slack_payload({"ticket": ticket, "title": "Checkout fails", "severity": "P1",
                          "ref": "0123456789abcdef", "ack_hint": "Acknowledge to stop."})


# -- PagerDuty ------------------------------------------------------------------------------
def test_a_pagerduty_acknowledgement_is_recorded_once_however_often_it_is_delivered(rig):
    open_ticket(rig.ctx.store, "INC-1")
    key = pd_dedup_key("INC-1", PRIMARY)
    body = pd_webhook("incident.acknowledged", key, event_id="01BZ1")
    answers = [rig.pagerduty(body) for _ in range(3)]  # PagerDuty delivers at least once
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert answers[0].json()["recorded"] == "acknowledged"
    rows = rig.events("acknowledged")
    assert len(rows) == 1
    event_id, ticket, _, payload, author = rows[0]
    assert (ticket, author) == ("INC-1", "pagerduty")
    assert event_id == str(uuid.uuid5(hooks.EVENT_NAMESPACE, "pagerduty:01BZ1"))
    assert payload["via"] == "pagerduty" and payload["dedup_key"] == key
    assert payload["by"] == "Dana Oncall" and payload["incident"] == "PGR0VU2"
    # the service's sync was woken and the local store has it
    assert [e.kind for e in rig.ctx.store.history("INC-1")][-1] == "acknowledged"


def test_a_pagerduty_resolution_becomes_a_resolved_event(rig):
    open_ticket(rig.ctx.store, "INC-1")
    answer = rig.pagerduty(pd_webhook("incident.resolved", pd_dedup_key("INC-1", PRIMARY)))
    assert answer.status_code == 200 and answer.json()["recorded"] == "resolved"
    assert [(r[1], r[2]) for r in rig.events()] == [("INC-1", "resolved")]
    assert rig.ctx.store.ticket("INC-1").status == "resolved"


def test_a_signature_of_a_rotating_secret_is_enough(rig):
    open_ticket(rig.ctx.store, "INC-1")
    body = pd_webhook("incident.acknowledged", pd_dedup_key("INC-1", PRIMARY))
    both = (hooks.pagerduty_signature("the-old-secret", body) + ","
            + hooks.pagerduty_signature(PD_SECRET, body))
    assert rig.pagerduty(body, both).status_code == 200
    assert len(rig.events("acknowledged")) == 1


@pytest.mark.parametrize("signature", [None, "", "v1=", "v1=" + "0" * 64, "wrong",
                                       "other-secret", "tampered"])
def test_an_unsigned_or_badly_signed_pagerduty_webhook_gets_401_and_changes_nothing(
        rig, signature):
    open_ticket(rig.ctx.store, "INC-1")
    body = pd_webhook("incident.acknowledged", pd_dedup_key("INC-1", PRIMARY))
    if signature == "other-secret":
        signature = hooks.pagerduty_signature("not-our-secret", body)
    elif signature == "tampered":  # signed, then the body changed on the way
        signature = hooks.pagerduty_signature(PD_SECRET, body)
        body = body.replace(b"incident.acknowledged", b"incident.resolved")
    before = rig.events()
    answer = rig.pagerduty(body, signature)
    assert answer.status_code == 401
    assert rig.events() == before == [] and rig.wakes == []


def test_pagerduty_events_not_about_our_alerts_are_answered_200_and_ignored(rig):
    open_ticket(rig.ctx.store, "INC-1")
    cases = [pd_webhook("incident.acknowledged", "d3640fbd41094207a1c11e58e46b1662"),
             pd_webhook("incident.acknowledged", pd_dedup_key("NOPE-9", PRIMARY)),
             pd_webhook("incident.triggered", pd_dedup_key("INC-1", PRIMARY)),
             json.dumps({"event": {"id": "x", "event_type": "pagey.ping",
                                   "data": {}}}).encode()]
    for body in cases:
        answer = rig.pagerduty(body)
        assert answer.status_code == 200 and "ignored" in answer.json()
    assert rig.events() == []


def test_a_signed_body_that_is_not_a_v3_webhook_gets_400(rig):
    for body in (b"not json", b"[]", b'{"messages": []}', b'{"event": {"event_type": 1}}'):
        assert rig.pagerduty(body).status_code == 400
    assert rig.events() == []


def test_a_hook_without_its_secret_answers_503_and_accepts_nothing(rig):
    open_ticket(rig.ctx.store, "INC-1")
    rig.secrets.clear()
    body = pd_webhook("incident.acknowledged", pd_dedup_key("INC-1", PRIMARY))
    # signed with the empty key, which an unconfigured hook must not accept either
    answer = rig.pagerduty(body, hooks.pagerduty_signature("", body))
    assert answer.status_code == 503 and "pagerduty_webhook_secret" in answer.json()["error"]
    slack = rig.slack(slack_click(a_slack_message(), "http://127.0.0.1:9/x"), secret="")
    assert slack.status_code == 503 and "slack_signing_secret" in slack.json()["error"]
    assert rig.events() == []


def test_a_pagerduty_acknowledgement_stops_the_chain(rig, services, world):
    """End to end: the runner pages the primary through PagerDuty; PagerDuty's webhook
    says the incident was acknowledged; the backup is never paged."""
    c = rig.console
    open_ticket(c.store, "INC-1")
    c.runner.run_once()
    dedup_key = c.by_key()[PRIMARY].external_id
    assert dedup_key.startswith("ec/INC-1/") and dedup_key in services.alerts
    world.advance(120)
    assert rig.pagerduty(pd_webhook("incident.acknowledged", dedup_key)).status_code == 200
    fired_before_ack = world.now - timedelta(seconds=1)
    end = world.now + timedelta(minutes=30)
    while world.now < end:
        world.advance(30)
        c.runner.run_once()
    assert BACKUP not in {r.key for r in c.rows()}
    assert c.runner.stopped("INC-1", fired_before_ack).startswith("acknowledged")
    assert services.alerts[dedup_key]["status"] == "acknowledged"


# -- Slack ----------------------------------------------------------------------------------
def test_our_slack_messages_carry_an_acknowledge_button_for_each_alert():
    message = a_slack_message()
    [button] = [b["accessory"] for b in message["blocks"] if "accessory" in b]
    assert button["action_id"] == hooks.SLACK_ACK_ACTION and button["text"]["text"] == \
        "Acknowledge"
    assert json.loads(button["value"]) == {"ticket": "INC-1", "ref": "0123456789abcdef"}
    digest = slack_payload({"digest": [{"ticket": f"INC-{i}", "ref": f"r{i}"}
                                       for i in range(20)]})
    buttons = [b["accessory"] for b in digest["blocks"] if "accessory" in b]
    assert len(buttons) == 20 and len(digest["blocks"]) <= 50  # Slack's limit


def test_a_click_on_acknowledge_in_slack_acknowledges_the_ticket(rig, services):
    open_ticket(rig.ctx.store, "INC-1")
    answer = rig.slack(slack_click(a_slack_message(), services.url("/hook/slack-reply")))
    assert answer.status_code == 200
    [(_, ticket, kind, payload, author)] = rig.events()
    assert (ticket, kind, author) == ("INC-1", "acknowledged", "slack:dana")
    assert payload["via"] == "slack" and payload["slack_user"] == "U024BE7LH"
    assert rig.ctx.store.ticket("INC-1") is not None
    assert [e.kind for e in rig.ctx.store.history("INC-1")][-1] == "acknowledged"
    # the message is replaced: its button gone, who acknowledged said
    wait_until(lambda: services.received("/hook/slack-reply"), timeout=5)
    update = services.received("/hook/slack-reply")[0].body
    assert update["replace_original"] is True
    assert not any("accessory" in b for b in update["blocks"])
    assert "Acknowledged INC-1" in json.dumps(update["blocks"])


def test_the_same_slack_click_delivered_twice_is_one_event(rig, services):
    open_ticket(rig.ctx.store, "INC-1")
    click = slack_click(a_slack_message(), services.url("/hook/slack-reply"))
    assert [rig.slack(click).status_code for _ in range(2)] == [200, 200]
    assert len(rig.events("acknowledged")) == 1


@pytest.mark.parametrize("age", [timedelta(minutes=5, seconds=30), timedelta(hours=2),
                                 -timedelta(minutes=6)])
def test_a_slack_request_with_an_old_timestamp_gets_401_and_changes_nothing(rig, services,
                                                                              world, age):
    """A request captured and replayed later (or stamped in the future) is refused,
    even though its signature is right for its own timestamp."""
    open_ticket(rig.ctx.store, "INC-1")
    click = slack_click(a_slack_message(), services.url("/hook/slack-reply"))
    answer = rig.slack(click, at=world.now - age)
    assert answer.status_code == 401 and "stale" in answer.json()["error"]
    assert rig.events() == []
    # four minutes old is still inside the window
    assert rig.slack(click, at=world.now - timedelta(minutes=4)).status_code == 200


@pytest.mark.parametrize("how", ["unsigned", "other-secret", "tampered", "garbage"])
def test_an_unsigned_or_badly_signed_slack_request_gets_401_and_changes_nothing(
        rig, services, how):
    open_ticket(rig.ctx.store, "INC-1")
    click = slack_click(a_slack_message(), services.url("/hook/slack-reply"))
    if how == "unsigned":
        answer = rig.slack(click, signed=False)
    elif how == "other-secret":
        answer = rig.slack(click, secret="not-our-secret")
    elif how == "tampered":
        ts = str(int(rig.ctx.clock().timestamp()))
        sig = hooks.slack_signature(SLACK_SECRET, ts, click)
        forged = slack_click(a_slack_message("INC-2"), services.url("/hook/slack-reply"))
        answer = rig.post(hooks.SLACK_PATH, forged, {
            "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig})
    else:
        answer = rig.post(hooks.SLACK_PATH, click, {
            "X-Slack-Request-Timestamp": "yesterday", "X-Slack-Signature": "v0=zz"})
    assert answer.status_code == 401
    assert rig.events() == [] and services.received("/hook/slack-reply") == []


def test_a_slack_click_for_a_ticket_this_service_does_not_know_records_nothing(rig, services):
    answer = rig.slack(slack_click(a_slack_message("NOPE-1"),
                                   services.url("/hook/slack-reply")))
    assert answer.status_code == 200 and rig.events() == []
    wait_until(lambda: services.received("/hook/slack-reply"), timeout=5)
    reply = services.received("/hook/slack-reply")[0].body
    assert reply["response_type"] == "ephemeral" and "No ticket NOPE-1" in reply["text"]


def test_pagerduty_echoing_the_consoles_own_acknowledgement_records_nothing_more(rig, world):
    """Acknowledged in the console, the runner acknowledges the PagerDuty alert; the
    webhook PagerDuty then sends is that same acknowledgement coming back, and must not
    move the ticket's acknowledgement time (nor a resolution's)."""
    c = rig.console
    open_ticket(c.store, "INC-1")
    c.runner.run_once()
    dedup_key = c.by_key()[PRIMARY].external_id
    world.advance(60)
    c.store.append("INC-1", "acknowledged", {"by": "dana"}, "dana")
    c.runner.run_once()
    assert c.by_key()[PRIMARY + "|acknowledge"].status == "sent"
    world.advance(5)
    answer = rig.pagerduty(pd_webhook("incident.acknowledged", dedup_key))
    assert answer.status_code == 200 and "ignored" in answer.json()
    assert rig.events() == []
    # a resolution in PagerDuty is news, though: the console never resolved it
    assert rig.pagerduty(pd_webhook("incident.resolved", dedup_key)).json()["recorded"] \
        == "resolved"


def test_an_acknowledgement_that_cannot_be_recorded_gets_503_so_pagerduty_retries_it(
        make_console, world):
    """The shared database is down: nothing is acknowledged yet, so the answer must not
    be a 2xx (PagerDuty retries a 5xx for about 20 minutes, and drops a 4xx)."""
    console = make_console()
    open_ticket(console.store, "INC-1")
    down = SharedDatabase("postgresql://escalation@127.0.0.1:9/escalation")
    ctx = HttpContext(down, console.store, "service", "svc1", world.clock(),
                      lambda: {"database": False},
                      {hooks.PAGERDUTY_SECRET: PD_SECRET}.get, lambda: None)
    server = HttpServer(make_app(ctx), port=0)
    server.start()
    try:
        body = pd_webhook("incident.acknowledged", pd_dedup_key("INC-1", PRIMARY))
        answer = requests.post(f"http://127.0.0.1:{server.port}{hooks.PAGERDUTY_PATH}",
                               data=body, timeout=30, headers={
                                   "X-PagerDuty-Signature":
                                       hooks.pagerduty_signature(PD_SECRET, body)})
    finally:
        server.stop()
        down.close()
    assert answer.status_code == 503 and "unavailable" in answer.json()["error"]
