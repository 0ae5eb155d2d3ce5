"""The command line as a user runs it: real subprocesses, real files."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from console_process import wait_for_child

import console
from console.paths import default_matrix_path
from console.ui.app import STARTUP_PROBE

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "console", *args], capture_output=True,
                          text=True, input=stdin, timeout=60, cwd=ROOT)


def fires(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_version_prints_the_package_version():
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"escalation-console {console.__version__}"


def test_help_lists_the_commands():
    result = run("--help")
    assert result.returncode == 0
    for word in ("matrix", "simulate", "--data-dir", "--version"):
        assert word in result.stdout


def test_validate_exits_zero_for_the_shipped_matrices():
    result = run("matrix", "validate", str(default_matrix_path()),
                 str(ROOT / "matrices" / "business-hours.yaml"))
    assert result.returncode == 0, result.stdout
    assert result.stdout.count(": valid") == 2


def test_validate_exits_one_and_lists_problems_with_positions(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(default_matrix_path().read_text().replace("resolution: 8h", "resolution: 30m")
                   .replace("response: 24h", "respnse: 24h"))
    result = run("matrix", "validate", str(default_matrix_path()), str(bad))
    assert result.returncode == 1
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith(str(bad) + ":")]
    assert any("severities[1].targets.resolution: 30m is shorter than the response target 1h"
               in ln for ln in lines)
    assert any("severities[2].targets.respnse: unknown key 'respnse'; did you mean 'response'?"
               in ln for ln in lines)
    assert all(ln.split(":")[1].isdigit() and ln.split(":")[2].isdigit()
               for ln in lines if "invalid" not in ln)


def test_validate_reports_malformed_yaml_with_its_line(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("schema_version: 1\nname: [unclosed\ncalendars: {}\n")
    result = run("matrix", "validate", str(bad))
    assert result.returncode == 1
    assert result.stdout.startswith(f"{bad}:3:")
    assert "malformed YAML" in result.stdout


def test_validate_is_a_usage_error_without_files():
    result = run("matrix", "validate")
    assert result.returncode == 2
    assert "FILE" in result.stderr


def test_schema_is_json_that_forbids_unknown_keys():
    result = run("matrix", "schema")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert schema["additionalProperties"] is False
    assert "schema_version" in schema["required"]
    assert "severities" in schema["properties"]


def test_headless_commands_never_import_qt(tmp_path):
    code = ("import sys; from console.cli import main; d = sys.argv[2]; "
            "main(['matrix', 'validate', '-q', sys.argv[1]]); "
            "main(['--data-dir', d, 'notify', 'deliveries']); "
            "main(['--data-dir', d, 'notify', 'retry', 'nosuchid']); "
            "main(['--data-dir', d, 'notify', 'pd-ack', 'INC-404']); "
            "print(sorted(m for m in sys.modules if m.startswith('PySide6')))")
    result = subprocess.run([sys.executable, "-c", code, str(default_matrix_path()),
                             str(tmp_path / "d")], capture_output=True, text=True, timeout=60)
    assert "no deliveries" in result.stdout, result.stderr  # the commands did run
    assert "no ticket 'INC-404'" in result.stderr
    assert result.stdout.strip().endswith("[]")


def test_simulate_prints_fires_in_time_order_with_reasons():
    result = run("simulate", str(EXAMPLES / "p1-outage.jsonl"), "--until",
                 "2026-11-26T11:00:00Z")
    assert result.returncode == 0, result.stderr
    out = fires(result.stdout)
    times = [f["at"] for f in out]
    assert times == sorted(times)
    assert all({"at", "ticket", "kind", "severity", "reason"} <= f.keys() for f in out)
    kinds = [(f["at"][11:16], f["kind"], f.get("clock")) for f in out]
    assert ("09:10", "pre_breach", "response") in kinds
    assert ("09:14", "breach", "confirmation") in kinds  # Engineering confirmed at 09:16
    assert not any(k == "breach" and c == "response" for _, k, c in kinds)  # responded 09:11
    # acknowledged at 09:07: the P1 chain stops after the backup page at 09:05
    pages = [f for f in out if f["kind"] == "notify" and f["chain"] == "p1-page"]
    assert [(p["at"][11:16], p["contact"]) for p in pages] == [
        ("09:00", "oncall-primary"), ("09:05", "oncall-secondary")]
    angry = [f for f in out if f.get("trigger") == "negative-sentiment"]
    assert angry and "unacceptable" in angry[0]["reason"]


def test_simulate_pauses_clocks_while_waiting_on_the_customer():
    result = run("simulate", str(EXAMPLES / "waiting-on-customer.jsonl"), "--until",
                 "2026-11-27T01:00:00Z")
    breach = [f for f in fires(result.stdout)
              if f["kind"] == "breach" and f["clock"] == "resolution"]
    # 8h from 13:00, plus the 3h spent waiting on the customer
    assert [b["at"] for b in breach] == ["2026-11-27T00:00:00+00:00"]


def test_simulate_counts_business_hours_on_the_business_matrix():
    result = run("simulate", "--matrix", str(ROOT / "matrices" / "business-hours.yaml"),
                 str(EXAMPLES / "business-hours.jsonl"), "--until", "2026-12-04T00:00:00Z")
    assert result.returncode == 0, result.stderr
    breach = [f for f in fires(result.stdout)
              if f["kind"] == "breach" and f["clock"] == "response"]
    # opened Fri 16:30 Berlin: 30 min on Friday, then Mon, Tue and 7h30 on Wednesday
    assert [b["at"] for b in breach] == ["2026-12-02T15:30:00+00:00"]
    assert breach[0]["business"] is True


def test_simulate_reports_bad_lines_and_continues():
    result = run("simulate", str(EXAMPLES / "bad-lines.jsonl"))
    assert result.returncode == 1
    assert "bad-lines.jsonl:2: at:" in result.stderr
    assert "bad-lines.jsonl:3: severity:" in result.stderr
    assert "bad-lines.jsonl:4: not valid JSON" in result.stderr
    assert fires(result.stdout)  # the good lines still ran


def test_simulate_strict_stops_at_the_first_bad_line():
    result = run("simulate", "--strict", str(EXAMPLES / "bad-lines.jsonl"))
    assert result.returncode == 1
    assert "bad-lines.jsonl:2:" in result.stderr
    assert "bad-lines.jsonl:3:" not in result.stderr
    assert result.stdout == ""


def test_simulate_reads_standard_input_and_defaults_until_to_the_last_event():
    events = "\n".join(json.dumps(e) for e in [
        {"at": "2026-01-05T10:00:00+00:00", "ticket": "A", "type": "opened",
         "users_affected_pct": 50, "workaround": "none"},
        {"at": "2026-01-05T10:20:00+00:00", "ticket": "A", "type": "responded"},
    ])
    out = fires(run("simulate", "-", stdin=events).stdout)
    assert max(f["at"] for f in out) <= "2026-01-05T10:20:00+00:00"
    assert any(f["kind"] == "breach" and f["clock"] == "response"
               and f["at"] == "2026-01-05T10:15:00+00:00" for f in out)


def test_simulate_refuses_an_until_without_offset():
    result = run("simulate", str(EXAMPLES / "p1-outage.jsonl"), "--until", "2026-11-26T11:00")
    assert result.returncode == 2
    assert "no UTC offset" in result.stderr


@pytest.mark.gui
def test_no_command_opens_the_gui_window(tmp_path):
    painted = tmp_path / "first-paint"
    # The startup probe writes its file when the main window first paints.
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", STARTUP_PROBE: str(painted)}
    proc = subprocess.Popen([sys.executable, "-m", "console"], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_child(proc, painted.exists, 60, "the main window's first paint")
        assert proc.poll() is None  # and it stays open
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


def test_an_unknown_double_dash_option_is_a_usage_error():
    result = run("--bogus")
    assert result.returncode == 2
    assert "unrecognized arguments: --bogus" in result.stderr


def test_data_dir_works_after_the_sub_command_as_well_as_before(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    result = run("import", str(EXAMPLES / "p1-outage.jsonl"), "--data-dir", str(first))
    assert result.returncode == 0, result.stderr
    listed = run("tickets", "list", "--json", "--data-dir", str(first))
    assert [t["id"] for t in json.loads(listed.stdout)["tickets"]] == ["INC-1001"]
    listed = run("--data-dir", str(first), "tickets", "list", "--json")
    assert [t["id"] for t in json.loads(listed.stdout)["tickets"]] == ["INC-1001"]
    # given in both places, the one nearer the action wins
    listed = run("--data-dir", str(first), "tickets", "list", "--json", "--data-dir", str(second))
    assert json.loads(listed.stdout)["tickets"] == []
    listed = run("--data-dir", str(second), "tickets", "--data-dir", str(first), "list", "--json")
    assert [t["id"] for t in json.loads(listed.stdout)["tickets"]] == ["INC-1001"]


def test_every_sub_command_shows_data_dir_and_describes_each_argument_in_its_help():
    from console.cli import _commands, _parser

    parser = _parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    commands = list(_commands(sub))
    # 14 commands, the 25 actions of matrix (5), db, tickets, notify, people (6), triage
    # (7), and serve tokens with its 3
    assert len(commands) == 43
    for command in commands:
        assert "--data-dir DIR" in command.format_help(), command.prog
        for action in command._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue
            assert action.help, f"{command.prog}: {action.metavar or action.dest} has no help"


def test_simulate_warns_when_until_is_earlier_than_every_event():
    result = run("simulate", str(EXAMPLES / "p1-outage.jsonl"), "--until", "2020-01-01T00:00:00Z")
    assert result.returncode == 0
    assert result.stdout == ""
    assert ("--until 2020-01-01T00:00:00+00:00 is earlier than every event (the first is at "
            "2026-11-26T09:00:00+00:00); nothing was replayed") in result.stderr


def test_an_unexpected_error_is_one_line_with_a_hint_unless_debugging(monkeypatch, capsys):
    from console.cli import main

    def broken():
        raise RuntimeError("schema\nexploded near postgresql://bob:Hunter2@db/x")

    monkeypatch.setattr("console.domain.matrix.json_schema", broken)
    monkeypatch.delenv("ESCALATION_CONSOLE_DEBUG", raising=False)
    assert main(["matrix", "schema"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("escalation-console: unexpected error: RuntimeError: schema exploded")
    assert "--debug" in err and "ESCALATION_CONSOLE_DEBUG=1" in err
    assert "Hunter2" not in err and "postgresql://bob:***@db/x" in err
    with pytest.raises(RuntimeError, match="exploded"):
        main(["matrix", "schema", "--debug"])
    monkeypatch.setenv("ESCALATION_CONSOLE_DEBUG", "1")
    with pytest.raises(RuntimeError, match="exploded"):
        main(["matrix", "schema"])
