"""Risk: each open ticket's probability of breaching an SLA clock or being escalated
within the next hour (``RISK_HORIZON``), with its top three reasons in plain words.

The model is scikit-learn's HistGradientBoostingClassifier over the columns of
``risk_features.FEATURES`` (docs/triage.md "## Risk" says why not logistic regression).
It is trained by ``risk_backtest.train_risk`` and kept in the triage Registry as kind
"risk"; ``RiskModel.load`` takes the newest usable version.

How the console (the UI's risk refresh) obtains RiskInputs:

1. Keep one ``RiskFeed(matrix)`` in the background risk operation (never on the GUI
   thread). At start, feed it the events of the open tickets, each ticket's in log
   order: ``feed.extend(e.to_domain() for t in open_ids for e in store.history(t))``
   (``LocalStore.history`` returns StoredEvents; ``to_domain`` gives TicketEvents).
2. On every batch of new events the console receives (local writes and pulls), feed
   them too: ``feed.extend(e.to_domain() for e in batch)``. A ticket's RiskInput is
   refolded only when one of its own events arrives. A ticket found resolved by
   ``inputs()`` is dropped; if it is reopened, feed its whole history again.
3. Every refresh (e.g. every 60 s): ``model.score(feed.inputs(), now)`` gives one
   ``Risk`` per open ticket. RiskInputs hold absolute due instants, so the same inputs
   score correctly at any later ``now``.
4. A new matrix: build a new ``RiskFeed(matrix)`` and feed it again (clocks change).

The fold is the projection's (``TicketState`` via ``apply_event``) with the
projection's effective severity, team and tier and the engine's clocks
(``ticket_clocks``), plus what the projection does not keep: reassignments, escalations
and the VADER compound of each customer message (cached by text).
For a batch or the CLI, ``risk_inputs_from_events(events_by_ticket, matrix, now)``
does all of that at once.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from console.domain.matrix import Matrix
from console.domain.tickets import TicketEvent

from .risk_features import (
    CATEGORICAL,
    FEATURES,
    RISK_HORIZON,
    RiskFeed,
    RiskInput,
    feature_matrix,
    vocabulary,
)

if TYPE_CHECKING:
    from .registry import Registry

log = logging.getLogger(__name__)

__all__ = ["RISK_HORIZON", "Risk", "RiskInput", "RiskModel", "risk_inputs_from_events"]

SAVED_FORMAT = 1
# a feature moves the probability by less than this: not worth naming
_MIN_EFFECT = 0.005
# score() explains the tickets at least this likely to breach or escalate
EXPLAIN_FROM = 0.05
# columns that make one reason together
_GROUPS = {"due_min": "clock", "due_frac_left": "clock", "due_clock": "clock",
           "sentiment_last": "sentiment", "sentiment_trend": "sentiment", "messages": "sentiment"}


@dataclass(frozen=True, slots=True)
class Risk:
    """One open ticket's risk within the next hour."""

    ticket: str
    probability: float
    reasons: tuple[str, ...]   # at most three, the strongest first, in plain words


def risk_inputs_from_events(events_by_ticket: Mapping[str, Iterable[TicketEvent]],
                            matrix: Matrix, now: datetime) -> list[RiskInput]:
    """The RiskInput of every ticket open at ``now``, from each ticket's events in log
    order (events after ``now`` are left out)."""
    feed = RiskFeed(matrix)
    for events in events_by_ticket.values():
        feed.extend(e for e in events if e.at <= now)
    return feed.inputs()


class RiskModel:
    """A trained risk model: the estimator, the categorical vocabularies and each
    feature's typical value (what the reasons compare a ticket with)."""

    def __init__(self, estimator: Any, vocab: dict[str, list[str]], typical: np.ndarray,
                 version: int = 0) -> None:
        self.estimator, self.vocab, self.typical = estimator, vocab, typical
        self.version = version

    @classmethod
    def fit(cls, inputs: Sequence[RiskInput], at: Sequence[datetime], labels: np.ndarray,
            seed: int = 0) -> RiskModel:
        """Learn from training snapshots: each input at its instant, labelled 1 when
        the ticket breached or escalated within the following hour."""
        from sklearn.ensemble import HistGradientBoostingClassifier

        vocab = vocabulary(inputs)
        x = feature_matrix(inputs, at, vocab)
        # The category codes are read as ordered numbers, not declared categorical:
        # declaring them makes the estimator hold a preprocessor (functools.partial)
        # the registry's safe loader rightly refuses; trees split codes as well.
        estimator = HistGradientBoostingClassifier(
            # leaves of at least 0.5 % of the rows (20 to 200): coarse enough to stay
            # calibrated on the rare positives, fine enough for a small history
            max_iter=100, learning_rate=0.05, max_leaf_nodes=15,
            min_samples_leaf=max(20, min(200, len(x) // 200)),
            l2_regularization=1.0, early_stopping=False, random_state=seed)
        with one_thread():
            estimator.fit(x, labels)
        return cls(estimator, vocab, _typical(x))

    @classmethod
    def load(cls, registry: Registry) -> RiskModel | None:
        """The newest usable risk model in ``registry``; None if there is none, or if
        it was saved by a version of the console with other features (logged: train
        again)."""
        found = registry.latest("risk")
        if found is None:
            return None
        saved, info = found
        try:
            return cls.from_saved(saved, info.version)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("risk model v%d not used: %s", info.version, exc)
            return None

    def to_saved(self) -> dict[str, Any]:
        """Plain data, numpy arrays and the estimator, for the registry's safe format.
        The estimator's trees go as their plain node arrays: skops' loader does not
        trust sklearn's private TreePredictor, and the registry trusts no more types
        than it must; ``from_saved`` rebuilds them."""
        estimator = copy.copy(self.estimator)
        trees = [[[p.nodes, p.binned_left_cat_bitsets, p.raw_left_cat_bitsets] for p in step]
                 for step in estimator._predictors]
        estimator._predictors = []
        return {"format": SAVED_FORMAT, "features": list(FEATURES), "estimator": estimator,
                "trees": trees, "vocab": {k: list(v) for k, v in self.vocab.items()},
                "typical": [float(v) for v in self.typical]}

    @classmethod
    def from_saved(cls, saved: dict[str, Any], version: int = 0) -> RiskModel:
        """The model ``to_saved`` gave; ValueError for another format or features."""
        from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor

        if (not isinstance(saved, dict) or saved.get("format") != SAVED_FORMAT
                or list(saved.get("features", ())) != list(FEATURES)):
            raise ValueError("the saved risk model has other features than this version "
                             "reads: train it again (escalation-console triage train)")
        estimator = copy.copy(saved["estimator"])
        estimator._predictors = [[TreePredictor(*arrays) for arrays in step]
                                 for step in saved["trees"]]
        return cls(estimator, saved["vocab"], np.array(saved["typical"], dtype=np.float64),
                   version)

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """P(breach or escalation within the hour) for each row of features."""
        if not len(x):
            return np.zeros(0)
        with one_thread():
            return np.asarray(self.estimator.predict_proba(x)[:, 1], dtype=np.float64)

    def score(self, tickets: Sequence[RiskInput], now: datetime,
              explain_from: float = EXPLAIN_FROM) -> list[Risk]:
        """Each ticket's Risk at ``now``; the top three reasons for those at or above
        ``explain_from`` (below it nothing much raises the risk: ``explain`` gives
        one ticket's reasons whatever its risk)."""
        if not tickets:
            return []
        x = feature_matrix(tickets, now, self.vocab)
        p = self.probabilities(x)
        explained = np.flatnonzero(p >= explain_from)
        effects = self._effects(x[explained], p[explained])
        reasons: dict[int, tuple[str, ...]] = {
            i: _reasons(tickets[i], x[i], effects[j], now)
            for j, i in enumerate(explained.tolist())}
        return [Risk(t.ticket, float(p[i]), reasons.get(i, ())) for i, t in enumerate(tickets)]

    def explain(self, ticket: RiskInput, now: datetime) -> Risk:
        """One ticket's Risk with its reasons, however low (the details panel)."""
        return self.score([ticket], now, explain_from=0.0)[0]

    def _effects(self, x: np.ndarray, p: np.ndarray) -> np.ndarray:
        """How much each feature raises each ticket's probability: p minus the
        probability with that one feature set to its typical value (0 where it already
        is typical). One predict call over all the changed rows."""
        n, k = x.shape
        changed = ~((x == self.typical) | (np.isnan(x) & np.isnan(self.typical)))
        rows, cols = np.nonzero(changed)
        effects = np.zeros((n, k))
        if len(rows):
            probe = x[rows].copy()
            probe[np.arange(len(rows)), cols] = self.typical[cols]
            effects[rows, cols] = p[rows] - self.probabilities(probe)
        return effects


@contextmanager
def one_thread() -> Iterator[None]:
    """scikit-learn's OpenMP on one thread: on a shared machine (and beside the GUI)
    more threads spent several times the CPU for the same answer."""
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    with threadpool_limits(limits=1):
        yield


def _typical(x: np.ndarray) -> np.ndarray:
    """Each column's typical value: the most common one for categories and counts (a
    median could name a category between two), the median for times and scores; NaN
    if most rows have none (no clock ahead, say)."""
    out = np.empty(x.shape[1])
    for j in range(x.shape[1]):
        col = x[:, j]
        present = col[~np.isnan(col)]
        if len(present) * 2 < len(col):
            out[j] = np.nan
            continue
        if FEATURES[j] in CATEGORICAL or FEATURES[j] in ("responded", "paused", "reassignments",
                                                         "handoffs", "escalations", "messages",
                                                         "overdue"):
            values, counts = np.unique(present, return_counts=True)
            out[j] = values[np.argmax(counts)]
        else:
            out[j] = float(np.median(present))
    return out


def _reasons(t: RiskInput, row: np.ndarray, effect: np.ndarray, now: datetime
             ) -> tuple[str, ...]:
    """The three features (grouped: the nearest clock is one reason) that raise this
    ticket's probability most, in words."""
    totals: dict[str, float] = {}
    for j in np.flatnonzero(effect > 0):
        name = FEATURES[j]
        group = _GROUPS.get(name, name)
        totals[group] = totals.get(group, 0.0) + float(effect[j])
    ranked = sorted((v, k) for k, v in totals.items() if v >= _MIN_EFFECT)[::-1]
    out: list[str] = []
    for _, group in ranked:
        text = _phrase(group, t, row, now)
        if text and text not in out:
            out.append(text)
        if len(out) == 3:
            break
    return tuple(out)


def _span(hours: float) -> str:
    """3.2 -> '3 h'; 0.2 -> '12 min'; 50 -> '2 d'."""
    minutes = round(hours * 60)
    if minutes < 60:
        return f"{max(minutes, 1)} min"
    if hours < 48:
        return f"{round(hours)} h"
    return f"{round(hours / 24)} d"


def _times(n: int, word: str) -> str:
    return f"{word} once" if n == 1 else f"{word} {n} times"


def _phrase(group: str, t: RiskInput, row: np.ndarray, now: datetime) -> str:
    col = {name: row[j] for j, name in enumerate(FEATURES)}
    if group == "clock":
        minutes = col["due_min"]
        if np.isnan(minutes):
            return "no SLA clock running"
        clock = _nearest_clock(t, now)
        return f"{t.severity} with {_span(minutes / 60)} left on {clock.replace('_', ' ')}"
    if group == "sentiment":
        if col["sentiment_trend"] < -0.05:
            return "customer sentiment falling"
        if col["sentiment_last"] < -0.05:
            return "customer sounds unhappy"
        return f"{int(col['messages'])} customer messages" if col["messages"] else ""
    words: dict[str, Callable[[], str]] = {
        "since_update_h": lambda: (f"no update for {_span(col['since_update_h'])}"
                                   if t.last_update_at else
                                   f"no response for {_span(col['since_update_h'])}"),
        "age_h": lambda: f"open for {_span(col['age_h'])}",
        "responded": lambda: "no response yet" if not t.responded else "responded",
        "paused": lambda: "waiting on the customer" if t.paused else "not waiting on the customer",
        "reassignments": lambda: _times(t.reassignments, "reassigned") if t.reassignments
        else "never reassigned",
        "handoffs": lambda: f"{t.handoffs} handoff{'s' if t.handoffs != 1 else ''} so far",
        "escalations": lambda: _times(t.escalations, "escalated") + " already"
        if t.escalations else "not escalated yet",
        "overdue": lambda: f"{int(col['overdue'])} clock{'s' if col['overdue'] != 1 else ''} "
        "already breached" if col["overdue"] else "",
        "severity": lambda: f"severity {t.severity}",
        "tier": lambda: f"held at tier {t.tier}",
        "team": lambda: f"held by {t.team}",
        "account_tier": lambda: f"{t.account_tier} customer" if t.account_tier
        else "customer tier unknown",
    }
    return words[group]() if group in words else ""


def _nearest_clock(t: RiskInput, now: datetime) -> str:
    ahead = [(due, name) for name, due, _ in t.dues if due > now]
    return min(ahead)[1] if ahead else ""
