"""A real console in a child process: start it, hear from it, and wait inside it.

The crash tests run the console in its own process so it can be SIGKILLed. The parent
starts a child script (``console_child``) and waits for the JSON file the child writes
when it reaches the point of interest (``wait_for_report``); the child, which has no
pytest-qt, waits on conditions with ``wait_in_app``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def start_console(script: Path, *args: str) -> subprocess.Popen[str]:
    """Run ``script`` with ``args`` in a headless Python that imports this checkout."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen([sys.executable, str(script), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@contextmanager
def console_child(script: Path, *args: str) -> Iterator[subprocess.Popen[str]]:
    """``start_console``, and on the way out kill the child if it still runs and reap it."""
    proc = start_console(script, *args)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def wait_for_child(proc: subprocess.Popen[str], condition: Callable[[], bool],
                   timeout: float, what: str) -> None:
    """Poll until ``condition()`` holds; fail if the child exits first or time runs out."""
    end = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            raise AssertionError(f"the console exited early ({proc.returncode}): "
                                 f"{proc.stderr.read() if proc.stderr else ''}")
        if time.monotonic() > end:
            proc.kill()
            raise AssertionError(f"{what}: no word from the console within {timeout} s")
        time.sleep(0.05)  # polling another process's file: no Qt signal to wait on


def wait_for_report(path: Path, proc: subprocess.Popen[str], timeout: float) -> Any:
    """The JSON the child writes to ``path`` (atomically: it renames a finished file)."""
    wait_for_child(proc, path.exists, timeout, f"waiting for {path.name}")
    return json.loads(path.read_text())


def write_report(path: Path, value: Any) -> None:
    """In the child: write ``value`` as JSON so the parent never reads half of it."""
    part = path.with_name(path.name + ".part")
    part.write_text(json.dumps(value))
    part.replace(path)


def wait_in_app(app: Any, condition: Callable[[], object], timeout: float = 30.0) -> None:
    """In a child process without pytest-qt: run Qt's events until ``condition()`` holds."""
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError(f"timed out after {timeout} s waiting for {condition!r}")
        app.processEvents()
        time.sleep(0.005)  # yield the CPU between event passes; the condition decides
