"""A console that cannot open its store at start (a data dir that is a file, a
read-only or full disk, a damaged store) says why on stderr and exits non-zero within
seconds. Offscreen nothing waits on a dialog; the message on a desktop is non-modal."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXIT_CANNOT_START = 3


def start_gui(data_dir: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    began = time.monotonic()
    try:
        result = subprocess.run([sys.executable, "-m", "console", "--data-dir", str(data_dir)],
                                env=env, cwd=ROOT, capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the console was still running after 30 s: {exc.stderr!r}")
    return result, time.monotonic() - began


def assert_refused(result: subprocess.CompletedProcess[str], elapsed: float,
                   words: str) -> None:
    assert result.returncode == EXIT_CANNOT_START, result.stderr
    assert elapsed < 15
    said = [line for line in result.stderr.splitlines()
            if line.startswith("escalation-console: ")]
    assert said and words in said[-1], result.stderr


def test_a_data_dir_that_is_a_file_exits_at_once_saying_so(tmp_path):
    data_dir = tmp_path / "not-a-dir"
    data_dir.write_text("a file")
    result, elapsed = start_gui(data_dir)
    assert_refused(result, elapsed, f"cannot create the data directory {data_dir}")


def test_a_data_dir_inside_a_file_exits_at_once_saying_so(tmp_path):
    (tmp_path / "file").write_text("a file")
    result, elapsed = start_gui(tmp_path / "file" / "d")
    assert_refused(result, elapsed, "Not a directory")


def test_a_damaged_store_exits_at_once_saying_so(tmp_path):
    data_dir = tmp_path / "d"
    data_dir.mkdir()
    (data_dir / "console.sqlite3").write_bytes(b"this is not SQLite" * 100)
    result, elapsed = start_gui(data_dir)
    assert_refused(result, elapsed, "is damaged")


@pytest.fixture
def tmpfs(tmp_path: Path):  # type: ignore[no-untyped-def]
    """mount(options) -> a fresh tmpfs (root ignores file modes: the mount refuses)."""
    mounted: list[Path] = []

    def mount(options: str) -> Path:
        target = tmp_path / f"fs{len(mounted)}"
        target.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounted.append(target)
        return target

    yield mount
    for target in mounted:
        subprocess.run(["umount", "-l", str(target)], capture_output=True)


def test_a_read_only_data_dir_exits_at_once_saying_so(tmpfs):
    result, elapsed = start_gui(tmpfs("size=1m,ro"))
    assert_refused(result, elapsed, "read-only")


def test_a_full_disk_exits_at_once_saying_so(tmpfs):
    disk = tmpfs("size=256k")
    with (disk / "filler").open("wb", buffering=0) as filler, pytest.raises(OSError):
        while True:
            filler.write(b"\0" * 4096)
    result, elapsed = start_gui(disk / "d")
    assert_refused(result, elapsed, "is full")
