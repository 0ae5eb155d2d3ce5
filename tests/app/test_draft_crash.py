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
from pathlib import Path

import pytest
from console_process import console_child, wait_for_child, wait_for_report

CHILD = Path(__file__).with_name("draft_crash_child.py")

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("seed", [1, 2])
def test_a_draft_survives_kill_9_while_typing(tmp_path, seed):
    data_dir = tmp_path / "console"
    ready, restored = tmp_path / "ready.json", tmp_path / "restored.json"
    typed_since = tmp_path / "ready.json.typed"
    # Killed after a seeded number of further keys (a key every 30 ms, never pausing):
    # at least 1.8 s of typing, well past the autosave's 1 s limit, so it has saved.
    keys = random.Random(seed).randint(60, 80)
    with console_child(CHILD, "type", str(data_dir), str(ready)) as typing:
        typed = wait_for_report(ready, typing, 60)
        wait_for_child(typing, lambda: typed_since.exists()
                       and json.loads(typed_since.read_text()) >= keys,
                       60, f"typing {keys} more keys")
        os.kill(typing.pid, signal.SIGKILL)
        assert typing.wait(10) == -signal.SIGKILL

    with console_child(CHILD, "check", str(data_dir), str(restored)) as checking:
        back = wait_for_report(restored, checking, 60)
        assert checking.wait(30) == 0
    assert back["account"] == typed["account"] == "Globex"
    full = "Checkout fails" + " for every EU customer since the 10:05 deploy" * 20
    assert back["title"].startswith(typed["title"])  # nothing saved before the kill is lost
    assert len(back["title"]) > len(typed["title"])  # typing on was saved while typing
    assert full.startswith(back["title"])           # and nothing is garbled
    assert "Restored your draft" in back["_banner"]
