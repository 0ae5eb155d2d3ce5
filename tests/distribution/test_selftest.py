"""``escalation-console --self-test`` from the checkout: always run, takes a few seconds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .helpers import ROOT, assert_checklist


def run(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env=env)


def test_self_test_passes_and_prints_the_checklist(tmp_path):
    result = run("-m", "console", "--self-test", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert_checklist(result.stdout)
    assert result.stdout.startswith("Escalation Console ")


def test_self_test_forces_the_offscreen_platform(tmp_path):
    # a display setting must not make the self-test open windows (or fail without X)
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "DISPLAY": ":987"}
    result = run("-m", "console", "--self-test", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "queue rendered 1 row" in result.stdout


def test_a_broken_default_matrix_fails_the_self_test_and_says_why(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nseverities: nope\n", encoding="utf-8")
    code = (
        "import sys, pathlib, console.paths as paths\n"
        f"paths.default_matrix_path = lambda: pathlib.Path({str(bad)!r})\n"
        "from console.selftest import run\n"
        "sys.exit(run())\n"
    )
    result = run("-c", code, cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "[FAIL] matrix: default matrix invalid" in result.stdout
    # what needs the matrix is reported as not run, not as passed
    assert "[FAIL] store: skipped" in result.stdout
    assert "self-test FAILED" in result.stdout
    assert "sentiment ok" in result.stdout  # independent checks still run


def test_help_mentions_the_self_test():
    result = run("-m", "console", "--help")
    assert result.returncode == 0
    assert "--self-test" in result.stdout


def test_headless_commands_still_do_not_import_qt():
    code = ("import sys\nfrom console.cli import main\n"
            "main(['matrix', 'validate', '-q', 'matrices/default.yaml'])\n"
            "print('PySide6' in sys.modules)\n")
    result = run("-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("False")
