"""``triage risk-backtest`` on an event file: the figures, and bad input named."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from console.app.matrices import load_matrix_file
from console.app.usecases.demo import seed_demo
from console.cli.common import add_common_options
from console.cli.triage_risk import register
from console.paths import default_matrix_path

from .risk_history import history, to_json_line


def _run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="escalation-console triage")
    sub = parser.add_subparsers()
    register(sub)
    for command in sub.choices.values():  # as console.cli.main adds them to every command
        add_common_options(command)
    args = parser.parse_args(["risk-backtest", *argv])
    result: int = args.func(args)
    return result


@pytest.fixture(scope="module")
def event_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("risk") / "events.jsonl"
    path.write_text("".join(json.dumps(to_json_line(e)) + "\n" for e in history()),
                    encoding="utf-8")
    return path


def test_the_backtest_of_an_event_file_prints_its_figures(event_file: Path,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    assert _run("--events", str(event_file)) == 0
    out = capsys.readouterr().out
    assert f"Risk backtest on {event_file}" in out
    assert "ROC AUC model 0." in out and "SLA-clock baseline" in out
    assert "reliability" in out and "Brier score" in out


def test_the_json_figures_hold_both_rankings(event_file: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert _run("--events", str(event_file), "--format", "json") == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["roc_auc"] > figures["baseline_roc_auc"]
    assert len(figures["reliability"]) == 10


def test_a_bad_line_is_named_by_file_and_line(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.jsonl"
    good = json.dumps(to_json_line(history(1)[0]))
    path.write_text(good + "\n{\"at\": \"yesterday\"}\n", encoding="utf-8")
    assert _run("--events", str(path)) == 1
    assert f"{path}:2:" in capsys.readouterr().err


def test_too_little_history_is_said_not_raised(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "few.jsonl"
    path.write_text("".join(json.dumps(to_json_line(e)) + "\n" for e in history(3)),
                    encoding="utf-8")
    assert _run("--events", str(path)) == 1
    assert "too few" in capsys.readouterr().err


def test_a_window_that_ends_before_it_starts_is_a_usage_error(
        event_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run("--events", str(event_file), "--from", "2026-02-01T00:00:00+00:00",
                "--to", "2026-01-01T00:00:00+00:00") == 2
    assert "--to must be after --from" in capsys.readouterr().err


def test_a_demo_store_figures_say_they_are_from_generated_data(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seed_demo(tmp_path, load_matrix_file(default_matrix_path()), datetime.now(UTC),
              tickets=150)
    assert _run("--data-dir", str(tmp_path)) == 0
    assert "Risk backtest on the local store (a demo store: GENERATED data)" in (
        capsys.readouterr().out)
