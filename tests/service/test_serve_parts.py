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


@pytest.mark.postgres
def test_the_stop_pushes_local_events_the_syncer_had_not_sent_yet(pg, tmp_path):
    config = load_config(None, {"ESCALATION_SERVICE_DATABASE_URL": pg.url,
                                "ESCALATION_SERVICE_STATE_DIR": str(tmp_path / "state"),
                                "ESCALATION_SERVICE_LISTEN": "127.0.0.1:0",
                                "ESCALATION_SERVICE_INSTANCE": "in-process"})
    failures: list[str] = []
    service = Service(config, None, ServerSecrets(SecretSources({})),
                      on_failure=failures.append)
    service.start()
    try:
        assert service.store is not None
        # written without waking the syncer: only the stop's last push can send it
        event = service.store.append("INC-9", "opened", {"title": "Written at the stop"},
                                     "svc")
    finally:
        late = service.stop()
    assert late == [] and failures == []
    assert pg.query("SELECT ticket FROM events WHERE id = %s", (event.id,)) == [("INC-9",)]
