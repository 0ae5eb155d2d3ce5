"""Training in the background: when enough new resolved tickets arrived, and how.

Used by the desktop console (``console.app.runtime.triage_ops``) and by the escalation
service (``console.service.triage_training``). Training runs in a child process, not a
thread: the text features are pure Python in part and would hold the GIL that the GUI
(or the service's paging) needs; a process can be given the lowest CPU priority and be
stopped at once when the console or the service stops. The child opens the store
read-only beside its owner (``lock=False``, like the CLI's reading commands) and trains
with ``train.train_text_models`` and ``risk_train.train_risk``; the models land in
the data dir's triage Registry, which the suggesting side watches.

One training at a time per data dir, across processes: the child holds an exclusive
lock on ``triage/training.lock`` and gives up if another holds it.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import multiprocessing as mp
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from console.store.private import private_dir

from .registry import MIN_RESOLVED, Registry

log = logging.getLogger(__name__)

MIN_NEW = 100        # this many more resolved tickets than at the last training ...
MIN_GROWTH = 0.10    # ... or this much more (whichever comes first) trains again
LOCK_NAME = "training.lock"
STORE_RESOLVED = "store_resolved"  # the run file's count of resolved tickets in the store


def registry_of(data_dir: Path) -> Registry:
    """The triage Registry of a data dir."""
    return Registry(Path(data_dir) / "triage")


def last_trained_on(registry: Registry) -> int | None:
    """How many resolved tickets the store held at the last training run (None: never
    ran). The store's count, as the console and the service count them, not the
    examples trained on (fewer: a ticket without a usable opening is no example), which
    would keep a training due for ever; a run of the CLI notes only the latter."""
    run = registry.last_run()
    resolved = run.get(STORE_RESOLVED, run.get("resolved")) if run else None
    return resolved if isinstance(resolved, int) and not isinstance(resolved, bool) else None


def training_due(resolved: int, last: int | None) -> bool:
    """Whether ``resolved`` resolved tickets call for a training, the last one having
    seen ``last`` (None: none yet): at least ``MIN_RESOLVED`` in all, and ``MIN_NEW``
    more or ``MIN_GROWTH`` more than last time."""
    if resolved < MIN_RESOLVED:
        return False
    if last is None:
        return True
    return resolved - last >= min(MIN_NEW, last * MIN_GROWTH)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a background training did: ``trained`` maps kind -> new version; ``error``
    is '' or a sentence."""

    resolved: int = 0
    trained: dict[str, int] | None = None
    declined: str = ""
    error: str = ""
    busy: bool = False   # another process was training this data dir

    def describe(self) -> str:
        """One line for a log or a status bar."""
        if self.error:
            return f"triage training failed: {self.error}"
        if self.busy:
            return "triage training skipped: another process is training"
        if self.declined:
            return f"triage training: {self.declined}"
        kinds = ", ".join(f"{k} v{v}" for k, v in sorted((self.trained or {}).items()))
        return f"triage models trained on {self.resolved} resolved tickets: {kinds or 'none'}"


def train_store(data_dir: Path, matrix_path: Path | None = None,
                now: datetime | None = None) -> Outcome:
    """Train every triage model from the store in ``data_dir``, beside whoever has it
    open; the models go to its Registry. Returns what happened (never raises for a
    store or registry problem: the error says it)."""
    from console.app.matrices import load_matrix_file
    from console.app.usecases.event_kinds import MATRIX_STREAM
    from console.paths import default_matrix_path
    from console.store.local import LocalStore

    from .examples import resolved_examples
    from .train import train_text_models

    data_dir = Path(data_dir)
    registry = registry_of(data_dir)
    try:
        private_dir(registry.folder, ours=True)
        lock = os.open(registry.folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        return Outcome(error=f"cannot write {registry.folder}: {exc.strerror}")
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return Outcome(busy=True)
        try:
            store = LocalStore(data_dir, load_matrix_file(matrix_path or default_matrix_path()),
                               lock=False).open()
            try:
                events = [e.to_domain() for e in store.all_events()
                          if e.ticket != MATRIX_STREAM]  # the matrix's versions: no ticket
                matrix = store.matrix
                with store.unit(read_only=True) as uow:
                    counted = uow.tickets.resolved_count()
            finally:
                store.close()
            when = now or datetime.now(UTC)
            result = train_text_models(resolved_examples(events, matrix), registry, when)
            registry.record_run((registry.last_run() or {}) | {STORE_RESOLVED: counted})
            trained = {i.kind: i.version for i in result.trained}
            trained.update(_train_risk(events, matrix, registry, when))
            return Outcome(resolved=result.resolved, trained=trained,
                           declined=result.declined)
        except Exception as exc:  # reported to the parent, which logs it and goes on
            log.exception("triage training failed")
            return Outcome(error=str(exc) or type(exc).__name__)
    finally:
        os.close(lock)


def _train_risk(events: list[Any], matrix: Any, registry: Registry, now: datetime
                ) -> dict[str, int]:
    """The risk model ({"risk": version} when one was saved)."""
    from .risk_train import by_ticket, train_risk

    trained = train_risk(by_ticket(events), matrix, registry, now)
    return {"risk": trained.info.version} if trained.info is not None else {}


def _child(data_dir: str, matrix_path: str | None, answer: Connection) -> None:
    """The training process: the lowest CPU priority, then ``train_store``."""
    with contextlib.suppress(OSError):
        os.nice(19)
    outcome = train_store(Path(data_dir), Path(matrix_path) if matrix_path else None)
    answer.send(outcome)
    answer.close()


class BackgroundTraining:
    """At most one training child process at a time; ``start`` then ``wait`` (from a
    thread that may block) or ``stop``."""

    def __init__(self, data_dir: Path, matrix_path: Path | None = None) -> None:
        self.data_dir, self.matrix_path = Path(data_dir), matrix_path
        self._process: BaseProcess | None = None
        self._answer: Connection | None = None
        # the waiting thread reaps (closes) the child while the owner's thread may
        # terminate it: a closed Process raises ValueError on ``is_alive``
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._process is not None

    def start(self) -> bool:
        """Start a training child; False when one already runs."""
        if self._process is not None:
            return False
        ctx = mp.get_context("spawn")  # safe next to Qt's and the service's threads
        receive, send = ctx.Pipe(duplex=False)
        process = ctx.Process(target=_child, name="triage-training", daemon=True,
                              args=(str(self.data_dir),
                                    str(self.matrix_path) if self.matrix_path else None, send))
        process.start()
        send.close()
        self._process, self._answer = process, receive
        return True

    def wait(self, timeout: float | None = None) -> Outcome | None:
        """The child's outcome once it ends (None: still running after ``timeout``)."""
        process, answer = self._process, self._answer
        if process is None or answer is None:
            return None
        process.join(timeout)
        if process.is_alive():
            return None
        outcome = Outcome(error=f"the training process ended with exit code {process.exitcode}")
        with contextlib.suppress(EOFError, OSError):
            if answer.poll():
                outcome = answer.recv()
        self._reap()
        return outcome

    def terminate(self) -> None:
        """Ask a running child to end now (a thread in ``wait`` then reaps it). Its
        half-written version has no info file, so it does not exist for the Registry."""
        with self._lock:
            process = self._process
            if process is not None and process.is_alive():
                process.terminate()

    def stop(self) -> None:
        """End a running child now and reap it (from the thread that started it)."""
        process = self._process
        if process is None:
            return
        self.terminate()
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join()
        self._reap()

    def _reap(self) -> None:
        with self._lock:
            if self._answer is not None:
                self._answer.close()
            if self._process is not None:
                self._process.close()
            self._process, self._answer = None, None
