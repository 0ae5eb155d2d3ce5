"""start_notifications(service): the runner starts with the console and stops with it."""

from __future__ import annotations

import pytest

from benchmarks.notify.fakes import notify_config, notify_secrets, wait_for
from console.app.notify_secrets import StaticSecrets
from console.app.runtime.notify_handle import start_notifications

pytestmark = pytest.mark.gui


def test_the_console_pages_when_a_p1_is_opened(qtbot, tmp_path, matrix, services):
    from console.app.runtime.service import ConsoleService

    service = ConsoleService(tmp_path / "console", matrix, sync=False, user="ana")
    handle = start_notifications(service, config=notify_config(services),
                                 secrets=StaticSecrets(notify_secrets(services)),
                                 claims=None, sentiment=None, poll_interval=0.2)
    try:
        with qtbot.waitSignal(service.ready, timeout=10000):
            service.start()
        qtbot.waitUntil(lambda: handle.runner is not None and handle.runner.engine is not None,
                        timeout=10000)
        service.append("INC-1", "opened", {"title": "Checkout down", "account": "Acme",
                                           "users_affected_pct": 80, "workaround": "none"})
        assert wait_for(lambda: len(services.received("/pagerduty")) == 2, 10)
        service.acknowledge("INC-1", "test")
        assert wait_for(lambda: len(services.received("/pagerduty")) == 4, 10)
        assert {a["status"] for a in services.alerts.values()} == {"acknowledged"}
    finally:
        handle.stop()
        service.stop()


def test_the_engine_s_actions_are_signed_by_the_console_s_author(qtbot, tmp_path, matrix,
                                                                  services):
    from console.app.runtime.service import ConsoleService

    # "ana" is not this process's OS login: the console's author is what it was built with
    service = ConsoleService(tmp_path / "console", matrix, sync=False, user="ana")
    handle = start_notifications(service, config=notify_config(services),
                                 secrets=StaticSecrets(notify_secrets(services)),
                                 claims=None, sentiment=None, poll_interval=0.2)
    try:
        with qtbot.waitSignal(service.ready, timeout=10000):
            service.start()
        service.append("INC-1", "opened", {"title": "Checkout down", "account": "Acme",
                                           "users_affected_pct": 80, "workaround": "none"})
        service.append("INC-1", "severity", {"severity": "P1", "by": "engineering"})

        def routed() -> list[tuple[str, str]]:
            return [(e.author, e.payload["by"]) for e in service.store.all_events()
                    if e.kind == "routed"]

        assert wait_for(lambda: bool(routed()), 10)
        assert routed() == [("ana", "engine")]
    finally:
        handle.stop()
        service.stop()
