"""``triage summary|kb|recurring`` on a real local store (the command functions, through
their own parsers, until console/cli/triage.py registers them)."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from console.app.matrices import load_matrix_file
from console.app.settings import Settings
from console.cli.triage_kb import register
from console.paths import default_matrix_path
from console.store.local import LocalStore, NewEvent

NOW = datetime.now(UTC).replace(microsecond=0)


def run(data_dir: Path, *argv: str) -> int:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="action", required=True))
    args = parser.parse_args(list(argv))
    args.data_dir = str(data_dir)
    code: int = args.func(args)
    return code


def opened(ticket: str, title: str, text: str, at: datetime, account: str = "Acme"
           ) -> NewEvent:
    return NewEvent(ticket, "opened", {"title": title, "text": text, "account": account,
                                       "severity": "P3", "category": "bug"}, "ana", at)


def resolved(ticket: str, note: str, at: datetime) -> NewEvent:
    return NewEvent(ticket, "resolved", {"resolution": "fixed", "note": note}, "ana", at)


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    events = [
        opened("INC-1", "SSO login fails after 2.3.1",
               "Users at Acme cannot log in since 2.3.1.", NOW - timedelta(days=3)),
        NewEvent("INC-1", "handoff_submitted", {
            "steps_tried": "Reproduced on a test account\nCleared the SSO cache",
            "next_steps": "We will confirm the fix with the customer today."}, "ana",
            NOW - timedelta(days=3, hours=-1)),
        resolved("INC-1", "Cleared the SSO cache for all users.",
                 NOW - timedelta(days=2)),
        opened("INC-2", "Open ticket", "Still broken.", NOW - timedelta(hours=2)),
    ]
    for n in range(3, 6):
        events += [opened(f"INC-{n}", "SSO loop", "Login loops.", NOW - timedelta(days=n)),
                   resolved(f"INC-{n}", "Cleared the SSO cache.", NOW - timedelta(days=1))]
    events += [opened("INC-9", "Old SSO loop", "Login loops.", NOW - timedelta(days=80)),
               resolved("INC-9", "Cleared the SSO cache.", NOW - timedelta(days=70))]
    with LocalStore(tmp_path, load_matrix_file(default_matrix_path())) as store:
        store.append_many(events)
    return tmp_path


def test_summary_prints_each_sentence_with_its_events_reference(
        store_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(store_dir, "summary", "INC-1") == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert any(line.startswith("Tried: Reproduced on a test account [event ") for line in lines)
    assert any(line.startswith("Promised: We will confirm the fix with the customer today.")
               for line in lines)
    assert "Sources:" in out and "handoff_submitted" in out


def test_summary_json_names_each_sentences_event(
        store_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(store_dir, "summary", "INC-1", "--json") == 0
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    with LocalStore(store_dir, load_matrix_file(default_matrix_path()), lock=False) as s:
        events = {e.id: e for e in s.history("INC-1")}
    assert data["sentences"]
    for sentence in data["sentences"]:
        payload = events[sentence["event"]].payload
        assert any(sentence["text"] in str(v) for v in payload.values())


def test_an_unknown_ticket_is_a_clear_error(store_dir: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert run(store_dir, "summary", "INC-404") == 1
    assert "no ticket 'INC-404'" in capsys.readouterr().err


def test_kb_refuses_a_ticket_that_is_not_resolved(store_dir: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert run(store_dir, "kb", "INC-2") == 1
    assert "INC-2 is not resolved" in capsys.readouterr().err


def test_kb_writes_the_draft_into_the_folder_and_prints_its_path(
        store_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "articles"
    assert run(store_dir, "kb", "INC-1", "--folder", str(folder)) == 0
    out, err = capsys.readouterr()
    path = Path(out.strip())
    assert path == folder / "INC-1-sso-login-fails-after-2-3-1.md"
    assert "no similar tickets linked: " in err  # no model trained in this store
    draft = path.read_text(encoding="utf-8")
    assert "1. Reproduced on a test account" in draft and "- 2.3.1" in draft
    assert "Acme" not in draft
    assert draft.rstrip().endswith("## Similar tickets\n\n- None found.")


def test_kb_writes_into_the_settings_folder_without_replacing_a_draft(
        store_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Settings(store_dir).kb_folder = tmp_path / "from-settings"
    assert run(store_dir, "kb", "INC-1") == 0
    assert run(store_dir, "kb", "INC-1") == 0
    paths = capsys.readouterr().out.split()
    assert [Path(p).name for p in paths] == ["INC-1-sso-login-fails-after-2-3-1.md",
                                             "INC-1-sso-login-fails-after-2-3-1-2.md"]
    assert all(Path(p).parent == tmp_path / "from-settings" for p in paths)


def test_kb_into_a_folder_that_cannot_be_made_says_so(
        store_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    assert run(store_dir, "kb", "INC-1", "--folder", str(tmp_path / "a-file" / "kb")) == 1
    assert "cannot write the draft in" in capsys.readouterr().err


def test_recurring_groups_the_recent_tickets_resolved_by_the_same_steps(
        store_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(store_dir, "recurring", "--days", "30") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "4 tickets in the last 30 days resolved by clearing the SSO cache"
    assert lines[1].strip().split(", ") == ["INC-1", "INC-3", "INC-4", "INC-5"]


def test_recurring_over_a_short_window_says_nothing_recurs(
        store_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(store_dir, "recurring", "--days", "1") == 0
    assert capsys.readouterr().out.startswith("No fix recurs in the last 1 days")


OTHERS = ("Globex", "Initech", "Umbrella", "Hooli", "Vandelay")
PEOPLE = ("Bob Stone", "Peter Gibbons", "Alice Wong", "Gavin Belson", "Art Vandelay")
THEMES = (("bug", "SSO login fails", "cannot log in through SSO; the login page loops",
           "Cleared the SSO cache"),
          ("billing", "Invoice shows the wrong VAT rate", "the invoice has the wrong VAT",
           "Corrected the VAT rate"),
          ("integration", "Webhook deliveries failing", "webhooks fail with 502",
           "Re-synced the integration"))


def test_kb_links_similar_tickets_from_the_trained_models_and_nothing_of_their_customers(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from console.app.triage.examples import resolved_examples
    from console.app.triage.registry import Registry
    from console.app.triage.train import train_text_models

    events = [opened("INC-1", "SSO login fails after 2.3.1",
                     "Users cannot log in through SSO; the login page loops.",
                     NOW - timedelta(days=2), account="Acme"),
              resolved("INC-1", "Cleared the SSO cache.", NOW - timedelta(days=1))]
    for n in range(240):
        category, title, text, fix = THEMES[n % 3]
        account, person = OTHERS[n % 5], PEOPLE[n % 5]
        at = NOW - timedelta(days=60) + timedelta(hours=n)
        mail = f"{person.split()[0].lower()}@{account.lower()}.example"
        events += [
            NewEvent(f"OLD-{n}", "opened", {
                "title": f"{title} for {account}", "account": account, "severity": "P3",
                "category": category,
                "text": f"{person} ({mail}) says {text}. Call +1 555 010 {n:04d}."},
                "ana", at),
            NewEvent(f"OLD-{n}", "message", {"text": f"{person}: this costs us a fortune.",
                                            "from": "customer"}, "customer",
                     at + timedelta(minutes=5)),
            resolved(f"OLD-{n}", f"{fix} for {account}; {person} confirmed.",
                     at + timedelta(minutes=30))]
    matrix = load_matrix_file(default_matrix_path())
    with LocalStore(tmp_path, matrix) as store:
        store.append_many(events)
        examples = resolved_examples([e.to_domain() for e in store.all_events()], matrix)
    train_text_models(examples, Registry(tmp_path / "triage"), NOW)

    assert run(tmp_path, "kb", "INC-1", "--folder", str(tmp_path / "kb")) == 0
    draft = Path(capsys.readouterr().out.strip()).read_text(encoding="utf-8")
    links = draft.split("## Similar tickets")[1].strip().splitlines()
    assert 1 <= len(links) <= 5
    for link in links:
        assert link.startswith("- [OLD-") and link.endswith(": SSO login fails for the "
                                                            "customer"), link
    for private in (*OTHERS, *PEOPLE, "Bob", "Peter", ".example", "555", "fortune",
                    "confirmed", "VAT", "Re-synced"):
        assert private not in draft, private


def test_the_actions_run_as_escalation_console_triage_commands(
        store_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from console.cli import main

    assert main(["triage", "summary", "INC-1", "--data-dir", str(store_dir)]) == 0
    assert "Tried: Reproduced on a test account [event " in capsys.readouterr().out
    assert main(["--data-dir", str(store_dir), "triage", "recurring"]) == 0
    assert capsys.readouterr().out.startswith("4 tickets in the last 30 days resolved by ")
