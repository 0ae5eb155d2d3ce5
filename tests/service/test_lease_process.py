"""Takeover between real processes: each instance is a child process running
``LeaderLease.run`` against a real PostgreSQL; the active one is killed with -9 and the
standby must take over within the ttl, with the next epoch, again and again."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the shared fixtures

from store.helpers import wait_until

from console.store.lease import current_lease
from console.store.server import SharedDatabase

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]

# One instance: prints "active <monotonic>" / "standby <monotonic>" on each change of
# role (CLOCK_MONOTONIC is system-wide on Linux, so the parent can compare), and stops
# (releasing the lease) when its stdin closes.
CHILD = textwrap.dedent("""
    import sys, threading, time
    from console.store.lease import LeaderLease
    from console.store.server import SharedDatabase
    url, holder, ttl = sys.argv[1], sys.argv[2], float(sys.argv[3])
    db = SharedDatabase(url)
    lease = LeaderLease(db, holder, host=holder.split(":")[0], ttl=ttl)
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    def changed(active):
        print(("active " if active else "standby ") + repr(time.monotonic()),
              lease.epoch, flush=True)
    print("started", flush=True)
    lease.run(stop, changed)
    db.close()
""")


class Instance:
    def __init__(self, url: str, holder: str, ttl: float) -> None:
        self.holder = holder
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.proc = subprocess.Popen([sys.executable, "-c", CHILD, url, holder, str(ttl)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, cwd=ROOT)
        assert self.proc.stdout is not None
        self._reader = threading.Thread(target=self._read, args=(self.proc.stdout,),
                                        daemon=True)
        self._reader.start()

    def _read(self, stream: Any) -> None:
        for line in stream:
            self.lines.put(line.strip())

    def has(self, prefix: str) -> str | None:
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return next((line for line in self.seen if line.startswith(prefix)), None)

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.close()

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()  # a survivor stops cleanly and releases the lease
        self.proc.wait(timeout=10)
        self._reader.join(timeout=5)
        assert self.proc.stdout is not None
        self.proc.stdout.close()


def test_a_standby_process_takes_over_within_the_ttl_after_kill_9(pg):
    # LEASE_TEST_TTL=15 measures the default takeover time (about a minute for 3 kills).
    ttl, kills = float(os.environ.get("LEASE_TEST_TTL", "2.0")), 3
    processes: list[Instance] = []
    db = SharedDatabase(pg.url)
    try:
        leader = Instance(pg.url, "host-0:1", ttl)
        processes.append(leader)
        wait_until(lambda: leader.has("active"), timeout=15)
        takeovers = []
        for n in range(1, kills + 1):
            standby = Instance(pg.url, f"host-{n}:1", ttl)
            processes.append(standby)
            wait_until(lambda s=standby: s.has("started"), timeout=15)  # type: ignore[misc]
            killed_at = time.monotonic()
            leader.kill()
            wait_until(lambda s=standby: s.has("active"),  # type: ignore[misc]
                       timeout=ttl + 5)
            became = standby.has("active")
            assert became is not None
            took = float(became.split()[1]) - killed_at
            takeovers.append(took)
            assert took <= ttl + 0.5, f"takeover {n} took {took:.2f} s"
            assert became.split()[2] == str(n + 1)  # the epoch: one more per new holder
            leader = standby
        lease = current_lease(db)
        assert lease is not None and (lease.holder, lease.epoch) == (leader.holder, kills + 1)
        print(f"takeover after kill -9 with ttl {ttl} s: "
              + ", ".join(f"{t:.2f} s" for t in takeovers))
    finally:
        for p in processes:
            if p.proc.poll() is None:
                p.close()
        db.close()
    db = SharedDatabase(pg.url)
    try:
        lease = current_lease(db)
    finally:
        db.close()
    assert lease is not None and not lease.live  # the last one released it on its stop
