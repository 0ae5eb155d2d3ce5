"""The risk model's honesty: labels, the leak guard, the time split and the figures."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss, roc_auc_score

from console.app.matrices import load_matrix_file
from console.app.triage import risk_backtest, risk_features
from console.app.triage.registry import Registry
from console.app.triage.risk_backtest import (
    LeakError,
    backtest,
    leak_check,
    sla_baseline,
    snapshots,
    time_split,
)
from console.app.triage.risk_features import FEATURES, RiskInput, feature_matrix
from console.app.triage.risk_train import train_risk
from console.domain.matrix import Matrix
from console.domain.tickets import TicketEvent
from console.paths import default_matrix_path

from .risk_history import START, by_ticket, history, opened


@pytest.fixture(scope="module")
def matrix() -> Matrix:
    return load_matrix_file(default_matrix_path())


@pytest.fixture(scope="module")
def tickets() -> dict[str, list[TicketEvent]]:
    return by_ticket(history())


def _hours_to_resolution(events: Sequence[TicketEvent], at: datetime) -> float:
    """A feature that reads the future: how long until the ticket is resolved."""
    done = [e.at for e in events if e.type == "resolved"]
    return (done[-1] - at).total_seconds() / 3600 if done else -1.0


def _events_so_far(events: Sequence[TicketEvent], at: datetime) -> float:
    """An honest extra feature: events up to the instant."""
    return float(sum(1 for e in events if e.at <= at))


def test_the_leak_guard_names_a_feature_that_reads_the_resolution_time(
        matrix: Matrix, tickets: dict[str, list[TicketEvent]]) -> None:
    extra = [("events_so_far", _events_so_far), ("hours_to_resolution", _hours_to_resolution)]
    assert leak_check(tickets, matrix, extra, sample=50) == ["hours_to_resolution"]


def test_the_model_features_pass_the_leak_guard(
        matrix: Matrix, tickets: dict[str, list[TicketEvent]]) -> None:
    assert leak_check(tickets, matrix, sample=200) == []


def test_the_backtest_refuses_features_from_a_fold_that_reads_past_the_instant(
        matrix: Matrix, tickets: dict[str, list[TicketEvent]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    honest = risk_features.inputs_at

    def peeking(events: Sequence[TicketEvent], instants: Sequence[datetime], *args: Any
                ) -> list[tuple[datetime, RiskInput]]:
        # a fold that takes in the next 30 minutes' events too
        ahead = [t + timedelta(minutes=30) for t in instants]
        return [(t, found) for t, (_, found) in
                zip(instants, honest(events, ahead, *args), strict=False)]

    monkeypatch.setattr(risk_backtest, "inputs_at", peeking)
    with pytest.raises(LeakError, match="since_update_h") as caught:
        backtest(tickets, matrix)
    assert "responded" in caught.value.names and "severity" not in caught.value.names


def test_a_snapshot_is_positive_only_when_a_clock_breaches_within_the_next_hour(
        matrix: Matrix) -> None:
    # answered after 80 minutes: the 1 h response target is breached at 60 minutes
    t0 = START
    events = [*opened(t0, "T"), TicketEvent(t0 + timedelta(minutes=80), "T", "responded"),
              TicketEvent(t0 + timedelta(minutes=100), "T", "resolved")]
    rows = snapshots({"T": events}, matrix, t0 + timedelta(hours=5), per_ticket=10)
    assert rows.at and all(t0 < t <= t0 + timedelta(minutes=100) for t in rows.at)
    for at, label in zip(rows.at, rows.labels, strict=True):
        assert label == int(at < t0 + timedelta(hours=1)), at - t0


def test_a_snapshot_is_positive_an_hour_before_an_escalation(matrix: Matrix) -> None:
    t0 = START
    events = [*opened(t0, "T"), TicketEvent(t0 + timedelta(minutes=5), "T", "responded"),
              TicketEvent(t0 + timedelta(minutes=45), "T", "update_sent"),
              TicketEvent(t0 + timedelta(minutes=85), "T", "update_sent"),
              TicketEvent(t0 + timedelta(minutes=90), "T", "escalated",
                          {"team": "incident-response", "tier": "T3"}),
              TicketEvent(t0 + timedelta(minutes=100), "T", "resolved")]
    rows = snapshots({"T": events}, matrix, t0 + timedelta(hours=5), per_ticket=10)
    escalated = t0 + timedelta(minutes=90)
    assert rows.labels == [int(escalated - timedelta(hours=1) <= t < escalated)
                           for t in rows.at]


def test_snapshots_stop_an_hour_before_the_end_of_the_data(matrix: Matrix) -> None:
    events = opened(START, "T")  # still open: the last hour's outcome is not known yet
    end = START + timedelta(hours=10)
    rows = snapshots({"T": events}, matrix, end, per_ticket=50)
    assert len(rows) >= 8 and max(rows.at) <= end - timedelta(hours=1)


def test_a_large_history_is_sampled_by_ticket_to_the_row_bound(
        matrix: Matrix, tickets: dict[str, list[TicketEvent]]) -> None:
    rows = snapshots(tickets, matrix, max_rows=600)
    sampled = {x.ticket for x in rows.inputs}
    assert len(rows) <= 600 and len(sampled) <= 100
    assert rows.at == sorted(rows.at)


def test_the_time_split_trains_only_on_hours_that_ended_before_the_test_period(
        matrix: Matrix, tickets: dict[str, list[TicketEvent]]) -> None:
    train, test, cut = time_split(snapshots(tickets, matrix))
    assert max(train.at) + timedelta(hours=1) <= cut <= min(test.at)
    assert len(train) > 2 * len(test) > 0


def test_the_backtest_figures_are_computed_from_the_test_snapshots(
        matrix: Matrix, tickets: dict[str, list[TicketEvent]]) -> None:
    model, figures = backtest(tickets, matrix)
    _, test, cut = time_split(snapshots(tickets, matrix))
    y = np.array(test.labels)
    p = model.probabilities(feature_matrix(test.inputs, test.at, model.vocab))
    assert (figures.split_at, figures.test_rows, figures.test_positives) == (
        cut, len(test), int(y.sum()))
    assert figures.model.auc == pytest.approx(roc_auc_score(y, p))
    assert figures.baseline.auc == pytest.approx(
        roc_auc_score(y, sla_baseline(test.inputs, test.at)))
    assert figures.brier == pytest.approx(brier_score_loss(y, p))
    assert sum(n for _, _, n, _ in figures.reliability) == len(test)
    # half the positives follow an angry message, which the SLA clock cannot see
    assert figures.model.auc > figures.baseline.auc + 0.1
    assert figures.model.top10_precision > figures.baseline.top10_precision
    assert figures.usable


def test_the_baseline_ranks_the_nearest_due_instant_first(
        matrix: Matrix, tickets: dict[str, list[TicketEvent]]) -> None:
    rows = snapshots(tickets, matrix)
    score = sla_baseline(rows.inputs, rows.at)
    due = feature_matrix(rows.inputs, rows.at, {k: [] for k in
                                                ("severity", "tier", "team", "account_tier",
                                                 "due_clock")})[:, FEATURES.index("due_min")]
    soon, later = np.nanargmin(due), np.nanargmax(due)
    assert score[soon] > score[later]


def test_training_declines_with_fewer_than_200_resolved_tickets(tmp_path: Path, matrix: Matrix
                                                                 ) -> None:
    registry = Registry(tmp_path / "triage")
    done = train_risk(by_ticket(history(150)), matrix, registry, START + timedelta(days=5))
    assert done.info is None and "fewer than 200 resolved tickets (150)" in done.declined
    assert registry.infos() == []


def test_training_saves_a_version_with_its_backtest(tmp_path: Path, matrix: Matrix,
                                                    tickets: dict[str, list[TicketEvent]]
                                                    ) -> None:
    registry = Registry(tmp_path / "triage")
    now = START + timedelta(days=5)
    done = train_risk(tickets, matrix, registry, now)
    assert done.info is not None and done.backtest is not None
    assert (done.info.kind, done.info.version, done.info.examples) == ("risk", 1, 500)
    assert done.info.evaluation["roc_auc"] == pytest.approx(done.backtest.model.auc)
    assert done.info.usable == done.backtest.usable
