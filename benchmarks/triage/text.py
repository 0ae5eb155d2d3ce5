"""``python -m benchmarks.triage`` (text part): training the text models on 100,000
resolved tickets (target <= 60 s) and a suggestion's latency (target <= 30 ms per call,
p50 and p99 reported), on GENERATED tickets (benchmarks/triage/generate.py: text that
follows its labels). The figures say how fast, not how good: a model learns a
generator's rules. Generating the tickets and their events is not timed; training is
timed whole, from the events (reading the resolved tickets and their labels with the
reports' fold, the features, three models with their evaluation and calibration, the
similar-ticket index, saving every model in skops' format); the Suggester is loaded from the saved
files, as the console loads it, before suggestions are timed."""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from console.app.matrices import load_matrix_file
from console.app.triage.examples import resolved_examples
from console.app.triage.registry import Registry
from console.app.triage.suggest import Suggester
from console.app.triage.train import train_text_models
from console.paths import default_matrix_path

from .generate import example_events, generated_examples

TRAIN_TARGET_S = 60.0
SUGGEST_TARGET_MS = 30.0


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.triage",
                                     description=__doc__)
    parser.add_argument("--tickets", type=int, default=100_000,
                        help="resolved tickets to train on (default 100000)")
    parser.add_argument("--queries", type=int, default=1000,
                        help="suggestions to time (default 1000)")
    parser.add_argument("--seed", type=int, default=17, help="generator seed")
    args = parser.parse_args(argv)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}")
    print(f"data: {args.tickets} GENERATED resolved tickets (benchmarks/triage/generate.py; "
          f"the text follows the labels, 10 % of team and severity labels flipped)")
    matrix = load_matrix_file(default_matrix_path())
    events = example_events(generated_examples(args.tickets, seed=args.seed), matrix)
    queries = generated_examples(args.queries, seed=args.seed + 1)
    with tempfile.TemporaryDirectory() as folder:
        registry = Registry(Path(folder) / "triage")
        cpu, wall = time.process_time(), time.perf_counter()
        examples = resolved_examples(events, matrix)
        read = time.perf_counter() - wall
        result = train_text_models(examples, registry, datetime.now(UTC))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        size = sum(p.stat().st_size for p in registry.folder.iterdir()) / 2 ** 20
        started = time.perf_counter()
        suggester = Suggester.load(registry)
        loaded = time.perf_counter() - started
        suggester.suggest("warm up", "")
        took = []
        for q in queries:
            started = time.perf_counter()
            suggester.suggest(q.title, q.text)
            took.append((time.perf_counter() - started) * 1000)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    train_ok = wall <= TRAIN_TARGET_S
    p50, p99 = statistics.median(took), _percentile(took, 0.99)
    suggest_ok = p99 <= SUGGEST_TARGET_MS
    print(f"training on {result.resolved} resolved tickets: {wall:.1f} s wall, {cpu:.1f} s "
          f"CPU (target <= {TRAIN_TARGET_S:.0f} s): {'PASS' if train_ok else 'FAIL'}")
    print(f"  of which reading them from their {len(events)} events (the reports' fold): "
          f"{read:.1f} s; features, models, evaluation, calibration, index, saving: "
          f"{result.seconds:.1f} s")
    for info in result.trained:
        e = info.evaluation
        if "accuracy" in e:
            print(f"  {info.kind}: accuracy {e['accuracy']:.3f}, macro-F1 {e['macro_f1']:.3f}, "
                  f"majority baseline {e['baseline']:.3f} (GENERATED data: no claim)")
    print(f"saved models: {size:.0f} MiB; Suggester loaded in {loaded * 1000:.0f} ms")
    print(f"suggestion latency over {len(took)} calls: p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
          f"max {max(took):.1f} ms (target <= {SUGGEST_TARGET_MS:.0f} ms): "
          f"{'PASS' if suggest_ok else 'FAIL'}")
    print(f"peak resident memory: {peak:.0f} MiB; load average at the end "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (other work slows wall time)")
    return 0 if train_ok and suggest_ok else 1
