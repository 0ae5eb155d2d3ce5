"""The evaluation: a time split learns from the earlier part only; the baseline is the
training part's majority; beating it needs more than chance."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from console.app.triage.evaluate import cross_validate, score, time_split


def _drifting(count: int) -> tuple[list[str], list[str], list[datetime]]:
    """'invoice' means billing and 'password' access, until the last fifth, where the
    teams swapped (listed newest first, so that only the times give the order)."""
    rng = random.Random(1)
    texts, labels, times = [], [], []
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(count):
        word = rng.choice(("invoice", "password"))
        late = n >= count * 0.8
        label = {"invoice": "billing", "password": "access"}[word]
        if late:
            label = "access" if label == "billing" else "billing"
        texts.append(f"{word} {' '.join(rng.choices(('the', 'app', 'help', 'us'), k=5))}")
        labels.append(label)
        times.append(start + timedelta(hours=n))
    return texts[::-1], labels[::-1], times[::-1]


def test_a_time_split_learns_from_the_earlier_part_and_tests_the_later():
    texts, labels, times = _drifting(300)
    result = time_split(texts, labels, times)
    assert result.tested == 60
    # it learnt the old meaning and the later tickets use the new one: nearly all wrong
    assert result.accuracy < 0.1
    # shuffled folds mix old and new and learn the old meaning, right 80 % of the time
    assert 0.7 < cross_validate(texts, labels, folds=5).accuracy < 0.9


def test_the_baseline_is_the_training_part_s_majority_and_chance_does_not_beat_it():
    truth = ["a"] * 60 + ["b"] * 40
    predicted = ["a"] * 40 + ["b"] * 20 + ["a"] * 16 + ["b"] * 24  # 64 right
    result = score("test", truth, predicted, ["a"] * 100)
    assert (result.accuracy, result.baseline, result.majority) == (0.64, 0.6, "a")
    # 0.6 + 2 * sqrt(0.6 * 0.4 / 100) = 0.698: 0.64 is not enough
    assert round(result.needed, 3) == 0.698 and not result.beats_baseline
    assert result.why_not == ("does not beat the majority baseline (accuracy 0.64 vs 0.60; "
                              "0.70 needed on 100 test tickets)")
    good = score("test", truth, truth, ["a"] * 100)
    assert good.beats_baseline and good.why_not == "" and good.macro_f1 == 1.0
    assert good.confusion == ((60, 0), (0, 40)) and good.labels == ("a", "b")
