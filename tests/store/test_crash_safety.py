"""kill -9 at any point loses nothing and duplicates nothing.

A worker process appends events and syncs in a loop; it is SIGKILLed 200 times at
random instants, and every fourth time exactly between a push's server commit and
its local acknowledgement (the syncer's after_server_commit hook). Afterwards one
clean sync must leave the server holding exactly the events the local store holds.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from console.store.local import DB_NAME
from console.store.sync import Syncer

from .helpers import open_ticket

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ITERATIONS = 200
CHILD = Path(__file__).with_name("crash_child.py")


def _outbox_ids(data_dir: Path) -> set[str]:
    with sqlite3.connect(data_dir / DB_NAME) as conn:
        return {row[0] for row in conn.execute("SELECT event_id FROM outbox")}


def test_kill_9_at_random_points_loses_and_duplicates_nothing(pg, matrix, tmp_path):
    from console.store.local import LocalStore

    data_dir = tmp_path / "console"
    with LocalStore(data_dir, matrix) as store:
        for n in range(20):
            open_ticket(store, f"T-{n}")
    server = subprocess.Popen([sys.executable, str(CHILD), str(data_dir), pg.url],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    rng = random.Random(20260302)
    killed = faulted = window_hits = 0
    started = time.monotonic()
    try:
        for i in range(ITERATIONS):
            fault = i % 4 == 3
            server.stdin.write(f"run {int(fault)}\n")
            server.stdin.flush()
            pid = int(server.stdout.readline().split()[1])
            if not fault:
                time.sleep(rng.uniform(0.0, 0.25))  # a random instant, not a wait for state
                os.kill(pid, signal.SIGKILL)
            code = int(server.stdout.readline().split()[1])
            assert code == -signal.SIGKILL, f"iteration {i}: the worker exited with {code}"
            if fault:
                faulted += 1
                pending = _outbox_ids(data_dir)
                on_server = {r[0] for r in pg.query("SELECT id FROM events WHERE id = ANY(%s)",
                                                    (list(pending),))}
                # the kill landed after the server commit and before the acknowledgement
                window_hits += bool(on_server)
            else:
                killed += 1
    finally:
        server.stdin.close()
        server.wait(30)
        server.stdout.close()
    assert (killed, faulted) == (150, 50)
    assert window_hits == faulted
    assert time.monotonic() - started < 90

    with LocalStore(data_dir, matrix) as store:
        syncer = Syncer(store, pg.url)
        syncer.sync_once()
        syncer.close()
        local = [e.id for e in store.all_events()]
        assert store.pending() == 0
    server_ids = [r[0] for r in pg.query("SELECT id FROM events")]
    assert len(local) == len(set(local))                   # no local duplicates
    assert len(server_ids) == len(set(server_ids))         # no server duplicates
    assert set(server_ids) == set(local)                   # nothing lost, nothing extra
    assert len(server_ids) == len(local) > ITERATIONS
