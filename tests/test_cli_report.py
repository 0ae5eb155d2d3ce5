"""``escalation-console report`` on the hand-made event file of tests/app/report_data.py,
imported into a real store: the answers below were computed by hand from that file's
description, in every format, and the PDF read back."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from console.cli.report_formats import CSV_COLUMNS, csv_text, table
from console.cli.reporting import window
from console.domain.matrix.model import Kpis
from console.domain.reports import Page, paging_load, report
from tests.app.report_data import hand_made, jsonl

ROOT = Path(__file__).resolve().parent.parent
WINDOW = ("--from", "2026-11-02T00:00:00Z", "--to", "2026-11-16T00:00:00Z")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """The command without a display: the PDF and its charts are drawn headless."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "MPLBACKEND", "QT_QPA_PLATFORM")}
    return subprocess.run([sys.executable, "-m", "console", *args], capture_output=True,
                          text=True, timeout=120, cwd=ROOT, env=env)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A store holding the twelve hand-made tickets, imported as a user would."""
    base = tmp_path_factory.mktemp("report")
    (base / "hand.jsonl").write_text(jsonl(hand_made()), encoding="utf-8")
    imported = run("import", str(base / "hand.jsonl"), "--data-dir", str(base / "data"))
    assert imported.returncode == 0, imported.stderr
    return str(base / "data")


def test_json_is_the_report_with_the_answers_computed_by_hand(data_dir: str):
    result = run("report", *WINDOW, "--format", "json", "--data-dir", data_dir)
    assert result.returncode == 0, result.stderr
    r = json.loads(result.stdout)
    assert r["window"] == {"from": "2026-11-02T00:00:00+00:00", "to": "2026-11-16T00:00:00+00:00"}
    assert r["filters"] == {"team": None, "severity": None}
    assert (r["opened"], r["resolved"], r["escalated"], r["escalations"]) == (12, 12, 3, 3)
    rate = r["escalation_rate"]  # R01, R02, R07 of twelve
    assert (rate["numerator"], rate["denominator"], rate["value"]) == (3, 12, 0.25)
    assert rate["flagged"] and not rate["too_few"] and rate["threshold"] == 0.1
    # R03 is P1 once Engineering confirmed it: P1 = R01-R03, P2 = R04-R06, P3 = R07-R12
    assert {s: (x["numerator"], x["denominator"])
            for s, x in r["escalation_rate_by_severity"].items()} == {
        "P1": (2, 3), "P2": (0, 3), "P3": (1, 6)}
    assert {t: (x["numerator"], x["denominator"], x["escalations"], x["flagged"], x["too_few"])
            for t, x in r["teams"].items()} == {
        "frontline": (3, 12, 3, True, False), "specialists": (0, 3, 0, False, True)}
    assert {a: (x["numerator"], x["denominator"], x["too_few"])
            for a, x in r["agents"].items()} == {"ann": (2, 6, True), "bob": (1, 6, True)}
    t1 = r["t1_resolution"]  # all but the three escalated to T2
    assert (t1["numerator"], t1["denominator"], t1["tier"], t1["flagged"]) == (9, 12, "T1", False)
    assert r["time_to_first_response"]["all"]["median"] == 15 * 60
    assert r["time_to_resolve"]["wall"]["all"] == {"count": 12, "mean": 7200.0,
                                                   "median": 7200.0, "p90": 7200.0,
                                                   "max": 7200.0}
    d = r["severity_disagreement"]  # R01 P1 -> P1 agrees, R03 P2 -> P1 differs
    assert (d["numerator"], d["denominator"]) == (1, 2)
    assert d["matrix"]["P2"]["P1"] == 1 and d["matrix"]["P1"]["P1"] == 1
    assert sum(n for row in d["matrix"].values() for n in row.values()) == 2
    assert r["root_causes"] == {"billing": {"count": 1, "share": 1 / 3},
                                "bug": {"count": 2, "share": 2 / 3}}
    assert [(w["from"][:10], w["escalation_rate"]["numerator"],
             w["escalation_rate"]["denominator"]) for w in r["weekly"]] == [
        ("2026-11-02", 3, 7), ("2026-11-09", 0, 5)]
    assert r["flags"] == [
        {"kind": "escalation_rate", "id": None, "value": 0.25, "threshold": 0.1},
        {"kind": "team", "id": "frontline", "value": 0.25, "threshold": 0.15}]
    # added to Report.to_json(): the paging load of the same window (no pages here)
    assert r["paging"] == {"window": r["window"], "weeks": 2.0, "people": {}, "chains": 0,
                           "unacknowledged": 0, "mtta": {"count": 0, "mean": None,
                                                         "median": None, "p90": None,
                                                         "max": None}}


def test_the_table_marks_the_flags_and_the_rates_over_too_few(data_dir: str):
    result = run("report", *WINDOW, "--data-dir", data_dir)  # table is the default
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Escalation report 2026-11-02 00:00 – 2026-11-16 00:00 UTC" in out
    assert "Opened 12, resolved 12, escalated 3 (3 escalations)" in out
    assert re.search(r"escalation rate +25\.0% +3 / 12 +<= 10% +<< FLAGGED", out)
    # people read the team's name; the id stays in the JSON and the CSV's subject
    assert re.search(r"Frontline Support +25\.0% +3 / 12 +<= 15% +<< FLAGGED", out)
    assert "frontline" not in out
    assert re.search(r"ann +33\.3% +2 / 6 +<= 20% +\(too few to judge\)", out)
    assert re.search(r"T1 resolution rate +75\.0% +9 / 12 +>= 50%\n", out)
    assert re.search(r"all +12 +2h 00m +2h 00m +2h 00m +2h 00m", out)
    assert "Flags (2)\n---------\n  ! Escalation rate: 25%, above the threshold of 10%\n" \
           "  ! Team Frontline Support: 25%, above the threshold of 15%\n" in out


def test_csv_has_one_row_per_metric_with_the_documented_columns(data_dir: str):
    result = run("--data-dir", data_dir, "report", "--format", "csv", *WINDOW)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert tuple(rows[0]) == CSV_COLUMNS

    def row(metric: str, subject: str = "", severity: str = "", statistic: str = "rate"
            ) -> dict[str, str]:
        found = [r for r in rows if (r["metric"], r["subject"], r["severity"],
                                     r["statistic"]) == (metric, subject, severity, statistic)]
        assert len(found) == 1, (metric, subject, severity, statistic)
        return found[0]

    assert row("opened", statistic="count")["value"] == "12"
    assert row("escalation_rate") == {
        "metric": "escalation_rate", "subject": "", "severity": "", "statistic": "rate",
        "value": "0.25", "numerator": "3", "denominator": "12", "threshold": "0.1",
        "too_few": "false", "flagged": "true", "name": ""}
    assert row("escalation_rate", severity="P1")["numerator"] == "2"
    assert row("team_escalation_rate", "frontline")["flagged"] == "true"
    assert row("team_escalation_rate", "frontline")["name"] == "Frontline Support"
    assert row("team_escalations", "frontline", statistic="count")["value"] == "3"
    assert row("agent_escalation_rate", "bob")["too_few"] == "true"
    assert row("t1_resolution", "T1")["value"] == "0.75"
    assert row("time_to_first_response", statistic="median")["value"] == "900.0"
    assert row("time_to_resolve_wall", severity="P3", statistic="count")["value"] == "6"
    assert row("severity_disagreement_matrix", "P2", "P1", "count")["value"] == "1"
    assert row("root_cause", "bug", statistic="share")["numerator"] == "2"
    assert row("weekly_escalation_rate", "2026-11-09T00:00:00+00:00")["denominator"] == "5"
    assert row("reassignment_owners", statistic="max")["value"] == "1"


def test_the_pdf_has_a_title_page_and_the_charts(data_dir: str, tmp_path: Path):
    pdf = tmp_path / "report.pdf"
    result = run("report", *WINDOW, "--format", "json", "--pdf", str(pdf),
                 "--data-dir", data_dir)
    assert result.returncode == 0, result.stderr
    assert "wrote 10 pages to" in result.stderr
    assert json.loads(result.stdout)["opened"] == 12  # standard output is untouched
    data = pdf.read_bytes()
    assert len(re.findall(rb"/Type /Page\b(?!s)", data)) == 10
    assert b"(Escalation report 2026-11-02 00:00 to 2026-11-16 00:00 UTC)" in data


def test_filters_are_applied_and_echoed(data_dir: str):
    result = run("report", *WINDOW, "--severity", "P3", "--format", "json",
                 "--data-dir", data_dir)
    r = json.loads(result.stdout)
    assert r["filters"] == {"team": None, "severity": "P3"}
    assert (r["opened"], r["escalated"]) == (6, 1)
    result = run("report", *WINDOW, "--team", "specialists", "--format", "json",
                 "--data-dir", data_dir)
    assert json.loads(result.stdout)["opened"] == 3  # R01, R02, R07


def test_the_default_window_is_the_last_28_days_to_now():
    now = datetime(2026, 12, 3, 15, tzinfo=UTC)
    assert window(None, None, now) == (now - timedelta(days=28), now)
    end = datetime(2026, 11, 16, 1, tzinfo=UTC)
    assert window(None, end, now) == (end - timedelta(days=28), end)
    start = datetime(2026, 11, 2, tzinfo=UTC)
    assert window(start, None, now) == (start, now)
    # an offset other than UTC is the same instant, in UTC
    assert window(datetime.fromisoformat("2026-11-02T01:00:00+01:00"), end, now)[0] == start


def test_the_paging_load_shows_in_the_table_and_the_csv():
    start = datetime(2026, 11, 2, tzinfo=UTC)
    pages = [Page("ann", start + timedelta(hours=1), "c1", start + timedelta(hours=1, minutes=4)),
             Page("ann", start + timedelta(hours=1, seconds=30), "c1"),  # a burst: once
             Page("bob", start + timedelta(days=3), "c2")]                # never acknowledged
    paging = paging_load(pages, start, start + timedelta(days=14))
    empty = report([], start, start + timedelta(days=14), Kpis())
    out = table(empty, paging, window="w", filters="f", flags=[])
    assert re.search(r"ann +1 pages +0\.5 a week", out)
    assert "chain runs 2, never acknowledged 1; MTTA median 4m, p90 4m" in out
    rows = list(csv.DictReader(io.StringIO(csv_text(empty, paging))))
    assert {(r["metric"], r["subject"], r["statistic"]): r["value"] for r in rows
            if r["metric"].startswith("paging")} == {
        ("paging_pages", "ann", "count"): "1", ("paging_pages", "bob", "count"): "1",
        ("paging_pages_per_week", "ann", "rate"): "0.5",
        ("paging_pages_per_week", "bob", "rate"): "0.5",
        ("paging_chains", "", "count"): "2", ("paging_unacknowledged", "", "count"): "1",
        ("paging_mtta", "", "count"): "1", ("paging_mtta", "", "mean"): "240.0",
        ("paging_mtta", "", "median"): "240.0", ("paging_mtta", "", "p90"): "240.0",
        ("paging_mtta", "", "max"): "240.0"}
