"""The service's parts: a part whose thread dies on an error is reported, so the
process stops (and systemd restarts it) instead of running on without paging."""

from __future__ import annotations

import threading

import pytest

from console.service.composition import Service, tls_context
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


def _tls_config(**files: str):  # type: ignore[no-untyped-def]
    env = {"ESCALATION_SERVICE_DATABASE_URL": "postgresql://svc@db/x"}
    env.update({f"ESCALATION_SERVICE_{k.upper()}": v for k, v in files.items()})
    return load_config(None, env)


def test_tls_files_that_do_not_load_are_named_by_their_field(tmp_path):
    from benchmarks.notify.fakes import self_signed_cert

    cert, key = self_signed_cert(tmp_path)
    assert tls_context(_tls_config()) is None
    assert tls_context(_tls_config(tls_cert=str(cert), tls_key=str(key))) is not None
    with pytest.raises(ValueError, match=r"^tls_cert: no such file .*missing\.pem"):
        tls_context(_tls_config(tls_cert=str(tmp_path / "missing.pem"), tls_key=str(key)))
    with pytest.raises(ValueError, match=r"^tls_key: no such file"):
        tls_context(_tls_config(tls_cert=str(cert), tls_key=str(tmp_path / "nokey.pem")))
    with pytest.raises(ValueError, match=r"^tls_key: set tls_cert too"):
        tls_context(_tls_config(tls_key=str(key)))
    with pytest.raises(ValueError, match=r"^tls_cert: cannot load"):
        tls_context(_tls_config(tls_cert=str(key), tls_key=str(key)))


def test_a_desktop_alert_on_a_server_is_a_warning_in_its_log_not_a_dead_letter(caplog):
    from console.notify.channels import Target
    from console.notify.channels.desktop import DesktopChannel

    channel = DesktopChannel(Service._desktop_alert)
    message = {"ticket": "INC-7", "severity": "P1", "reason": "chain p1-page exhausted",
               "ref": "abc123"}
    result = channel.send(message, Target("desktop", "", "", ""), None)
    assert result.ok
    record = next(r for r in caplog.records if r.levelname == "WARNING")
    assert record.getMessage() == "alert for the desktop: P1 INC-7: chain p1-page exhausted"
    assert record.ticket == "INC-7"  # type: ignore[attr-defined]
