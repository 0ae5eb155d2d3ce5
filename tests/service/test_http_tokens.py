"""``escalation-console serve tokens add|list|revoke`` against a real throwaway
PostgreSQL, through the command line's own entry point."""

from __future__ import annotations

import pytest

from console.cli import main
from console.service.http.tokens import TokenStore
from console.store.server import SharedDatabase

pytestmark = pytest.mark.postgres


@pytest.fixture
def env(pg, monkeypatch):
    for name in ("ESCALATION_SERVICE_CONFIG", "ESCALATION_SECRET_DATABASE_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ESCALATION_SERVICE_DATABASE_URL", pg.url)
    return pg


def verify(pg, token: str) -> str | None:
    db = SharedDatabase(pg.url)
    try:
        return TokenStore(db).verify(token)
    finally:
        db.close()


def test_a_token_is_printed_once_listed_without_its_secret_and_revoked(env, capsys):
    assert main(["serve", "tokens", "add", "zendesk"]) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("ect_") and len(token) > 40
    assert verify(env, token) == "zendesk"

    assert main(["serve", "tokens", "list"]) == 0
    listing = capsys.readouterr().out
    assert listing.startswith("zendesk\tect_") and "live" in listing
    assert token not in listing

    assert main(["serve", "tokens", "revoke", "zendesk"]) == 0
    assert verify(env, token) is None
    assert main(["serve", "tokens", "list"]) == 0
    assert "revoked" in capsys.readouterr().out


def test_a_second_live_token_for_a_name_is_refused_until_the_first_is_revoked(env, capsys):
    assert main(["serve", "tokens", "add", "zendesk"]) == 0
    first = capsys.readouterr().out.strip()
    assert main(["serve", "tokens", "add", "zendesk"]) == 1
    assert "revoke it first" in capsys.readouterr().err
    assert main(["serve", "tokens", "revoke", "zendesk"]) == 0
    assert main(["serve", "tokens", "add", "zendesk"]) == 0
    second = capsys.readouterr().out.strip()
    assert verify(env, first) is None and verify(env, second) == "zendesk"


@pytest.mark.parametrize("argv, message", [
    (["serve", "tokens", "add", "has space"], "not a token name"),
    (["serve", "tokens", "revoke", "nobody"], "no live token named 'nobody'"),
])
def test_bad_token_commands_say_what_is_wrong(env, capsys, argv, message):
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
