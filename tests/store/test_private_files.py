"""The local files are private whatever the umask: the data directory 0700; the store
(with its -wal and -shm files), the instance lock, settings.json and attachments 0600.
Files an older version left open to others are narrowed; an existing data directory
that is open to others is left as it is, with a warning."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from console.app.runtime.attachments import attachments_dir, store_file
from console.app.settings import Settings
from console.cli import main
from console.domain.matrix.model import Matrix
from console.store.local import DB_NAME, LOCK_NAME, LocalStore

from .helpers import open_ticket


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o022, 0o000], ids=["umask-022", "umask-000"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


def test_a_new_data_dir_and_every_file_in_it_are_private_whatever_the_umask(
        umask: int, tmp_path: Path, matrix: Matrix) -> None:
    data_dir = tmp_path / "data"
    with LocalStore(data_dir, matrix) as store:
        open_ticket(store, "T-1")
        store.append("T-1", "message", {"text": "the customer's card ends 4242"}, "ana")
        Settings(data_dir).shared_db_url = "postgresql://ana@db.example.com/console"
        source = tmp_path / "invoice.pdf"
        source.write_bytes(b"%PDF customer invoice")
        attachment = store_file(data_dir, source)
        files = [data_dir / DB_NAME, data_dir / f"{DB_NAME}-wal", data_dir / f"{DB_NAME}-shm",
                 data_dir / LOCK_NAME, data_dir / "settings.json",
                 attachments_dir(data_dir) / attachment.sha256]
        modes = {path.name: _mode(path) for path in files}
        assert _mode(data_dir) == 0o700
        assert _mode(attachments_dir(data_dir)) == 0o700
    assert modes == dict.fromkeys(modes, 0o600)


def test_store_files_an_older_version_left_readable_are_narrowed(
        tmp_path: Path, matrix: Matrix) -> None:
    data_dir = tmp_path / "data"
    with LocalStore(data_dir, matrix) as store:
        open_ticket(store, "T-1")
    for name in (DB_NAME, LOCK_NAME):
        os.chmod(data_dir / name, 0o644)
    attachments_dir(data_dir).mkdir(mode=0o755)
    source = tmp_path / "invoice.pdf"
    source.write_bytes(b"%PDF customer invoice")
    with LocalStore(data_dir, matrix) as store:
        assert store.ticket("T-1") is not None
        assert _mode(data_dir / DB_NAME) == 0o600
        assert _mode(data_dir / f"{DB_NAME}-wal") == 0o600
        assert _mode(data_dir / LOCK_NAME) == 0o600
        store_file(data_dir, source)
        assert _mode(attachments_dir(data_dir)) == 0o700


def test_db_upgrade_creates_a_private_data_dir_and_store(
        umask: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = tmp_path / "new"
    assert main(["--data-dir", str(data_dir), "db", "upgrade"]) == 0
    assert "revision (none) →" in capsys.readouterr().out
    assert _mode(data_dir) == 0o700
    assert _mode(data_dir / DB_NAME) == 0o600


def test_an_existing_data_dir_open_to_others_is_kept_with_a_warning(
        tmp_path: Path, matrix: Matrix, caplog: pytest.LogCaptureFixture) -> None:
    data_dir = tmp_path / "shared-folder"
    data_dir.mkdir()
    os.chmod(data_dir, 0o755)
    with caplog.at_level(logging.WARNING, logger="console.store.private"), \
            LocalStore(data_dir, matrix):
        pass
    assert _mode(data_dir) == 0o755
    assert _mode(data_dir / DB_NAME) == 0o600
    assert [r.getMessage() for r in caplog.records] == [
        f"the data directory {data_dir} is open to other users (mode 755); it holds "
        f"customer text: run 'chmod 700 {data_dir}'"]
