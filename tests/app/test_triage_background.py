"""When the triage models are trained again, and the training itself: in a child
process, one at a time per data dir."""

from __future__ import annotations

import fcntl
import os

import pytest
from triage_history import build_history

from console.app.triage.background import (
    LOCK_NAME,
    BackgroundTraining,
    last_trained_on,
    registry_of,
    train_store,
    training_due,
)


@pytest.mark.parametrize(("resolved", "last", "due"), [
    (199, None, False),    # too little history: never
    (200, None, True),     # enough, never trained
    (200, 37, True),       # the last run declined with 37
    (215, 200, False),     # 15 new: under 100 and under 10 %
    (220, 200, True),      # +10 %
    (1090, 1000, False),   # 90 new: under 100 and under 10 %
    (1100, 1000, True),    # 100 new (= 10 %)
    (5100, 5000, True),    # 100 new, though only 2 %
    (5099, 5000, False),
    (900, 1000, False),    # fewer than last time (reopened tickets): nothing new
])
def test_training_is_due_with_enough_new_resolved_tickets(resolved, last, due):
    assert training_due(resolved, last) is due


def test_a_second_training_of_the_same_data_dir_gives_way(tmp_path):
    build_history(tmp_path / "data", resolved=20, open_tickets=0)
    folder = registry_of(tmp_path / "data").folder
    folder.mkdir(parents=True)
    held = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(held, fcntl.LOCK_EX)
        outcome = train_store(tmp_path / "data")
    finally:
        os.close(held)
    assert outcome.busy and "another process" in outcome.describe()
    assert registry_of(tmp_path / "data").last_run() is None


def test_too_few_resolved_tickets_train_nothing_and_say_so(tmp_path):
    build_history(tmp_path / "data", resolved=37, open_tickets=2)
    outcome = train_store(tmp_path / "data")
    assert outcome.trained == {} and "fewer than 200 resolved tickets (37)" in outcome.declined
    assert last_trained_on(registry_of(tmp_path / "data")) == 37


def test_the_child_process_trains_beside_a_store_held_open_and_can_be_stopped(tmp_path):
    from console.app.matrices import load_matrix_file
    from console.paths import default_matrix_path
    from console.store.local import LocalStore

    build_history(tmp_path / "data", resolved=37, open_tickets=0)
    # the console holds its store (and its lock) while the child reads it
    with LocalStore(tmp_path / "data", load_matrix_file(default_matrix_path())):
        training = BackgroundTraining(tmp_path / "data")
        assert training.start() and not training.start()  # one at a time
        outcome = training.wait(timeout=120)
    assert outcome is not None and outcome.error == "" and outcome.resolved == 37
    stopped = BackgroundTraining(tmp_path / "data")
    stopped.start()
    stopped.stop()
    assert not stopped.running


def test_the_run_notes_the_stores_resolved_count_that_the_next_due_check_compares_with(
        tmp_path):
    build_history(tmp_path / "data", resolved=37, open_tickets=2)
    registry = registry_of(tmp_path / "data")
    train_store(tmp_path / "data")
    assert registry.last_run()["store_resolved"] == 37
    # fewer examples than resolved tickets (some without a usable opening) must not
    # keep a training due: the store's count is what is compared
    registry.record_run({"resolved": 30, "store_resolved": 37})
    assert last_trained_on(registry) == 37
