"""Training the risk model from the store's events and saving it as kind "risk".

The same gate as the text models: fewer than ``MIN_RESOLVED`` resolved tickets train
nothing. Otherwise the time-split backtest measures it first (its figures are the
saved evaluation); then the model is trained on every snapshot and saved, usable only
if the backtest beat the SLA-clock baseline and the base rate's Brier score.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from console.domain.matrix import Matrix
from console.domain.tickets import TicketEvent

from .registry import MIN_RESOLVED, ModelInfo, NewModel, Registry
from .risk import RiskModel
from .risk_backtest import Backtest, TooLittleData, checked_snapshots, measure


@dataclass(frozen=True)
class RiskTraining:
    """What one risk training did: the saved version, or why none was."""

    resolved: int
    info: ModelInfo | None = None
    backtest: Backtest | None = None
    declined: str = ""


def by_ticket(events: Iterable[TicketEvent]) -> dict[str, list[TicketEvent]]:
    """Each ticket's events, in the order given (the log's)."""
    out: dict[str, list[TicketEvent]] = {}
    for e in events:
        out.setdefault(e.ticket, []).append(e)
    return out


def resolved_count(events_by_ticket: Mapping[str, Sequence[TicketEvent]]) -> int:
    """Tickets whose last resolution was not undone by a reopen."""
    count = 0
    for events in events_by_ticket.values():
        last = next((e.type for e in reversed(events) if e.type in ("resolved", "reopened")),
                    None)
        count += last == "resolved"
    return count


def train_risk(events_by_ticket: Mapping[str, Sequence[TicketEvent]], matrix: Matrix,
               registry: Registry, now: datetime, *, seed: int = 0) -> RiskTraining:
    """Backtest, train on every snapshot up to ``now`` and save a new "risk" version.
    Raises OSError when the registry cannot be written, LeakError when a feature
    reads the future."""
    resolved = resolved_count(events_by_ticket)
    if resolved < MIN_RESOLVED:
        return RiskTraining(resolved, declined=f"fewer than {MIN_RESOLVED} resolved tickets "
                                               f"({resolved}): risk not trained")
    rows = checked_snapshots(events_by_ticket, matrix, now, seed=seed)
    try:
        _, figures = measure(rows, seed=seed)
    except TooLittleData as exc:
        return RiskTraining(resolved, declined=f"risk not trained: {exc}")
    model = RiskModel.fit(rows.inputs, rows.at, np.array(rows.labels), seed)
    info = registry.save("risk", model.to_saved(), NewModel(
        "risk", now, resolved, figures.to_json(), figures.usable, figures.why_not))
    return RiskTraining(resolved, info, figures)
