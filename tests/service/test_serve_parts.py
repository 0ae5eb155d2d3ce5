"""The service's parts: a part whose thread dies on an error is reported, so the
process stops (and systemd restarts it) instead of running on without paging."""

from __future__ import annotations

import threading

from console.service.composition import Service
from console.service.config import load_config
from console.service.secrets import SecretSources, ServerSecrets


def _service(failures: list[str]) -> Service:
    config = load_config(None, {"ESCALATION_SERVICE_DATABASE_URL": "postgresql://svc@db/x"})
    return Service(config, None, ServerSecrets(SecretSources({})), on_failure=failures.append)


def test_a_part_that_dies_on_an_error_is_reported_by_name(caplog):
    failures: list[str] = []
    service = _service(failures)

    def broken(stop: threading.Event) -> None:
        raise RuntimeError("a bug")

    part = service._spawn("notify", broken)
    part.thread.join(5)
    assert failures == ["notify"]
    assert "the notify part stopped on an error" in caplog.text


def test_a_part_that_returns_at_its_stop_is_not_a_failure():
    failures: list[str] = []
    service = _service(failures)
    part = service._spawn("sync", lambda stop: stop.wait(5))
    assert service._join("sync", 5)
    assert not part.thread.is_alive() and failures == []
    assert service.stop(budget=1.0) == []  # nothing else was started: nothing overruns
