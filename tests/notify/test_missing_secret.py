"""A page that cannot go out for want of a secret says where this installation keeps
it, and the failure is in the log (a server has no dialog to look at)."""

from __future__ import annotations

import logging

import pytest

from benchmarks.notify.fakes import notify_config
from console.app.notify_ops import build_runner
from console.app.notify_secrets import StaticSecrets
from console.service.secrets import SecretSources, ServerSecrets
from console.store.local import LocalStore

from .helpers import open_ticket

pytestmark = pytest.mark.filterwarnings("ignore:Session.login_data")


def _p1_without_secrets(tmp_path, matrix, world, services, secrets):  # type: ignore[no-untyped-def]
    store = LocalStore(tmp_path / "s", matrix, clock=world.clock()).open()
    runner = build_runner(store, config=notify_config(services, None), secrets=secrets,
                          claims=None, clock=world.clock(), sentiment=None, seed=7)
    open_ticket(store, "INC-1")  # P1: PagerDuty to on-call, cc the CTO
    runner.run_once()
    rows = [r for r in runner.outbox.listing() if r.channel == "pagerduty"]
    return store, rows


def test_a_server_names_the_variable_that_holds_a_missing_pagerduty_key(
        tmp_path, matrix, world, services, caplog):
    caplog.set_level(logging.WARNING, logger="console.notify.outbox")
    secrets = ServerSecrets(SecretSources(env={}))
    store, rows = _p1_without_secrets(tmp_path, matrix, world, services, secrets)
    try:
        assert rows and all(r.status in ("failed", "dead") for r in rows)
        error = rows[0].last_error
        assert "ESCALATION_SECRET_NOTIFY_PAGERDUTY_" in error and "OS keyring" not in error
        assert "docs/service.md#secrets" in error
        logged = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert any("pagerduty delivery" in r.getMessage() and "INC-1" in r.getMessage()
                   for r in logged)
        assert not services.alerts  # nothing was sent without the key
    finally:
        store.close()


def test_a_desktop_console_still_points_at_the_channels_dialog(
        tmp_path, matrix, world, services):
    store, rows = _p1_without_secrets(tmp_path, matrix, world, services, StaticSecrets({}))
    try:
        assert rows and "Notifications > Channels" in rows[0].last_error
        assert "ESCALATION_SECRET" not in rows[0].last_error
    finally:
        store.close()
