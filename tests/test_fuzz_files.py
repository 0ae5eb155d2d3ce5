"""Fuzzing the file readers with truncations and mutations of the shipped files.

Every mutation of ``matrices/*.yaml``, ``examples/*.jsonl`` and ``examples/*.csv``
either loads or gives clear errors placed on a line of that file (FILE:LINE), quickly;
no exception escapes. Mutations splice in what a fuzzing pass found (deep brackets,
recursive aliases, alias bombs, lone surrogates, latin-1 bytes, NULs) among plain
truncations, deletions, duplications and byte flips.

Derandomized with a fixed number of examples: the same cases every run, about 15 s in
total.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hostile_inputs import (
    DEEP_JSON,
    DEEP_YAML,
    GOOD_1,
    LATIN_1,
    NUL,
    SELF_ALIAS_YAML,
    SURROGATE,
    alias_bomb,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.app.matrices import check_matrix_file, load_matrix_file
from console.app.usecases import importer as imp
from console.app.usecases.simulate import BadLine, read_events, simulate
from console.domain.flow import load_records
from console.paths import default_matrix_path
from console.store.local import LocalStore

ROOT = Path(__file__).resolve().parent.parent
MATRICES = sorted((ROOT / "matrices").glob("*.yaml"))
JSONL = sorted((ROOT / "examples").glob("*.jsonl"))
CSV = sorted((ROOT / "examples").glob("*.csv"))
MATRIX = load_matrix_file(default_matrix_path())
SECONDS = 5.0  # per mutated file; the alias bomb took 24 s and 2.3 GB before the fix

SNIPPETS = [
    b"[" * 5000, b"{" * 300, b"]", b"}", b"[[[[", b"&a [*a]", b"&b ", b"*b", b"*a",
    b"<<: *b\n", b"!!python/object:os.system ", b"!!binary ", b"!x ", b"%YAML 1.1\n",
    b"---\n", b"...\n", b"? [a]\n: b\n", b"- ", b": ", b", ", b"#", b"'", b'"', b"\\",
    b"\\udcff", b"\\ud800", b"\\u0000", b"\xe9", b"\xff\xfe", b"\xef\xbb\xbf", b"\x00",
    b"\xe2\x80\xa8", b"\r", b"\t", b"\n", b"1e999", b"9" * 5000, b"NaN", b"-1", b"true",
    b"null", b"2026-13-01", b"9999-12-31T23:59:59+14:00", b"P9", b"0m",
]
# Whole lines, put in at the start of a line: what the fuzzing pass found, and good lines.
LINES = [
    DEEP_YAML.split("\n")[1].encode(), SELF_ALIAS_YAML.split("\n")[1].encode(),
    alias_bomb().split("\n", 1)[1].encode(), b"x: &c {y: *c}", DEEP_JSON.encode(),
    SURROGATE.encode(), NUL.encode(), LATIN_1, GOOD_1.encode(),
    b'"INC-9",caf\xe9,,,,,,,,,,2026-11-26T09:00:00+00:00',
]


@st.composite
def mutated(draw: st.DrawFn, path: Path) -> bytes:
    """A shipped file after one to three mutations."""
    data = path.read_bytes()
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(data)))
        end = draw(st.integers(at, min(len(data), at + 400)))
        kind = draw(st.sampled_from(["truncate", "delete", "duplicate", "flip", "insert",
                                     "insert", "line", "line", "line"]))
        if kind == "truncate":
            data = data[:at]
        elif kind == "delete":
            data = data[:at] + data[end:]
        elif kind == "duplicate":
            data = data[:end] + data[at:end] + data[end:]
        elif kind == "insert":
            data = data[:at] + draw(st.sampled_from(SNIPPETS)) + data[at:]
        elif kind == "line":
            at = data.rfind(b"\n", 0, at) + 1
            data = data[:at] + draw(st.sampled_from(LINES)) + b"\n" + data[at:]
        elif data:
            at = min(at, len(data) - 1)
            data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1:]
    return data


def corpus(path: Path) -> list[bytes]:
    """Fixed cases for every file: truncations, each hostile line in the middle, each
    snippet at a position of its own."""
    data = path.read_bytes()
    middle = data.rfind(b"\n", 0, len(data) // 2) + 1
    cases = [data[:len(data) * i // 8] for i in range(8)]
    cases += [data[:middle] + line + b"\n" + data[middle:] for line in LINES]
    spread = [i * 7919 % (len(data) + 1) for i in range(len(SNIPPETS))]
    cases += [data[:at] + snippet + data[at:] for snippet, at in
              zip(SNIPPETS, spread, strict=True)]
    return cases


FUZZ = settings(derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def fuzz(source: Path, check: Callable[[bytes], None], examples: int) -> None:
    """``check`` each corpus case of ``source``, then ``examples`` random mutations, each
    within SECONDS."""
    def timed(data: bytes) -> None:
        started = time.monotonic()
        check(data)
        assert time.monotonic() - started < SECONDS, f"took over {SECONDS} s"

    for data in corpus(source):
        try:
            timed(data)
        except BaseException as exc:
            exc.add_note(f"corpus case of {source.name}: {data[:300]!r}...")
            raise
    settings(FUZZ, max_examples=examples)(given(mutated(source))(timed))()


def lines_in(data: bytes) -> int:
    return data.count(b"\n") + 1


def named(paths: list[Path]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("source", paths, ids=[p.name for p in paths])


@named(MATRICES)
def test_mutated_matrices_load_or_name_a_line(source, tmp_path):
    path = tmp_path / source.name

    def check(data: bytes) -> None:
        path.write_bytes(data)
        matrix, problems = check_matrix_file(path)
        if matrix is None:
            assert problems
        for p in problems:
            assert p.file == str(path) and 1 <= p.line <= lines_in(data) and p.column >= 1
            assert str(p).startswith(f"{path}:{p.line}:{p.column}: ")
        try:  # the flowchart editor opens files with the same limits
            load_records(data.decode("utf-8"))
        except ValueError as exc:  # UnicodeDecodeError is one too
            assert str(exc)

    fuzz(source, check, examples=30)


@named(JSONL)
def test_mutated_event_files_replay_or_name_a_line(source):
    def check(data: bytes) -> None:
        bad: list[BadLine] = []
        events = read_events(io.BytesIO(data), MATRIX, on_bad=bad.append)  # as the CLI does
        for b in bad:
            assert 1 <= b.line <= lines_in(data) and b.reason
        for fire in simulate(MATRIX, events):  # the good lines replay, to the last one
            assert fire.to_json()

    fuzz(source, check, examples=50)


@pytest.fixture
def store(tmp_path):
    s = LocalStore(tmp_path / "data", MATRIX, lock=True).open()
    yield s
    s.close()


@named(JSONL + CSV)
def test_mutated_imports_store_the_good_rows_or_name_a_line(source, store):
    name = source.name

    def check(data: bytes) -> None:
        try:
            text = imp.decode(data, name)
            if source.suffix == ".csv":
                preset = "zendesk" if name == "helpdesk-export.csv" else None
                plan = imp.plan_csv(text, name, store.matrix,
                                    columns=imp.columns_for(preset, {})[0])
            else:
                plan = imp.plan_jsonl(text, name, store.matrix)
        except imp.ImportFailure as exc:
            assert str(exc).startswith(f"{name}:")
            return
        for line in imp.describe_bad(plan, name):
            assert 1 <= int(line.split(":")[1]) <= lines_in(data)
        imp.apply_plan(store, plan, skip_bad=True)  # the store takes every good row

    fuzz(source, check, examples=30)
