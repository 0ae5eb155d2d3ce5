"""Hostile JSON Lines: one bad line (deep nesting, a lone surrogate, a NUL, a latin-1
byte) is reported as that line, with its field where there is one, and the good lines
still run (simulate) or import (``--skip-bad``)."""

from __future__ import annotations

import pytest
from hostile_inputs import DEEP_JSON, GOOD_1, GOOD_2, LATIN_1, NUL, SURROGATE, event

from console.app.matrices import load_matrix_file
from console.app.usecases import importer as imp
from console.app.usecases.simulate import MAX_JSON_DEPTH, BadLine, load_json_line, read_events
from console.paths import default_matrix_path
from console.store.local import LocalStore

MATRIX = load_matrix_file(default_matrix_path())


# (the bad middle line, what its report says)
HOSTILE = [
    pytest.param(DEEP_JSON, f"nested more than {MAX_JSON_DEPTH} levels deep at column "
                       f"{MAX_JSON_DEPTH + 1}", id="deep"),
    pytest.param(SURROGATE, "text: contains \\udcff", id="surrogate"),
    pytest.param(NUL, "account: contains a NUL character", id="nul"),
    pytest.param(LATIN_1, "not UTF-8 text (byte 0xe9 at column", id="latin-1"),
]


def as_bytes(line: str | bytes) -> bytes:
    return line if isinstance(line, bytes) else line.encode("utf-8")


def events_of(lines: list[str | bytes]) -> tuple[list[str], list[BadLine]]:
    bad: list[BadLine] = []
    events = read_events([as_bytes(line) + b"\n" for line in lines], MATRIX, on_bad=bad.append)
    return [e.ticket for e in events], bad


@pytest.mark.parametrize("line, reason", HOSTILE)
def test_simulate_reports_the_bad_line_and_reads_the_good_ones(line, reason):
    tickets, bad = events_of([GOOD_1, line, GOOD_2])
    assert tickets == ["INC-1", "INC-2"]
    assert [b.line for b in bad] == [2]
    assert bad[0].reason.startswith(reason), bad[0].reason


def test_a_file_opened_as_text_loses_only_its_latin_1_line(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join([GOOD_1.encode(), LATIN_1, GOOD_2.encode()]))
    bad: list[BadLine] = []
    with open(path, encoding="utf-8") as handle:
        events = read_events(handle, MATRIX, on_bad=bad.append)
    assert [e.ticket for e in events] == ["INC-1", "INC-2"]
    column = LATIN_1.index(b"\xe9") + 1
    assert [(b.line, b.reason.split(";")[0]) for b in bad] == [
        (2, f"not UTF-8 text (byte 0xe9 at column {column})")]


def test_simulate_strips_a_byte_order_mark_from_the_first_line_only():
    tickets, bad = events_of([b"\xef\xbb\xbf" + GOOD_1.encode(), "\ufeff" + GOOD_2])
    assert tickets == ["INC-1"]
    assert [b.line for b in bad] == [2]


def test_simulate_still_reads_lines_of_text():
    bad: list[BadLine] = []
    events = read_events([GOOD_1 + "\n", DEEP_JSON + "\n", GOOD_2], MATRIX, on_bad=bad.append)
    assert [e.ticket for e in events] == ["INC-1", "INC-2"]
    assert [b.line for b in bad] == [2]


def test_nesting_up_to_the_limit_is_only_a_type_error():
    line = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert load_json_line(line) is not None
    brackets_in_strings = '{"title": "' + "[" * 500 + '", "x": "\\"[{"}'
    assert load_json_line(brackets_in_strings)["title"] == "[" * 500


def test_a_bad_key_is_named_by_where_it_is():
    with pytest.raises(ValueError, match=r"^a key in tags\[1\] contains \\udc80"):
        load_json_line('{"tags": ["a", {"\\udc80": 1}]}')


@pytest.fixture
def store(tmp_path):
    s = LocalStore(tmp_path / "data", MATRIX, lock=True).open()
    yield s
    s.close()


@pytest.mark.parametrize("line, reason", [p for p in HOSTILE if p.id != "latin-1"])
def test_import_reports_the_bad_line_and_skip_bad_imports_the_good_ones(store, line, reason):
    text = "\n".join([GOOD_1, line, GOOD_2]) + "\n"
    plan = imp.plan_jsonl(text, "t.jsonl", store.matrix)
    assert [b.line for b in plan.bad] == [2]
    assert imp.describe_bad(plan, "t.jsonl")[0].startswith(f"t.jsonl:2: {reason}")
    assert imp.apply_plan(store, plan).events == 0  # all or nothing
    result = imp.apply_plan(store, plan, skip_bad=True)
    assert (result.tickets, result.events, result.bad_rows) == (2, 2, 1)


def test_import_counts_physical_lines_around_a_unicode_line_separator(store):
    text = "\n".join([event("INC-1", text="one\u2028two"), "not json", GOOD_2]) + "\n"
    plan = imp.plan_jsonl(text, "t.jsonl", store.matrix)
    assert [b.line for b in plan.bad] == [2]
    assert len(plan.events) == 2
