"""The outbox and the dispatcher under a fake clock, against the local servers:
Retry-After, backoff, SMTP 4xx/5xx, dead letters and retry, failover, digests."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from benchmarks.notify.fakes import Reply, notify_config
from console.domain.fires import Fire
from console.notify.plan import Planner

from .helpers import T0, open_ticket

pytestmark = pytest.mark.filterwarnings("ignore:Session.login_data")


def p2(console, ticket: str = "INC-2") -> None:  # type: ignore[no-untyped-def]
    """A P2 ticket: chain p2-slack notifies #engineering, cc @cs-lead, on Slack."""
    open_ticket(console.store, ticket, pct=10, workaround="none")


def p4(console, ticket: str = "INC-4") -> None:  # type: ignore[no-untyped-def]
    """A P4 ticket: chain p4-email mails product-design@example.com."""
    console.store.append(ticket, "opened", {"title": "Add dark mode", "account": "Acme",
                                            "category": "feature_request",
                                            "workaround": "full"}, "agent-ana")


def slack_rows(console):  # type: ignore[no-untyped-def]
    return [r for r in console.rows() if r.channel == "slack"]


def test_slack_429_waits_for_retry_after(make_console, services, world):
    c = make_console()
    services.script("/slack/engineering",
                    Reply(429, "rate_limited", {"Retry-After": "30"}))
    p2(c)
    c.runner.run_once()
    row = next(r for r in slack_rows(c) if r.contact == "engineering-channel")
    assert row.status == "pending" and "429" in row.last_error
    assert row.next_attempt_at == T0 + timedelta(seconds=30.05)
    assert len(services.received("/slack/engineering")) == 1
    world.advance(29)
    c.runner.run_once()
    assert len(services.received("/slack/engineering")) == 1  # not before Retry-After
    world.advance(2)
    c.runner.run_once()
    assert [r.status for r in services.received("/slack/engineering")] == [429, 200]
    assert c.runner.outbox.get(row.id).status == "sent"


def test_pagerduty_retries_429_and_5xx(make_console, services, world):
    c = make_console()
    services.script("/pagerduty", Reply(429, "{}"), Reply(500, "oops"), Reply(503, "oops"))
    open_ticket(c.store, "INC-1")  # P1: PagerDuty to on-call, cc the CTO
    for _ in range(6):
        c.runner.run_once()
        world.advance(10)
    statuses = [r.status for r in services.received("/pagerduty")]
    assert statuses[:3] == [429, 500, 503] and statuses.count(202) == 2
    assert {r.status for r in c.rows()} == {"sent"}
    assert len(services.alerts) == 2  # one alert per recipient, whatever the retries


def test_smtp_4xx_is_retried_then_delivered(make_console, services, smtp, world):
    c = make_console(smtp=smtp)
    smtp.rcpt_rules["product-design@example.com"] = ["451 4.7.1 greylisted",
                                                     "452 4.2.2 mailbox busy"]
    p4(c)
    seen = []
    for _ in range(8):
        c.runner.run_once()
        seen.append(c.rows()[0].status)
        world.advance(5)
    assert seen[0] == "pending" and seen[-1] == "sent"
    assert [code for _, code in smtp.rcpt_log] == ["451 4.7.1 greylisted",
                                                   "452 4.2.2 mailbox busy", "250"]
    assert len(smtp.messages) == 1


def test_smtp_5xx_is_final_and_a_dead_letter_can_be_retried(make_console, smtp, world):
    c = make_console(smtp=smtp)
    smtp.rcpt_rules["product-design@example.com"] = "550 5.1.1 no such user"
    p4(c)
    c.runner.run_once()
    dead = c.rows(statuses=["dead"])
    assert len(dead) == 1 and "550" in dead[0].last_error and dead[0].attempts == 1
    assert smtp.messages == []
    del smtp.rcpt_rules["product-design@example.com"]  # the mailbox was fixed
    world.advance(60)
    assert c.runner.outbox.retry(dead[0].id[:8], world.now).status == "pending"
    c.runner.run_once()
    assert c.runner.outbox.get(dead[0].id).status == "sent" and len(smtp.messages) == 1


def test_gives_up_after_max_attempts(make_console, services, world):
    c = make_console()
    services.script("/pagerduty", *[Reply(500, "down")] * 20)
    open_ticket(c.store, "INC-1")
    for _ in range(12):
        c.runner.run_once()
        world.advance(40)
    primary = c.by_key()["notify|INC-1|p1-page|r1|s1|primary|oncall-primary"]
    assert primary.attempts == 5 and "gave up after 5 attempts" in primary.last_error
    # the on-call engineer (Lena this week) also has Slack: the page fails over there
    assert primary.status == "failed" and "failed over to slack" in primary.last_error


def test_failover_to_the_next_channel_after_the_step_timeout(make_console, services,
                                                             smtp, world):
    """cs-lead has Slack and email: Slack keeps failing, so when the step's ack timeout
    (15m) passes, the notification goes out by email instead."""
    config = notify_config(services, smtp, retry={"base": 1.0, "cap": 30.0,
                                                  "max_attempts": 100})
    c = make_console(smtp=smtp, config=config)
    services.script("/slack/default", *[Reply(500, "down")] * 50)
    p2(c)
    for _ in range(20):
        c.runner.run_once()
        world.advance(60)
    rows = c.by_key()
    cc = rows["notify|INC-2|p2-slack|r1|s1|primary|engineering-channel|cc:cs-lead"]
    assert cc.status == "failed" and "failed over to email" in cc.last_error
    email = rows[cc.key + "|fo:email"]
    assert email.status == "sent" and email.channel == "email"
    assert smtp.messages[0]["to"] == ["cs-lead@example.com"]
    assert email.sent_at - T0 >= timedelta(minutes=15)


def test_a_backlog_goes_out_as_one_digest_per_webhook(make_console, services, world):
    c = make_console()
    for n in range(5):
        p2(c, f"INC-{n}")
    c.runner.run_once()
    hits = services.received("/slack/engineering")
    assert len(hits) == 1 and "5 escalation alerts" in str(hits[0].body["blocks"])
    assert {r.status for r in slack_rows(c)} == {"sent"}


def test_slack_webhook_is_paced_to_one_message_per_second(make_console, services, world):
    c = make_console()
    p2(c, "INC-1")
    c.runner.run_once()
    p2(c, "INC-2")
    world.advance(0.5)
    c.runner.run_once()
    assert len(services.received("/slack/engineering")) == 1  # paced, not sent
    world.advance(0.6)
    c.runner.run_once()
    assert len(services.received("/slack/engineering")) == 2
    assert services.received("/slack/engineering", status=429) == []


def test_missing_secret_fails_over_or_dies(make_console, services, world):
    c = make_console(secrets={})
    open_ticket(c.store, "INC-1")
    c.runner.run_once()
    rows = c.by_key()
    cto = rows["notify|INC-1|p1-page|r1|s1|primary|oncall-primary|cc:cto"]
    assert cto.status == "failed" and "keyring" in cto.last_error
    assert rows[cto.key + "|fo:email"].status == "dead"  # no SMTP server either: dead
    assert "no SMTP server" in rows[cto.key + "|fo:email"].last_error


def test_failover_keeps_the_pagerduty_semantics():
    row = SimpleNamespace(key="notify|T|c|r1|s1|primary|x", ticket="T", channel="slack",
                          contact="x", payload={
                              "message": {"ticket": "T"}, "target": {"address": "#x"},
                              "meta": {"options": [["pagerduty", "svc"]], "timeout": 60}})
    follow = Planner.failover(row, T0)
    assert follow.channel == "pagerduty" and follow.payload["target"]["address"] == "svc"
    assert follow.payload["message"]["event_action"] == "trigger"
    assert follow.payload["message"]["dedup_key"].startswith("ec/T/")
    assert follow.payload["meta"]["options"] == []


def test_latest_step_per_chain_wins_in_a_catch_up_batch():
    def fire(step: int, role: str) -> Fire:
        return Fire(T0, "T", "notify", "r", extra={"chain": "c", "step": step, "round": 1,
                                                   "role": role, "contact": role})

    fires = [fire(1, "primary"), fire(1, "backup"), fire(2, "primary")]
    assert Planner.latest_per_chain(fires) == [fires[2]]
