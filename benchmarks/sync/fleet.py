"""(b) Five consoles as five processes, 100 updates a second in total: how long from
one console's local commit until another console's projection contains it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .common import migrated, summary_ms
from .people import consoles as console_logins

TARGET_P50_MS, TARGET_P99_MS = 100.0, 500.0
ROOT = Path(__file__).resolve().parents[2]


def _cpu_busy_seconds() -> float:
    """CPU-seconds the whole machine spent busy so far (from /proc/stat)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return float("nan")
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def run(server, consoles: int = 5, total_rate: float = 100.0,  # type: ignore[no-untyped-def]
        duration: float = 20.0, mode: str = "superuser") -> dict[str, Any]:
    logins = console_logins(migrated(server), mode, consoles)
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp:
        procs = []
        for i, (url, author) in enumerate(logins):
            cmd = [sys.executable, "-m", "benchmarks.sync.worker", "--data-dir",
                   f"{tmp}/c{i}", "--url", url, "--author", author, "--index", str(i),
                   "--consoles", str(consoles),
                   "--rate", str(total_rate / consoles), "--duration", str(duration),
                   "--out", f"{tmp}/c{i}.json"]
            procs.append(subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, text=True))
        for proc in procs:
            line = proc.stdout.readline().strip()
            if line != "ready":
                raise RuntimeError(f"a fleet console failed to start ({line!r})")
        start = time.time() + 1.0
        for proc in procs:
            proc.stdin.write(f"go {start}\n")
            proc.stdin.flush()
        time.sleep(max(0.0, start - time.time()))
        busy0, wall0 = _cpu_busy_seconds(), time.monotonic()
        for proc in procs:
            if proc.wait(duration + 60) != 0:
                raise RuntimeError(f"a fleet console exited with {proc.returncode}")
        busy = (_cpu_busy_seconds() - busy0) / (time.monotonic() - wall0)
        results = [json.loads(Path(f"{tmp}/c{i}.json").read_text()) for i in range(consoles)]
    sent = sum(r["sent"] for r in results)
    latencies = [x for r in results for x in r["latencies"]]
    expected = sum(sent - r["sent"] for r in results)  # every update reaches every other
    stats = summary_ms(latencies)
    writes = summary_ms([w for r in results for w in r["writes"]])
    return {"mode": mode, "consoles": consoles, "rate_per_s": total_rate, "duration_s": duration,
            "updates_sent": sent, "deliveries_expected": expected,
            "deliveries_seen": len(latencies),
            "pending_at_end": sum(r["pending"] for r in results), **stats,
            "console_cpu_s": [round(r["cpu_s"], 2) for r in results],
            "machine_busy_cpus": round(busy, 2), "cpu_count": os.cpu_count(),
            "local_write_under_load": {k: writes[k] for k in ("p50_ms", "p95_ms", "p99_ms")},
            "target_p50_ms": TARGET_P50_MS, "target_p99_ms": TARGET_P99_MS,
            "target_met": stats["p50_ms"] <= TARGET_P50_MS and stats["p99_ms"] <= TARGET_P99_MS
            and len(latencies) == expected}
