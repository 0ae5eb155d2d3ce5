"""The runner writes the engine's actions as events: only while this process pages,
once per action (however often it starts), never for the history before its
checkpoint, and a standby writes what the old leader left when it takes over."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from benchmarks.notify.fakes import FakeServices, notify_config, notify_secrets
from console.app.identity import current_user
from console.app.notify_ops import build_runner
from console.app.notify_secrets import StaticSecrets
from console.notify.runner import NotifyRunner
from console.store.local import LocalStore

from .helpers import World

P1 = {"title": "Customer data exposed", "account": "Acme", "security_breach": True}


class Paging:
    """A settable may_send gate."""

    def __init__(self, value: bool = True) -> None:
        self.value = value

    def __call__(self) -> bool:
        return self.value


@pytest.fixture
def console(tmp_path: Path, matrix, world: World, services: FakeServices):  # type: ignore[no-untyped-def]
    """console(name, paging) -> (store, runner); the stores close at the end."""
    stores: list[LocalStore] = []

    def make(name: str = "c", paging: Callable[[], bool] | None = None,
             **kwargs: Any) -> tuple[LocalStore, NotifyRunner]:
        store = LocalStore(tmp_path / name, matrix, clock=world.clock()).open()
        stores.append(store)
        return store, runner_for(store, paging, **kwargs)

    def runner_for(store: LocalStore, paging: Callable[[], bool] | None = None,
                   **kwargs: Any) -> NotifyRunner:
        return build_runner(store, config=notify_config(services),
                            secrets=StaticSecrets(notify_secrets(services)), claims=None,
                            clock=store.clock, sentiment=None, seed=7, may_send=paging,
                            **kwargs)

    make.runner_for = runner_for  # type: ignore[attr-defined]
    yield make
    for store in stores:
        store.close()


def actions(store: LocalStore, kind: str = "routed") -> list[Any]:
    return [e for e in store.all_events() if e.kind == kind]


def confirm_p1(store: LocalStore, world: World, ticket: str = "INC-1") -> None:
    store.append(ticket, "opened", P1, "agent-ana")
    world.advance(60)
    store.append(ticket, "severity", {"severity": "P1", "by": "engineering"}, "eng-eve")


def test_a_paging_console_records_the_routing_once_and_the_queue_shows_it(console, world):
    store, runner = console()
    runner.start(world.now)
    confirm_p1(store, world)
    runner.run_once(world.now)
    [routed] = actions(store)
    # signed by this process's login (no shared database here: the OS login), by the engine
    assert (routed.payload["team"], routed.payload["tier"], routed.author,
            routed.payload["by"]) == ("incident-response", "T3", current_user(), "engine")
    row = store.ticket("INC-1")
    assert row is not None and (row.tier, row.team) == ("T3", "incident-response")
    for _ in range(3):  # its own event comes back through the feed: nothing more
        world.advance(1)
        runner.run_once(world.now)
    assert len(actions(store)) == 1


@pytest.mark.parametrize("checkpoint", [False, True], ids=["full replay", "checkpoint"])
def test_a_restart_writes_no_action_again(console, world, checkpoint):
    store, runner = console()
    runner.start(world.now)
    confirm_p1(store, world)
    runner.run_once(world.now)
    runner.save_checkpoint()
    before = len(store.all_events())
    again = console.runner_for(store, checkpoint=checkpoint)
    again.start(world.now)
    again.run_once(world.now)
    assert len(store.all_events()) == before and len(actions(store)) == 1


def test_history_before_the_checkpoint_writes_no_event_at_start(console, world):
    paging = Paging(False)
    store, runner = console(paging=paging)
    runner.start(world.now)
    for n in range(5):  # routed while nobody recorded it (as before this version)
        confirm_p1(store, world, f"INC-{n}")
    world.advance(1)
    runner.run_once(world.now)  # the checkpoint: after every routing
    assert actions(store) == []
    world.advance(3600)
    later = console.runner_for(store, Paging(True), checkpoint=False)
    later.start(world.now)
    later.run_once(world.now)
    assert actions(store) == []  # history: handled before the checkpoint, not a flood


def test_a_standby_writes_nothing_and_on_takeover_writes_what_was_left(console, world):
    paging = Paging(False)
    store, runner = console(paging=paging)
    runner.start(world.now)
    confirm_p1(store, world)
    runner.run_once(world.now)
    assert actions(store) == [] and runner.actions.pending == 1
    paging.value = True  # the leader died before writing it: this one takes over
    world.advance(2)
    runner.run_once(world.now)
    assert len(actions(store)) == 1 and runner.actions.pending == 0


def test_a_standby_forgets_an_action_once_the_leaders_event_arrives(console, world):
    leader_store, leader = console("leader")
    standby_store, standby = console("standby", Paging(False))
    for r in (leader, standby):
        r.start(world.now)
    confirm_p1(leader_store, world)
    leader.run_once(world.now)
    standby_store.ingest([e for e in leader_store.all_events() if e.kind != "routed"])
    standby.run_once(world.now)
    assert standby.actions.pending == 1 and actions(standby_store) == []
    standby_store.ingest(actions(leader_store))  # pulled from the shared log
    world.advance(1)
    standby.run_once(world.now)
    assert standby.actions.pending == 0 and len(actions(standby_store)) == 1


def test_a_standby_keeps_actions_only_for_the_horizon(console, world):
    store, runner = console(paging=Paging(False))
    runner.start(world.now)
    confirm_p1(store, world)
    runner.run_once(world.now)
    assert runner.actions.pending == 1
    world.advance((runner.actions.horizon + timedelta(seconds=1)).total_seconds())
    confirm_p1(store, world, "INC-2")  # a later turn's action
    runner.run_once(world.now)
    assert all(e.ticket == "INC-2" for e, _ in runner.actions._pending.values())


def test_the_engine_s_actions_are_authored_by_the_writing_login(console, world, tmp_path):
    from console.app.settings import Settings

    Settings(tmp_path / "db-console").shared_db_url = "postgresql://alice@db.example/esc"
    store, runner = console("db-console")  # its settings name a shared database login
    runner.start(world.now)
    confirm_p1(store, world)
    runner.run_once(world.now)
    [routed] = actions(store)
    assert (routed.author, routed.payload["by"]) == ("alice", "engine")
    other, named = console("named", author="svc-paging")  # the service passes its own
    named.start(world.now)
    confirm_p1(other, world)
    named.run_once(world.now)
    assert [(e.author, e.payload["by"]) for e in actions(other)] == [("svc-paging", "engine")]
