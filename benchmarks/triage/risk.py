"""``python -m benchmarks.triage.risk``: the risk model's time-split backtest on the
engine benchmark's workload and on the demo store (both GENERATED data: a model can
learn a generator's habits, so these figures are no claim about real tickets), then
the CPU time to score 50,000 open tickets (target <= 2 s) with the model trained on the
workload, saved in a Registry and loaded back.

The 50,000 open tickets are the engine workload's backlog at its start: every ticket is
open, with its response, updates, severity changes and messages up to then. Building
their RiskInputs (the fold, once, as the console's RiskFeed does at start) is timed
apart from scoring them."""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.engine.runner import load_matrices
from benchmarks.engine.workload import generate
from console.app.triage.registry import NewModel, Registry
from console.app.triage.risk import RiskModel
from console.app.triage.risk_backtest import Backtest, backtest, format_backtest
from console.app.triage.risk_features import RiskFeed
from console.app.triage.risk_train import train_risk
from console.app.usecases.demo import demo_events
from console.domain.matrix import Matrix
from console.domain.tickets import TicketEvent

TARGET_S = 2.0
DEMO_NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)


def _by_ticket(events: Iterable[TicketEvent]) -> dict[str, list[TicketEvent]]:
    out: dict[str, list[TicketEvent]] = defaultdict(list)
    for e in events:
        out[e.ticket].append(e)
    return out


def _workload_backtest(matrix: Matrix, tickets: int, hours: float, seed: int
                       ) -> tuple[RiskModel, Backtest, float]:
    w = generate(tickets, hours, seed)
    started = time.process_time()
    model, figures = backtest(_by_ticket(w.events), matrix, w.end, seed=seed)
    return model, figures, time.process_time() - started


def _demo_backtest(matrix: Matrix, tickets: int) -> tuple[Backtest, float]:
    new = demo_events(matrix, DEMO_NOW, tickets=tickets)
    assert all(e.at is not None for e in new)
    events = [TicketEvent(e.at, e.ticket, e.kind, e.payload, e.author)  # type: ignore[arg-type]
              for e in new]
    started = time.process_time()
    _, figures = backtest(_by_ticket(events), matrix, DEMO_NOW)
    return figures, time.process_time() - started


def _open_backlog(matrix: Matrix, tickets: int, seed: int) -> tuple[RiskFeed, datetime, float]:
    w = generate(tickets, 1, seed)
    started = time.process_time()
    feed = RiskFeed(matrix)
    feed.extend(w.events[:w.warmup])
    return feed, w.start, time.process_time() - started


def _roundtrip(model: RiskModel, figures: Backtest) -> RiskModel:
    """Save through the registry and load back, as the console does."""
    with tempfile.TemporaryDirectory() as folder:
        registry = Registry(Path(folder) / "triage")
        registry.save("risk", model.to_saved(),
                      NewModel("risk", datetime.now(UTC), figures.train_rows,
                               figures.to_json(), True, ""))
        loaded = RiskModel.load(registry)
    if loaded is None:
        raise SystemExit("the saved risk model did not load back")
    return loaded


def _training(matrix: Matrix, tickets: int, seed: int) -> float:
    w = generate(tickets, 96, seed)
    events = _by_ticket(w.events)
    with tempfile.TemporaryDirectory() as folder:
        started = time.process_time()
        done = train_risk(events, matrix, Registry(Path(folder) / "triage"), w.end, seed=seed)
        cpu = time.process_time() - started
    if done.info is None or done.backtest is None:
        raise SystemExit(f"risk not trained: {done.declined}")
    print(f"Training on {len(events)} tickets ({done.resolved} resolved; GENERATED): "
          f"{cpu:.1f} s CPU for {done.backtest.train_rows + done.backtest.test_rows} "
          f"snapshots (sampled to at most 300,000); ROC AUC {done.backtest.model.auc:.3f}, "
          f"baseline {done.backtest.baseline.auc:.3f}")
    return round(cpu, 2)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.triage.risk",
                                     description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--tickets", type=int, default=3000,
                        help="workload tickets open at its start (default 3000)")
    parser.add_argument("--hours", type=float, default=96, help="workload hours (default 96)")
    parser.add_argument("--demo-tickets", type=int, default=1000,
                        help="demo queue size (its resolved history is twice that, at most "
                             "2000; default 1000)")
    parser.add_argument("--open", type=int, default=50_000, help="open tickets to score")
    parser.add_argument("--train-tickets", type=int, default=50_000,
                        help="train_risk (leak guard, snapshots, backtest, training, saving) "
                             "on a workload of this many tickets open at its start, 96 h "
                             "(twice as many tickets in all; 0: skip; default 50000)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    matrix, _ = load_matrices()

    model, work, work_cpu = _workload_backtest(matrix, args.tickets, args.hours, args.seed)
    print(format_backtest(work, f"the engine workload ({args.tickets} tickets, "
                                f"{args.hours:g} h; GENERATED data)"))
    print(f"  backtest CPU {work_cpu:.1f} s (leak guard, snapshots, training, evaluation)\n")
    demo, demo_cpu = _demo_backtest(matrix, args.demo_tickets)
    print(format_backtest(demo, f"the demo store ({args.demo_tickets} live tickets and "
                                f"their resolved history; GENERATED data)"))
    print(f"  backtest CPU {demo_cpu:.1f} s\n")

    loaded = _roundtrip(model, work)
    feed, now, feed_cpu = _open_backlog(matrix, args.open, args.seed)
    inputs = feed.inputs()
    loaded.score(inputs[:100], now)  # warm: the first call imports and allocates
    started, wall = time.process_time(), time.perf_counter()
    risks = loaded.score(inputs, now)
    cpu, wall = time.process_time() - started, time.perf_counter() - wall
    with_reasons = sum(1 for r in risks if r.reasons)
    print(f"Scoring {len(risks)} open tickets (engine workload backlog, GENERATED): "
          f"{cpu:.2f} s CPU ({wall:.2f} s wall), target <= {TARGET_S:.0f} s: "
          f"{'OK' if cpu <= TARGET_S else 'OVER'}")
    print(f"  folding their events into RiskInputs (once, at start, as the console's "
          f"RiskFeed does): {feed_cpu:.1f} s CPU; {with_reasons} tickets at or above 5 % "
          "have reasons")
    top = sorted(risks, key=lambda r: -r.probability)[:3]
    for r in top:
        print(f"  {r.ticket} {r.probability:.2f}: {'; '.join(r.reasons)}")
    train_cpu = _training(matrix, args.train_tickets, args.seed) if args.train_tickets else None
    print("RESULT " + json.dumps({
        "train_cpu_s": train_cpu,
        "score_cpu_s": round(cpu, 3), "score_wall_s": round(wall, 3), "open": len(risks),
        "target_s": TARGET_S, "feed_cpu_s": round(feed_cpu, 2),
        "workload": work.to_json() | {"generated": True},
        "demo": demo.to_json() | {"generated": True}}, default=str))
    return 0 if cpu <= TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
