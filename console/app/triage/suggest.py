"""Suggestions for a ticket being written: a severity, team and category with their
confidence and the words that drove each, and the most similar resolved tickets with
how each was resolved; or why it suggests nothing.

A :class:`Suggester` is loaded once from a :class:`Registry` (the newest usable model
of each kind) and then only reads: one may serve several threads. A suggestion is
meant to be asked off the GUI thread, debounced while the agent types; it takes a few
milliseconds (the features are hashed, the similar-ticket search is one sparse product
over a precomputed matrix).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .examples import model_text
from .registry import MIN_RESOLVED, ModelRefused, Registry
from .text import Explainer, Row, block_row, featurize, probabilities, row_decisions

log = logging.getLogger(__name__)

FIELDS = ("severity", "team", "category")
SIMILAR = 5
# below this cosine a resolved ticket is not "similar" (it shares a word or two)
MIN_SIMILARITY = 0.1


@dataclass(frozen=True)
class Suggestion:
    field: str                # severity | team | category
    value: str
    confidence: float         # calibrated probability, 0..1
    words: tuple[str, ...]    # the few words that drove it
    model_version: int


@dataclass(frozen=True)
class Similar:
    ticket: str
    title: str
    resolved_at: datetime
    team: str
    severity: str | None
    resolution: str
    score: float              # cosine similarity of the word TF-IDF, 0..1


@dataclass(frozen=True)
class Suggestions:
    items: tuple[Suggestion, ...]
    similar: tuple[Similar, ...]
    # '' or why nothing (or not every field) is suggested: "fewer than 200 resolved
    # tickets (37)", "the team model does not beat the majority baseline (...)"
    declined: str


@dataclass(frozen=True)
class _Loaded:
    field: str
    model: dict[str, Any]
    version: int
    explainer: Explainer


class Suggester:
    """Suggestions from the registry's newest usable models; read-only once loaded."""

    def __init__(self, models: list[_Loaded], index: dict[str, Any] | None,
                 declined: str) -> None:
        self._models = models
        self._index = index
        self._declined = declined

    @classmethod
    def load(cls, registry: Registry) -> Suggester:
        """The newest usable model of each field, and the similar-ticket index. Never
        raises for what is on disk: a missing, refused or unusable model is a reason in
        ``Suggestions.declined``."""
        run = registry.last_run() or {}
        resolved = run.get("resolved")
        if isinstance(resolved, int) and resolved < MIN_RESOLVED:
            return cls([], None, f"fewer than {MIN_RESOLVED} resolved tickets ({resolved})")
        reasons: list[str] = []
        models: list[_Loaded] = []
        skipped = run.get("skipped")
        skipped = skipped if isinstance(skipped, dict) else {}
        for field in FIELDS:
            newest = registry.newest(field)
            got = registry.latest(field) if newest is not None and newest.usable else None
            if got is None:
                reasons.append(_why(field, newest, skipped))
                continue
            model, info = got
            try:
                _check_text_model(model)
                models.append(_Loaded(field, model, info.version, Explainer(model)))
            except (KeyError, AttributeError, TypeError, ValueError) as exc:
                log.warning("triage %s model v%d unusable: %s", field, info.version, exc)
                reasons.append(f"the {field} model could not be read")
        if not models and not registry.infos():
            reasons = ["no triage model has been trained yet"]
        index = None
        got_index = registry.latest("similar")
        if got_index is not None and _is_index(got_index[0]):
            index = dict(got_index[0])
            # the index by term: a ticket's few terms pick their rows, not a full product
            index["by_term"] = index["matrix"].T.tocsr()
        return cls(models, index, "; ".join(reasons))

    def suggest(self, title: str, text: str) -> Suggestions:
        """What the models say of a ticket with this title and text."""
        if not self._models and self._index is None:
            return Suggestions((), (), self._declined or "no triage model has been trained yet")
        full = model_text(title, text)
        if not full.strip():
            return Suggestions((), (), "nothing written yet")
        rows: dict[str, Row] = {}  # features shared by models of one training: once
        items = []
        for loaded in self._models:
            key = str(loaded.model.get("features_id") or id(loaded))
            if key not in rows:
                rows[key] = featurize(loaded.model["features"], full)
            items.append(self._suggest(loaded, full, rows[key]))
        return Suggestions(tuple(items), self._similar(full, rows), self._declined)

    @staticmethod
    def _suggest(loaded: _Loaded, full: str, row: Row) -> Suggestion:
        model = loaded.model
        scores = row_decisions(model["linear"], row)
        best = int(scores.argmax())  # the label the evaluation measured
        value = model["classes"][best]
        probability = float(probabilities(scores[None, :], model["platt"])[0, best])
        return Suggestion(field=loaded.field, value=value, confidence=probability,
                          words=loaded.explainer.words(full, row, value),
                          model_version=loaded.version)

    def _similar(self, full: str, rows: dict[str, Row]) -> tuple[Similar, ...]:
        import numpy as np

        index = self._index
        if index is None:
            return ()
        n_words = int(index["words"].named_steps["hash"].n_features)
        shared = rows.get(str(index.get("features_id")))
        if shared is not None:  # the word block leads the models' rows
            keep = shared.indices < n_words
            row = Row(shared.indices[keep], shared.data[keep])
        else:
            row = block_row(index["words"], full)
        if len(row.indices) == 0:
            return ()
        scores = np.asarray(index["by_term"][row.indices].T @ row.data).ravel()
        count = min(SIMILAR, len(scores))
        top = np.argpartition(-scores, count - 1)[:count]
        out = []
        for i in sorted(top, key=lambda i: -scores[i]):
            if scores[i] < MIN_SIMILARITY:
                break
            out.append(Similar(
                ticket=index["ticket"][i], title=index["title"][i],
                resolved_at=datetime.fromisoformat(index["resolved_at"][i]),
                team=index["team"][i], severity=index["severity"][i] or None,
                resolution=index["resolution"][i], score=float(scores[i])))
        return tuple(out)


def _why(field: str, newest: Any, skipped: dict[str, Any]) -> str:
    if newest is not None and not newest.usable:
        return f"the {field} model {newest.why_not}"
    if field in skipped:
        return f"no {field} model: {skipped[field]}"
    if newest is not None:
        return f"the {field} model could not be loaded safely"
    return f"no {field} model has been trained"


def _check_text_model(model: Any) -> None:
    """ValueError unless ``model`` is what train.py saves: a file of trusted types can
    still hold something else (another program's, or an older layout)."""
    if not isinstance(model, dict) or not {"features", "linear", "platt", "classes"} <= set(model):
        raise ValueError("not a text model")
    classes, platt = model["classes"], model["platt"]
    if not isinstance(classes, list) or getattr(platt, "shape", None) != (len(classes), 2):
        raise ValueError("its classes and calibration do not match")
    blocks = dict(getattr(model["features"], "transformer_list", []))
    if set(blocks) != {"words", "chars"}:
        raise ValueError("not the text features")


def _is_index(index: Any) -> bool:
    keys = ("words", "matrix", "ticket", "title", "resolved_at", "team", "severity",
            "resolution")
    return isinstance(index, dict) and all(k in index for k in keys)


__all__ = ["ModelRefused", "Similar", "Suggester", "Suggestion", "Suggestions"]
