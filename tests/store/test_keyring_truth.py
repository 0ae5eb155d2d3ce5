"""``connect`` says truthfully where the database password went: the OS keyring, a
plain-text file (keyrings.alt), or nowhere (the null backend, or no keyring at all), and
then how to give it next time (PGPASSWORD). The connection is configured either way."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends.chainer import ChainerBackend
from keyring.backends.fail import Keyring as NoKeyring
from keyring.backends.null import Keyring as NullKeyring
from keyrings.alt.file import PlaintextKeyring

from console.app.secrets import store_password, where_kept
from console.cli import main

from .test_secrets import PASSWORD, password_db  # noqa: F401 (a fixture)

URL = "postgresql://ana@db.example/console"


@pytest.fixture
def backend() -> Iterator[list[KeyringBackend]]:
    """Set the keyring backend for one test: put it in the list."""
    previous = keyring.get_keyring()
    chosen: list[KeyringBackend] = []
    try:
        yield chosen
    finally:
        keyring.set_keyring(previous)


def use(chosen: list[KeyringBackend], kr: KeyringBackend) -> None:
    chosen.append(kr)
    keyring.set_keyring(kr)


def test_a_plain_text_file_keyring_is_named_as_a_file(backend, tmp_path):
    kr = PlaintextKeyring()
    kr.file_path = str(tmp_path / "keyring_pass.cfg")
    use(backend, kr)
    where = store_password(URL, PASSWORD)
    assert where == f"a plain-text file, {tmp_path / 'keyring_pass.cfg'}"
    assert "keyring" not in where.split(",")[0]  # never "the OS keyring"
    assert where_kept() == where


def test_the_null_backend_keeps_nothing_and_says_so(backend):
    use(backend, NullKeyring())
    assert store_password(URL, PASSWORD) is None
    assert where_kept() is None


def test_a_chain_of_keyrings_names_the_one_that_keeps_it(backend, tmp_path):
    kr = PlaintextKeyring()
    kr.file_path = str(tmp_path / "kept.cfg")

    class Chain(ChainerBackend):
        @property
        def backends(self) -> list[KeyringBackend]:
            return [kr, NullKeyring()]

    use(backend, Chain())
    assert where_kept() == f"a plain-text file, {tmp_path / 'kept.cfg'}"


@pytest.mark.postgres
@pytest.mark.parametrize(("kr", "why"), [
    (NullKeyring(), "the keyring backend in use (keyring.backends.null) keeps nothing"),
    (NoKeyring(), "no OS keyring is available")])
def test_connect_without_a_keyring_says_the_password_was_not_kept(
        password_db, tmp_path, monkeypatch, capsys, backend, kr, why):  # noqa: F811
    use(backend, kr)
    data = tmp_path / "data"
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["--data-dir", str(data), "connect", password_db, "--password-stdin"]) == 0
    out = capsys.readouterr().out
    assert "kept in the OS keyring" not in out
    assert f"password not kept ({why}" in out
    assert out.rstrip().endswith("set PGPASSWORD to give it to the console and 'sync'")
    assert PASSWORD not in out
    assert json.loads(Path(data / "settings.json").read_text())["shared_db_url"] == \
        password_db  # connected all the same


@pytest.mark.postgres
def test_connect_names_the_plain_text_file_the_password_went_to(
        password_db, tmp_path, monkeypatch, capsys, backend):  # noqa: F811
    kr = PlaintextKeyring()
    kr.file_path = str(tmp_path / "keyring_pass.cfg")
    use(backend, kr)
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["--data-dir", str(tmp_path / "d"), "connect", password_db,
                 "--password-stdin"]) == 0
    out = capsys.readouterr().out
    assert out.rstrip().endswith(
        f"password kept in a plain-text file, {tmp_path / 'keyring_pass.cfg'}")
    assert kr.get_password("escalation-console", password_db) == PASSWORD
