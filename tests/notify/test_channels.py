"""Each channel against a real local server that behaves like the service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from benchmarks.notify.fakes import FakeSmtp, Reply
from console.app.notify_ops import sample_message
from console.notify.channels import Target, build_channels
from console.notify.channels.base import parse_retry_after
from console.notify.channels.email import EmailChannel, SmtpSettings

pytestmark = pytest.mark.filterwarnings("ignore:Session.login_data")
NOW = datetime(2026, 3, 2, 10, tzinfo=UTC)


@pytest.fixture
def channels(services, smtp):  # type: ignore[no-untyped-def]
    return build_channels({"email": smtp.settings(),
                           "pagerduty": {"events_url": services.pagerduty_url}})


def msg(channel: str = "slack"):  # type: ignore[no-untyped-def]
    return sample_message(channel, NOW)


def test_retry_after_header_forms():
    assert parse_retry_after("30") == 30
    assert parse_retry_after("1.5") == 1.5
    later = NOW + timedelta(seconds=90)
    assert parse_retry_after(format_datetime(later, usegmt=True), NOW) == pytest.approx(90)
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_slack_ok_429_500_and_400(services, channels):
    slack, target = channels["slack"], Target("slack", "#eng")
    url = services.url("/slack/eng")
    ok = slack.send(msg(), target, url)
    assert ok.ok and ok.status == 200
    body = services.received("/slack/eng")[0].body
    assert body["text"].startswith("[P1] TEST-1") and body["blocks"]
    services.script("/slack/eng", Reply(429, "rate_limited", {"Retry-After": "7"}),
                    Reply(500, "internal_error"), Reply(404, "channel_not_found"))
    limited = slack.send(msg(), target, url)
    assert not limited.ok and not limited.final and limited.retry_after == 7
    broken = slack.send(msg(), target, url)
    assert not broken.ok and not broken.final and broken.retry_after is None
    gone = slack.send(msg(), target, url)
    assert gone.final and "channel_not_found" in gone.error
    missing = slack.send(msg(), target, None)
    assert missing.final and "keyring" in missing.error


def test_slack_digest_carries_every_alert(services, channels):
    a, b = msg(), {**msg(), "ticket": "TEST-2", "ref": "bbbb"}
    assert channels["slack"].send({"digest": [a, b]}, Target("slack", "#eng"),
                                  services.url("/slack/eng")).ok
    body = services.received("/slack/eng")[0].body
    text = str(body["blocks"])
    assert "2 escalation alerts" in text and "TEST-1" in text and "TEST-2" in text


def test_unreachable_webhook_is_retried():
    result = build_channels({})["slack"].send(msg(), Target("slack", "#x"),
                                              "http://127.0.0.1:9/slack")
    assert not result.ok and not result.final and "unreachable" in result.error


def test_teams_workflow_webhook(services, channels):
    teams, target = channels["teams"], Target("teams", "ops")
    assert teams.send(msg(), target, services.url("/teams/ops")).status == 202
    card = services.received("/teams/ops")[0].body["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    facts = card["content"]["body"][1]["facts"]
    assert {"title": "Open", "value": "escalation-console://ticket/TEST-1  or  "
                                      "escalation-console tickets show TEST-1"} in facts
    services.script("/teams/ops", Reply(429, "", {"Retry-After": "3"}), Reply(400, "bad card"))
    assert teams.send(msg(), target, services.url("/teams/ops")).retry_after == 3
    assert teams.send(msg(), target, services.url("/teams/ops")).final


def test_pagerduty_trigger_acknowledge_resolve_keep_the_dedup_key(services, channels):
    pd, target = channels["pagerduty"], Target("pagerduty", "engineering-oncall")
    m = msg("pagerduty")
    first = pd.send(m, target, "R-ONCALL")
    assert first.ok and first.status == 202 and first.external_id == m["dedup_key"]
    again = pd.send(m, target, "R-ONCALL")  # a retry: PagerDuty folds it into the alert
    assert again.external_id == m["dedup_key"]
    alert = services.alerts[m["dedup_key"]]
    assert alert["triggers"] == 2 and alert["incidents"] == 1
    event = services.received("/pagerduty")[0].body
    assert event["payload"]["severity"] == "critical"
    assert event["links"][0]["href"] == "escalation-console://ticket/TEST-1"
    assert pd.send({**m, "event_action": "acknowledge"}, target, "R-ONCALL").ok
    assert services.alerts[m["dedup_key"]]["status"] == "acknowledged"
    ack = services.received("/pagerduty")[-1].body
    assert ack == {"routing_key": "R-ONCALL", "event_action": "acknowledge",
                   "dedup_key": m["dedup_key"]}
    assert pd.send({**m, "event_action": "resolve"}, target, "R-ONCALL").ok
    assert services.alerts[m["dedup_key"]]["status"] == "resolved"


def test_pagerduty_429_and_5xx_retry_400_is_final(services, channels):
    pd, target = channels["pagerduty"], Target("pagerduty", "x")
    services.script("/pagerduty", Reply(429, "{}"), Reply(502, "bad gateway"))
    limited = pd.send(msg("pagerduty"), target, "R-ONCALL")
    assert not limited.ok and not limited.final and limited.status == 429
    assert not pd.send(msg("pagerduty"), target, "R-ONCALL").final
    wrong_key = pd.send(msg("pagerduty"), target, "R-NOPE")
    assert wrong_key.final and "Invalid routing key" in wrong_key.error


def test_generic_webhook_sends_a_stable_idempotency_key(services, channels):
    hook, target = channels["webhook"], Target("webhook", "ops")
    m = msg("webhook")
    assert hook.send(m, target, services.url("/hook/ops")).ok
    services.script("/hook/ops", Reply(503, "busy"))
    assert not hook.send(m, target, services.url("/hook/ops")).final
    assert hook.send(m, target, services.url("/hook/ops")).ok
    keys = {r.headers["idempotency-key"] for r in services.received("/hook/ops")}
    assert keys == {m["ref"]}
    body = services.received("/hook/ops")[0].body
    assert body["type"] == "escalation.notification" and body["message"]["ticket"] == "TEST-1"


def test_email_uses_starttls_and_auth(smtp, channels):
    result = channels["email"].send(msg("email"), Target("email", "dana@example.com"),
                                    FakeSmtp.PASSWORD)
    assert result.ok, result.error
    sent = smtp.messages[0]
    assert sent["tls"] and sent["auth"] and sent["to"] == ["dana@example.com"]
    mail = sent["msg"]
    assert mail["Subject"] == "[P1] TEST-1: Test notification from Escalation Console"
    body = mail.get_payload(decode=True).decode()
    for part in ("Customer: Example Customer (enterprise)", "SLA:", "Handoff:", "Steps tried:",
                 "escalation-console://ticket/TEST-1", "escalation-console tickets show TEST-1"):
        assert part in body
    assert result.external_id == mail["Message-ID"]


def test_email_4xx_retries_and_5xx_is_final(smtp, channels):
    email = channels["email"]
    smtp.rcpt_rules["busy@example.com"] = ["451 4.7.1 greylisted, try again later"]
    smtp.rcpt_rules["nobody@example.com"] = "550 5.1.1 no such user"
    deferred = email.send(msg("email"), Target("email", "busy@example.com"), FakeSmtp.PASSWORD)
    assert not deferred.ok and not deferred.final and deferred.status == 451
    assert email.send(msg("email"), Target("email", "busy@example.com"), FakeSmtp.PASSWORD).ok
    refused = email.send(msg("email"), Target("email", "nobody@example.com"), FakeSmtp.PASSWORD)
    assert refused.final and refused.status == 550
    bad_login = email.send(msg("email"), Target("email", "dana@example.com"), "wrong")
    assert bad_login.final and bad_login.status == 535


def test_email_refuses_an_untrusted_certificate(smtp):
    settings = SmtpSettings.from_dict({**smtp.settings(), "cafile": ""})
    result = EmailChannel(settings).send(msg("email"), Target("email", "dana@example.com"),
                                         FakeSmtp.PASSWORD)
    assert result.final and "certificate" in result.error
    assert smtp.messages == []


def test_email_without_starttls_is_refused(tmp_path):
    from aiosmtpd.controller import Controller

    from benchmarks.notify.fakes import free_port

    class Sink:
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            return "250 OK"

    port = free_port()
    plain = Controller(Sink(), hostname="127.0.0.1", port=port)
    plain.start()
    try:
        settings = SmtpSettings("127.0.0.1", port, "", "console@example.com")
        result = EmailChannel(settings).send(msg("email"), Target("email", "a@example.com"),
                                             None)
    finally:
        plain.stop()
    assert result.final and "STARTTLS" in result.error
