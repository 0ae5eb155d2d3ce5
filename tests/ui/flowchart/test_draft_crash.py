"""kill -9 with unsaved flowchart edits, reopen: the editor offers them back.

A real console process edits the matrix in the flowchart (one edit committed, one still
being typed into a property field), is SIGKILLed, and a second process on the same data
directory opens the editor: it offers the edits back, and restoring brings back both.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from console_process import console_child, wait_for_report

CHILD = Path(__file__).with_name("flow_crash_child.py")

pytestmark = pytest.mark.slow


def test_unsaved_flowchart_edits_survive_kill_9_and_are_offered_back(tmp_path):
    data_dir = tmp_path / "console"
    ready, restored = tmp_path / "ready.json", tmp_path / "restored.json"
    with console_child(CHILD, "edit", str(data_dir), str(ready)) as editing:
        edited = wait_for_report(ready, editing, 60)
        os.kill(editing.pid, signal.SIGKILL)
        assert editing.wait(10) == -signal.SIGKILL
    assert edited["targets"]["response"] == "45m"

    with console_child(CHILD, "check", str(data_dir), str(restored)) as checking:
        back = wait_for_report(restored, checking, 60)
        assert checking.wait(30) == 0
    assert "Unsaved flowchart edits" in back["offer"]
    assert back["targets"]["response"] == "45m"  # committed with Tab before the kill
    assert back["targets"]["update"] == "20m"    # still being typed when it came
    assert "Restored your unsaved edits" in back["banner"]
    assert back["title"].endswith(" *")
