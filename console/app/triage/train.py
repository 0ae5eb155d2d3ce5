"""Training the text models (severity, team, category) and the similar-ticket index
from resolved tickets, and saving each, with its evaluation, as a new version.

The gate: fewer than ``MIN_RESOLVED`` resolved tickets train nothing (the last run
says so, and the Suggester suggests nothing). Each model learns from the tickets
resolved earlier (80 %) and is tested on the later 20 % against the majority baseline;
its confidence is calibrated (Platt scaling) on those same later tickets, which it did
not learn from. The model used is the model measured: it is not trained again on all
tickets (which would be a different, unmeasured model); it catches up with the latest
tickets at the next training. A model that does not beat the baseline is saved as not
usable, with why, so ``triage status`` and the intake form can say it. The word and
character features are fitted once and shared by the three models (they read the
same text).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .evaluate import Evaluation, score, split_point
from .examples import Example, label_of, model_text
from .registry import MIN_RESOLVED, ModelInfo, NewModel, Registry
from .text import decisions, fit_classifier, fit_features, platt, text_model

TEXT_KINDS = ("severity", "team", "category")
# the similar-ticket index holds the latest resolved tickets only: 20,000 of them are
# about 35 MB and answer in a few milliseconds
SIMILAR_INDEX = 20_000
Progress = Callable[[str], None]


@dataclass(frozen=True)
class TrainResult:
    """What one training did."""

    resolved: int
    trained: tuple[ModelInfo, ...] = ()
    skipped: dict[str, str] = field(default_factory=dict)  # kind -> why it was not trained
    declined: str = ""     # why nothing at all was trained ('' when something was)
    seconds: float = 0.0


def too_few(resolved: int) -> str:
    """Why nothing is trained or suggested with ``resolved`` resolved tickets ('' when
    there are enough)."""
    if resolved >= MIN_RESOLVED:
        return ""
    return f"fewer than {MIN_RESOLVED} resolved tickets ({resolved})"


def train_text_models(examples: Sequence[Example], registry: Registry, now: datetime,
                      progress: Progress | None = None) -> TrainResult:
    """Train, evaluate and save the text models and the similar index on ``examples``
    (resolved tickets); record the run in the registry. Raises OSError when the
    registry cannot be written."""
    started = time.perf_counter()
    say = progress or (lambda _: None)
    examples = sorted(examples, key=lambda e: (e.resolved_at, e.ticket))
    declined = too_few(len(examples))
    if declined:
        result = TrainResult(resolved=len(examples), declined=f"{declined}: nothing trained")
        registry.record_run(_run(result, now))
        return result
    texts = [model_text(e.title, e.text) for e in examples]
    cut = split_point(len(examples))
    say(f"features of {len(texts)} tickets")
    union, train_matrix = fit_features(texts[:cut])
    features_id = f"{now.isoformat()}/{len(examples)}"
    test_matrix = union.transform(texts[cut:]).tocsr()
    trained: list[ModelInfo] = []
    skipped: dict[str, str] = {}
    for kind in TEXT_KINDS:
        say(f"{kind} model")
        labels = [label_of(e, kind) for e in examples]
        why = _unlearnable(kind, labels, cut)
        if why:
            skipped[kind] = why
            continue
        model, evaluation, rows = _fit(union, train_matrix, test_matrix, labels, cut,
                                       features_id)
        trained.append(registry.save(kind, model, NewModel(
            kind=kind, trained_at=now, examples=rows, evaluation=evaluation.to_json(),
            usable=evaluation.beats_baseline, why_not=evaluation.why_not)))
    say("similar-ticket index")
    matrix = last_rows(SIMILAR_INDEX, train_matrix, test_matrix)
    recent = examples[-SIMILAR_INDEX:]
    index = similar_index(union, matrix, recent) | {"features_id": features_id}
    trained.append(registry.save("similar", index, NewModel(
        kind="similar", trained_at=now, examples=len(recent))))
    result = TrainResult(resolved=len(examples), trained=tuple(trained), skipped=skipped,
                         seconds=time.perf_counter() - started)
    registry.record_run(_run(result, now))
    return result


def _unlearnable(kind: str, labels: Sequence[str | None], cut: int) -> str:
    known = [label for label in labels if label is not None]
    if not known:
        return f"no resolved ticket has a {kind}"
    if len(set(known)) < 2:
        return f"every resolved ticket has the same {kind} ({known[0]}): nothing to learn"
    if len({label for label in labels[:cut] if label is not None}) < 2:
        return f"the earlier tickets have one {kind} only: the model cannot be measured"
    if not any(label is not None for label in labels[cut:]):
        return f"no recent ticket has a {kind}: the model cannot be measured"
    return ""


def _fit(union: Any, train_matrix: Any, test_matrix: Any, labels: Sequence[str | None],
         cut: int, features_id: str) -> tuple[dict[str, Any], Evaluation, int]:
    """The model learnt from the earlier tickets' labels, measured on the later ones'
    and calibrated on them; with how many tickets it learnt from."""
    train = [i for i in range(cut) if labels[i] is not None]
    test = [i - cut for i in range(cut, len(labels)) if labels[i] is not None]
    train_labels = [str(labels[i]) for i in train]
    truth = [str(labels[cut + i]) for i in test]
    classifier = fit_classifier(_rows(train_matrix, train), train_labels)
    classes = [str(c) for c in classifier.classes_]
    scores = decisions(classifier, _rows(test_matrix, test))
    predicted = [classes[k] for k in scores.argmax(axis=1)]
    majority = Counter(train_labels).most_common(1)[0][0]
    evaluation = score("time split: learnt from the earlier 80 %, tested on the later 20 %",
                       truth, predicted, [majority] * len(test))
    model = text_model(union, classifier, platt(scores, truth, classes), features_id)
    return model, evaluation, len(train)


def _rows(matrix: Any, rows: list[int]) -> Any:
    """``matrix[rows]``, without a copy when that is every row (most labels are)."""
    return matrix if len(rows) == matrix.shape[0] else matrix[rows]


def last_rows(count: int, first: Any, second: Any) -> Any:
    """The last ``count`` rows of ``first`` stacked on ``second``, as one CSR matrix,
    copying only those rows."""
    import scipy.sparse as sp

    if count <= second.shape[0]:
        return second[second.shape[0] - count:]
    return sp.vstack([first[max(0, first.shape[0] - (count - second.shape[0])):], second],
                     format="csr")


def similar_index(union: Any, matrix: Any, examples: Sequence[Example]) -> dict[str, Any]:
    """What the Suggester searches for similar resolved tickets: the word TF-IDF rows
    of ``examples`` (L2-normalised, so a dot product is the cosine) and what to show of
    each. Plain lists and a CSR matrix: skops saves them without trusting more."""
    words = dict(union.transformer_list)["words"]
    n_words = int(words.named_steps["hash"].n_features)
    return {
        "words": words,
        "matrix": matrix[:, :n_words].tocsr(),
        "ticket": [e.ticket for e in examples],
        "title": [e.title for e in examples],
        "resolved_at": [e.resolved_at.isoformat() for e in examples],
        "team": [e.team for e in examples],
        "severity": [e.severity or e.resolved_severity for e in examples],  # as it stood
        "resolution": [e.resolution for e in examples],
    }


def _run(result: TrainResult, now: datetime) -> dict[str, Any]:
    return {"at": now.isoformat(), "resolved": result.resolved, "declined": result.declined,
            "skipped": dict(result.skipped),
            "trained": {i.kind: i.version for i in result.trained},
            "seconds": round(result.seconds, 1)}
