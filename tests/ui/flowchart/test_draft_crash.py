"""kill -9 with unsaved flowchart edits, reopen: the editor offers them back.

A real console process edits the matrix in the flowchart (one edit committed, one still
being typed into a property field), is SIGKILLed, and a second process on the same data
directory opens the editor: it offers the edits back, and restoring brings back both.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

CHILD = Path(__file__).with_name("flow_crash_child.py")
ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.slow


def _run(mode: str, data_dir: Path, out: Path) -> subprocess.Popen:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen([sys.executable, str(CHILD), mode, str(data_dir), str(out)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float) -> dict:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if path.exists() and path.stat().st_size:
            return json.loads(path.read_text())
        if proc.poll() is not None:
            raise AssertionError(f"the console exited early ({proc.returncode}): "
                                 f"{proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.05)  # polling another process's file: no Qt signal to wait on
    proc.kill()
    raise AssertionError(f"no word from the console within {timeout} s")


def test_unsaved_flowchart_edits_survive_kill_9_and_are_offered_back(tmp_path):
    data_dir = tmp_path / "console"
    ready, restored = tmp_path / "ready.json", tmp_path / "restored.json"
    editing = _run("edit", data_dir, ready)
    try:
        edited = _wait_for(ready, editing, 60)
        os.kill(editing.pid, signal.SIGKILL)
        assert editing.wait(10) == -signal.SIGKILL
    finally:
        if editing.poll() is None:
            editing.kill()
        editing.communicate(timeout=10)
    assert edited["targets"]["response"] == "45m"

    checking = _run("check", data_dir, restored)
    try:
        back = _wait_for(restored, checking, 60)
        assert checking.wait(30) == 0
    finally:
        if checking.poll() is None:
            checking.kill()
        checking.communicate(timeout=10)
    assert "Unsaved flowchart edits" in back["offer"]
    assert back["targets"]["response"] == "45m"  # committed with Tab before the kill
    assert back["targets"]["update"] == "20m"    # still being typed when it came
    assert "Restored your unsaved edits" in back["banner"]
    assert back["title"].endswith(" *")
