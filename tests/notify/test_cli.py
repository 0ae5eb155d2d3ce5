"""``escalation-console notify ...`` from the command line."""

from __future__ import annotations

import json

import pytest

from benchmarks.notify.fakes import FakeSmtp, notify_config
from console.app.notify_ops import save_config
from console.app.notify_secrets import NotifySecrets
from console.cli import main

from .helpers import open_ticket

pytestmark = pytest.mark.filterwarnings("ignore:Session.login_data")


def run(capsys, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_deliveries_dead_letters_and_retry(make_console, capsys):
    c = make_console(secrets={})  # nothing configured: every delivery dies
    open_ticket(c.store, "INC-1")
    c.runner.run_once()
    data = str(c.store.data_dir)
    code, out, _ = run(capsys, "--data-dir", data, "notify", "deliveries")
    assert code == 0 and "INC-1" in out and "pagerduty" in out
    code, out, _ = run(capsys, "--data-dir", data, "notify", "deliveries", "--dead", "--json")
    dead = json.loads(out)
    assert code == 0 and dead and {d["status"] for d in dead} == {"dead"}
    assert all("keyring" in d["last_error"] or "SMTP" in d["last_error"] for d in dead)
    code, out, _ = run(capsys, "--data-dir", data, "notify", "retry", dead[0]["id"][:8])
    assert code == 0 and "queued again" in out
    assert c.runner.outbox.get(dead[0]["id"]).status == "pending"
    code, _, err = run(capsys, "--data-dir", data, "notify", "retry", dead[0]["id"][:8])
    assert code == 1 and "is pending" in err
    code, _, err = run(capsys, "--data-dir", data, "notify", "retry", "nope-nope")
    assert code == 2 and "no delivery" in err


def test_pd_ack_needs_a_known_ticket(make_console, capsys):
    c = make_console()
    code, _, err = run(capsys, "--data-dir", str(c.store.data_dir), "notify", "pd-ack",
                       "ec/NOPE-1/0123456789abcdef")
    assert code == 2 and "no ticket 'NOPE-1'" in err


def test_send_test_uses_settings_and_the_keyring(tmp_path, services, smtp, capsys):
    data = tmp_path / "console"
    data.mkdir()
    save_config(data, notify_config(services, smtp))
    secrets = NotifySecrets()
    secrets.set("slack:#cli-test", services.url("/slack/cli"))
    secrets.set("email:password", FakeSmtp.PASSWORD)
    code, out, _ = run(capsys, "--data-dir", str(data), "notify", "test", "slack",
                       "--to", "#cli-test")
    assert code == 0 and "slack: test message sent" in out
    assert services.received("/slack/cli")[0].body["text"].startswith("[P1] TEST-1")
    code, out, _ = run(capsys, "--data-dir", str(data), "notify", "test", "email",
                       "--to", "ops@example.com")
    assert code == 0 and smtp.messages[0]["to"] == ["ops@example.com"]
    code, _, err = run(capsys, "--data-dir", str(data), "notify", "test", "teams",
                       "--to", "#unset-teams")
    assert code == 1 and "final" in err and "keyring" in err
    secrets.set("pagerduty:cli-svc", "R-TEST")
    code, out, _ = run(capsys, "--data-dir", str(data), "notify", "test", "pagerduty",
                       "--to", "cli-svc")
    assert code == 0
    assert [a["status"] for a in services.alerts.values()] == ["resolved"]
    for ref in ("slack:#cli-test", "email:password", "pagerduty:cli-svc"):
        secrets.delete(ref)


def test_notify_help_lists_the_actions(capsys):
    with pytest.raises(SystemExit):
        main(["notify", "--help"])
    out = capsys.readouterr().out
    for action in ("test", "deliveries", "retry", "pd-ack"):
        assert action in out


def test_deliveries_retry_and_pd_ack_work_when_no_console_is_running(make_console, capsys):
    from console.store.deliveries import DeliveryOutbox
    from console.store.local import LocalStore

    c = make_console(secrets={})  # nothing configured: every delivery dies
    open_ticket(c.store, "INC-2")
    c.runner.run_once()
    c.store.close()  # the console quits: nothing holds the data dir's lock
    data = str(c.store.data_dir)
    code, out, err = run(capsys, "--data-dir", data, "notify", "deliveries", "--dead", "--json")
    assert code == 0, err
    dead = json.loads(out)
    assert dead and {d["ticket"] for d in dead} == {"INC-2"}
    code, out, err = run(capsys, "--data-dir", data, "notify", "retry", dead[0]["id"][:8])
    assert code == 0 and "queued again" in out, err
    code, out, err = run(capsys, "--data-dir", data, "notify", "pd-ack", "INC-2")
    assert code == 0 and "INC-2: acknowledged from PagerDuty" in out, err
    code, _, err = run(capsys, "--data-dir", data, "notify", "retry", "nope-nope")
    assert code == 2 and "no delivery 'nope-nope'" in err
    with LocalStore(data, c.store.matrix) as store:  # and the lock was let go each time
        assert DeliveryOutbox(store).get(dead[0]["id"]).status == "pending"
        assert [e.kind for e in store.history("INC-2")][-1] == "acknowledged"
