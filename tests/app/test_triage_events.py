"""What ``opened`` records of a triage suggestion (``triage``: model versions, values,
confidences, what was pre-selected) survives export and import, and a malformed record
in an event file is reported with its line and field."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from console.app.matrices import load_matrix_file
from console.app.usecases import importer as imp
from console.app.usecases.export import export_events, export_lines
from console.paths import default_matrix_path
from console.store.local import LocalStore, NewEvent

MATRIX = load_matrix_file(default_matrix_path())
AT = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
TRIAGE = {"model": {"team": 3, "severity": 2}, "suggested": {"team": "specialists",
                                                             "severity": "P2"},
          "confidence": {"team": 0.91, "severity": 0.55}, "preselected": ["team"]}


def test_the_suggestion_an_opened_event_records_survives_export_and_import(tmp_path):
    source = LocalStore(tmp_path / "source", MATRIX, lock=False).open()
    try:
        source.append_many([NewEvent("T-1", "opened", {"title": "Login loops", "triage": TRIAGE},
                                     "ana", AT),
                            NewEvent("T-1", "assigned", {"team": "specialists", "tier": "T2",
                                                         "by": "ana",
                                                         "reason": "chosen at intake"},
                                     "ana", AT)])
        text = "".join(export_lines(export_events(source)))
    finally:
        source.close()
    plan = imp.plan_jsonl(text, "events.jsonl", MATRIX)
    assert imp.describe_bad(plan, "events.jsonl") == []
    copy = LocalStore(tmp_path / "copy", MATRIX, lock=False).open()
    try:
        imp.apply_plan(copy, plan)
        opened = copy.history("T-1")[0]
        assert opened.payload["triage"] == TRIAGE
        assert copy.ticket("T-1").team == "specialists"
        assert "".join(export_lines(export_events(copy))) == text
    finally:
        copy.close()


@pytest.mark.parametrize(("triage", "message"), [
    ("yes", "triage: expected a mapping, got 'yes'"),
    ({"model": {"team": 0}}, "triage.model.team: expected a version number, got 0"),
    ({"confidence": {"team": 91}}, "triage.confidence.team: expected a number from 0 to 1, "
                                   "got 91"),
    ({"suggested": {"owner": "bob"}}, "triage.suggested: expected keys among severity, team, "
                                      "category, got 'owner'"),
    ({"preselected": "team"}, "triage.preselected: expected a list among severity, team, "
                              "category, got 'team'"),
])
def test_a_malformed_triage_record_is_reported_with_its_line_and_field(triage, message):
    line = json.dumps({"at": "2026-11-26T09:00:00Z", "ticket": "T-1", "type": "opened",
                       "title": "Login loops", "triage": triage})
    plan = imp.plan_jsonl(line + "\n", "events.jsonl", MATRIX)
    assert imp.describe_bad(plan, "events.jsonl") == [f"events.jsonl:1: {message}"]
