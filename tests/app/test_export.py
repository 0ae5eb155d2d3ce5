"""The event file covers the whole log: ``export``, and ``import`` that round-trips.

Real stores in temporary directories, and the command line as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from matrix_variant import ADDED_TEAM_ID, variant_yaml

from console.app.matrices import load_matrix_file
from console.app.usecases import importer as imp
from console.app.usecases.demo import seed_demo
from console.app.usecases.event_kinds import APP_TYPES
from console.app.usecases.export import ExportError, Window, export_events, export_lines
from console.app.usecases.simulate import parse_event, read_events, simulate
from console.domain.action_events import action_events, is_engine_action
from console.paths import default_matrix_path
from console.store.local import LocalStore, NewEvent

ROOT = Path(__file__).resolve().parents[2]
WHOLE_LOG = ROOT / "examples" / "whole-log.jsonl"
MATRIX = load_matrix_file(default_matrix_path())
NOW = "2026-11-26T12:00:00+00:00"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "console", *args], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)


def ok(*args: str) -> subprocess.CompletedProcess[str]:
    result = cli(*args)
    assert result.returncode == 0, result.stderr
    return result


def round_trip(source: Path, tmp_path: Path) -> tuple[str, str]:
    """Export ``source``, import that into an empty store, export again: both files."""
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    ok("export", str(first), "--data-dir", str(source))
    ok("--data-dir", str(tmp_path / "copy"), "import", str(first))
    ok("export", "--data-dir", str(tmp_path / "copy"), str(second))
    return first.read_text(encoding="utf-8"), second.read_text(encoding="utf-8")


def listed(data_dir: Path) -> dict:
    return json.loads(ok("tickets", "list", "--json", "--now", NOW,
                         "--data-dir", str(data_dir)).stdout)


def published_line(yaml_text: str, at: str = "2026-11-26T08:00:00+00:00") -> str:
    return json.dumps({"at": at, "ticket": "_matrix", "type": "matrix_published",
                       "id": "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a", "author": "lee",
                       "yaml": yaml_text, "name": "night desk", "number": 1,
                       "comment": "a night desk", "authority": []})


# -- the round trip ---------------------------------------------------------------------
def test_the_demo_store_exports_imports_and_exports_again_to_the_same_file_and_queue(tmp_path):
    demo = tmp_path / "demo"
    seed_demo(demo, MATRIX, datetime(2026, 11, 26, 12, tzinfo=UTC), tickets=120, user="me")
    first, second = round_trip(demo, tmp_path)
    kinds = {json.loads(line)["type"] for line in first.splitlines()}
    assert {"opened", "escalated", "handoff_submitted", "severity"} <= kinds
    assert first == second
    assert listed(demo) == listed(tmp_path / "copy")
    # the ids came along: importing the export where it came from adds nothing
    again = ok("import", str(tmp_path / "first.jsonl"), "--data-dir", str(demo))
    assert "imported 0 tickets (0 events)" in again.stdout


def test_a_file_of_every_kind_the_app_writes_round_trips_with_its_ids_and_authors(tmp_path):
    lines = [published_line(variant_yaml()), *WHOLE_LOG.read_text().splitlines()]
    lines.append(json.dumps({"at": "2026-11-26T11:30:00+00:00", "ticket": "INC-2002",
                             "type": "opened", "title": "Night shift", "author": "noor"}))
    lines.append(json.dumps({"at": "2026-11-26T11:31:00+00:00", "ticket": "INC-2002",
                             "type": "assigned", "team": ADDED_TEAM_ID, "tier": "T1",
                             "owner": "noor", "by": "noor", "author": "noor"}))
    source = tmp_path / "every-kind.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    kinds = {json.loads(line)["type"] for line in lines if line.startswith("{")}
    assert set(APP_TYPES) <= kinds
    imported = ok("import", str(source), "--data-dir", str(tmp_path / "original"))
    assert "imported 2 tickets (20 events)" in imported.stdout  # a matrix version is no ticket
    first, second = round_trip(tmp_path / "original", tmp_path)
    assert first == second
    assert listed(tmp_path / "original") == listed(tmp_path / "copy")
    exported = [json.loads(line) for line in first.splitlines()]
    by_type = {e["type"]: e for e in reversed(exported)}  # the first of each kind
    assert by_type["opened"]["id"] == "0b6d4a53-6a0e-4d0c-9f55-1f0d3e2a7c01"
    assert by_type["approval_granted"]["author"] == "sam"
    assert by_type["matrix_published"]["ticket"] == "_matrix"
    # the escalations, the routing and the assignment moved the ticket as they said
    tickets = {t["id"]: t for t in listed(tmp_path / "copy")["tickets"]}
    assert (tickets["INC-2001"]["team"], tickets["INC-2001"]["tier"],
            tickets["INC-2001"]["owner"]) == ("executives", "L4", "omar")
    assert (tickets["INC-2002"]["team"], tickets["INC-2002"]["owner"]) == (ADDED_TEAM_ID, "noor")


def test_an_engine_action_recorded_after_a_later_move_round_trips_to_the_same_ticket(tmp_path):
    """The log's order is not time order here: the engine's routing at 09:10 reached the
    log after a person's move at 09:30. Re-imported, the events fold in time order, and
    the ticket ends where it did: the person's move stands."""
    def at(hhmm: str) -> datetime:
        return datetime.fromisoformat(f"2026-11-26T{hhmm}:00+00:00")

    original = LocalStore(tmp_path / "original", MATRIX, lock=False).open()
    try:
        original.append_many([
            NewEvent("INC-9", "opened", {"title": "Slow exports"}, "priya", at("09:00")),
            NewEvent("INC-9", "escalated", {"team": "customer-success", "tier": "T2",
                                            "kind": "functional", "by": "priya"},
                     "priya", at("09:30"))])
        original.append_many([NewEvent(
            "INC-9", "routed", {"team": "incident-response", "tier": "T3",
                                "from_team": "frontline", "severity": "P1", "by": "engine"},
            "escalation-service", at("09:10"))])
        assert [e.kind for e in original.history("INC-9")] == ["opened", "escalated", "routed"]
    finally:
        original.close()
    first, second = round_trip(tmp_path / "original", tmp_path)
    assert first == second
    assert [json.loads(line)["type"] for line in first.splitlines()] == [
        "opened", "routed", "escalated"]
    assert listed(tmp_path / "original") == listed(tmp_path / "copy")
    assert listed(tmp_path / "copy")["tickets"][0]["team"] == "customer-success"


def test_the_engines_real_actions_export_and_import_back(tmp_path):
    """The events the notifier records for the engine's fires (action_events), on the
    examples replayed, are lines the import takes."""
    replayed = read_events(WHOLE_LOG.read_text().splitlines(), MATRIX)
    inputs = [e for e in replayed if not is_engine_action(e) and e.ticket != "_matrix"]
    fires = list(simulate(MATRIX, inputs, sentiment=None))
    actions = action_events(fires)
    assert {a.kind for a in actions} >= {"escalated", "routed", "handoff_required",
                                         "prioritized"}
    store = LocalStore(tmp_path / "data", MATRIX, lock=False).open()
    try:
        store.append_many([NewEvent(e.ticket, e.type, e.data, e.author or "priya", e.at)
                           for e in inputs])
        store.append_many([NewEvent(a.ticket, a.kind, a.payload, "escalation-service", a.at,
                                    a.id) for a in actions])
        text = "".join(export_lines(export_events(store)))
    finally:
        store.close()
    plan = imp.plan_jsonl(text, "engine.jsonl", MATRIX)
    assert imp.describe_bad(plan, "engine.jsonl") == []
    assert {e.id for e in plan.events} >= {a.id for a in actions}


def test_author_replaces_every_lines_author_and_lines_without_one_get_import(tmp_path):
    store = LocalStore(tmp_path / "data", MATRIX, lock=True).open()
    try:
        text = WHOLE_LOG.read_text()
        plan = imp.plan_jsonl(text, "whole-log.jsonl", MATRIX, author="ops")
        assert {e.author for e in plan.events} == {"ops"}
        plan = imp.plan_jsonl('{"at": "2026-11-26T09:00:00Z", "ticket": "A-1", '
                              '"type": "opened"}\n', "a.jsonl", MATRIX)
        assert [e.author for e in plan.events] == ["import"]
        imp.apply_plan(store, imp.plan_jsonl(text, "whole-log.jsonl", MATRIX))
        authors = {e.kind: e.author for e in store.history("INC-2001")}
        assert authors["assigned"] == "omar" and authors["routed"] == "escalation-service"
    finally:
        store.close()


# -- the checks of each kind -----------------------------------------------------------
OPENED = '{"at": "2026-11-26T09:00:00Z", "ticket": "T-1", "type": "opened"}'


@pytest.mark.parametrize(("line", "message"), [
    ('{"type": "escalated", "tier": "T3"}', "team: expected one of self-service, frontline"),
    ('{"type": "escalated", "team": "frontlne", "tier": "T1"}',
     "team: expected one of self-service, frontline"),
    ('{"type": "escalated", "team": "frontline", "tier": "T9"}',
     "tier: expected one of T0, T1, T2, T3, L4, got 'T9'"),
    ('{"type": "escalated", "team": "frontline", "tier": "T1", "mode": "sideways"}',
     "mode: expected one of functional, hierarchical, got 'sideways'"),
    ('{"type": "escalated", "team": "frontline", "tier": "T1", "mode": "functional", '
     '"kind": "hierarchical"}', "kind: 'hierarchical' contradicts mode 'functional'"),
    ('{"type": "escalated", "team": "frontline", "tier": "T1", "owner": 7}',
     "owner: expected a string, got 7"),
    ('{"type": "routed", "team": "frontline"}', "tier: expected one of T0"),
    ('{"type": "routed", "team": "frontline", "tier": "T1", "severity": "P7"}',
     "severity: expected one of P1, P2, P3, P4, got 'P7'"),
    ('{"type": "assigned"}', "owner: an assignment names an owner, a team or a tier"),
    ('{"type": "assigned", "team": "nowhere"}', "team: expected one of self-service"),
    ('{"type": "handoff_submitted", "target": "nowhere"}', "target: expected one of"),
    ('{"type": "handoff_submitted", "urgency": "asap"}',
     "urgency: expected one of low, normal, high, critical, got 'asap'"),
    ('{"type": "handoff_submitted", "checklist": "done"}', "checklist: expected a list"),
    ('{"type": "handoff_required", "tier": "T8"}', "tier: expected one of"),
    ('{"type": "prioritized", "priority": "urgent"}',
     "priority: expected one of high, normal, got 'urgent'"),
    ('{"type": "approval_requested", "requested_by": "priya"}',
     "action: expected a non-empty string, got None"),
    ('{"type": "approval_requested", "action": "refund", "requested_by": "p", "amount": -5}',
     "amount: expected a number of 0 or more, or null, got -5"),
    ('{"type": "approval_requested", "action": "refund", "requested_by": "p", '
     '"approvers": [1]}', "approvers: expected a list of strings, got [1]"),
    ('{"type": "approval_granted", "by": "sam", "role": "t2_manager"}',
     "request_id: expected a non-empty string, got None"),
    ('{"type": "approval_denied", "request_id": "r", "by": "sam"}',
     "role: expected a non-empty string, got None"),
    ('{"type": "approval_granted", "request_id": "r", "by": "s", "role": "x", '
     '"within_limit": "yes"}', "within_limit: expected true or false, got 'yes'"),
    ('{"type": "severity_disagreement", "initial": "P2"}',
     "confirmed: expected one of P1, P2, P3, P4, got None"),
    ('{"type": "severity", "severity": "P1", "by": "trigger"}',
     "trigger: expected a non-empty string, got None"),
    ('{"type": "severity", "severity": "P1", "by": "robot"}',
     "by: expected one of support, engineering, intake, trigger, got 'robot'"),
    ('{"type": "resolved", "id": 17}', "id: expected the event's id (a UUID, or text of at "
                                       "most 200 characters), got 17"),
    ('{"type": "resolved", "author": " "}',
     "author: expected a name of at most 120 characters, got ' '"),
    ('{"type": "matrix_published", "yaml": "x", "number": 1}',
     "ticket: matrix_published events, and only they, belong to '_matrix'"),
    ('{"type": "resolved", "ticket": "_matrix"}',
     "ticket: matrix_published events, and only they, belong to '_matrix'"),
    ('{"type": "matrix_published", "ticket": "_matrix", "yaml": "schema_version: 1", '
     '"number": 1}', "yaml: not a valid matrix: yaml:"),
    ('{"type": "matrix_published", "ticket": "_matrix", "yaml": "x", "number": 0}',
     "number: expected the version number (1 or more), got 0"),
])
def test_a_bad_field_of_a_new_kind_is_reported_with_the_file_line_and_field(line, message):
    fields = {"at": "2026-11-26T09:05:00Z", "ticket": "T-1", **json.loads(line)}
    text = OPENED + "\n" + json.dumps(fields) + "\n"
    plan = imp.plan_jsonl(text, "events.jsonl", MATRIX)
    described = imp.describe_bad(plan, "events.jsonl")
    assert len(described) == 1, described
    assert described[0].startswith(f"events.jsonl:2: {message}"), described[0]


def test_a_team_of_a_matrix_the_file_publishes_is_known_and_others_are_not():
    move = json.dumps({"at": "2026-11-26T09:05:00Z", "ticket": "T-1", "type": "escalated",
                       "team": ADDED_TEAM_ID, "tier": "T1"})
    alone = imp.plan_jsonl(OPENED + "\n" + move + "\n", "e.jsonl", MATRIX)
    assert [b.describe("e.jsonl") for b in alone.bad] == [
        f"e.jsonl:2: team: expected one of {', '.join(t.id for t in MATRIX.teams)}, "
        f"got {ADDED_TEAM_ID!r}"]
    with_version = "\n".join((OPENED, move, published_line(variant_yaml()))) + "\n"
    assert imp.plan_jsonl(with_version, "e.jsonl", MATRIX).bad == []


def test_the_intake_api_still_takes_only_the_outside_worlds_kinds():
    escalation = {"at": "2026-11-26T09:05:00Z", "ticket": "T-1", "type": "escalated",
                  "team": "frontline", "tier": "T1"}
    with pytest.raises(ValueError, match=r"^type: expected one of opened, severity"):
        parse_event(escalation, MATRIX)
    with pytest.raises(ValueError, match=r"^by: expected one of support, engineering, got"):
        parse_event({"at": "2026-11-26T09:05:00Z", "ticket": "T-1", "type": "severity",
                     "severity": "P1", "by": "trigger", "trigger": "x"}, MATRIX)


def test_an_id_that_is_not_a_uuid_always_gives_the_same_uuid():
    line = '{"at": "2026-11-26T09:00:00Z", "ticket": "A-1", "type": "opened", "id": "%s"}\n'
    ids = [imp.plan_jsonl(line % given, "a.jsonl", MATRIX).events[0].id
           for given in ("zd-77", "zd-77", "zd-78", "0B6D4A53-6A0E-4D0C-9F55-1F0D3E2A7C01")]
    assert ids[0] == ids[1] != ids[2]
    assert ids[3] == "0b6d4a53-6a0e-4d0c-9f55-1f0d3e2a7c01"
    assert all(str(uuid.UUID(i)) == i for i in ids)


# -- export ------------------------------------------------------------------------------
@pytest.fixture
def whole_log(tmp_path):
    store = LocalStore(tmp_path / "data", MATRIX, lock=False).open()
    imp.apply_plan(store, imp.plan_jsonl(WHOLE_LOG.read_text(), "w", MATRIX))
    yield store
    store.close()


def test_export_takes_a_window_from_inclusive_to_exclusive_and_one_ticket(whole_log):
    start = datetime(2026, 11, 26, 9, 20, tzinfo=UTC)
    end = datetime(2026, 11, 26, 9, 31, tzinfo=UTC)
    events = export_events(whole_log, Window(start, end))
    assert [e.kind for e in events] == ["severity", "severity_disagreement", "routed",
                                        "handoff_submitted", "escalated"]
    assert export_events(whole_log, Window(ticket="INC-404")) == []
    assert len(export_events(whole_log, Window(ticket="INC-2001"))) == 17


def test_a_payload_field_named_like_a_line_field_stops_the_export_naming_the_event(whole_log):
    whole_log.append("INC-2001", "message", {"text": "hi", "author": "customer"}, "priya")
    with pytest.raises(ExportError, match=r"\(message of INC-2001\) has a payload field "
                                          r"'author'"):
        list(export_lines(export_events(whole_log)))


def test_export_options_work_after_the_file_and_before_the_command(tmp_path, whole_log):
    data = str(tmp_path / "data")
    out = tmp_path / "out.jsonl"
    result = ok("--data-dir", data, "export", str(out), "--ticket", "INC-2001",
                "--from", "2026-11-26T10:00:00Z")
    assert [json.loads(line)["type"] for line in out.read_text().splitlines()] == [
        "approval_requested", "approval_denied", "escalated", "resolved"]
    assert "exported 4 events of 1 ticket to" in result.stderr
    stdout = ok("export", "-", "--to", "2026-11-26T09:01:00+00:00", "--data-dir", data).stdout
    assert [json.loads(line)["type"] for line in stdout.splitlines()] == ["opened"]
    # a device or a pipe is written to, not replaced
    piped = ok("export", "/dev/stdout", "--ticket", "INC-2001", "--data-dir", data).stdout
    assert len(piped.splitlines()) == 17 and Path("/dev/stdout").exists()
    bad = cli("export", "-", "--from", "2026-11-26T10:00:00", "--data-dir", data)
    assert bad.returncode == 2 and "has no UTC offset" in bad.stderr
    # a bare date is that day's midnight UTC
    by_date = ok("export", "-", "--to", "2026-11-26", "--data-dir", data).stdout
    assert by_date == ok("export", "-", "--to", "2026-11-26T00:00:00Z", "--data-dir",
                         data).stdout
    bad = cli("export", "-", "--from", "2026-11-27T00:00:00Z", "--to", "2026-11-26T00:00:00Z",
              "--data-dir", data)
    assert bad.returncode == 2 and "--to must be after --from" in bad.stderr
    bad = cli("export", str(tmp_path), "--data-dir", data)
    assert bad.returncode == 2 and "cannot write: is a directory" in bad.stderr
