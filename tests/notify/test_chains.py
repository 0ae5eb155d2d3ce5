"""Chains under a fake clock: the backup after the ack timeout, acknowledgements that
stop the chain (in the console or from PagerDuty), rounds, restarts, history."""

from __future__ import annotations

from datetime import timedelta

import pytest

from console.cli import main as cli_main

from .helpers import T0, open_ticket

PRIMARY = "notify|INC-1|p1-page|r1|s1|primary|oncall-primary"
CC = PRIMARY + "|cc:cto"
BACKUP = "notify|INC-1|p1-page|r1|s1|backup|oncall-secondary"


def sent_keys(console) -> set[str]:  # type: ignore[no-untyped-def]
    return {r.key for r in console.rows() if r.status == "sent"}


def tick_until(console, world, seconds: float, step: float = 1.0):  # type: ignore[no-untyped-def]
    end = world.now + timedelta(seconds=seconds)
    while world.now < end:
        world.advance(step)
        console.runner.run_once()


def test_no_ack_notifies_the_backup_at_the_step_timeout(make_console, services, world):
    c = make_console()
    c.runner.run_once()
    open_ticket(c.store, "INC-1")
    c.runner.run_once()
    assert sent_keys(c) == {PRIMARY, CC}
    first = services.received("/pagerduty")
    assert {r.body["routing_key"] for r in first} == {"R-ONCALL", "R-EXEC"}
    backup_seen = None
    world.advance(290)
    while world.now < T0 + timedelta(minutes=6):
        c.runner.run_once()
        if backup_seen is None and BACKUP in sent_keys(c):
            backup_seen = world.now
        world.advance(1)
    assert backup_seen is not None
    assert abs((backup_seen - T0).total_seconds() - 300) <= 1  # 5m ack timeout, ± 1 s
    backup = c.by_key()[BACKUP]
    assert abs((backup.sent_at - c.by_key()[PRIMARY].sent_at).total_seconds() - 300) <= 1
    details = services.received("/pagerduty")[-1].body["payload"]["custom_details"]
    assert "backup" in details["Chain"] and "no acknowledgement from oncall-primary" \
        in details["Why you"]


def test_an_acknowledgement_stops_the_chain(make_console, services, world):
    c = make_console()
    open_ticket(c.store, "INC-1")
    c.runner.run_once()
    world.advance(120)
    c.store.append("INC-1", "acknowledged", {"by": "dana"}, "dana")
    tick_until(c, world, 3600, step=30)
    keys = {r.key for r in c.rows()}
    assert BACKUP not in keys
    assert sent_keys(c) == {PRIMARY, CC, PRIMARY + "|acknowledge", CC + "|acknowledge"}
    # PagerDuty was told: both alerts the chain raised are acknowledged
    assert {a["status"] for a in services.alerts.values()} == {"acknowledged"}


def test_an_ack_before_a_retry_went_out_cancels_it(make_console, services, world):
    from benchmarks.notify.fakes import Reply

    c = make_console()
    services.script("/pagerduty", *[Reply(500, "down")] * 4)
    open_ticket(c.store, "INC-1")
    c.runner.run_once()
    assert {r.status for r in c.rows()} == {"pending"}
    c.store.append("INC-1", "acknowledged", {"by": "dana"}, "dana")
    world.advance(30)
    c.runner.run_once()
    assert {r.status for r in c.rows()} == {"skipped"}
    assert "acknowledged" in c.rows()[0].last_error


def test_resolving_resolves_the_pagerduty_alerts(make_console, services, world):
    c = make_console()
    open_ticket(c.store, "INC-1")
    c.runner.run_once()
    world.advance(60)
    c.store.append("INC-1", "resolved", {}, "dana")
    c.runner.run_once()
    assert {a["status"] for a in services.alerts.values()} == {"resolved"}
    tick_until(c, world, 1800, step=60)
    assert BACKUP not in {r.key for r in c.rows()}


def test_pagerduty_ack_from_the_command_line_stops_the_chain(make_console, services, world,
                                                             capsys):
    c = make_console()
    open_ticket(c.store, "INC-1")
    c.runner.run_once()
    dedup_key = c.by_key()[PRIMARY].external_id
    assert dedup_key.startswith("ec/INC-1/")
    world.advance(60)
    # the console holds its data dir; the command appends beside it
    assert cli_main(["--data-dir", str(c.store.data_dir), "notify", "pd-ack", dedup_key]) == 0
    assert "INC-1: acknowledged from PagerDuty" in capsys.readouterr().out
    tick_until(c, world, 900, step=30)
    assert BACKUP not in {r.key for r in c.rows()}
    ack = [e for e in c.store.history("INC-1") if e.kind == "acknowledged"]
    assert ack[0].payload["via"] == "pagerduty" and ack[0].payload["dedup_key"] == dedup_key


def test_whole_chain_with_rounds_then_exhausted(make_console, services, world):
    """p1-page: 2 steps with backups, 3 rounds: 12 recipients, then chain_exhausted on
    the desktop of every console."""
    shown = []
    c = make_console()
    c.runner.dispatcher.channels["desktop"].show = shown.append
    open_ticket(c.store, "INC-1")
    c.runner.run_once()
    tick_until(c, world, 3 * 30 * 60 + 60, step=15)
    chain = [r for r in c.rows() if r.key.startswith("notify|INC-1|p1-page")
             and "|cc:" not in r.key and r.payload["meta"]["kind"] == "notify"]
    assert len(chain) == 12
    # the VP has no PagerDuty service and email is not configured here: dead letters
    assert {r.status for r in chain if r.contact != "vp-engineering"} == {"sent"}
    assert {r.key.split("|")[3] for r in chain} == {"r1", "r2", "r3"}
    assert len(shown) == 1 and "exhausted" in shown[0]["reason"]


def test_a_restart_sends_nothing_twice(make_console, services, world):
    from benchmarks.notify.fakes import notify_config
    from console.app.notify_ops import build_runner

    c = make_console()
    open_ticket(c.store, "INC-1")
    c.runner.run_once()
    world.advance(400)
    c.runner.run_once()
    before = len(services.received("/pagerduty"))
    assert before == 3  # primary, cc, backup
    restarted = build_runner(c.store, config=notify_config(services), secrets=c.secrets,
                             claims=None, clock=c.runner.clock, sentiment=None)
    restarted.run_once()
    world.advance(1)
    restarted.run_once()
    assert len(services.received("/pagerduty")) == before


def test_history_before_the_first_start_is_not_sent(make_console, services, world):
    c = make_console()
    open_ticket(c.store, "OLD-1")
    world.advance(3 * 3600)  # opened three hours before this console ever ran
    open_ticket(c.store, "NEW-1")
    c.runner.run_once()
    tickets = {r.ticket for r in c.rows()}
    assert tickets == {"NEW-1"}


@pytest.mark.parametrize("offset, expected", [(0, "lena-eng"), (1, "dana-eng")])
def test_on_call_primary_is_whoever_is_on_call_now(make_console, world, offset, expected):
    from console.notify.oncall import OnCall

    c = make_console()
    oncall = OnCall(c.store.matrix)
    # the weekly rotation started 2026-01-05 09:00 Berlin: dana, omar, lena, ...
    assert oncall.member("engineering-weekly", T0, offset) == expected
