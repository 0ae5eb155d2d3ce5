"""What-if's replay across worker processes (issue 16, Speed): the same Impact as the
single-process replay, progress, Cancel that leaves no worker behind, and a worker's
death as a clear error."""

from __future__ import annotations

import json
import sys
import threading
from datetime import timedelta

import pytest

from benchmarks.engine.runner import load_matrices
from benchmarks.engine.workload import generate
from console.app.usecases.whatif import Impact, impact, replay
from console.app.usecases.whatif import parallel as parallel_module
from console.app.usecases.whatif.parallel import (
    Cancelled,
    WorkerCrashed,
    parallel_replay,
    partitions,
)
from console.app.usecases.whatif.preview import preview
from console.app.usecases.whatif.replay import Outcome
from console.app.usecases.whatif.source import TicketStream, from_events
from console.cli import main
from tests.app.test_whatif import p2_files
from tests.spawned import spawned_children

WORKLOAD = generate(300, 6.0, 16)
WINDOW = (WORKLOAD.start - timedelta(days=2), WORKLOAD.end)
DRAFT, ACTIVE = load_matrices()[::-1]


def test_the_partitions_hold_each_ticket_whole_and_every_event_once():
    stream = from_events(WORKLOAD.events, *WINDOW)
    parts = list(partitions(stream.groups, 40))
    window_events = sum(len(g) for g in from_events(WORKLOAD.events, *WINDOW).groups)
    assert sum(len(p) for p in parts) == window_events
    owners = [{e.ticket for e in p} for p in parts]
    assert all(not (a & b) for i, a in enumerate(owners) for b in owners[i + 1:])
    assert [len(o) for o in owners[:-1]] == [40] * (len(parts) - 1)
    assert all(p == sorted(p, key=lambda e: e.at) for p in parts)


def test_two_workers_give_the_impact_of_the_single_process_replay():
    single = [replay(m, WORKLOAD.events, *WINDOW) for m in (DRAFT, ACTIVE)]
    seen: list[tuple[int, int]] = []
    both = parallel_replay((DRAFT, ACTIVE), WORKLOAD.events, *WINDOW, workers=2,
                           progress=lambda done, total: seen.append((done, total)))
    assert impact(*both) == impact(*single)
    # the workers send only the tickets the versions counted differently (the others'
    # pages and breaches as instants): the parent never holds every ticket's rows
    changed = {c.ticket for f in impact(*single).figures for c in f.changed}
    assert set(both[0].tickets) | set(both[1].tickets) == changed
    assert len(changed) < len(single[1].tickets)
    assert [o.totals for o in both] == [o.totals for o in single]
    assert not impact(*both).unchanged
    assert seen[-1] == (single[0].ticket_count, single[0].ticket_count)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_provisional_figures_come_while_the_run_goes_on_and_only_grow_to_the_final_ones():
    seen: list[tuple[list[Outcome], int, int]] = []
    final = parallel_replay((DRAFT, ACTIVE), WORKLOAD.events, *WINDOW, workers=2,
                            partial=lambda outs, done, total: seen.append((outs, done, total)),
                            partial_every=0, clock=lambda: 0.0)
    single = [replay(m, WORKLOAD.events, *WINDOW) for m in (DRAFT, ACTIVE)]
    assert impact(*final) == impact(*single)  # the parts merged meanwhile lose nothing
    total = single[0].ticket_count
    dones = [done for _, done, _ in seen]
    assert len(seen) >= 3 and dones == sorted(set(dones)) and dones[-1] < total
    assert all(t == total for _, _, t in seen)
    for outs, done, _ in seen:
        for so_far, whole in zip(outs, final, strict=True):
            assert so_far.ticket_count == done
            assert all(n <= whole.totals[row] for row, n in so_far.totals.items())
            assert so_far.t1_resolution.denominator <= whole.t1_resolution.denominator
    # the figures grow as tickets are done
    breaches = [sum(n for row, n in outs[1].totals.items() if row[0] == "breach")
                for outs, _, _ in seen]
    assert breaches == sorted(breaches) and breaches[0] < breaches[-1]


def test_the_preview_gives_the_comparison_so_far_now_and_then(monkeypatch):
    monkeypatch.setattr(parallel_module, "PARTIAL_S", 0.0)
    seen: list[tuple[Impact, int, int]] = []
    result = preview(DRAFT, ACTIVE, WORKLOAD.events, *WINDOW, workers=2,
                     partial=lambda so_far, done, total: seen.append((so_far, done, total)))
    assert seen and all(isinstance(i, Impact) and i.tickets == done < total == result.tickets
                        for i, done, total in seen)
    assert seen[-1][0].headlines[0].startswith("With this draft, ")


def test_cancel_stops_the_run_and_leaves_no_worker_process_behind():
    cancel = threading.Event()
    running: list[set[int]] = []

    def first_partition_done(done: int, total: int) -> None:
        running.append(spawned_children())
        cancel.set()

    with pytest.raises(Cancelled):
        parallel_replay((DRAFT, ACTIVE), WORKLOAD.events, *WINDOW, workers=2,
                        progress=first_partition_done, cancel=cancel)
    assert len(running[0]) == 2  # the check sees workers while they run
    assert spawned_children() == set()


def test_a_worker_that_dies_is_a_clear_error_not_a_wait():
    with pytest.raises(WorkerCrashed, match=r"worker \d .* died with exit code 3"):
        parallel_replay((DRAFT, ACTIVE), WORKLOAD.events, *WINDOW, workers=2,
                        _crash_partition=3)
    assert spawned_children() == set()


def exploding(text: str) -> float:
    """A sentiment scorer that fails (imported by name in the worker processes)."""
    raise ValueError(f"cannot score {len(text)} characters")


def test_a_worker_that_raises_says_its_traceback():
    with pytest.raises(WorkerCrashed) as failed:
        parallel_replay((DRAFT, ACTIVE), WORKLOAD.events, *WINDOW, exploding, workers=2)
    assert "what-if worker " in str(failed.value) and " failed:" in str(failed.value)
    assert "ValueError: cannot score" in str(failed.value)  # the worker's own words
    assert spawned_children() == set()


def test_an_empty_window_is_the_replay_of_no_ticket():
    # more tickets counted than the window holds (a count made before the exact check)
    stream = TicketStream(5, [])
    both = parallel_replay((DRAFT, ACTIVE), stream, *WINDOW, workers=2)
    assert [o.ticket_count for o in both] == [0, 0] and impact(*both).unchanged


def test_workers_that_all_die_while_the_queue_is_full_are_a_clear_error_not_a_hang():
    # every worker dies at its first partition: nobody drains the queue the parent is
    # filling (a dozen partitions here), so only a look at the workers can end the wait
    done = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        try:
            parallel_replay((DRAFT, ACTIVE), WORKLOAD.events, *WINDOW, workers=2,
                            _crash_partition=0)
        except BaseException as exc:
            failure.append(exc)
        done.set()

    threading.Thread(target=run, daemon=True).start()
    assert done.wait(60), "the parent still waits on workers that are gone"
    assert isinstance(failure[0], WorkerCrashed)
    assert "died with exit code 3" in str(failure[0])
    assert spawned_children() == set()


def test_the_command_gives_the_same_json_with_two_workers_as_with_one(tmp_path, capsys):
    events, draft = p2_files(tmp_path)
    outs = []
    for n in ("1", "2"):
        code = main(["whatif", "--matrix", str(draft), "--events", str(events), "--format",
                     "json", "--workers", n, "--data-dir", str(tmp_path / "data")])
        assert code == 0
        outs.append(json.loads(capsys.readouterr().out))
    assert outs[0] == outs[1]
    assert outs[1]["unchanged"] is False


def test_at_a_terminal_the_command_says_the_figures_so_far_on_stderr(tmp_path, capsys,
                                                                     monkeypatch):
    monkeypatch.setattr(parallel_module, "PARTIAL_S", 0.0)
    events, draft = p2_files(tmp_path)
    args = ["whatif", "--matrix", str(draft), "--events", str(events), "--workers", "2",
            "--data-dir", str(tmp_path / "data")]
    assert main(args) == 0
    assert "so far" not in capsys.readouterr().err  # not a terminal: nothing extra
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(args) == 0
    out, err = capsys.readouterr()
    lines = [x for x in err.splitlines() if x.startswith("so far, ")]
    assert lines and all("of 5 tickets (" in x and "%, a random sample): " in x
                         for x in lines)
    assert out.startswith("With this draft, ")  # the final table, as without a terminal
