"""A small text progress bar for long command-line jobs, on standard error.

It draws only on a terminal (or when forced, for tests), at most ``interval`` apart,
with no dependency beyond the standard library."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO


class Progress:
    """``importing  48% [#########           ] 4,800/10,000 rows`` on a terminal."""

    WIDTH = 20

    def __init__(self, total: int, *, stream: TextIO | None = None, force: bool = False,
                 label: str = "importing", unit: str = "rows", interval: float = 0.1,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.total, self.label, self.unit = total, label, unit
        self.stream = stream if stream is not None else sys.stderr
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = force or bool(isatty and isatty())
        self._interval, self._clock = interval, clock
        self._last = float("-inf")
        self._drawn = False

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        now = self._clock()
        if done < self.total and now - self._last < self._interval:
            return
        self._last = now
        self._draw(done)

    def note(self, text: str) -> None:
        """Replace the bar with a status line (e.g. while the store writes)."""
        if self.enabled:
            self.stream.write(f"\r\x1b[K{text}")
            self.stream.flush()
            self._drawn = True

    def finish(self) -> None:
        if self.enabled and self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()

    def _draw(self, done: int) -> None:
        pct = done * 100 // self.total if self.total else 100
        filled = self.WIDTH * done // self.total if self.total else self.WIDTH
        bar = "#" * filled + " " * (self.WIDTH - filled)
        self.stream.write(f"\r\x1b[K{self.label} {pct:3d}% [{bar}] {done:,}/{self.total:,} "
                          f"{self.unit}")
        self.stream.flush()
        self._drawn = True
