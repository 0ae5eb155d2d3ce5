"""The worker processes a test started with multiprocessing's ``spawn``, as the kernel
lists them: a check that Cancel, a crash or closing left none behind sees what really
runs, not what multiprocessing remembers."""

from __future__ import annotations

import os
from pathlib import Path


def spawned_children() -> set[int]:
    """This process's spawned worker processes (not the resource tracker
    multiprocessing keeps for the process's lifetime)."""
    pids: set[int] = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        try:
            children = (task / "children").read_text().split()
        except FileNotFoundError:  # the thread ended meanwhile
            continue
        for pid in children:
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except FileNotFoundError:  # gone meanwhile
                continue
            if b"spawn_main" in cmdline:
                pids.add(int(pid))
    return pids
