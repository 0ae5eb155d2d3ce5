"""Hostile files through the real command line (subprocesses): ``matrix validate``,
``simulate`` and ``import`` name the bad line, never print a traceback, exit non-zero,
and still process the good lines where the docs say so.

They run with ESCALATION_CONSOLE_DEBUG=1, which turns off main()'s last-resort guard,
so a crash fails here as a traceback instead of hiding behind a one-line message.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hostile_inputs import (
    DEEP_JSON,
    DEEP_YAML,
    GOOD_1,
    GOOD_2,
    LATIN_1,
    NUL,
    SELF_ALIAS_YAML,
    SURROGATE,
    alias_bomb,
)

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "console", *args], input=stdin,
                            capture_output=True, timeout=60, cwd=ROOT,
                            env={**os.environ, "ESCALATION_CONSOLE_DEBUG": "1"})
    out = subprocess.CompletedProcess(result.args, result.returncode,
                                      result.stdout.decode("utf-8", "replace"),
                                      result.stderr.decode("utf-8", "replace"))
    assert "Traceback" not in out.stderr, out.stderr
    return out


def jsonl(path: Path, *lines: str | bytes) -> str:
    path.write_bytes(b"\n".join(ln if isinstance(ln, bytes) else ln.encode() for ln in lines)
                     + b"\n")
    return str(path)


def test_matrix_validate_names_the_line_of_each_hostile_yaml(tmp_path):
    files = {"deep.yaml": DEEP_YAML, "self.yaml": SELF_ALIAS_YAML, "bomb.yaml": alias_bomb()}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    result = run("matrix", "validate", *(str(tmp_path / n) for n in files))
    assert result.returncode == 1
    assert f"{tmp_path / 'deep.yaml'}:2:38: nested more than 32 levels deep" in result.stdout
    assert f"{tmp_path / 'self.yaml'}:2:17: alias *self refers to a value" in result.stdout
    assert f"{tmp_path / 'bomb.yaml'}:" in result.stdout
    assert "aliases expand to more than 10,000 values" in result.stdout


@pytest.mark.parametrize("line, reason", [
    (DEEP_JSON, "nested more than 32 levels deep at column 33"),
    (SURROGATE, "text: contains \\udcff"),
    (NUL, "account: contains a NUL character"),
    (LATIN_1, "not UTF-8 text (byte 0xe9"),
])
def test_simulate_reports_the_bad_line_and_replays_the_others(tmp_path, line, reason):
    path = jsonl(tmp_path / "events.jsonl", GOOD_1, line, GOOD_2)
    result = run("simulate", "--no-sentiment", path)
    assert result.returncode == 1
    assert f"{path}:2: {reason}" in result.stderr
    assert f"{path}: 1 bad line(s) skipped" in result.stderr
    fired = {json.loads(ln)["ticket"] for ln in result.stdout.splitlines()}
    assert fired == {"INC-1", "INC-2"}


def test_simulate_reads_standard_input_line_by_line_too():
    stdin = b"\n".join([GOOD_1.encode(), LATIN_1, GOOD_2.encode()]) + b"\n"
    result = run("simulate", "--no-sentiment", "-", stdin=stdin)
    assert result.returncode == 1
    assert "<stdin>:2: not UTF-8 text" in result.stderr
    assert {json.loads(ln)["ticket"] for ln in result.stdout.splitlines()} == {"INC-1", "INC-2"}


def test_import_names_each_bad_line_and_skip_bad_imports_the_good_ones(tmp_path):
    path = jsonl(tmp_path / "events.jsonl", GOOD_1, DEEP_JSON, SURROGATE, NUL, GOOD_2)
    data = str(tmp_path / "data")
    refused = run("--data-dir", data, "import", path)
    assert refused.returncode == 1 and refused.stdout == ""
    for number, reason in ((2, "nested more than 32 levels deep"),
                           (3, "text: contains \\udcff"), (4, "account: contains a NUL")):
        assert f"{path}:{number}: {reason}" in refused.stderr
    assert "nothing imported: 3 bad line(s)" in refused.stderr
    skipped = run("--data-dir", data, "import", "--skip-bad", path)
    assert skipped.returncode == 0, skipped.stderr
    assert skipped.stdout.startswith("imported 2 tickets (2 events)")
    assert "warning: 3 bad line(s) skipped (--skip-bad)" in skipped.stderr


def test_import_refuses_a_file_with_a_latin_1_line_naming_the_line(tmp_path):
    path = jsonl(tmp_path / "events.jsonl", GOOD_1, LATIN_1, GOOD_2)
    result = run("--data-dir", str(tmp_path / "data"), "import", path)
    assert result.returncode == 1  # documented: a file that is not UTF-8 stops the import
    assert f"{path}:2: not UTF-8 text (byte 0xe9)" in result.stderr
