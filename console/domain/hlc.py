"""Hybrid logical clocks: a total, causally consistent order of events across consoles.

A timestamp is (wall milliseconds, counter, device). Its text form sorts the same way
as the tuple, so stores can ``ORDER BY hlc``. The clock never reads time: the caller
passes the physical time in, which keeps this module pure and testable with skew.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

_WALL_DIGITS, _COUNTER_DIGITS = 15, 6


@dataclass(frozen=True, slots=True, order=True)
class Timestamp:
    wall_ms: int
    counter: int
    device: str

    def encode(self) -> str:
        """Sortable text: ``000001764147600000-000000-device``."""
        return f"{self.wall_ms:0{_WALL_DIGITS}d}-{self.counter:0{_COUNTER_DIGITS}d}-{self.device}"

    @classmethod
    def decode(cls, text: str) -> Timestamp:
        wall, counter, device = text.split("-", 2)
        return cls(int(wall), int(counter), device)

    def as_datetime(self) -> datetime:
        return datetime.fromtimestamp(self.wall_ms / 1000, tz=UTC)


def to_ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


class HybridClock:
    """One device's clock. ``now`` stamps a local event; ``observe`` merges a remote one."""

    def __init__(self, device: str, last: Timestamp | None = None) -> None:
        if "-" in device:
            raise ValueError("a device id may not contain '-'")
        self.device = device
        self._wall = last.wall_ms if last else 0
        self._counter = last.counter if last else 0

    def now(self, physical_ms: int) -> Timestamp:
        """A timestamp for a new local event, later than anything seen so far."""
        if physical_ms > self._wall:
            self._wall, self._counter = physical_ms, 0
        else:
            self._counter += 1
        return Timestamp(self._wall, self._counter, self.device)

    def observe(self, remote: Timestamp, physical_ms: int) -> None:
        """Move past a timestamp received from another device."""
        wall = max(self._wall, remote.wall_ms, physical_ms)
        if wall == self._wall and wall == remote.wall_ms:
            counter = max(self._counter, remote.counter) + 1
        elif wall == self._wall:
            counter = self._counter + 1
        elif wall == remote.wall_ms:
            counter = remote.counter + 1
        else:
            counter = 0
        self._wall, self._counter = wall, counter
