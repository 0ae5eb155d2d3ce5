"""Customer sentiment from VADER (vaderSentiment), behind the domain's scorer protocol."""

from __future__ import annotations

from functools import lru_cache
from typing import Protocol


class _Analyzer(Protocol):
    """What we use of vaderSentiment's (untyped) SentimentIntensityAnalyzer."""

    def polarity_scores(self, text: str) -> dict[str, float]: ...


@lru_cache(maxsize=1)
def _analyzer() -> _Analyzer:
    # Loading VADER reads its lexicon from disk, so it happens once, on first use.
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer: _Analyzer = SentimentIntensityAnalyzer()
    return analyzer


def vader_compound(text: str) -> float:
    """VADER's compound score for ``text``: -1 (most negative) to 1 (most positive)."""
    return float(_analyzer().polarity_scores(text)["compound"])
