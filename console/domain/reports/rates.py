"""The two shapes every figure of a report takes: a rate against a threshold, and the
spread of some durations or counts (mean, median, p90, max)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

TOO_FEW = 10  # a rate over fewer tickets is shown but never flagged


@dataclass(frozen=True, slots=True)
class Rate:
    """``numerator / denominator``; ``value`` is None over nothing. ``flagged`` when it
    is on the wrong side of ``threshold`` (above it, or below it when ``at_least``) and
    ``too_few`` is false."""

    numerator: int
    denominator: int
    threshold: float | None = None
    at_least: bool = False  # the threshold is a target to reach, not a ceiling

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def too_few(self) -> bool:
        return self.denominator < TOO_FEW

    @property
    def flagged(self) -> bool:
        value = self.value
        if value is None or self.threshold is None or self.too_few:
            return False
        return value < self.threshold if self.at_least else value > self.threshold

    def to_json(self) -> dict[str, Any]:
        return {"numerator": self.numerator, "denominator": self.denominator,
                "value": self.value, "threshold": self.threshold,
                "direction": "at_least" if self.at_least else "at_most",
                "too_few": self.too_few, "flagged": self.flagged}


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile: the smallest value with at least ``share`` of the
    values at or below it (p90 of ten values is the ninth). ``values`` sorted."""
    if not values:
        return None
    return values[max(0, math.ceil(share * len(values)) - 1)]


@dataclass(frozen=True, slots=True)
class Spread:
    """How some values (seconds, or counts) spread."""

    count: int
    mean: float | None
    median: float | None
    p90: float | None
    max: float | None

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        """The spread of ``values`` (any order)."""
        if not values:
            return cls(0, None, None, None, None)
        ordered = sorted(values)
        return cls(len(ordered), statistics.fmean(ordered), statistics.median(ordered),
                   percentile(ordered, 0.9), ordered[-1])

    def to_json(self) -> dict[str, Any]:
        return {"count": self.count, "mean": self.mean, "median": self.median,
                "p90": self.p90, "max": self.max}


def spreads(groups: dict[str, list[float]]) -> dict[str, Spread]:
    """One spread per group, groups in name order."""
    return {key: Spread.of(groups[key]) for key in sorted(groups)}
