"""The service's configuration: TOML or YAML, environment overrides, and errors in one
line that name the file, the line and the field (exit 2 from the command)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from console.service.config import ServiceConfig, env_name, load_config
from console.service.configfile import ConfigError

from .conftest import ROOT, clean_env

URL = "postgresql://escalation@db.internal:5432/escalation"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _error(path: Path, env: dict[str, str] | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_config(path, env or {})
    return caught.value


def test_a_toml_file_gives_every_setting_and_the_rest_are_defaults(tmp_path):
    path = _write(tmp_path, "service.toml", f"""
database_url = "{URL}"
listen = "[::1]:9000"
takeover_seconds = 10
instance = "pager-a"
log_format = "JSON"

[notify.email]
host = "smtp.internal"
port = 2525

[notify.retry]
max_attempts = 4
""")
    config = load_config(path, {})
    assert (config.database_url, config.listen_host, config.listen_port) == (URL, "::1", 9000)
    assert (config.takeover_seconds, config.instance, config.log_format) == (10.0, "pager-a",
                                                                             "json")
    assert config.state_dir == Path("/var/lib/escalation-console")
    assert config.notify["email"]["host"] == "smtp.internal"
    assert config.notify["email"]["port"] == 2525
    assert config.notify["email"]["starttls"] is True  # a default kept beside the file's keys
    assert config.notify["retry"] == {"base": 2.0, "cap": 300.0, "max_attempts": 4}
    assert config.listen == "[::1]:9000"


def test_a_yaml_file_reads_like_the_toml_one(tmp_path):
    path = _write(tmp_path, "service.yaml", f"""
database_url: {URL}
listen: ":8787"
notify:
  pagerduty: {{events_url: "https://events.eu.pagerduty.com/v2/enqueue"}}
  lease_seconds: 60
""")
    config = load_config(path, {})
    assert (config.listen_host, config.listen_port) == ("0.0.0.0", 8787)
    assert config.notify["pagerduty"]["events_url"].startswith("https://events.eu.")
    assert config.notify["lease_seconds"] == 60.0


def test_environment_variables_override_the_file(tmp_path):
    path = _write(tmp_path, "service.toml", f'database_url = "{URL}"\ntakeover_seconds = 10\n'
                                            '[notify.email]\nhost = "smtp.internal"\n')
    config = load_config(path, {
        "ESCALATION_SERVICE_TAKEOVER_SECONDS": "20",
        "ESCALATION_SERVICE_STATE_DIR": str(tmp_path / "state"),
        "ESCALATION_SERVICE_NOTIFY_EMAIL_HOST": "smtp.other",
        "ESCALATION_SERVICE_NOTIFY_EMAIL_STARTTLS": "false",
        "UNRELATED": "x"})
    assert config.takeover_seconds == 20.0
    assert config.state_dir == tmp_path / "state"
    assert config.notify["email"]["host"] == "smtp.other"
    assert config.notify["email"]["starttls"] is False
    assert env_name(("notify", "pagerduty", "events_url")) == (
        "ESCALATION_SERVICE_NOTIFY_PAGERDUTY_EVENTS_URL")


def test_the_environment_alone_is_a_configuration():
    config = load_config(None, {"ESCALATION_SERVICE_DATABASE_URL": URL})
    assert isinstance(config, ServiceConfig) and config.database_url == URL
    assert config.instance  # hostname:pid
    assert (config.listen_host, config.listen_port) == ("127.0.0.1", 8787)


def test_an_unknown_key_is_named_with_its_line(tmp_path):
    path = _write(tmp_path, "service.toml", f'database_url = "{URL}"\n\n[notify.email]\n'
                                            'host = "smtp"\nhots = "typo"\n')
    error = _error(path)
    assert str(error).startswith(f"{path}:5: notify.email.hots: unknown key")
    assert "host" in str(error)


def test_a_secret_in_the_file_is_refused_as_a_secret(tmp_path):
    path = _write(tmp_path, "service.yaml", f"database_url: {URL}\nnotify:\n  email:\n"
                                            "    password: hunter2\n")
    error = _error(path)
    assert str(error).startswith(f"{path}:4: notify.email.password:")
    assert "secret" in str(error) and "hunter2" not in str(error)


@pytest.mark.parametrize("url", ["postgresql://escalation:hunter2@db/escalation",
                                 "postgresql://escalation@db/escalation?password=hunter2"])
def test_a_password_in_the_files_database_url_is_refused(tmp_path, url):
    path = _write(tmp_path, "service.toml", f'listen = ":1"\ndatabase_url = "{url}"\n')
    error = _error(path)
    assert str(error).startswith(f"{path}:2: database_url: holds a password")
    assert "ESCALATION_SECRET_DATABASE_PASSWORD" in str(error)
    assert "hunter2" not in str(error)


def test_a_bad_value_names_the_file_line_and_field(tmp_path):
    path = _write(tmp_path, "service.yaml", f"database_url: {URL}\ntakeover_seconds: soon\n")
    assert str(_error(path)).startswith(f"{path}:2: takeover_seconds: expected a number")
    path = _write(tmp_path, "listen.toml", f'database_url = "{URL}"\nlisten = "8787"\n')
    assert str(_error(path)).startswith(f"{path}:2: listen: expected host:port")


def test_a_bad_environment_value_or_unknown_variable_names_the_variable():
    with pytest.raises(ConfigError, match=r"^\$ESCALATION_SERVICE_LISTEN: listen: the port "
                                          r"70000 is above 65535"):
        load_config(None, {"ESCALATION_SERVICE_DATABASE_URL": URL,
                           "ESCALATION_SERVICE_LISTEN": "127.0.0.1:70000"})
    with pytest.raises(ConfigError, match=r"^\$ESCALATION_SERVICE_TAKOVER_SECONDS: unknown"):
        load_config(None, {"ESCALATION_SERVICE_DATABASE_URL": URL,
                           "ESCALATION_SERVICE_TAKOVER_SECONDS": "5"})


def test_the_database_url_is_required(tmp_path):
    path = _write(tmp_path, "service.toml", 'listen = ":8787"\n')
    assert str(_error(path)).startswith(f"{path}: database_url: required")


def test_malformed_files_name_the_line(tmp_path):
    toml = _write(tmp_path, "bad.toml", f'database_url = "{URL}"\nlisten = \n')
    assert str(_error(toml)).startswith(f"{toml}:2: malformed TOML")
    yaml = _write(tmp_path, "bad.yaml", f"database_url: {URL}\nnotify: [1\nlisten: x\n")
    assert str(_error(yaml)).startswith(f"{yaml}:3: malformed YAML")
    listing = _write(tmp_path, "list.yaml", "- 1\n- 2\n")
    assert "mapping of settings" in str(_error(listing))
    other = _write(tmp_path, "service.ini", "[x]\n")
    assert "*.toml, *.yaml or *.yml" in str(_error(other))
    assert "no such file" in str(_error(tmp_path / "missing.toml"))


# -- through the command ----------------------------------------------------------------
def _serve(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "console", *args], cwd=ROOT,
                          env=clean_env(**env), capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("bad.toml", 'database_url = "x\n', ":1: malformed TOML"),
    ("bad.yaml", "database_url: x\nlisten: [\n", ":3: malformed YAML"),
    ("unknown.toml", f'database_url = "{URL}"\nlog_fromat = "json"\n',
     ":2: log_fromat: unknown key"),
    ("password.yaml", "database_url: postgresql://svc:hunter2@db/x\n",
     ":1: database_url: holds a password"),
])
def test_serve_reports_a_bad_configuration_in_one_line_and_exits_2(tmp_path, name, text,
                                                                    expected):
    path = _write(tmp_path, name, text)
    result = _serve("serve", "--config", str(path))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"escalation-console: {path}{expected}")
    assert "hunter2" not in result.stderr and "Traceback" not in result.stderr


def test_serve_options_work_before_and_after_the_common_ones(tmp_path):
    path = _write(tmp_path, "unknown.toml", f'database_url = "{URL}"\nnope = 1\n')
    for args in (["--debug", "serve", "--config", str(path)],
                 ["serve", "--config", str(path), "--debug"],
                 ["serve", "tokens", "list", "--config", str(path)],
                 ["serve", "--config", str(path), "tokens", "list"]):
        result = _serve(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert f"{path}:2: nope: unknown key" in result.stderr, args


def test_a_bad_listen_option_is_a_usage_error():
    result = _serve("serve", "--listen", "everywhere")
    assert result.returncode == 2
    assert "--listen" in result.stderr and "host:port" in result.stderr


def test_serve_refuses_a_consoles_data_dir_rather_than_ignore_it(tmp_path):
    path = _write(tmp_path, "service.toml", f'database_url = "{URL}"\n')
    for args in (["--data-dir", str(tmp_path), "serve", "--config", str(path)],
                 ["serve", "--config", str(path), "--data-dir", str(tmp_path)]):
        result = _serve(*args)
        assert result.returncode == 2, result.stderr
        assert "state_dir" in result.stderr and "--data-dir" in result.stderr


def test_http_limits_come_from_the_file_or_the_environment_and_default_to_the_servers(
        tmp_path):
    path = _write(tmp_path, "service.toml", f'database_url = "{URL}"\n[http]\n'
                                            'max_body_bytes = 4096\n')
    assert load_config(path, {}).http == {"max_body_bytes": 4096}
    config = load_config(path, {"ESCALATION_SERVICE_HTTP_RATE_PER_SECOND": "2.5",
                                "ESCALATION_SERVICE_HTTP_BURST": "5"})
    assert config.http == {"max_body_bytes": 4096, "rate_per_second": 2.5, "burst": 5}
    assert load_config(None, {"ESCALATION_SERVICE_DATABASE_URL": URL}).http == {}
    bad = _write(tmp_path, "bad.toml", f'database_url = "{URL}"\n[http]\nburst = 0\n')
    assert str(_error(bad)).startswith(f"{bad}:3: http.burst: expected a whole number of 1")
    bad.write_text(f'database_url = "{URL}"\n[http]\nmax_body = 1\n')
    assert str(_error(bad)).startswith(f"{bad}:3: http.max_body: unknown key; known here: "
                                       "burst, max_body_bytes, rate_per_second")


def test_an_unreadable_secret_file_or_tls_file_stops_serve_with_exit_2(tmp_path):
    # both are checked before the database is contacted (this URL has no server)
    path = _write(tmp_path, "service.toml", 'database_url = "postgresql://svc@127.0.0.1:1/x"\n'
                                            f'state_dir = "{tmp_path / "state"}"\n')
    result = _serve("serve", "--config", str(path), ESCALATION_SECRET_DATABASE_PASSWORD_FILE=
                    str(tmp_path / "missing"))
    assert result.returncode == 2, result.stderr
    assert "$ESCALATION_SECRET_DATABASE_PASSWORD_FILE: no such file" in result.stderr
    result = _serve("serve", "--config", str(path),
                    ESCALATION_SERVICE_TLS_CERT=str(tmp_path / "cert.pem"))
    assert result.returncode == 2, result.stderr
    assert f"tls_cert: no such file {tmp_path / 'cert.pem'}" in result.stderr
