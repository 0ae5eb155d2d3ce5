"""Server secrets: the environment, then a ``*_FILE`` file, then a systemd credential;
the desktop keyring's entries map onto names; values never reach a log."""

from __future__ import annotations

import pytest

from console.app.secrets import SecretsError
from console.service.secrets import (
    SecretSourceError,
    SecretSources,
    ServerSecrets,
    database_password,
    env_variable,
    secret_name,
)


@pytest.mark.parametrize(("ref", "name"), [
    ("slack:#engineering", "notify_slack_engineering"),
    ("slack:default", "notify_slack_default"),
    ("pagerduty:engineering-oncall", "notify_pagerduty_engineering_oncall"),
    ("teams:Ops Room", "notify_teams_ops_room"),
    ("email:password", "notify_email_password"),
])
def test_a_keyring_entry_maps_onto_a_server_secret_name(ref, name):
    assert secret_name(ref) == name
    assert env_variable(name) == "ESCALATION_SECRET_" + name.upper()


def test_the_environment_wins_over_a_file_and_a_file_over_a_credential(tmp_path):
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "database_password").write_text("from-credential\n")
    (tmp_path / "pw").write_text("from-file\n")
    env = {"CREDENTIALS_DIRECTORY": str(credentials)}
    assert SecretSources(env).read("database_password") == "from-credential"
    env["ESCALATION_SECRET_DATABASE_PASSWORD_FILE"] = str(tmp_path / "pw")
    assert SecretSources(env).read("database_password") == "from-file"
    env["ESCALATION_SECRET_DATABASE_PASSWORD"] = "from-env"
    assert SecretSources(env).read("database_password") == "from-env"
    assert SecretSources({}).read("database_password") is None


def test_a_file_keeps_everything_but_one_final_newline(tmp_path):
    (tmp_path / "key").write_text("  spaced key \n\n")
    sources = SecretSources({"ESCALATION_SECRET_X_FILE": str(tmp_path / "key")})
    assert sources.read("x") == "  spaced key \n"


def test_an_unreadable_secret_file_is_an_error_naming_the_variable_and_path(tmp_path):
    sources = SecretSources({"ESCALATION_SECRET_X_FILE": str(tmp_path / "missing")})
    with pytest.raises(SecretSourceError, match=r"ESCALATION_SECRET_X_FILE: no such file .*"
                                                r"missing"):
        sources.read("x")


def test_notification_lookups_fall_back_to_the_channels_default():
    secrets = ServerSecrets(SecretSources({
        "ESCALATION_SECRET_NOTIFY_SLACK_DEFAULT": "https://hooks.example/default",
        "ESCALATION_SECRET_NOTIFY_PAGERDUTY_ENGINEERING_ONCALL": "R-ONCALL"}))
    assert secrets.lookup("slack", "#engineering") == (
        "slack:default", "https://hooks.example/default")
    assert secrets.lookup("pagerduty", "engineering-oncall") == (
        "pagerduty:engineering-oncall", "R-ONCALL")
    assert secrets.lookup("teams", "ops") == ("teams:ops", None)
    assert secrets.lookup("desktop", "") == ("desktop", None)
    assert secrets.get("slack:default") == "https://hooks.example/default"


def test_a_server_refuses_to_write_a_secret_and_says_what_to_set():
    secrets = ServerSecrets(SecretSources({}))
    with pytest.raises(SecretsError, match="ESCALATION_SECRET_NOTIFY_SLACK_ENGINEERING"):
        secrets.set("slack:#engineering", "https://hooks.example/x")


def test_named_secrets_serve_the_http_hooks_and_an_unusable_one_reads_as_missing(tmp_path):
    secrets = ServerSecrets(SecretSources({
        "ESCALATION_SECRET_PAGERDUTY_WEBHOOK_SECRET": "whsec",
        "ESCALATION_SECRET_SLACK_SIGNING_SECRET_FILE": str(tmp_path / "missing")}))
    assert secrets.named("pagerduty_webhook_secret") == "whsec"
    assert secrets.named("slack_signing_secret") is None


def test_the_database_password_comes_from_the_secret_else_the_environments_url():
    sources = SecretSources({"ESCALATION_SECRET_DATABASE_PASSWORD": "s3cret"})
    assert database_password(sources, "postgresql://svc@db/x") == "s3cret"
    sources = SecretSources({})
    assert database_password(sources, "postgresql://svc:inurl@db/x") == "inurl"
    assert "inurl" in sources.values()  # masked in the logs from now on
    assert database_password(SecretSources({}), "postgresql://svc@db/x") is None


def test_every_secret_read_is_remembered_for_masking_longest_first(tmp_path):
    sources = SecretSources({"ESCALATION_SECRET_A": "abc", "ESCALATION_SECRET_B": "abcdef"})
    sources.read("a")
    sources.read("b")
    sources.read("missing")
    assert sources.values() == ["abcdef", "abc"]
