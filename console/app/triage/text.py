"""The text models: TF-IDF word and character n-grams into a calibrated linear model.

- Features: word unigrams and bigrams (what a person reads as "the words that drove
  it") and character n-grams of 3 to 5 inside word boundaries (typos, inflections,
  German compounds, product codes), each hashed into 2^18 columns and TF-IDF weighted
  with sublinear term frequency, as float32. Hashing keeps no vocabulary, which skops
  saves term by term (seconds for a large one; a hashed model is its IDF arrays).
- Model: a linear support vector machine (hinge loss, one-vs-rest) trained by
  stochastic gradient descent in a fixed number of passes: LinearSVC gave the same
  accuracy at four times the time, which 100,000 tickets could not afford. Its scores
  become probabilities by Platt scaling (``platt``), fitted by train.py on tickets the
  model did not learn from.
- Words: the linear model's coefficients for the predicted class times the ticket's
  TF-IDF weights of the word features; the largest positive products.

scikit-learn is imported inside the functions: the CLI and the GUI import this module
at start-up and must not pay for it.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

ALPHA = 2e-5   # regularisation of the linear SVM
EPOCHS = 8     # passes of stochastic gradient descent
WORD_COLUMNS = 2 ** 18
CHAR_COLUMNS = 2 ** 18
# word tokens: letters and digits, with inner apostrophes and hyphens (don't, e-mail)
TOKENS = r"(?u)\b\w[\w'-]*\w\b|\b\w\b"


def _block(analyzer: str, ngrams: tuple[int, int], columns: int) -> Any:
    import numpy as np
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
    from sklearn.pipeline import Pipeline

    hasher = HashingVectorizer(analyzer=analyzer, ngram_range=ngrams, n_features=columns,
                               alternate_sign=False, norm=None, dtype=np.float32,
                               token_pattern=TOKENS if analyzer == "word" else None)
    return Pipeline([("hash", hasher), ("tfidf", TfidfTransformer(sublinear_tf=True))])


def features() -> Any:
    """A fresh, unfitted FeatureUnion of the word block (first) and the char block.
    Hashed rather than a vocabulary: nothing to save but the IDF weights, so a model
    saves and loads in a blink, and fitting is one pass."""
    from sklearn.pipeline import FeatureUnion

    return FeatureUnion([("words", _block("word", (1, 2), WORD_COLUMNS)),
                         ("chars", _block("char_wb", (3, 5), CHAR_COLUMNS))])


def fit_features(texts: Sequence[str]) -> tuple[Any, Any]:
    """A FeatureUnion fitted on ``texts`` and their feature matrix (CSR)."""
    union = features()
    matrix = union.fit_transform(list(texts))
    return union, matrix.tocsr()


def fit_classifier(matrix: Any, labels: Sequence[str]) -> Any:
    """A linear support vector machine fitted on ``matrix`` rows labelled ``labels``
    (one-vs-rest); with fewer than two labels, one that always says the label."""
    from sklearn.dummy import DummyClassifier
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import SGDClassifier

    if len(set(labels)) < 2:
        return DummyClassifier(strategy="most_frequent").fit(matrix, list(labels))
    # hinge loss: a linear SVM, by stochastic gradient descent: a fixed number of passes
    # (no convergence loop), which keeps 100,000 tickets within the time target
    model = SGDClassifier(loss="hinge", alpha=ALPHA, max_iter=EPOCHS, tol=None,
                          random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the passes are the budget
        model.fit(matrix, list(labels))
    return model


def decisions(classifier: Any, matrix: Any) -> Any:
    """The classifier's score per class (rows: texts, columns: ``classes_``)."""
    import numpy as np

    if not hasattr(classifier, "decision_function"):  # the one-label fallback
        return np.ones((matrix.shape[0], 1))
    scores = classifier.decision_function(matrix)
    if scores.ndim == 1:  # two classes: one score, positive for the second
        scores = np.column_stack([-scores, scores])
    return scores


@dataclass(frozen=True)
class Row:
    """One text's feature row, sparse: its columns and their weights."""

    indices: Any   # int array
    data: Any      # float array


def featurize(union: Any, text: str) -> Row:
    """``union.transform([text])`` for one text, computed directly: the same numbers
    (hashed counts, sublinear TF times IDF, L2-normalised per block) without
    scikit-learn's per-call checks, which cost more than the work for one ticket."""
    import numpy as np

    indices, data, offset = [], [], 0
    for _, block in union.transformer_list:
        row = block_row(block, text)
        indices.append(row.indices + offset)
        data.append(row.data)
        offset += int(block.named_steps["hash"].n_features)
    return Row(np.concatenate(indices), np.concatenate(data))


def block_row(block: Any, text: str) -> Row:
    """One block's (a hasher and its TF-IDF weights) row of ``text``."""
    import numpy as np

    hasher, tfidf = block.named_steps["hash"], block.named_steps["tfidf"]
    counts = hasher.transform([text])
    counts.sum_duplicates()
    weights = (1 + np.log(counts.data.astype(np.float64))) * tfidf.idf_[counts.indices]
    norm = float(np.sqrt(np.dot(weights, weights)))
    if norm > 0:
        weights /= norm
    return Row(counts.indices.astype(np.int64), weights)


def row_decisions(classifier: Any, row: Row) -> Any:
    """``decisions`` for one Row: the coefficients of its columns only."""
    import numpy as np

    if not hasattr(classifier, "coef_"):  # the one-label fallback
        return np.ones(1)
    scores = classifier.coef_[:, row.indices] @ row.data + classifier.intercept_
    return np.array([-scores[0], scores[0]]) if len(scores) == 1 else scores


def platt(scores: Any, truth: Sequence[str], classes: Sequence[str]) -> Any:
    """Platt scaling per class, fitted on scores of texts the classifier did not learn
    from: an array of (slope, offset) rows, one per class, with Platt's smoothed
    targets (so that a class absent from ``truth`` still gets a finite fit)."""
    import numpy as np
    from scipy.optimize import minimize

    out = np.zeros((len(classes), 2))
    truth_arr = np.asarray(truth)
    for k, cls in enumerate(classes):
        f = scores[:, k]
        positive = truth_arr == cls
        n_pos, n_neg = int(positive.sum()), int((~positive).sum())
        target = np.where(positive, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))

        def loss(ab: Any, f: Any = f, target: Any = target) -> tuple[float, Any]:
            z = ab[0] * f + ab[1]
            p = 1 / (1 + np.exp(-np.clip(z, -35, 35)))
            value = -np.sum(target * np.log(p + 1e-12) + (1 - target) * np.log(1 - p + 1e-12))
            g = p - target
            return float(value), np.array([np.sum(g * f), np.sum(g)])

        prior = np.log((n_pos + 1) / (n_neg + 1))
        out[k] = minimize(loss, np.array([1.0, prior]), jac=True, method="L-BFGS-B").x
    return out


def probabilities(scores: Any, calibration: Any) -> Any:
    """Calibrated probabilities from scores: each class's Platt sigmoid, normalised to
    sum to one per text (as scikit-learn calibrates one-vs-rest models)."""
    import numpy as np

    z = scores * calibration[:, 0] + calibration[:, 1]
    p = 1 / (1 + np.exp(-np.clip(z, -35, 35)))
    total = p.sum(axis=1, keepdims=True)
    return np.divide(p, total, out=np.full_like(p, 1 / p.shape[1]), where=total > 0)


def text_model(union: Any, classifier: Any, calibration: Any, features_id: str
               ) -> dict[str, Any]:
    """What the registry saves of a text model: plain parts skops knows.
    ``features_id`` names the fitted features: models that share it share them, so a
    suggestion computes a text's features once for all of them."""
    return {"features": union, "features_id": features_id, "linear": classifier,
            "platt": calibration, "classes": [str(c) for c in classifier.classes_]}


class Explainer:
    """The words that drove a text model's prediction for one text. The features
    are hashed, so the words come from the text itself: each of its terms is hashed to
    its column and weighed there."""

    def __init__(self, model: dict[str, Any]) -> None:
        union = model["features"]
        self.hasher = dict(union.transformer_list)["words"].named_steps["hash"]
        self.analyze = self.hasher.build_analyzer()
        self.n_words = int(self.hasher.n_features)
        self.classes = list(model["classes"])
        linear = model["linear"]
        self.coef = None
        if hasattr(linear, "coef_"):
            coef = linear.coef_[:, :self.n_words]
            if coef.shape[0] == 1:  # two classes: one row, positive for the second
                coef = _two_rows(coef)
            self.coef = coef

    def words(self, text: str, row: Any, label: str, count: int = 3) -> tuple[str, ...]:
        """Up to ``count`` words (or two-word terms) of ``text`` whose features in
        ``row`` (its feature row, CSR) pushed most towards ``label``; a bigram only when
        it adds a word."""
        if self.coef is None or label not in self.classes:
            return ()
        terms = list(dict.fromkeys(self.analyze(text)))
        if not terms:
            return ()
        weight = {int(j): float(v) for j, v in zip(row.indices, row.data, strict=True)
                  if j < self.n_words}
        columns = [column(term, self.n_words) for term in terms]
        cls = self.classes.index(label)
        scored = sorted(((weight.get(int(j), 0.0) * float(self.coef[cls, j]), term)
                         for term, j in zip(terms, columns, strict=True)), reverse=True)
        out: list[str] = []
        seen: set[str] = set()
        for value, term in scored:
            if value <= 0 or len(out) >= count:
                break
            parts = set(term.split())
            if parts <= seen:
                continue
            seen |= parts
            out.append(term)
        return tuple(out)


def column(term: str, columns: int) -> int:
    """The column a HashingVectorizer puts ``term`` in (its rule: the absolute signed
    32-bit MurmurHash3 of the term, modulo the columns)."""
    from sklearn.utils import murmurhash3_32

    return abs(int(murmurhash3_32(term, seed=0))) % columns


def _two_rows(coef: Any) -> Any:
    import numpy as np

    return np.vstack([-coef[0], coef[0]])
