"""The notification runner follows the matrix in force by the store's event, the one the
GUI's matrixChanged comes from, not by polling: a publish switches its engine and
planner at once, however long the runner would otherwise sleep."""

from __future__ import annotations

import threading

from matrix_variant import NEW_TEAM, TEAM_ID, variant_yaml

from benchmarks.notify.fakes import notify_config, notify_secrets, wait_for
from console.app.notify_ops import build_runner
from console.app.notify_secrets import StaticSecrets
from console.store.local import LocalStore


def test_a_publish_switches_the_sleeping_runner_to_the_new_version_at_once(
        tmp_path, matrix, services):
    store = LocalStore(tmp_path / "console", matrix).open()
    runner = build_runner(store, config=notify_config(services),
                          secrets=StaticSecrets(notify_secrets(services)), claims=None,
                          sentiment=None, poll_interval=60.0)  # asleep for a minute
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,), daemon=True)
    thread.start()
    try:
        assert wait_for(lambda: runner.engine is not None, 5)
        assert runner.engine.matrix.team(TEAM_ID).name != NEW_TEAM

        store.publish_matrix(variant_yaml(), "Default escalation matrix", "lena.lead")

        assert wait_for(lambda: runner.engine.matrix.team(TEAM_ID).name == NEW_TEAM, 2)
        assert wait_for(lambda: runner.planner.matrix is runner.engine.matrix, 1)
    finally:
        stop.set()
        runner.wake()
        thread.join(timeout=5)
        store.close()


def test_a_runner_built_on_a_store_with_a_published_version_starts_on_it(
        tmp_path, matrix, services):
    with LocalStore(tmp_path / "console", matrix) as store:
        store.publish_matrix(variant_yaml(), "Default escalation matrix", "lena.lead")
    store = LocalStore(tmp_path / "console", matrix).open()
    try:
        runner = build_runner(store, config=notify_config(services),
                              secrets=StaticSecrets(notify_secrets(services)), claims=None,
                              sentiment=None)
        runner.run_once()
        assert runner.engine.matrix.team(TEAM_ID).name == NEW_TEAM
    finally:
        store.close()


def test_a_publish_during_the_runners_turn_is_not_left_until_the_next_poll(
        tmp_path, matrix, services):
    store = LocalStore(tmp_path / "console", matrix).open()
    runner = build_runner(store, config=notify_config(services),
                          secrets=StaticSecrets(notify_secrets(services)), claims=None,
                          sentiment=None, poll_interval=60.0)  # asleep for a minute
    real_step, turns = runner.step, []

    def step(now):  # type: ignore[no-untyped-def]
        report = real_step(now)
        if not turns:  # a lead publishes while the first turn is still running
            store.publish_matrix(variant_yaml(), "Default escalation matrix", "lena.lead")
        turns.append(now)
        return report

    runner.step = step  # type: ignore[method-assign]
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,), daemon=True)
    thread.start()
    try:
        assert wait_for(lambda: runner.engine is not None
                        and runner.engine.matrix.team(TEAM_ID).name == NEW_TEAM, 5)
    finally:
        stop.set()
        runner.wake()
        thread.join(timeout=5)
        store.close()
