"""The dispatcher's parts that are plain values and protocols: what it needs of the
outbox and of the shared claims, its retry policy, and the report of one pass."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from .plan import NewDelivery


class Outbox(Protocol):
    def enqueue(self, new: Sequence[NewDelivery], now: datetime) -> list[str]: ...
    def due(self, now: datetime, channels: Sequence[str] | None = None,
            limit: int = 200) -> list[Any]: ...
    def mark_sending(self, ids: Sequence[str]) -> None: ...
    def record(self, outcomes: Sequence[dict[str, Any]]) -> None: ...
    def next_due(self, channels: Sequence[str] | None = None) -> datetime | None: ...


class Claims(Protocol):
    lease_seconds: float
    unavailable: tuple[type[Exception], ...]  # the errors that mean "offline"

    def claim(self, keys: Sequence[str], now: datetime) -> dict[str, tuple[str, str, str]]: ...
    def finish(self, keys: Sequence[str], status: str, now: datetime) -> None: ...
    # Optional: settled(keys) -> {key: (status, device)} and release(keys), see _gate.


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base: float = 2.0          # first backoff, seconds
    factor: float = 2.0
    cap: float = 300.0
    jitter: float = 0.2        # +-20 %
    max_attempts: int = 10     # then a dead letter
    margin: float = 0.05       # added to a Retry-After, so we never come back early

    def backoff(self, attempts: int, rng: random.Random) -> float:
        delay = min(self.cap, self.base * self.factor ** max(0, attempts - 1))
        return delay * (1 + rng.uniform(-self.jitter, self.jitter))


@dataclass(slots=True)
class PassReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    skipped: int = 0
    held: int = 0
    failed_over: int = 0
