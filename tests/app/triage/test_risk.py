"""The risk model: what it learns, its reasons, its speed path and its safe storage."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from console.app.matrices import load_matrix_file
from console.app.triage.registry import NewModel, Registry
from console.app.triage.risk import RiskModel, risk_inputs_from_events
from console.app.triage.risk_backtest import snapshots
from console.app.triage.risk_features import FEATURES, RiskFeed, RiskInput, feature_matrix
from console.domain.matrix import Matrix
from console.domain.tickets import TicketEvent
from console.paths import default_matrix_path

from .risk_history import ANGRY, CALM, START, by_ticket, history, opened


@pytest.fixture(scope="module")
def matrix() -> Matrix:
    return load_matrix_file(default_matrix_path())


@pytest.fixture(scope="module")
def model(matrix: Matrix) -> RiskModel:
    rows = snapshots(by_ticket(history()), matrix)
    return RiskModel.fit(rows.inputs, rows.at, np.array(rows.labels))


NOW = START + timedelta(days=30)


def _answered(name: str) -> list[TicketEvent]:
    """A P2 opened an hour ago, answered after 10 minutes and updated 40 minutes
    later: what most of the history looks like."""
    t0 = NOW - timedelta(minutes=60)
    return [*opened(t0, name), TicketEvent(t0 + timedelta(minutes=10), name, "responded"),
            TicketEvent(t0 + timedelta(minutes=50), name, "update_sent")]


def test_an_unanswered_ticket_at_55_minutes_of_a_1_hour_response_outranks_a_fresh_one(
        matrix: Matrix, model: RiskModel) -> None:
    # in the history, 40 % of P2s are answered after their 1 h response target, the
    # others within 40 minutes: unanswered at 55 minutes, a ticket is one of the late
    events = {"LATE": opened(NOW - timedelta(minutes=55), "LATE"),
              "FRESH": opened(NOW - timedelta(minutes=3), "FRESH")}
    risks = {r.ticket: r for r in model.score(risk_inputs_from_events(events, matrix, NOW),
                                              NOW, explain_from=0.0)}
    assert risks["LATE"].probability > 0.9
    assert risks["LATE"].probability > risks["FRESH"].probability + 0.3
    assert "P2 with 5 min left on response" in risks["LATE"].reasons


def test_an_angry_customer_raises_the_risk_and_says_so(matrix: Matrix, model: RiskModel
                                                       ) -> None:
    # answered and updated on time: only the customer's words differ
    def ticket(name: str, last: str) -> list[TicketEvent]:
        return [*_answered(name),
                TicketEvent(NOW - timedelta(minutes=7), name, "message", {"text": CALM}),
                TicketEvent(NOW - timedelta(minutes=2), name, "message", {"text": last})]

    inputs = risk_inputs_from_events({"A": ticket("A", ANGRY), "C": ticket("C", CALM)},
                                     matrix, NOW)
    angry, calm = model.score(inputs, NOW, explain_from=0.0)
    assert angry.probability > calm.probability + 0.3
    assert "customer sentiment falling" in angry.reasons


def test_events_after_now_do_not_change_a_ticket_risk_input(matrix: Matrix) -> None:
    base = opened(NOW - timedelta(minutes=30), "T")
    later = [*base, TicketEvent(NOW + timedelta(minutes=1), "T", "responded"),
             TicketEvent(NOW + timedelta(hours=2), "T", "resolved")]
    assert (risk_inputs_from_events({"T": later}, matrix, NOW)
            == risk_inputs_from_events({"T": base}, matrix, NOW))


def test_the_feed_counts_reassignments_and_drops_a_ticket_once_resolved(matrix: Matrix
                                                                          ) -> None:
    feed = RiskFeed(matrix)
    history = opened(NOW - timedelta(hours=1), "T")
    feed.extend(history)
    first = feed.inputs()
    assert [x.reassignments for x in first] == [0]
    assert feed.inputs()[0] is first[0]  # no event: not refolded
    history += [TicketEvent(NOW - timedelta(minutes=30), "T", "assigned",
                            {"team": "specialists", "tier": "T2"}),
                TicketEvent(NOW - timedelta(minutes=20), "T", "escalated",
                            {"team": "incident-response", "tier": "T3"})]
    feed.extend(history[-2:])
    (moved,) = feed.inputs()
    assert (moved.reassignments, moved.escalations, moved.team) == (2, 1, "incident-response")
    history += [TicketEvent(NOW, "T", "resolved"),
                TicketEvent(NOW + timedelta(hours=1), "T", "reopened")]
    feed.apply(history[-2])
    assert feed.inputs() == []
    feed.apply(history[-1])  # dropped: a reopen alone does not bring it back
    assert feed.inputs() == []
    feed.extend(history)     # its whole history does, counted once
    (again,) = feed.inputs()
    assert (again.reassignments, again.escalations) == (2, 1)


def test_scoring_explains_only_the_risky_ones_unless_asked(matrix: Matrix, model: RiskModel
                                                          ) -> None:
    events = {"LATE": opened(NOW - timedelta(minutes=55), "LATE"), "CALM": _answered("CALM")}
    inputs = risk_inputs_from_events(events, matrix, NOW)
    calm, late = sorted(model.score(inputs, NOW, explain_from=0.5), key=lambda r: r.ticket)
    assert late.probability >= 0.5 > calm.probability
    assert late.reasons and calm.reasons == ()
    explained = model.explain(inputs[1], NOW)
    assert explained.ticket == "CALM" and explained.reasons
    assert explained.probability == pytest.approx(calm.probability)


def test_a_saved_model_loads_back_from_the_registry_and_scores_the_same(
        tmp_path: Path, matrix: Matrix, model: RiskModel) -> None:
    registry = Registry(tmp_path / "triage")
    info = registry.save("risk", model.to_saved(), NewModel("risk", NOW, 500, {}, True, ""))
    loaded = RiskModel.load(registry)
    assert loaded is not None and loaded.version == info.version
    inputs = risk_inputs_from_events({"T": opened(NOW - timedelta(minutes=50), "T")},
                                     matrix, NOW)
    assert loaded.score(inputs, NOW) == model.score(inputs, NOW)


def test_no_usable_risk_model_loads_as_none(tmp_path: Path, model: RiskModel) -> None:
    registry = Registry(tmp_path / "triage")
    assert RiskModel.load(registry) is None
    registry.save("risk", model.to_saved(),
                  NewModel("risk", NOW, 500, {}, False, "does not beat the baseline"))
    assert RiskModel.load(registry) is None


def test_a_risk_model_of_another_format_is_not_used(tmp_path: Path, model: RiskModel) -> None:
    registry = Registry(tmp_path / "triage")
    saved = model.to_saved() | {"features": ["age_h"]}  # an older console's columns
    registry.save("risk", saved, NewModel("risk", NOW, 500, {}, True, ""))
    assert RiskModel.load(registry) is None


def test_the_nearest_clock_ahead_is_picked_per_ticket_and_past_ones_are_counted() -> None:
    def ticket(name: str, dues: tuple[tuple[str, int, int], ...],
               sentiments: tuple[float, ...] = ()) -> RiskInput:
        return RiskInput(name, NOW - timedelta(hours=2), "P2", "T1", "frontline", "", False,
                         True, NOW - timedelta(minutes=30), 0, 0, 0, sentiments,
                         tuple((c, NOW + timedelta(minutes=m), s) for c, m, s in dues))

    inputs = [ticket("A", (("response", 30, 3600), ("update", 10, 3600),
                           ("resolution", -5, 28800))),
              ticket("B", (), (0.5, 0.1, -0.6)),
              ticket("C", (("resolution", 120, 28800),))]
    vocab = {"severity": ["P2"], "tier": ["T1"], "team": ["frontline"], "account_tier": [""],
             "due_clock": ["resolution", "response", "update"]}
    x = feature_matrix(inputs, NOW, vocab)
    col = {name: x[:, j] for j, name in enumerate(FEATURES)}
    assert col["due_min"][0] == pytest.approx(10) and col["due_clock"][0] == 2
    assert col["due_frac_left"][0] == pytest.approx(600 / 3600)
    assert list(col["overdue"]) == [1, 0, 0]
    assert np.isnan(col["due_min"][1]) and np.isnan(col["due_clock"][1])
    assert col["due_min"][2] == pytest.approx(120) and col["due_clock"][2] == 0
    assert col["since_update_h"][0] == pytest.approx(0.5)
    # the latest message against the mean of the earlier ones
    assert col["sentiment_last"][1] == pytest.approx(-0.6)
    assert col["sentiment_trend"][1] == pytest.approx(-0.6 - 0.3)
