"""Shared bits of the queue benchmark: the dataset, clocks, memory read-outs, the
real main window wired to a service that never touches a database."""

from __future__ import annotations

import os
import resource
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BENCH_USER = "commander"  # owns some demo tickets, so "Mine" has rows


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary_ms(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "p50_ms": round(statistics.median(ms), 3),
            "p99_ms": round(percentile(ms, 99), 3), "max_ms": round(max(ms), 3),
            "mean_ms": round(statistics.fmean(ms), 3)}


def rss_mb() -> float:
    """VmRSS of this process (MiB), from /proc/self/status."""
    return _status_field(Path("/proc/self/status"), "VmRSS")


def status_mb(pid: int | str, name: str) -> float:
    return _status_field(Path(f"/proc/{pid}/status"), name)


def _status_field(path: Path, name: str) -> float:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(name + ":"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return float("nan")


def maxrss_mb() -> float:
    """ru_maxrss of this process (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def process_age_seconds() -> float:
    """Seconds since this process was exec'd (Linux /proc), like the app's probe."""
    ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return uptime - ticks / os.sysconf("SC_CLK_TCK")


@dataclass
class BenchClock:
    """The console's clock: fixed (stepped by the tick benchmark) or following the wall."""

    base: datetime
    fixed: datetime | None = None
    _start: float = field(default_factory=time.monotonic)

    def __call__(self) -> datetime:
        if self.fixed is not None:
            return self.fixed
        return self.base + timedelta(seconds=time.monotonic() - self._start)

    def step(self, seconds: float = 1.0) -> datetime:
        self.fixed = (self.fixed or self.base) + timedelta(seconds=seconds)
        return self.fixed

    def follow_wall(self) -> None:
        self.base, self.fixed, self._start = self(), None, time.monotonic()


def load_matrix():  # type: ignore[no-untyped-def]
    from console.app.matrices import load_matrix_file
    from console.paths import default_matrix_path

    return load_matrix_file(default_matrix_path())


def seed_dataset(data_dir: Path, tickets: int, now: datetime) -> dict[str, Any]:
    """The demo seeder with every ticket open; returns what it took."""
    from console.app.usecases.demo import seed_demo

    matrix = load_matrix()
    t0 = time.perf_counter()
    seed_demo(data_dir, matrix, now, tickets=tickets, seed=7, user=BENCH_USER,
              include_resolved=False)
    return {"tickets": tickets, "seed_s": round(time.perf_counter() - t0, 2),
            "db_mb": round((data_dir / "console.sqlite3").stat().st_size / 2**20, 1)}


def load_rows(data_dir: Path) -> tuple[list[Any], float]:
    """QueueRows from the store, as the console loads them (QueueRow.from_record)."""
    from console.app.runtime.rows import QueueRow
    from console.store.local import LocalStore

    t0 = time.perf_counter()
    with LocalStore(data_dir, load_matrix(), lock=False) as store:
        rows = [QueueRow.from_record(r) for r in store.tickets()]
    return rows, time.perf_counter() - t0


class _NoWake:
    """Stands in for APScheduler: the benchmark measures the queue, not alerts."""

    def __init__(self, callback: Any) -> None:
        self.next_wake = None

    def wake_at(self, when: Any) -> None:
        self.next_wake = when

    def shutdown(self) -> None:
        pass


def build_window(clock: BenchClock, data_dir: Path, settings_path: Path, width: int = 1920,
                 height: int = 1080):  # type: ignore[no-untyped-def]
    """The real MainWindow on a ConsoleService that is not started (no sync, no
    scheduler, no background load): rows are fed to the window as the service's
    signals would. Its store is open, so selecting a row can load the history."""
    from PySide6.QtCore import QSettings

    from console.app.runtime.service import ConsoleService
    from console.ui.main_window import MainWindow

    matrix = load_matrix()
    service = ConsoleService(data_dir, matrix, clock=clock, sync=False,
                             scheduler_factory=_NoWake, user=BENCH_USER)
    service.store.open()
    settings = QSettings(str(settings_path), QSettings.Format.IniFormat)
    window = MainWindow(service, settings)
    window.timer.stop()  # the benchmark drives the tick itself
    window.resize(width, height)
    return window, service


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def none_refcount() -> int:
    return sys.getrefcount(None)


def bool_refcount() -> int:
    return sys.getrefcount(True) + sys.getrefcount(False)


def pin_none() -> bool:
    """The app's PySide6 6.12 refcount workaround (console/_pyside_refcount.py); the
    console's Qt layers apply it on import anyway. True on Pythons that need it."""
    from console._pyside_refcount import pin_singletons

    pin_singletons()
    return sys.version_info < (3, 12)
