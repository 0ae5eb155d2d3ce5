"""Fork server for the crash-safety test: ``python crash_child.py DATA_DIR URL``.

Importing SQLAlchemy, Alembic, psycopg and the domain takes over a second, which 200
cold starts cannot afford. This process imports everything once and then, for each
``run 0|1`` line on stdin, forks a worker, prints ``pid N``, waits for it and prints
``exit CODE``. The worker opens the data dir and loops forever: append one to three
events, sync. The test kills the worker with SIGKILL; with ``run 1`` the worker's syncer
kills it itself between a push's server commit and its local acknowledgement. No
connection or thread exists before a fork.
"""

from __future__ import annotations

import os
import random
import signal
import sys

from console.app.matrices import load_matrix_file
from console.paths import default_matrix_path
from console.store.local import LocalStore, NewEvent
from console.store.sync import Syncer

TICKETS = 20


def kill_self() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def work(data_dir: str, url: str, matrix, fault: bool) -> None:  # type: ignore[no-untyped-def]
    random.seed()
    store = LocalStore(data_dir, matrix).open()
    syncer = Syncer(store, url, batch=random.choice([1, 2, 5, 50]),
                    after_server_commit=kill_self if fault else None)
    n = 0
    while True:
        store.append_many([
            NewEvent(f"T-{random.randrange(TICKETS)}", "message",
                     {"text": f"{os.getpid()}-{n}-{i}"}, "crash-test")
            for i in range(random.randint(1, 3))])
        n += 1
        syncer.sync_once()


def main() -> None:
    data_dir, url = sys.argv[1], sys.argv[2]
    matrix = load_matrix_file(default_matrix_path())
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] != "run":
            continue
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                work(data_dir, url, matrix, words[1] == "1")
            except BaseException as exc:
                print(f"worker failed: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            finally:
                os._exit(code)
        print(f"pid {pid}", flush=True)
        _, status = os.waitpid(pid, 0)
        print(f"exit {os.waitstatus_to_exitcode(status)}", flush=True)


if __name__ == "__main__":
    main()
