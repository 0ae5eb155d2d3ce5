"""kill -9 in the middle of typing, reopen: the draft comes back.

A real console process types into the intake form (its autosave writes the draft),
is SIGKILLed while still typing, and a second process on the same data directory
reopens the form: everything saved before the kill is there, and nothing is garbled.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

CHILD = Path(__file__).with_name("draft_crash_child.py")
ROOT = Path(__file__).resolve().parents[2]

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
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"no signal from the console within {timeout} s")


@pytest.mark.parametrize("seed", [1, 2])
def test_a_draft_survives_kill_9_while_typing(tmp_path, seed):
    data_dir = tmp_path / "console"
    ready, restored = tmp_path / "ready.json", tmp_path / "restored.json"
    typing = _run("type", data_dir, ready)
    try:
        typed = _wait_for(ready, typing, 60)
        # still typing (a key every 30 ms, never pausing): autosave must not wait for a pause
        time.sleep(random.Random(seed).uniform(1.8, 2.4))
        os.kill(typing.pid, signal.SIGKILL)
        assert typing.wait(10) == -signal.SIGKILL
    finally:
        if typing.poll() is None:
            typing.kill()
        typing.communicate(timeout=10)

    checking = _run("check", data_dir, restored)
    try:
        back = _wait_for(restored, checking, 60)
        assert checking.wait(30) == 0
    finally:
        if checking.poll() is None:
            checking.kill()
        checking.communicate(timeout=10)
    assert back["account"] == typed["account"] == "Globex"
    full = "Checkout fails" + " for every EU customer since the 10:05 deploy" * 20
    assert back["title"].startswith(typed["title"])  # nothing saved before the kill is lost
    assert len(back["title"]) > len(typed["title"])  # typing on was saved while typing
    assert full.startswith(back["title"])           # and nothing is garbled
    assert "Restored your draft" in back["_banner"]
