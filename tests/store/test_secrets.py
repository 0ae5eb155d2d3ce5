"""The database password lives in the keyring only: never in settings.json, the SQLite
files, logs, or messages."""

from __future__ import annotations

import base64
import io
import json
import uuid

import pytest

from console.cli import main
from console.store.server import SharedDatabase, SharedDBError

PASSWORD = "S3cret-Pa55word-xyz"


@pytest.fixture
def password_db(pg_server):  # type: ignore[no-untyped-def]
    """A database owned by a role that must log in with PASSWORD (scram over TCP). The
    superuser migrates it and makes the role a person (an agent): migrating needs the
    admin role, and the server takes events only from people, authored by themselves."""
    from benchmarks.pgcluster import PgCluster
    from console.store.people import add_person

    if not isinstance(pg_server, PgCluster):
        pytest.skip("needs a throwaway cluster whose pg_hba.conf it may change")
    role, dbname = f"ec_{uuid.uuid4().hex[:10]}", f"s_{uuid.uuid4().hex[:10]}"
    with pg_server.admin() as conn:
        conn.execute("SET password_encryption = 'scram-sha-256'")
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{PASSWORD}'")
        conn.execute(f"CREATE DATABASE {dbname} OWNER {role}")
    db = SharedDatabase(pg_server.url(dbname))
    try:
        db.migrate()
        add_person(db, role, "agent")
    finally:
        db.close()
    pg_server.prepend_hba(f"host all {role} 127.0.0.1/32 scram-sha-256")
    return f"postgresql://{role}@{pg_server.host}:{pg_server.port}/{dbname}"


def _files_containing(root, needles: list[bytes]) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(p) for p in root.rglob("*") if p.is_file()
            and any(n in p.read_bytes() for n in needles)]


@pytest.mark.postgres
def test_connect_and_sync_keep_the_password_out_of_the_data_dir(
        password_db, tmp_path, monkeypatch, capsys, matrix):
    from console.store.local import LocalStore

    data_dir, xdg = tmp_path / "data", tmp_path / "xdg"
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    monkeypatch.setenv("XDG_DATA_HOME", str(xdg))
    monkeypatch.delenv("PGPASSWORD", raising=False)
    with pytest.raises(SharedDBError, match="password authentication failed") as caught:
        SharedDatabase(password_db, "wrong-" + PASSWORD).check()
    assert PASSWORD not in str(caught.value)

    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["--data-dir", str(data_dir), "connect", password_db, "--password-stdin"]) == 0
    out = capsys.readouterr()
    assert out.out.startswith("connected to PostgreSQL ")
    # the tests' keyring is a plain-text file, and connect says so (not "OS keyring")
    assert out.out.rstrip().endswith(
        f"password kept in a plain-text file, {xdg / 'python_keyring' / 'keyring_pass.cfg'}")
    assert PASSWORD not in out.out + out.err

    login = password_db.split("://", 1)[1].split("@", 1)[0]
    with LocalStore(data_dir, matrix) as store:
        store.append("T-1", "opened", {"title": "Checkout fails", "account": "Acme",
                                       "users_affected_pct": 50, "workaround": "none"}, login)
        store.append("T-1", "message", {"text": "hello"}, login)
    assert main(["--data-dir", str(data_dir), "sync", "--once"]) == 0
    assert capsys.readouterr().out.strip() == "pushed 2, pulled 0"

    # the password inside the URL is taken out before anything is stored
    user, rest = password_db.split("://", 1)[1].split("@", 1)
    assert main(["--data-dir", str(data_dir), "connect",
                 f"postgresql://{user}:{PASSWORD}@{rest}"]) == 0
    assert PASSWORD not in capsys.readouterr().out
    # a wrong password fails with a message that does not echo it
    monkeypatch.setattr("sys.stdin", io.StringIO("Wr0ng-Pa55word\n"))
    assert main(["--data-dir", str(data_dir), "connect", password_db, "--password-stdin"]) == 1
    err = capsys.readouterr().err
    assert "Wr0ng-Pa55word" not in err and "password authentication failed" in err

    settings = json.loads((data_dir / "settings.json").read_text())
    assert settings["shared_db_url"] == password_db
    assert (data_dir / "settings.json").stat().st_mode & 0o777 == 0o600
    needles = [PASSWORD.encode(), base64.b64encode(PASSWORD.encode()),
               PASSWORD.encode("utf-16-le")]
    assert list(data_dir.rglob("*.sqlite3")), "the store should exist"
    assert _files_containing(data_dir, needles) == []

    import keyring

    assert keyring.get_password("escalation-console", password_db) == PASSWORD
    assert _files_containing(xdg, [base64.b64encode(PASSWORD.encode())])  # the keyring file


def test_settings_store_the_url_without_its_password_atomically(tmp_path):
    from console.app.settings import Settings

    settings = Settings(tmp_path / "d")
    assert settings.shared_db_url is None
    settings.shared_db_url = f"postgresql://ana:{PASSWORD}@db.example:5432/console"
    assert settings.shared_db_url == "postgresql://ana@db.example:5432/console"
    assert PASSWORD not in (tmp_path / "d" / "settings.json").read_text()
    assert [p.name for p in (tmp_path / "d").iterdir()] == ["settings.json"]  # no temp left
    settings.shared_db_url = None
    assert Settings(tmp_path / "d").shared_db_url is None


def test_without_a_keyring_the_error_says_how_to_get_one():
    import keyring
    from keyring.backends.fail import Keyring as NoKeyring

    from console.app.secrets import SecretsError, store_password

    previous = keyring.get_keyring()
    keyring.set_keyring(NoKeyring())
    try:
        with pytest.raises(SecretsError, match="PYTHON_KEYRING_BACKEND") as caught:
            store_password("postgresql://ana@db/console", PASSWORD)
        assert "install and unlock" in str(caught.value)
    finally:
        keyring.set_keyring(previous)
