"""Notifications > Channels and Notifications > Dead letters."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from console.app.notify_ops import load_config
from console.app.notify_secrets import StaticSecrets
from console.notify.channels import DeliveryResult

pytestmark = pytest.mark.gui


@pytest.fixture
def matrix():  # type: ignore[no-untyped-def]
    from console.app.matrices import load_matrix_file
    from console.paths import default_matrix_path

    return load_matrix_file(default_matrix_path())


def test_channels_dialog_saves_settings_and_secrets_and_sends_a_test(qtbot, tmp_path, matrix):
    from console.ui.channels_dialog import DEFAULT_ADDRESS, ChannelsDialog

    sent = []

    def sender(channel, address, *, config, secrets):  # type: ignore[no-untyped-def]
        sent.append((channel, address, config[channel], secrets.lookup(channel, address)))
        return DeliveryResult.sent("ok-123") if address != "#broken" else \
            DeliveryResult.fail("Slack answered HTTP 404: channel_not_found")

    secrets = StaticSecrets({})
    dialog = ChannelsDialog(tmp_path, matrix, secrets=secrets, sender=sender)
    qtbot.addWidget(dialog)
    slack = dialog.channel_tabs["slack"]
    assert slack.address.itemText(0) == DEFAULT_ADDRESS
    assert "#engineering" in [slack.address.itemText(i) for i in range(slack.address.count())]
    qtbot.waitUntil(lambda: "not set" in slack.secret_state.text())
    slack.address.setCurrentText("#engineering")
    slack.secret.setText("https://hooks.example/T/B/X")
    slack.save_secret_button.click()
    qtbot.waitUntil(lambda: "saved" in slack.result.text())
    assert secrets.values == {"slack:#engineering": "https://hooks.example/T/B/X"}
    assert slack.secret.text() == ""  # never left on screen
    qtbot.waitUntil(lambda: slack.secret_state.text() == "slack:#engineering: set")
    slack.fields["min_interval"].setValue(2.0)
    slack.test_button.click()
    qtbot.waitUntil(lambda: "sent (ok-123)" in slack.result.text())
    channel, address, config, found = sent[0]
    assert (channel, address, config["min_interval"]) == ("slack", "#engineering", 2.0)
    assert found == ("slack:#engineering", "https://hooks.example/T/B/X")
    slack.address.setCurrentText("#broken")
    slack.test_button.click()
    qtbot.waitUntil(lambda: "channel_not_found" in slack.result.text())
    assert "will not work as configured" in slack.result.text()
    email = dialog.channel_tabs["email"]
    email.fields["host"].setText("smtp.example.com")
    email.fields["port"].setValue(2525)
    dialog.save()
    config = load_config(tmp_path)
    assert config["email"]["host"] == "smtp.example.com" and config["email"]["port"] == 2525
    assert config["slack"]["min_interval"] == 2.0
    settings_text = (tmp_path / "settings.json").read_text()
    assert "hooks.example" not in settings_text  # secrets never reach the settings file
    email.secret.setText("pw")
    email.save_secret_button.click()
    qtbot.waitUntil(lambda: "email:password" in secrets.values)
    email.forget_button.click()
    qtbot.waitUntil(lambda: "email:password" not in secrets.values)


def test_dead_letters_lists_and_retries_through_the_console_service(qtbot, tmp_path, matrix):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from service_fakes import on_worker, running_service

    from benchmarks.notify.fakes import FakeServices, notify_config
    from console.app.notify_ops import build_runner
    from console.app.runtime.notices import desktop_text
    from console.ui.dead_letters import DeadLettersDialog

    with running_service(tmp_path / "c", matrix, qtbot, user="ana") as service, \
            FakeServices() as services:
        store = service.store
        runner = build_runner(store, config=notify_config(services),
                              secrets=StaticSecrets({}), claims=None, sentiment=None)

        def fail_once() -> list:
            store.append("INC-1", "opened", {"title": "Checkout fails", "account": "Acme",
                                             "users_affected_pct": 50, "workaround": "none"},
                         "ana")
            runner.run_once()
            return runner.outbox.listing(["dead"])

        dead = on_worker(service, qtbot, fail_once)
        assert dead
        dialog = DeadLettersDialog(service)
        qtbot.addWidget(dialog)
        qtbot.waitUntil(lambda: dialog.table.rowCount() == len(dead))
        assert "dead letter" in dialog.status.text()
        assert dialog.table.item(0, 1).text() == "INC-1"
        assert not dialog.retry_button.isEnabled()
        dialog.table.selectRow(0)
        assert dialog.retry_button.isEnabled()
        with qtbot.waitSignal(dialog.retried, timeout=5000) as signal:
            dialog.retry_button.click()
        retried = on_worker(service, qtbot, lambda: runner.outbox.get(signal.args[0]))
        assert retried.status == "pending"
        qtbot.waitUntil(lambda: dialog.table.rowCount() == len(dead) - 1)
        dialog.retry_all_button.click()
        qtbot.waitUntil(lambda: dialog.table.rowCount() == 0)
        assert "No dead letters" in dialog.status.text()
        summary, body = desktop_text(dead[0].payload["message"])
        assert summary.startswith("[P1] INC-1") and "tickets show INC-1" in body
