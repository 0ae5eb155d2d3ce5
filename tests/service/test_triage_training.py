"""The service part that trains the triage models again when enough new resolved
tickets arrived: once per batch of new tickets, in a child process, stopped with it."""

from __future__ import annotations

import threading
import time

from triage_history import build_history

from console.app.matrices import load_matrix_file
from console.app.triage.background import BackgroundTraining, registry_of
from console.paths import default_matrix_path
from console.service.triage_training import TriageTraining, resolved_tickets
from console.store.local import LocalStore


def wait_for(condition, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        threading.Event().wait(0.1)  # polling a child process's result, not timing
    return condition()


def test_the_part_trains_once_enough_resolved_tickets_arrived_and_not_again(tmp_path):
    build_history(tmp_path / "state", resolved=240, open_tickets=3)
    with LocalStore(tmp_path / "state", load_matrix_file(default_matrix_path())) as store:
        assert resolved_tickets(store) == 240
        part = TriageTraining(store, poll=0.5)
        stop = threading.Event()
        thread = threading.Thread(target=part.run, args=(stop,))
        thread.start()
        try:
            registry = registry_of(store.data_dir)
            assert wait_for(lambda: registry.last_run() is not None, 180)
            assert wait_for(lambda: not part.due(), 5)
            assert part.runs == 1  # and with nothing new, none is due again
            assert {i.kind for i in registry.infos()} >= {"severity", "team", "category"}
        finally:
            stop.set()
            thread.join(10)
    assert not thread.is_alive()


class _Held(BackgroundTraining):
    """A training whose child the test sees started."""

    started = threading.Event()

    def start(self) -> bool:
        ok = super().start()
        type(self).started.set()
        return ok


def test_a_stop_ends_a_running_training_child(tmp_path):
    build_history(tmp_path / "state", resolved=240, open_tickets=0)
    with LocalStore(tmp_path / "state", load_matrix_file(default_matrix_path())) as store:
        part = TriageTraining(store, poll=0.5, training=_Held)
        stop = threading.Event()
        thread = threading.Thread(target=part.run, args=(stop,))
        thread.start()
        assert _Held.started.wait(30)
        stop.set()
        thread.join(8)
        assert not thread.is_alive()
    assert registry_of(tmp_path / "state").last_run() is None  # cut off before it finished
