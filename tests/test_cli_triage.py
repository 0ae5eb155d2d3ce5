"""``escalation-console triage``: evaluate on any labelled CSV (and every bad file a
clear FILE:LINE:COLUMN error, never a traceback), train from an event file with the
200-ticket gate, and status. In process through main(), with the debug switch on so
that a crash fails the test rather than hide behind main()'s last-resort guard."""

from __future__ import annotations

import csv
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from console.cli import main

WORDS = {"Billing": "invoice", "Access": "password", "Outage": "down"}
FILLER = ("the", "customer", "says", "please", "help", "today", "again", "our", "app")


@pytest.fixture(autouse=True)
def _debug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESCALATION_CONSOLE_DEBUG", "1")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def write_csv(path: Path, count: int = 150, shuffled: bool = False) -> Path:
    """Tickets whose queue follows from a word of the body; ``shuffled``: it does not."""
    rng = random.Random(5)
    rows = []
    for n in range(count):
        queue = rng.choice(list(WORDS))
        body = " ".join([WORDS[queue], *rng.choices(FILLER, k=8)])
        rows.append([f"Ticket {n}", body.replace("today", "today\\nagain"), queue,
                     (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=n)).isoformat()])
    if shuffled:
        queues = [r[2] for r in rows]
        rng.shuffle(queues)
        rows = [[*r[:2], q, r[3]] for r, q in zip(rows, queues, strict=True)]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["subject", "body", "queue", "created"])
        writer.writerows(rows)
    return path


def test_evaluate_prints_accuracy_macro_f1_the_baseline_and_the_confusion_matrix(tmp_path,
                                                                                  capsys):
    data = write_csv(tmp_path / "tickets.csv")
    code, out, err = run(capsys, "triage", "evaluate", "--label", "queue", "--data", str(data),
                         "--text", "subject,body")
    assert code == 0, err
    assert "method: 5-fold cross-validation (150 predictions)" in out
    model = next(line for line in out.splitlines() if line.startswith("model"))
    baseline = next(line for line in out.splitlines() if line.startswith("majority baseline"))
    assert float(model.split()[1]) > 0.9 and float(baseline.split()[2]) < 0.5
    assert "beats the baseline: yes" in out
    matrix = out.split("confusion matrix")[1].splitlines()[2:]
    assert [row.split()[1] for row in matrix] == ["Access", "Billing", "Outage"]
    assert sum(int(v) for row in matrix for v in row.split()[2:]) == 150


def test_evaluate_reads_an_export_separated_by_semicolons(tmp_path, capsys):
    data = write_csv(tmp_path / "tickets.csv")
    semi = tmp_path / "semi.csv"
    with data.open(encoding="utf-8", newline="") as src, \
            semi.open("w", encoding="utf-8", newline="") as dst:
        csv.writer(dst, delimiter=";").writerows(csv.reader(src))
    code, out, err = run(capsys, "triage", "evaluate", "--data", str(semi), "--text",
                         "subject,body", "--label", "queue")
    assert code == 0, err
    assert "150 rows" in out and "beats the baseline: yes" in out


def test_evaluate_with_a_time_column_tests_the_later_fifth(tmp_path, capsys):
    data = write_csv(tmp_path / "tickets.csv")
    code, out, err = run(capsys, "triage", "evaluate", "--data", str(data), "--text", "body",
                         "--label", "queue", "--time", "created", "--folds", "3")
    assert code == 0, err
    assert "time split" in out and "(30 predictions)" in out


def test_evaluate_on_shuffled_labels_says_the_model_does_not_beat_the_baseline(tmp_path,
                                                                               capsys):
    data = write_csv(tmp_path / "tickets.csv", count=300, shuffled=True)
    code, out, _ = run(capsys, "triage", "evaluate", "--data", str(data), "--text", "body",
                       "--label", "queue")
    assert code == 0
    assert "beats the baseline: NO: it does not beat the majority baseline" in out


HEADER = "subject,body,queue,created\n"
GOOD = "a,invoice,Billing,2026-01-01T00:00:00Z\nb,password,Access,2026-01-02T00:00:00Z\n"


@pytest.mark.parametrize(("content", "argv", "code", "message"), [
    (b"", (), 1, "tickets.csv:1: the file is empty"),
    (HEADER.encode(), (), 1, "tickets.csv:2: no rows under the header"),
    ((HEADER + GOOD).encode(), ("--label", "team"), 1,
     "tickets.csv:1: no column 'team' (the header names 'subject', 'body', 'queue', "
     "'created')"),
    ((HEADER + GOOD).encode(), ("--text", "subject,nosuch"), 1, "no column 'nosuch'"),
    ((HEADER + GOOD + "c,down,Outage,yesterday\n").encode(), ("--time", "created"), 1,
     "tickets.csv:4:created: not a date and time (ISO 8601, e.g. 2026-11-26T09:00:00Z): "
     "'yesterday'"),
    ((HEADER + "a,invoice,Billing,x\nb,invoice,Billing,y\n").encode(), (), 1,
     "tickets.csv:2:queue: every row has the same label ('Billing')"),
    ((HEADER + GOOD + "c,down,,2026-01-03\n").encode(), (), 1,
     "tickets.csv:4:queue: empty label"),
    ((HEADER + GOOD + "c,down\n").encode(), (), 1, "tickets.csv:4: 2 fields, the header has 4"),
    ((HEADER + GOOD).encode() + b"c,caf\xe9,Outage,x\n", (), 1,
     "tickets.csv:4: not UTF-8 text"),
    ((HEADER + GOOD + 'c,"multi\nline,Outage\n').encode(), (), 1, "tickets.csv:"),
    ((HEADER + GOOD + "c," + "x" * (1024 * 1024 + 1) + ",Outage,x\n").encode(), (), 1,
     "tickets.csv:4: not CSV: field larger than field limit"),
    ((HEADER + GOOD).encode(), ("--folds", "5"), 1, "2 rows is too few for 5-fold"),
], ids=["empty", "header-only", "unknown-label", "unknown-text", "bad-time", "one-class",
        "empty-label", "ragged", "not-utf8", "unclosed-quote", "huge-cell", "too-few-rows"])
def test_a_bad_csv_is_a_clear_error_naming_file_line_and_column(tmp_path, capsys, content,
                                                                 argv, code, message):
    data = tmp_path / "tickets.csv"
    data.write_bytes(content)
    args = {"--data": str(data), "--text": "subject,body", "--label": "queue"}
    args.update(dict(zip(argv[::2], argv[1::2], strict=True)))
    got, out, err = run(capsys, "triage", "evaluate", *[v for kv in args.items() for v in kv])
    assert got == code, (out, err)
    assert message in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(("argv", "message"), [
    (("--text", "subject,,body"), "give column names separated by commas"),
    (("--folds", "1"), "give a number of folds from 2 to 20"),
    (("--label", " "), "give a column name"),
])
def test_bad_options_are_usage_errors(tmp_path, capsys, argv, message):
    data = write_csv(tmp_path / "tickets.csv", count=10)
    args = {"--data": str(data), "--text": "body", "--label": "queue"}
    args.update(dict(zip(argv[::2], argv[1::2], strict=True)))
    with pytest.raises(SystemExit) as exit_:
        main(["triage", "evaluate", *[v for kv in args.items() for v in kv]])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_a_missing_file_or_a_directory_is_a_usage_error(tmp_path, capsys):
    for path, said in ((tmp_path / "nope.csv", "No such file or directory"),
                       (tmp_path, "Is a directory")):
        code, _, err = run(capsys, "triage", "evaluate", "--data", str(path), "--text", "b",
                           "--label", "q")
        assert code == 2 and f"{path}: cannot read: {said}" in err


def _events(path: Path, resolved: int) -> Path:
    """An event file of ``resolved`` resolved tickets whose team follows from the title."""
    rng = random.Random(2)
    teams = {"specialists": "webhook", "customer-success": "invoice", "frontline": "password"}
    start = datetime(2026, 2, 1, tzinfo=UTC)
    lines = []
    for n in range(resolved):
        team = rng.choice(list(teams))
        at = start + timedelta(hours=n)
        title = f"{teams[team]} {' '.join(rng.choices(FILLER, k=5))}"
        ticket = f"INC-{n}"
        lines.append({"ticket": ticket, "type": "opened", "at": at.isoformat(),
                      "title": title, "text": title, "severity": "P3",
                      "category": "question"})
        if team != "frontline":
            lines.append({"ticket": ticket, "type": "escalated",
                          "at": (at + timedelta(minutes=5)).isoformat(),
                          "team": team, "tier": "T2", "kind": "functional"})
        lines.append({"ticket": ticket, "type": "resolved",
                      "at": (at + timedelta(minutes=30)).isoformat(),
                      "note": f"fixed {teams[team]}"})
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def test_train_with_too_few_resolved_tickets_says_so_and_trains_nothing(tmp_path, capsys):
    events = _events(tmp_path / "events.jsonl", 50)
    code, out, err = run(capsys, "--data-dir", str(tmp_path / "d"), "triage", "train",
                         "--events", str(events))
    assert code == 0, err
    assert "fewer than 200 resolved tickets (50): nothing trained" in out
    code, out, _ = run(capsys, "--data-dir", str(tmp_path / "d"), "triage", "status")
    assert "50 resolved tickets; fewer than 200 resolved tickets (50)" in out
    assert "no triage model has been trained" in out


def test_train_then_status_lists_each_model_with_its_evaluation(tmp_path, capsys):
    events = _events(tmp_path / "events.jsonl", 260)
    code, out, err = run(capsys, "triage", "train", "--events", str(events),
                         "--data-dir", str(tmp_path / "d"))
    assert code == 0, err
    assert "trained on 260 resolved tickets" in out
    # one severity and one category in the whole history: nothing to learn
    assert "severity: not trained: every resolved ticket has the same severity (P3)" in out
    code, out, _ = run(capsys, "triage", "status", "--data-dir", str(tmp_path / "d"))
    team = next(line for line in out.splitlines() if line.strip().startswith("team v1"))
    assert "learnt from 208 tickets" in team and "accuracy 1.000" in team and team.endswith("used")
    assert "similar v1" in out


def test_train_from_a_bad_event_file_names_the_line(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"ticket": "INC-1", "type": "opened", "at": "nope"}\n',
                   encoding="utf-8")
    code, _, err = run(capsys, "--data-dir", str(tmp_path / "d"), "triage", "train",
                       "--events", str(bad))
    assert code == 1 and f"{bad}:1:" in err
    code, _, err = run(capsys, "--data-dir", str(tmp_path / "d"), "triage", "train",
                       "--events", str(tmp_path / "missing.jsonl"))
    assert code == 2 and "cannot read" in err


def test_train_learns_from_the_local_store_and_the_suggester_uses_it(tmp_path, capsys):
    from console.app.matrices import load_matrix_file
    from console.app.triage.registry import Registry
    from console.app.triage.suggest import Suggester
    from console.paths import default_matrix_path
    from console.store.local import LocalStore, NewEvent

    teams = {"specialists": "webhook", "customer-success": "invoice"}
    rng = random.Random(4)
    start = datetime(2026, 2, 1, tzinfo=UTC)
    events = []
    for n in range(220):
        team = rng.choice(list(teams))
        at = start + timedelta(hours=n)
        title = f"{teams[team]} {' '.join(rng.choices(FILLER, k=4))}"
        events += [
            NewEvent(f"INC-{n}", "opened", {"title": title, "text": "", "severity": "P3",
                                            "category": rng.choice(("bug", "question"))},
                     "ana", at),
            NewEvent(f"INC-{n}", "escalated", {"team": team, "tier": "T2",
                                               "kind": "functional"}, "ana",
                     at + timedelta(minutes=5)),
            NewEvent(f"INC-{n}", "resolved", {"note": "done"}, "ana", at + timedelta(hours=1))]
    with LocalStore(tmp_path, load_matrix_file(default_matrix_path())) as store:
        store.append_many(events)
    code, out, err = run(capsys, "--data-dir", str(tmp_path), "triage", "train")
    assert code == 0, err
    assert "trained on 220 resolved tickets" in out
    got = Suggester.load(Registry(tmp_path / "triage")).suggest("the webhook fails", "")
    assert {s.field: s.value for s in got.items}["team"] == "specialists"


def test_the_command_line_starts_without_scikit_learn(tmp_path):
    import subprocess
    import sys

    code = ("import sys; from console.cli import main; "
            "main(['--data-dir', sys.argv[1], 'triage', 'status']); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'sklearn', 'skops', 'scipy', 'numpy'}))")
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                            text=True, timeout=60)
    assert "no triage model has been trained" in result.stdout, result.stderr
    assert result.stdout.strip().endswith("[]")
