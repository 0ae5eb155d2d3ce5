"""Training snapshots, labels, the leak guard and the time-split backtest of the risk
model (docs/triage.md "## Risk").

A snapshot is one open ticket at one instant ``t``: its RiskInput from the events at or
before ``t``, labelled 1 if a clock of the ticket is due in ``(t, t + 1 h]`` and
breached, or an ``escalated`` event falls in that hour (the reports' fold,
``ticket_facts``, decides both). Instants are hourly over each ticket's open life, at a
phase drawn per ticket so every minute of a clock is seen, and sampled to a bound.
Instants whose hour reaches past the end of the data are left out: their label is not
known yet.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from console.domain.engine import build_calendars
from console.domain.matrix import Matrix
from console.domain.reports import ticket_facts
from console.domain.tickets import TicketEvent

from .risk import RiskModel
from .risk_features import FEATURES, RISK_HORIZON, RiskInput, feature_matrix, inputs_at, vocabulary

# A feature beside the model's own, for the leak guard's test and for trying one out:
# (name, value from the ticket's events as given and the instant).
ExtraFeature = tuple[str, Callable[[Sequence[TicketEvent], datetime], float]]


# below this many snapshots a ticket, snapshots() samples tickets rather than instants
MIN_PER_TICKET = 6


class LeakError(ValueError):
    """Features that read events after their instant."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)
        super().__init__("features that see the future (computed from the whole history "
                         "they differ from the history cut at the instant): "
                         + ", ".join(self.names))


@dataclass(slots=True)
class Snapshots:
    """Training rows: each open ticket at an instant, and its label."""

    at: list[datetime] = field(default_factory=list)
    inputs: list[RiskInput] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.at)

    def take(self, keep: Sequence[int]) -> Snapshots:
        return Snapshots([self.at[i] for i in keep], [self.inputs[i] for i in keep],
                         [self.labels[i] for i in keep])


def _instants(ticket: str, events: Sequence[TicketEvent], last: datetime, per_ticket: int,
              seed: int) -> list[datetime]:
    """Hourly instants from the ticket's opening at a per-ticket phase, up to its
    resolution or ``last``, at most ``per_ticket`` of them (a sample)."""
    rng = random.Random(f"{seed}:{ticket}")
    start = events[0].at + timedelta(seconds=rng.uniform(0, RISK_HORIZON.total_seconds()))
    end = events[-1].at if events[-1].type == "resolved" else last
    end = min(end, last)
    if start > end:
        return []
    count = int((end - start) / RISK_HORIZON) + 1
    steps = range(count) if count <= per_ticket else sorted(rng.sample(range(count), per_ticket))
    return [start + k * RISK_HORIZON for k in steps]


def _label_instants(events: Sequence[TicketEvent], matrix: Matrix, calendars: Any
                    ) -> list[datetime]:
    """When the ticket breached a clock or was escalated, ascending."""
    facts = ticket_facts(events, matrix, calendars)
    if facts is None:
        return []
    out = [c.due for c in facts.clocks if c.breached and c.due is not None]
    out += [e.at for e in facts.escalations]
    return sorted(out)


def _positive(marks: list[datetime], t: datetime) -> int:
    i = bisect.bisect_right(marks, t)
    return int(i < len(marks) and marks[i] <= t + RISK_HORIZON)


def snapshots(events_by_ticket: Mapping[str, Sequence[TicketEvent]], matrix: Matrix,
              until: datetime | None = None, *, per_ticket: int = 24, max_rows: int = 300_000,
              seed: int = 0) -> Snapshots:
    """Every ticket's labelled snapshots (at most ``per_ticket`` each, fewer when that
    would pass ``max_rows``), ordered by instant. ``until``: the end of the data (the
    last event's instant if not given). With so many tickets that each would get fewer
    than ``MIN_PER_TICKET``, a sample of the tickets is taken instead."""
    calendars = build_calendars(matrix)
    tickets = [(t, ev) for t, ev in events_by_ticket.items() if ev and ev[0].type == "opened"]
    if len(tickets) * MIN_PER_TICKET > max_rows:  # each ticket costs a fold: fewer, fuller
        tickets = random.Random(seed).sample(tickets, max_rows // MIN_PER_TICKET)
    if until is None:
        until = max((ev[-1].at for _, ev in tickets), default=None)
    out = Snapshots()
    if until is None:
        return out
    last = until - RISK_HORIZON
    per_ticket = max(1, min(per_ticket, max_rows // max(1, len(tickets))))
    rows: list[tuple[datetime, str, RiskInput, int]] = []
    for ticket, events in tickets:
        instants = _instants(ticket, events, last, per_ticket, seed)
        if not instants:
            continue
        marks = _label_instants(events, matrix, calendars)
        for t, found in inputs_at(events, instants, matrix, calendars):
            rows.append((t, ticket, found, _positive(marks, t)))
    rows.sort(key=lambda r: (r[0], r[1]))
    for t, _, found, label in rows:
        out.at.append(t)
        out.inputs.append(found)
        out.labels.append(label)
    return out


def leak_check(events_by_ticket: Mapping[str, Sequence[TicketEvent]], matrix: Matrix,
               extra: Sequence[ExtraFeature] = (), *, sample: int = 300, seed: int = 0
               ) -> list[str]:
    """The names of the features whose value at an instant differs between the whole
    history and the history cut at that instant, over a sample of snapshots (every
    feature of the model, and ``extra``). Empty: no feature reads the future."""
    calendars = build_calendars(matrix)
    tickets = sorted(t for t, ev in events_by_ticket.items() if ev and ev[0].type == "opened")
    rng = random.Random(seed)
    rng.shuffle(tickets)
    names = [*FEATURES, *(name for name, _ in extra)]
    leaks: set[str] = set()
    checked = 0
    until = max((events_by_ticket[t][-1].at for t in tickets), default=None)
    for ticket in tickets:
        if checked >= sample or until is None:
            break
        events = events_by_ticket[ticket]
        instants = _instants(ticket, events, until, 6, seed)
        whole = inputs_at(events, instants, matrix, calendars)
        for t, found in whole:
            cut = [e for e in events if e.at <= t]
            again = inputs_at(cut, [t], matrix, calendars)
            checked += 1
            if not again:
                leaks.update(names)
                continue
            vocab = vocabulary([found, again[0][1]])  # equal inputs give equal codes
            full_row = _row(found, t, events, extra, vocab)
            cut_row = _row(again[0][1], t, cut, extra, vocab)
            same = (full_row == cut_row) | (np.isnan(full_row) & np.isnan(cut_row))
            leaks.update(names[j] for j in np.flatnonzero(~same))
    return [n for n in names if n in leaks]


def _row(found: RiskInput, t: datetime, events: Sequence[TicketEvent],
         extra: Sequence[ExtraFeature], vocab: dict[str, list[str]]) -> np.ndarray:
    base = feature_matrix([found], t, vocab)[0]
    more = np.array([fn(events, t) for _, fn in extra], dtype=np.float64)
    return np.concatenate([base, more])


@dataclass(frozen=True, slots=True)
class Scores:
    """A ranking's quality on the test snapshots."""

    auc: float
    top10_precision: float     # share of positives among the top 10 % ranked
    top1_precision: float      # among the top 1 % (the base rate is about 1 %)


@dataclass(frozen=True, slots=True)
class Backtest:
    """The time-split backtest's figures (computed, never typed in)."""

    train_rows: int
    test_rows: int
    train_positives: int
    test_positives: int
    split_at: datetime         # train on instants whose hour ended by then, test after
    base_rate: float           # share of positive test snapshots
    model: Scores
    baseline: Scores           # ranked by the SLA clock alone: least time to the nearest due
    brier: float
    brier_base_rate: float     # Brier of predicting the training base rate for everyone
    # per tenth of [0, 1]: (bin's lower edge, mean predicted, snapshots, observed rate)
    reliability: tuple[tuple[float, float, int, float], ...]

    @property
    def usable(self) -> bool:
        return self.model.auc > self.baseline.auc and self.brier < self.brier_base_rate

    @property
    def why_not(self) -> str:
        if self.model.auc <= self.baseline.auc:
            return (f"does not beat the SLA-clock baseline (ROC AUC {self.model.auc:.3f} vs "
                    f"{self.baseline.auc:.3f})")
        if self.brier >= self.brier_base_rate:
            return (f"its probabilities are no better than the base rate (Brier "
                    f"{self.brier:.4f} vs {self.brier_base_rate:.4f})")
        return ""

    def to_json(self) -> dict[str, Any]:
        return {"train_rows": self.train_rows, "test_rows": self.test_rows,
                "train_positives": self.train_positives, "test_positives": self.test_positives,
                "split_at": self.split_at.isoformat(), "base_rate": self.base_rate,
                "roc_auc": self.model.auc, "top10_precision": self.model.top10_precision,
                "top1_precision": self.model.top1_precision,
                "baseline_roc_auc": self.baseline.auc,
                "baseline_top10_precision": self.baseline.top10_precision,
                "baseline_top1_precision": self.baseline.top1_precision,
                "brier": self.brier, "brier_base_rate": self.brier_base_rate,
                "reliability": [list(r) for r in self.reliability]}


class TooLittleData(ValueError):
    """Not enough snapshots, or no positives on one side of the split."""


def time_split(rows: Snapshots, train_share: float = 0.7) -> tuple[Snapshots, Snapshots, datetime]:
    """Train on the earlier instants, test on the later: the cut is at ``train_share``
    of the instants, and a training snapshot whose hour reaches past the cut is dropped
    (its label would see the test period)."""
    if len(rows) < 20:
        raise TooLittleData(f"only {len(rows)} snapshots: too few to split")
    cut = rows.at[min(len(rows) - 1, int(len(rows) * train_share))]
    train = [i for i, t in enumerate(rows.at) if t + RISK_HORIZON <= cut]
    test = [i for i, t in enumerate(rows.at) if t >= cut]
    return rows.take(train), rows.take(test), cut


def _top(score: np.ndarray, y: np.ndarray, share: float) -> float:
    """The share of positives among the ``share`` of snapshots ranked highest (ties
    in the order given, which is by instant)."""
    k = max(1, int(len(y) * share))
    order = np.argsort(-score, kind="stable")[:k]
    return float(y[order].mean())


def _scores(score: np.ndarray, y: np.ndarray) -> Scores:
    from sklearn.metrics import roc_auc_score

    return Scores(float(roc_auc_score(y, score)), _top(score, y, 0.1), _top(score, y, 0.01))


def sla_baseline(inputs: Sequence[RiskInput], at: Sequence[datetime]) -> np.ndarray:
    """The SLA clock alone as a score: the less time to the nearest due instant ahead,
    the higher (no clock ahead: lowest)."""
    x = feature_matrix(inputs, at, vocabulary(inputs))
    due = x[:, FEATURES.index("due_min")]
    return np.where(np.isnan(due), -1e12, -due)


def evaluate(model: RiskModel, train: Snapshots, test: Snapshots, cut: datetime) -> Backtest:
    """The backtest figures of ``model`` (trained on ``train``) on ``test``."""
    from sklearn.metrics import brier_score_loss

    y = np.array(test.labels, dtype=np.int64)
    if y.min() == y.max():
        raise TooLittleData("the test period holds only one class of snapshot")
    p = model.probabilities(feature_matrix(test.inputs, test.at, model.vocab))
    base = sla_baseline(test.inputs, test.at)
    rate = float(np.mean(train.labels))
    return Backtest(
        train_rows=len(train), test_rows=len(test), train_positives=int(sum(train.labels)),
        test_positives=int(y.sum()), split_at=cut, base_rate=float(y.mean()),
        model=_scores(p, y), baseline=_scores(base, y),
        brier=float(brier_score_loss(y, p)),
        brier_base_rate=float(brier_score_loss(y, np.full(len(y), rate))),
        reliability=reliability(p, y))


def reliability(p: np.ndarray, y: np.ndarray, bins: int = 10
                ) -> tuple[tuple[float, float, int, float], ...]:
    """(bin's lower edge, mean predicted, snapshots, observed rate) per tenth of [0, 1]."""
    which = np.minimum((p * bins).astype(np.int64), bins - 1)
    out = []
    for b in range(bins):
        mask = which == b
        n = int(mask.sum())
        out.append((b / bins, float(p[mask].mean()) if n else float("nan"), n,
                    float(y[mask].mean()) if n else float("nan")))
    return tuple(out)


def backtest(events_by_ticket: Mapping[str, Sequence[TicketEvent]], matrix: Matrix,
             until: datetime | None = None, *, train_share: float = 0.7, per_ticket: int = 24,
             max_rows: int = 300_000, seed: int = 0) -> tuple[RiskModel, Backtest]:
    """Check for leaks, build the snapshots, train on the earlier part and measure on
    the later. Raises LeakError naming each feature that sees the future."""
    rows = checked_snapshots(events_by_ticket, matrix, until, per_ticket=per_ticket,
                             max_rows=max_rows, seed=seed)
    return measure(rows, train_share, seed)


def checked_snapshots(events_by_ticket: Mapping[str, Sequence[TicketEvent]], matrix: Matrix,
                      until: datetime | None = None, *, per_ticket: int = 24,
                      max_rows: int = 300_000, seed: int = 0) -> Snapshots:
    """``snapshots`` after the leak guard passed (LeakError otherwise)."""
    leaks = leak_check(events_by_ticket, matrix, seed=seed)
    if leaks:
        raise LeakError(leaks)
    return snapshots(events_by_ticket, matrix, until, per_ticket=per_ticket,
                     max_rows=max_rows, seed=seed)


def measure(rows: Snapshots, train_share: float = 0.7, seed: int = 0
            ) -> tuple[RiskModel, Backtest]:
    """Train on the earlier snapshots, measure on the later (TooLittleData when a side
    is too small or holds one class only)."""
    train, test, cut = time_split(rows, train_share)
    if not train.labels or min(train.labels) == max(train.labels):
        raise TooLittleData("the training period holds only one class of snapshot")
    model = RiskModel.fit(train.inputs, train.at, np.array(train.labels), seed)
    return model, evaluate(model, train, test, cut)


def format_backtest(b: Backtest, source: str) -> str:
    """The figures as text; ``source`` names the data (and says if it is generated)."""
    lines = [
        f"Risk backtest on {source}",
        f"  time split at {b.split_at.isoformat()}: train {b.train_rows} snapshots "
        f"({b.train_positives} positive), test {b.test_rows} ({b.test_positives} positive, "
        f"{b.base_rate:.1%})",
        f"  ROC AUC model {b.model.auc:.3f}   SLA-clock baseline {b.baseline.auc:.3f}",
        *(f"  top {name} precision model {m:.1%}   SLA-clock baseline {base:.1%}   (lift "
          f"over the base rate: model {_lift(m, b.base_rate)}, baseline "
          f"{_lift(base, b.base_rate)})"
          for name, m, base in (("10 %", b.model.top10_precision, b.baseline.top10_precision),
                                ("1 %", b.model.top1_precision, b.baseline.top1_precision))),
        f"  Brier score model {b.brier:.4f}   the training base rate for all "
        f"{b.brier_base_rate:.4f}",
        "  reliability (predicted bin: mean predicted / observed, snapshots)",
    ]
    for low, mean, n, seen in b.reliability:
        if n:
            lines.append(f"    {low:.1f}-{low + 0.1:.1f}: {mean:.3f} / {seen:.3f}  ({n})")
    lines.append(f"  usable: {'yes' if b.usable else 'no, ' + b.why_not}")
    return "\n".join(lines)


def _lift(precision: float, rate: float) -> str:
    return f"{precision / rate:.1f}x" if rate else "n/a"
