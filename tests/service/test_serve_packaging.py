"""The service's packaging: the systemd unit passes ``systemd-analyze verify`` and
keeps its hardening; the sample configuration is one ``serve`` accepts."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from console.service.config import load_config

from .conftest import ROOT

SYSTEMD = ROOT / "packaging" / "systemd"
UNIT = SYSTEMD / "escalation-console.service"
INSTALLED = "/opt/escalation-console/bin/escalation-console"


def _directives(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            out.setdefault(key.strip(), []).append(value.strip())
    return out


def test_the_unit_restarts_as_a_dedicated_user_with_hardening_and_credentials():
    unit = _directives(UNIT.read_text())
    assert unit["ExecStart"] == [f"{INSTALLED} serve --config "
                                 "/etc/escalation-console/service.toml"]
    assert unit["Restart"] == ["always"] and unit["Type"] == ["notify"]
    assert unit["StartLimitIntervalSec"] == ["0"]  # a long database outage: keep trying
    assert unit["User"] == ["escalation"]
    for key, value in [("ProtectSystem", "strict"), ("ProtectHome", "yes"),
                       ("NoNewPrivileges", "yes"), ("PrivateTmp", "yes"),
                       ("StateDirectory", "escalation-console")]:
        assert unit[key] == [value], key
    assert unit["LoadCredential"] == [
        "database_password:/etc/escalation-console/secrets/database_password"]
    # the clean stop takes at most 5 s; systemd must not kill it sooner
    assert int(unit["TimeoutStopSec"][0]) > 5


def test_systemd_analyze_verifies_the_unit(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (package systemd)")
    # verify checks that ExecStart's program exists: point it at this checkout's
    entry = Path(sys.executable).with_name("escalation-console")
    if not entry.exists():
        pytest.skip(f"{entry} is not installed (pip install -e .)")
    unit = tmp_path / UNIT.name
    unit.write_text(UNIT.read_text().replace(INSTALLED, str(entry)))
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    # a bad value or unknown key is only a warning, with exit 0: none may be printed
    assert result.stderr.strip() == "" and result.stdout.strip() == ""


def test_systemd_analyze_would_catch_a_bad_directive(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (package systemd)")
    entry = Path(sys.executable).with_name("escalation-console")
    unit = tmp_path / UNIT.name
    unit.write_text(UNIT.read_text().replace(INSTALLED, str(entry))
                    .replace("Type=notify", "Type=notifi"))
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True,
                            timeout=60)
    assert "notifi" in result.stderr  # the check above can fail


def test_the_sample_configuration_is_accepted_and_holds_no_secret():
    config = load_config(SYSTEMD / "service.toml", {})
    assert config.database_url == "postgresql://escalation@db.internal:5432/escalation"
    assert str(config.state_dir) == "/var/lib/escalation-console"
    assert (config.listen_host, config.listen_port) == ("127.0.0.1", 8787)
    assert config.takeover_seconds == 15.0 and config.log_format == "json"
    assert config.notify["lease_seconds"] == 30.0


def test_the_containerfile_runs_serve_as_an_unprivileged_user():
    text = (ROOT / "packaging" / "Containerfile").read_text()
    assert "USER escalation" in text
    assert 'ENTRYPOINT ["/opt/escalation-console/bin/escalation-console", "serve"]' in text
    assert "CI does not build this image" in text
