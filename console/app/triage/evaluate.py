"""Honest measurement of a text model: against the majority-class baseline.

``cross_validate`` runs stratified k-fold cross-validation (default 5 folds);
``time_split`` trains on the earlier 80 % and tests on the later 20 %, the only honest
split when the future must not leak into the past. Both return an :class:`Evaluation`:
accuracy, macro-F1, the majority baseline (the most frequent label of the training
part, said of every test ticket), the confusion matrix, and whether the model beats the
baseline by more than chance: its accuracy must exceed the baseline's by two standard
errors of a proportion over the test tickets (about a one-sided 2 % test; at least one
ticket more right), so a model
on shuffled labels does not pass by luck.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .text import fit_classifier, fit_features

DEFAULT_FOLDS = 5
TEST_SHARE = 0.2


@dataclass(frozen=True)
class Evaluation:
    """How a model did on texts it did not learn from."""

    method: str                 # "5-fold cross-validation" | "time split 80/20"
    tested: int                 # test predictions made
    accuracy: float
    macro_f1: float
    baseline: float             # accuracy of always saying the majority label
    baseline_macro_f1: float
    majority: str
    labels: tuple[str, ...]     # the confusion matrix's order
    confusion: tuple[tuple[int, ...], ...]  # rows: true label, columns: predicted

    @property
    def needed(self) -> float:
        """The accuracy that beats the baseline by more than chance."""
        b, n = self.baseline, max(self.tested, 1)
        return b + max(2 * math.sqrt(b * (1 - b) / n), 1 / n)

    @property
    def beats_baseline(self) -> bool:
        return self.accuracy > self.needed

    @property
    def why_not(self) -> str:
        """'' when it beats the baseline, else a sentence saying by how little."""
        if self.beats_baseline:
            return ""
        return (f"does not beat the majority baseline (accuracy {self.accuracy:.2f} vs "
                f"{self.baseline:.2f}; {self.needed:.2f} needed on {self.tested} test "
                f"tickets)")

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "tested": self.tested,
                "accuracy": round(self.accuracy, 4), "macro_f1": round(self.macro_f1, 4),
                "baseline": round(self.baseline, 4),
                "baseline_macro_f1": round(self.baseline_macro_f1, 4),
                "majority": self.majority, "labels": list(self.labels),
                "confusion": [list(r) for r in self.confusion],
                "needed": round(self.needed, 4), "beats_baseline": self.beats_baseline}


def _fit_predict(train_texts: Sequence[str], train_labels: Sequence[str],
                 test_texts: Sequence[str]) -> list[str]:
    union, matrix = fit_features(train_texts)
    classifier = fit_classifier(matrix, train_labels)
    return [str(p) for p in classifier.predict(union.transform(list(test_texts)))]


def score(method: str, truth: Sequence[str], predicted: Sequence[str],
          majorities: Sequence[str]) -> Evaluation:
    """An Evaluation of ``predicted`` against ``truth``; ``majorities`` is the baseline's
    answer for each test item (its training part's majority label)."""
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

    labels = sorted(set(truth) | set(predicted) | set(majorities))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a label never predicted has an undefined F1 (0)
        macro = float(f1_score(truth, predicted, average="macro", labels=labels,
                               zero_division=0))
        base_macro = float(f1_score(truth, majorities, average="macro", labels=labels,
                                    zero_division=0))
    confusion = confusion_matrix(truth, predicted, labels=labels)
    return Evaluation(
        method=method, tested=len(truth), accuracy=float(accuracy_score(truth, predicted)),
        macro_f1=macro, baseline=float(accuracy_score(truth, majorities)),
        baseline_macro_f1=base_macro, majority=Counter(majorities).most_common(1)[0][0],
        labels=tuple(labels), confusion=tuple(tuple(int(v) for v in r) for r in confusion))


def cross_validate(texts: Sequence[str], labels: Sequence[str], folds: int = DEFAULT_FOLDS,
                   seed: int = 0) -> Evaluation:
    """Stratified ``folds``-fold cross-validation (shuffled with ``seed``). A label with
    fewer tickets than folds is in fewer test folds than others (as it must be)."""
    from sklearn.model_selection import StratifiedKFold

    if len(set(labels)) < 2:
        raise ValueError("the label has one value only: there is nothing to predict")
    if len(texts) < folds:
        raise ValueError(f"{len(texts)} rows is too few for {folds}-fold cross-validation")
    truth: list[str] = []
    predicted: list[str] = []
    majorities: list[str] = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        # "the least populated class has only N members": said by the CLI instead
        warnings.filterwarnings("ignore", message="The least populated class",
                                category=UserWarning)
        splits = list(splitter.split(texts, labels))
    for train, test in splits:
        train_labels = [labels[i] for i in train]
        majority = Counter(train_labels).most_common(1)[0][0]
        predicted += _fit_predict([texts[i] for i in train], train_labels,
                                  [texts[i] for i in test])
        truth += [labels[i] for i in test]
        majorities += [majority] * len(test)
    return score(f"{folds}-fold cross-validation", truth, predicted, majorities)


def time_split(texts: Sequence[str], labels: Sequence[str], order: Sequence[Any]
               ) -> Evaluation:
    """Train on the earliest 80 % by ``order`` (times), test on the latest 20 %."""
    ranked = sorted(range(len(texts)), key=lambda i: order[i])
    cut = split_point(len(ranked))
    train, test = ranked[:cut], ranked[cut:]
    train_labels = [labels[i] for i in train]
    if len(set(train_labels)) < 2:
        raise ValueError("the earlier part has one label value only: there is nothing "
                         "to learn")
    majority = Counter(train_labels).most_common(1)[0][0]
    predicted = _fit_predict([texts[i] for i in train], train_labels,
                             [texts[i] for i in test])
    return score("time split: the earlier 80 % train, the later 20 % test",
                 [labels[i] for i in test], predicted, [majority] * len(test))


def split_point(count: int) -> int:
    """How many of ``count`` time-ordered items the earlier (training) part holds."""
    if count < 2:
        raise ValueError("a time split needs at least 2 rows")
    return min(max(1, round(count * (1 - TEST_SHARE))), count - 1)
