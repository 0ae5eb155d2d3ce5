"""Shared bits of the packaging tests: paths, the checklist, and a clean environment."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)

#: Lines every passing self-test prints.
CHECKLIST = ("data files ok", "modules ok", "matrix ok", "sentiment ok", "engine ok", "calendar ok",
             "store ok", "queue rendered 1 row", "icons ok", "postgres driver ok",
             "scheduler ok", "keyring ok", "self-test passed")


def assert_checklist(stdout: str) -> None:
    missing = [item for item in CHECKLIST if item not in stdout]
    assert not missing, f"missing from the self-test output: {missing}\n{stdout}"
    assert "[FAIL]" not in stdout, stdout


def bundle_env(**extra: str) -> dict[str, str]:
    """The test session's environment minus what only a dev venv can honour."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHON_KEYRING_BACKEND"}
    env.update(extra)
    return env
