"""The engine's checkpoint gives what a full replay gives: many random event streams,
each split at a random point, saved there (file, pickle), restored in a new engine and
fed the rest, fire exactly what one engine fed every event fires, and end holding the
same tickets and timers. Resolved tickets leave the engine at each checkpoint and are
folded again from the log when an event comes for one."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Collection, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.domain.engine import Engine
from console.domain.fires import Fire
from console.domain.matrix.model import Matrix
from console.domain.tickets import TicketEvent
from console.notify.checkpoint import PAGE, EngineCheckpoint

from .streams import Logged, stream

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.engine.workload import generate  # noqa: E402

START = datetime(2026, 3, 2, 8, tzinfo=UTC)


class MemoryLog:
    """The store's log in memory: rowid i + 1 is events[i] (arrival = time order)."""

    def __init__(self, events: list[TicketEvent]) -> None:
        self.logged = [Logged(i + 1, e) for i, e in enumerate(events)]
        self.queries = 0  # tickets_events calls

    def after(self, cursor: int) -> tuple[Iterable[Any], int]:
        return iter(self.logged[cursor:]), len(self.logged)

    def tickets_events(self, tickets: Collection[str], upto: int) -> dict[str, list[Any]]:
        self.queries += 1
        out: dict[str, list[Any]] = {}
        for e in self.logged[:upto]:
            if e.ticket in tickets:
                out.setdefault(e.ticket, []).append(e)
        return out

    def event_id(self, rowid: int) -> str | None:
        return f"event-{rowid}" if 0 < rowid <= len(self.logged) else None


def full_replay(matrix: Matrix, events: list[TicketEvent], end: datetime
                ) -> tuple[Engine, list[Fire]]:
    engine = Engine(matrix)
    fires: list[Fire] = []
    for e in events:
        fires += engine.apply(e)
    fires += engine.advance_to(end)
    return engine, fires


def split_replay(matrix: Matrix, events: list[TicketEvent], split: int, saved_at: datetime,
                 end: datetime, path: Path) -> tuple[Engine, list[Fire], int]:
    """Events up to ``split``, advance to ``saved_at``, save; a new engine restored
    from the file takes the rest. Returns it, every fire and the tickets folded again."""
    log = MemoryLog(events)
    first = Engine(matrix)
    fires: list[Fire] = []
    for e in events[:split]:
        fires += first.apply(e)
    fires += first.advance_to(saved_at)
    assert EngineCheckpoint(path, log).save(first, {}, split, saved_at, matrix)

    def make() -> Engine:
        return Engine(matrix)

    checkpoint = EngineCheckpoint(path, log)
    restored = checkpoint.restore(matrix, make, saved_at)
    assert restored is not None and restored.cursor == split
    engine = restored.engine
    tail, _ = checkpoint.tail(split)
    refolded, known, seen = 0, set(engine.tickets), set()
    for logged in checkpoint.held(engine, tail, make):
        if logged.ticket not in seen:  # held() folded it again just now if it could
            seen.add(logged.ticket)
            refolded += (logged.ticket not in known and logged.ticket in engine.tickets
                         and logged.event.type != "opened")
        fires += engine.apply(logged.event)
    fires += engine.advance_to(end)
    return engine, fires, refolded


def held(engine: Engine) -> dict[str, Any]:
    """The open tickets as the engine holds them (``version`` only tells stale timers
    apart: a ticket folded again counts its own)."""
    return {tid: dataclasses.replace(t, version=0) for tid, t in engine.tickets.items()
            if t.state.open}


def timers(engine: Engine) -> list[tuple[datetime, str, Any]]:
    """The live timers in the order they pop."""
    live = [(at, seq, tid, what) for at, seq, tid, version, what in engine._heap
            if (t := engine.tickets.get(tid)) is not None and t.version == version]
    return [(at, tid, what) for at, _, tid, what in sorted(live)]


def split_point(events: list[TicketEvent], fraction: float) -> tuple[int, datetime]:
    """A split after which the next event is strictly later, and an instant between."""
    k = max(1, min(len(events) - 1, int(len(events) * fraction)))
    while k < len(events) - 1 and events[k].at == events[k - 1].at:
        k += 1
    gap = events[k].at - events[k - 1].at
    return k, events[k - 1].at + gap / 2


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 10**9), size=st.integers(2, 260),
       fraction=st.floats(0.0, 1.0), later=st.integers(0, 72 * 3600))
def test_a_restored_checkpoint_and_the_tail_fire_what_a_full_replay_fires(
        matrix, tmp_path_factory, seed, size, fraction, later):
    events = stream(seed, size, START, matrix)
    split, saved_at = split_point(events, fraction)
    end = events[-1].at + timedelta(seconds=later)
    whole, expected = full_replay(matrix, events, end)
    path = tmp_path_factory.mktemp("ckpt") / "engine.checkpoint"
    engine, fires, _ = split_replay(matrix, events, split, saved_at, end, path)
    assert fires == expected
    assert held(engine) == held(whole)
    assert timers(engine) == timers(whole)
    assert engine.now == whole.now


def test_the_random_streams_do_fold_resolved_tickets_again(matrix, tmp_path):
    """The property above covers the refold: streams reopen and write to tickets that
    were resolved before the checkpoint."""
    refolded = 0
    for seed in range(20):
        events = stream(seed, 250, START, matrix)
        split, saved_at = split_point(events, 0.5)
        end = events[-1].at + timedelta(hours=30)
        whole, expected = full_replay(matrix, events, end)
        engine, fires, count = split_replay(matrix, events, split, saved_at, end,
                                            tmp_path / f"{seed}.checkpoint")
        assert fires == expected and held(engine) == held(whole)
        refolded += count
    assert refolded >= 10


def test_a_realistic_workload_checkpointed_midway_fires_what_a_full_replay_fires(
        matrix, tmp_path):
    workload = generate(tickets=600, hours=24, seed=11)
    events = workload.events
    whole, expected = full_replay(matrix, events, workload.end)
    assert len(expected) > 500
    for fraction in (0.1, 0.5, 0.9):
        split, saved_at = split_point(events, fraction)
        engine, fires, _ = split_replay(matrix, events, split, saved_at, workload.end,
                                        tmp_path / f"{fraction}.checkpoint")
        assert fires == expected
        assert held(engine) == held(whole)
        assert timers(engine) == timers(whole)


def test_the_checkpoint_holds_no_resolved_ticket(matrix, tmp_path):
    events = stream(3, 300, START, matrix)
    engine, _ = full_replay(matrix, events, events[-1].at)
    resolved = {tid for tid, t in engine.tickets.items() if not t.state.open}
    assert resolved
    checkpoint = EngineCheckpoint(tmp_path / "c", MemoryLog(events))
    checkpoint.save(engine, {}, len(events), events[-1].at, matrix)
    restored = checkpoint.restore(matrix, lambda: Engine(matrix), None)
    assert restored is not None
    assert not resolved & set(restored.engine.tickets)
    assert all(t.state.open for t in restored.engine.tickets.values())


@pytest.mark.parametrize("fraction", [0.3, 0.7])
def test_a_matrix_change_after_the_restore_reaches_the_restored_tickets(
        matrix, tmp_path, fraction):
    """Both engines switch to a matrix whose P1 response is twice as long."""
    def slow(s: Any) -> Any:  # fresh caches: replace() would hand over the old ones
        targets = dataclasses.replace(s.targets, response=s.targets.response * 2)
        return dataclasses.replace(s, targets=targets, _targets={}, _leads={})

    slower = dataclasses.replace(
        matrix, _by_id={},
        severities=tuple(slow(s) if s.id == "P1" else s for s in matrix.severities))
    assert slower.severity("P1").target("response") != matrix.severity("P1").target("response")
    events = stream(5, 250, START, matrix)
    split, saved_at = split_point(events, fraction)
    end = events[-1].at + timedelta(hours=12)
    whole, expected = full_replay(matrix, events, end)
    expected += [("switch", whole.set_matrix(slower))]  # type: ignore[list-item]
    expected += whole.advance_to(end + timedelta(days=2))
    engine, fires, _ = split_replay(matrix, events, split, saved_at, end,
                                    tmp_path / "c")
    fires += [("switch", engine.set_matrix(slower))]  # type: ignore[list-item]
    fires += engine.advance_to(end + timedelta(days=2))
    assert fires == expected


def test_the_matrix_fingerprint_is_the_same_in_another_process(matrix):
    """Sets inside the matrix are sorted, so string hash randomisation (another seed in
    every process) does not change the fingerprint a restart compares."""
    import os
    import subprocess

    from console.notify.checkpoint import matrix_fingerprint

    code = ("from console.app.matrices import load_matrix_file\n"
            "from console.paths import default_matrix_path\n"
            "from console.notify.checkpoint import matrix_fingerprint\n"
            "print(matrix_fingerprint(load_matrix_file(default_matrix_path())))\n")
    seen = set()
    for seed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True, cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": seed})
        seen.add(out.stdout.strip())
    assert seen == {matrix_fingerprint(matrix)}


def test_a_ticket_opened_again_after_the_checkpoint_keeps_what_its_stored_events_hold(
        matrix, tmp_path):
    """A second opening of a dropped ticket (another console's) folds as nothing: the
    ticket stays resolved, as a full replay holds it. Its first event in the tail being
    ``opened`` does not make it a new ticket, so it is still looked up."""
    opened = {"title": "Checkout down", "users_affected_pct": 80, "workaround": "none",
              "severity": "P1", "by": "support"}
    events = [TicketEvent(START, "INC-1", "opened", opened, "ana"),
              TicketEvent(START + timedelta(hours=1), "INC-1", "resolved", {}, "ana"),
              TicketEvent(START + timedelta(hours=3), "INC-1", "opened", opened, "bo"),
              TicketEvent(START + timedelta(hours=4), "INC-1", "message",
                          {"text": "still down?"}, "customer")]
    end = START + timedelta(hours=6)
    whole, expected = full_replay(matrix, events, end)
    engine, fires, _ = split_replay(matrix, events, 2, START + timedelta(hours=2), end,
                                    tmp_path / "c")
    assert not whole.tickets["INC-1"].state.open
    assert fires == expected
    assert dataclasses.replace(engine.tickets["INC-1"], version=0) == dataclasses.replace(
        whole.tickets["INC-1"], version=0)


def test_the_tail_reads_the_log_once_a_page_for_every_ticket_the_engine_does_not_hold(
        matrix, tmp_path):
    workload = generate(tickets=600, hours=24, seed=11)
    events = workload.events
    split, saved_at = split_point(events, 0.2)
    log = MemoryLog(events)
    first = Engine(matrix)
    for e in events[:split]:
        first.apply(e)
    checkpoint = EngineCheckpoint(tmp_path / "c", log)
    assert checkpoint.save(first, {}, split, saved_at, matrix)
    restored = checkpoint.restore(matrix, lambda: Engine(matrix), saved_at)
    assert restored is not None
    tail, _ = checkpoint.tail(split)
    unknown = {e.ticket for e in events[split:]} - set(restored.engine.tickets)
    assert len(unknown) > 100
    replayed = sum(1 for _ in checkpoint.held(restored.engine, tail, lambda: Engine(matrix)))
    assert replayed == len(events) - split
    assert log.queries == -(-replayed // PAGE)
