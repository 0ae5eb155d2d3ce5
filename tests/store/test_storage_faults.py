"""The local store under a full disk, a read-only data dir and a second instance:
a clear error, and nothing that was committed is lost or corrupted."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from console.store.errors import StoreError, StoreLocked
from console.store.local import DB_NAME, LocalStore

from .helpers import open_ticket

HANDOFF = {"summary": "Customer cannot check out; payments API returns 502.",
           "steps_taken": "Restarted the worker pool; rolled back deploy 4512. " * 20,
           "next_owner": "payments-engineering", "customer_impact": "x" * 600}


@pytest.fixture
def tmpfs(tmp_path: Path):  # type: ignore[no-untyped-def]
    """mount(name, size) -> a fresh tmpfs directory; unmounted afterwards."""
    mounted: list[Path] = []

    def mount(name: str, size: str = "1m") -> Path:
        target = tmp_path / name
        target.mkdir()
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                                 str(target)], capture_output=True, text=True)
        if result.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
        mounted.append(target)
        return target

    yield mount
    for target in reversed(mounted):
        subprocess.run(["umount", "-l", str(target)], capture_output=True)


def integrity(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def test_a_full_disk_refuses_the_write_and_keeps_every_committed_event(tmpfs, matrix):
    data_dir = tmpfs("full", "1m")
    saved: list[str] = []
    store = LocalStore(data_dir, matrix).open()
    try:
        open_ticket(store, "T-1")
        with pytest.raises(StoreError) as caught:
            for _ in range(2000):
                saved.append(store.append("T-1", "handoff_submitted", HANDOFF, "ana").id)
    finally:
        store.close()
    assert "disk" in str(caught.value) and "full" in str(caught.value)
    assert "nothing was lost" in str(caught.value)
    assert len(saved) > 5

    with LocalStore(data_dir, matrix) as reopened:
        ids = {e.id for e in reopened.all_events()}
        assert set(saved) <= ids and len(ids) == len(saved) + 1
        assert reopened.ticket("T-1").event_count == len(saved) + 1
        assert reopened.pending() == len(saved) + 1
    assert integrity(data_dir / DB_NAME) == "ok"


def test_a_read_only_data_dir_is_a_clear_error_and_corrupts_nothing(tmpfs, matrix):
    data_dir = tmpfs("ro", "8m")
    with LocalStore(data_dir, matrix) as store:
        open_ticket(store, "T-1")
        store.append("T-1", "message", {"text": "before read-only"}, "ana")
        before = store.projection_fingerprint()
    subprocess.run(["mount", "-o", "remount,ro", str(data_dir)], check=True)
    with pytest.raises(StoreError, match="the data directory is read-only"):
        LocalStore(data_dir, matrix).open()
    # without the instance lock, SQLite itself is the first to fail (it cannot create
    # the WAL index), with its own explanation
    with pytest.raises(StoreError, match=r"read-only|is writable"):
        LocalStore(data_dir, matrix, lock=False).open()
    subprocess.run(["mount", "-o", "remount,rw", str(data_dir)], check=True)
    with LocalStore(data_dir, matrix) as store:
        assert store.projection_fingerprint() == before
        assert len(store.all_events()) == 2
    assert integrity(data_dir / DB_NAME) == "ok"


def test_a_second_instance_on_the_same_data_dir_is_refused(tmp_path, matrix):
    with LocalStore(tmp_path / "d", matrix):
        with pytest.raises(StoreLocked, match="already using") as caught:
            LocalStore(tmp_path / "d", matrix).open()
        assert str(tmp_path / "d") in str(caught.value)


def test_a_second_instance_in_another_process_is_refused_both_ways(tmp_path, matrix):
    data_dir = tmp_path / "d"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys\n"
         "from console.app.matrices import load_matrix_file\n"
         "from console.paths import default_matrix_path\n"
         "from console.store.local import LocalStore\n"
         f"s = LocalStore({str(data_dir)!r}, load_matrix_file(default_matrix_path())).open()\n"
         "print('ready', flush=True)\n"
         "sys.stdin.readline()\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreLocked) as caught:
            LocalStore(data_dir, matrix).open()
        assert f"pid {holder.pid}" in str(caught.value)
    finally:
        holder.stdin.close()
        holder.wait(30)
        holder.stdout.close()
    # once it has gone, the lock is free; now this process holds it
    with LocalStore(data_dir, matrix):
        result = subprocess.run([sys.executable, "-m", "console", "--data-dir", str(data_dir),
                                 "db", "upgrade"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 3
    assert "another Escalation Console" in result.stderr and "Traceback" not in result.stderr
