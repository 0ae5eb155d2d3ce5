"""The runner's start from the engine's checkpoint, over a real local store: it fires
what a start replaying every event fires, replays only the events after the
checkpoint, saves at a clean stop and periodically, and discards (one warning, full
replay, no crash) a checkpoint it cannot trust."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from matrix_variant import NEW_TEAM, TEAM_ID, variant_yaml
from sqlalchemy import Engine as SqlEngine
from sqlalchemy import event

from benchmarks.notify.fakes import FakeServices, notify_config, notify_secrets
from console.app.notify_ops import build_runner
from console.app.notify_secrets import StaticSecrets
from console.domain.tickets import TicketEvent
from console.notify.checkpoint import FILE_NAME, PAGE
from console.notify.runner import CHECKPOINT, NotifyRunner
from console.store.deliveries import DeliveryOutbox, EventFeed
from console.store.local import LocalStore, NewEvent

from .helpers import T0, World, wait_until
from .streams import stream
from .test_checkpoint import held, split_point, timers


class Consoles:
    """Local stores and runners on one fake clock, wired like the app's."""

    def __init__(self, root: Path, matrix: Any, world: World, services: FakeServices) -> None:
        self.root, self.matrix, self.world, self.services = root, matrix, world, services
        self.stores: dict[str, LocalStore] = {}

    def store(self, name: str) -> LocalStore:
        if name not in self.stores:
            self.stores[name] = LocalStore(self.root / name, self.matrix,
                                           clock=self.world.clock()).open()
        return self.stores[name]

    def runner(self, name: str, *, checkpoint: bool = True) -> NotifyRunner:
        return build_runner(self.store(name), config=notify_config(self.services),
                            secrets=StaticSecrets(notify_secrets(self.services)),
                            claims=None, clock=self.world.clock(), sentiment=None, seed=7,
                            checkpoint=checkpoint)

    def close(self) -> None:
        for store in self.stores.values():
            store.close()


@pytest.fixture
def consoles(tmp_path, matrix, world, services):  # type: ignore[no-untyped-def]
    made = Consoles(tmp_path, matrix, world, services)
    yield made
    made.close()


def append(store: LocalStore, events: list[TicketEvent]) -> None:
    store.append_many([NewEvent(e.ticket, e.type, e.data, e.author, e.at) for e in events])


def header(store: LocalStore) -> dict[str, Any]:
    line = (store.data_dir / FILE_NAME).read_bytes().partition(b"\n")[0]
    return dict(json.loads(line))


def stored(store: LocalStore) -> int:
    """The events in the store's log (the engine's own actions written as events too)."""
    return len(EventFeed(store).since(0, 10**6)[0])


def fire_keys(fires: list[Any]) -> list[tuple[Any, ...]]:
    return [(f.at, f.ticket, f.kind, f.reason, f.clock, f.severity) for f in fires]


@pytest.mark.parametrize("seed", range(6))
def test_a_start_from_the_checkpoint_fires_what_a_start_replaying_every_event_fires(
        consoles, matrix, seed):
    events = stream(seed, 220, T0, matrix)
    split, saved_at = split_point(events, 0.3 + seed / 10)
    end = events[-1].at + timedelta(hours=2)
    # one console ran until saved_at, stopped, and starts again at the end
    store = consoles.store("restarted")
    append(store, events[:split])
    consoles.runner("restarted").start(saved_at)
    append(store, events[split:])
    restarted = consoles.runner("restarted")
    report = restarted.start(end)
    assert restarted.checkpoint is not None and restarted.checkpoint.restored_cursor
    # the tail: the events after the checkpoint (and the engine's own actions the first
    # start wrote as events after its cursor)
    assert len(events) - split <= report.events < len(events) - split + 10
    # the other replays every event, with the same fires handled before
    full = consoles.runner("full", checkpoint=False)
    append(consoles.store("full"), events)
    full.outbox.set_meta(CHECKPOINT, saved_at.isoformat())
    expected = full.start(end)
    assert expected.events == len(events)
    # a fire at the mark's very instant was handled before the stop; the full replay
    # repeats it (its delivery key is the one already queued)
    assert fire_keys(report.fires) == fire_keys([f for f in expected.fires if f.at > saved_at])
    assert held(restarted.engine) == held(full.engine)
    assert timers(restarted.engine) == timers(full.engine)
    assert restarted.stops == full.stops


def test_a_ticket_resolved_before_the_checkpoint_and_reopened_after_it_folds_right(
        consoles):
    store = consoles.store("c")
    store.append("INC-1", "opened", {"title": "Checkout down", "users_affected_pct": 80,
                                     "workaround": "none", "severity": "P1",
                                     "by": "support"}, "ana", T0)
    store.append("INC-1", "acknowledged", {"by": "bo"}, "bo", T0 + timedelta(minutes=2))
    store.append("INC-1", "resolved", {}, "ana", T0 + timedelta(hours=2))
    first = consoles.runner("c")
    first.start(T0 + timedelta(hours=3))
    assert first.engine is not None and "INC-1" not in first.engine.tickets  # dropped
    store.append("INC-1", "reopened", {}, "ana", T0 + timedelta(hours=4))
    second = consoles.runner("c")
    second.start(T0 + timedelta(hours=4, minutes=1))
    assert second.checkpoint is not None and second.checkpoint.restored_cursor
    full = consoles.runner("c", checkpoint=False)
    full.start(T0 + timedelta(hours=4, minutes=1))
    assert second.engine is not None and full.engine is not None
    assert second.engine.tickets["INC-1"].state.open
    assert held(second.engine) == held(full.engine)
    assert timers(second.engine) == timers(full.engine)


def test_the_checkpoint_is_never_ahead_of_the_fires_handled_mark(consoles):
    store = consoles.store("c")
    append(store, stream(1, 80, T0, consoles.matrix)[:40])
    runner = consoles.runner("c")
    now = T0 + timedelta(days=1)
    runner.start(now)
    assert header(store)["at"] == runner.outbox.get_meta(CHECKPOINT) == now.isoformat()


def test_the_runner_saves_its_engine_every_five_minutes_not_every_turn(consoles):
    store = consoles.store("c")
    events = stream(2, 60, T0, consoles.matrix)
    append(store, events[:30])
    runner = consoles.runner("c")
    now = events[29].at + timedelta(seconds=1)
    runner.start(now)
    saved = header(store)
    append(store, events[30:35])
    runner.step(now + timedelta(minutes=4))
    assert header(store)["cursor"] == saved["cursor"]
    runner.step(now + timedelta(minutes=5))
    assert header(store)["cursor"] == runner.cursor > saved["cursor"]


def test_a_clean_stop_saves_the_engine_up_to_the_last_event(consoles, world):
    store = consoles.store("c")
    append(store, stream(4, 40, T0, consoles.matrix))
    world.now = T0 + timedelta(days=1)
    runner = consoles.runner("c")
    runner.poll_interval = 0.05
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,))
    thread.start()
    try:
        wait_until(runner.started.is_set, 10)
        cursor = header(store)["cursor"]
        store.append("LATE-1", "opened", {"title": "late"}, "ana")
        wait_until(lambda: runner.cursor > cursor, 10)
    finally:
        stop.set()
        runner.wake()
        thread.join(10)
    assert not thread.is_alive()
    assert header(store)["cursor"] == runner.cursor > cursor


# -- a checkpoint that cannot be trusted: one warning, a full replay, no crash ------------
def _rewrite(**fields: Any) -> Callable[[Path, LocalStore], None]:
    def change(path: Path, store: LocalStore) -> None:
        line, _, body = path.read_bytes().partition(b"\n")
        head = {**json.loads(line), **fields}
        path.write_bytes(json.dumps(head).encode() + b"\n" + body)
    return change


def _truncate(path: Path, store: LocalStore) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 40])


def _flip(path: Path, store: LocalStore) -> None:
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))


def _mark_behind(path: Path, store: LocalStore) -> None:
    """The outbox's mark of fires handled is older than the saved engine."""
    DeliveryOutbox(store).set_meta(CHECKPOINT, T0.isoformat())


BROKEN: dict[str, Callable[[Path, LocalStore], None]] = {
    "truncated": _truncate,
    "truncated header": lambda path, store: path.write_bytes(path.read_bytes()[:30]),
    "empty": lambda path, store: path.write_bytes(b""),
    "garbage": lambda path, store: path.write_bytes(bytes(range(256)) * 40),
    "corrupt body": _flip,
    "other format": _rewrite(format=99),
    "other program version": _rewrite(program="0.0.1"),
    "other record layout": _rewrite(layout="0" * 16),
    "other matrix": _rewrite(matrix="0" * 32),
    "cursor beyond the log": _rewrite(cursor=10**9),
    "another log under the cursor": _rewrite(cursor_event="not-this-one"),
    "newer than the mark": _mark_behind,
}


@pytest.mark.parametrize("damage", sorted(BROKEN))
def test_a_checkpoint_that_does_not_match_is_discarded_with_one_warning(
        consoles, caplog, damage):
    store = consoles.store("c")
    events = stream(9, 120, T0, consoles.matrix)
    append(store, events)
    now = events[-1].at + timedelta(minutes=1)
    consoles.runner("c").start(now)
    BROKEN[damage](store.data_dir / FILE_NAME, store)
    caplog.clear()
    logged = stored(store)
    with caplog.at_level(logging.WARNING):
        runner = consoles.runner("c")
        report = runner.start(now + timedelta(minutes=1))
    warnings = [r for r in caplog.records if r.name == "console.notify.checkpoint"]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
    assert "replaying every event" in warnings[0].getMessage()
    assert report.events == logged >= len(events)  # the full replay
    full = consoles.runner("c", checkpoint=False)
    full.start(now + timedelta(minutes=1))
    assert held(runner.engine) == held(full.engine)


def test_no_checkpoint_yet_is_no_warning(consoles, caplog):
    store = consoles.store("c")
    append(store, stream(9, 30, T0, consoles.matrix))
    with caplog.at_level(logging.WARNING):
        report = consoles.runner("c").start(T0 + timedelta(days=1))
    assert report.events == 30
    assert not [r for r in caplog.records if r.name == "console.notify.checkpoint"]
    assert (store.data_dir / FILE_NAME).is_file()


def test_the_checkpoint_file_is_private_to_its_user(consoles):
    store = consoles.store("c")
    append(store, stream(9, 30, T0, consoles.matrix))
    consoles.runner("c").start(T0 + timedelta(days=1))
    assert (store.data_dir / FILE_NAME).stat().st_mode & 0o077 == 0
    assert not list(store.data_dir.glob(FILE_NAME + ".tmp"))


def test_a_checkpoint_that_cannot_be_written_leaves_the_runner_paging(consoles, caplog):
    """Something else in the way (here a directory): the start replays every event,
    each save fails with one warning for the runner's life, the turns go on."""
    store = consoles.store("c")
    events = stream(9, 60, T0, consoles.matrix)
    append(store, events[:40])
    (store.data_dir / FILE_NAME).mkdir()
    now = events[39].at + timedelta(seconds=1)
    with caplog.at_level(logging.WARNING):
        runner = consoles.runner("c")
        assert runner.start(now).events == 40
        append(store, events[40:])
        runner.step(events[-1].at + timedelta(minutes=10))  # a periodic save, failing
    assert runner.cursor > 0 and runner.engine is not None
    messages = [r.getMessage() for r in caplog.records
                if r.name == "console.notify.checkpoint"]
    assert len(messages) == 2
    assert "not used (cannot read it" in messages[0]
    assert "cannot write the engine checkpoint" in messages[1]


def test_a_periodic_save_waits_for_a_quiet_moment_but_not_past_twice_its_interval(
        consoles):
    """No save while one of the engine's timers falls due within 5 s (a save holds the
    runner's thread), but one at the latest after twice the interval."""
    store = consoles.store("c")
    store.append("INC-1", "opened", {"title": "Checkout down", "severity": "P1",
                                     "by": "support"}, "ana", T0)
    runner = consoles.runner("c")
    runner.start(T0)
    saved = header(store)["at"]
    checkpoint, engine = runner.checkpoint, runner.engine
    assert checkpoint is not None and engine is not None
    checkpoint.interval = timedelta(seconds=200)
    due = engine.next_fire()  # the response pre-breach, 5 min after the opening
    assert due is not None and due - T0 == timedelta(minutes=5)
    runner.step(due - timedelta(seconds=2))  # the interval passed, a timer is 2 s away
    assert header(store)["at"] == saved
    after = due + timedelta(seconds=1)
    runner.step(after)  # the pre-breach fired; the next timer is minutes away
    assert header(store)["at"] == after.isoformat()
    soon = after + timedelta(seconds=401)
    assert not checkpoint.due(soon - timedelta(seconds=2), soon)
    assert checkpoint.due(soon, soon + timedelta(seconds=1))  # twice the interval


def test_a_version_published_while_the_runner_runs_is_the_one_its_next_start_restores(
        consoles, caplog):
    store = consoles.store("c")
    events = stream(6, 80, T0, consoles.matrix)
    append(store, events)
    now = events[-1].at + timedelta(minutes=1)
    runner = consoles.runner("c")
    runner.start(now)
    store.publish_matrix(variant_yaml(), "Default escalation matrix", "lena.lead")
    runner.step(now + timedelta(seconds=1))  # follows the new version
    runner.save_checkpoint()  # as at a clean stop
    assert header(store)["matrix_event"] == store.matrix_versions()[-1].event_id
    with caplog.at_level(logging.WARNING):
        again = consoles.runner("c")
        again.start(now + timedelta(minutes=1))
    assert again.checkpoint is not None and again.checkpoint.restored_cursor
    assert again.engine is not None and again.engine.matrix.team(TEAM_ID).name == NEW_TEAM
    assert not [r for r in caplog.records if r.name == "console.notify.checkpoint"]


def test_a_version_published_while_the_runner_was_stopped_means_a_full_replay(
        consoles, caplog):
    store = consoles.store("c")
    events = stream(6, 80, T0, consoles.matrix)
    append(store, events)
    now = events[-1].at + timedelta(minutes=1)
    consoles.runner("c").start(now)
    store.publish_matrix(variant_yaml(), "Default escalation matrix", "lena.lead")
    logged = stored(store)
    with caplog.at_level(logging.WARNING):
        report = consoles.runner("c").start(now + timedelta(minutes=1))
    assert report.events == logged
    [warning] = [r.getMessage() for r in caplog.records
                 if r.name == "console.notify.checkpoint"]
    assert "computed under another matrix version" in warning


def test_a_late_resolved_ticket_stays_stopped_across_a_save(consoles, world):
    """Events of a ticket resolved a year ago arrive late (a history pull): its chain
    steps fire in the same turn as the resolution, which stops them before they are
    even queued; the save that drops the ticket keeps its stop."""
    world.now = T0 + timedelta(days=365)
    store = consoles.store("c")
    runner = consoles.runner("c")
    runner.start(world.now)
    store.append("OLD-1", "opened", {"title": "Checkout down", "severity": "P1",
                                     "by": "support", "users_affected_pct": 80,
                                     "workaround": "none"}, "ana", T0)
    store.append("OLD-1", "resolved", {}, "ana", T0 + timedelta(hours=5))
    assert runner.checkpoint is not None
    runner.checkpoint.interval = timedelta(0)  # this turn saves
    report = runner.step(world.now + timedelta(minutes=1))
    assert report.fires and header(store)["cursor"] == runner.cursor
    assert runner.engine is not None and "OLD-1" not in runner.engine.tickets
    assert runner.stopped("OLD-1", T0 + timedelta(minutes=5)) is not None
    # the steps its resolution stopped are not queued at all
    assert not report.enqueued and not runner.outbox.for_ticket("OLD-1")


def test_a_year_of_history_landing_after_the_checkpoint_costs_one_store_read_a_page(
        consoles):
    """The start's case of a history pull while the service was stopped: hundreds of
    tickets the restored engine never held arrive after its checkpoint. Their stored
    events are looked up one page of events at a time, not one ticket at a time, and
    the one ticket the engine did drop is still folded again."""
    store = consoles.store("c")
    opened = {"title": "Checkout down", "users_affected_pct": 80, "workaround": "none",
              "severity": "P1", "by": "support"}
    store.append("INC-1", "opened", opened, "ana", T0)
    store.append("INC-1", "resolved", {}, "ana", T0 + timedelta(hours=1))
    first = consoles.runner("c")
    first.start(T0 + timedelta(hours=2))
    assert first.engine is not None and "INC-1" not in first.engine.tickets  # dropped
    old = [NewEvent(f"OLD-{n}", kind, opened if kind == "opened" else {}, "ana",
                    T0 - timedelta(days=300) + timedelta(minutes=n + i))
           for n in range(400) for i, kind in enumerate(("opened", "resolved"))]
    store.append_many(old)
    store.append("INC-1", "reopened", {}, "ana", T0 + timedelta(hours=3))
    reads: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM events WHERE ticket" in statement:
            reads.append(statement)

    event.listen(SqlEngine, "before_cursor_execute", count)
    try:
        second = consoles.runner("c")
        report = second.start(T0 + timedelta(hours=3, minutes=1))
    finally:
        event.remove(SqlEngine, "before_cursor_execute", count)
    assert second.checkpoint is not None and second.checkpoint.restored_cursor
    assert report.events >= len(old) + 1
    assert 1 <= len(reads) <= -(-report.events // PAGE)
    full = consoles.runner("c", checkpoint=False)
    full.start(T0 + timedelta(hours=3, minutes=1))
    assert second.engine is not None and full.engine is not None
    assert second.engine.tickets["INC-1"].state.open
    assert held(second.engine) == held(full.engine)
    assert timers(second.engine) == timers(full.engine)
    assert second.stops == full.stops
