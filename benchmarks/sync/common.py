"""Shared bits of the sync benchmarks: opening stores, percentiles, payloads."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

HANDOFF_TEXT = ("Customer reports checkout failures since 09:40 UTC; the payments API "
                "returns 502 for about a third of requests. ")


def matrix():  # type: ignore[no-untyped-def]
    from console.app.matrices import load_matrix_file
    from console.paths import default_matrix_path

    return load_matrix_file(default_matrix_path())


def open_store(data_dir: Path, the_matrix=None):  # type: ignore[no-untyped-def]
    from console.store.local import LocalStore

    return LocalStore(data_dir, the_matrix or matrix()).open()


def migrated(server) -> str:  # type: ignore[no-untyped-def]
    from console.store.server import SharedDatabase

    url = server.create_database("bench")
    db = SharedDatabase(url)
    db.migrate()
    db.close()
    return url


def opened(title: str) -> dict[str, Any]:
    return {"title": title, "account": "Acme", "users_affected_pct": 30, "workaround": "partial"}


def handoff_payload(size: int = 2048) -> dict[str, Any]:
    """A structured handoff of about ``size`` bytes of JSON."""
    text = (HANDOFF_TEXT * (size // len(HANDOFF_TEXT) + 1))[: size - 300]
    return {"from_team": "frontline", "to_team": "payments-engineering",
            "summary": "Checkout failing for a third of requests", "impact": "high",
            "steps_taken": text, "customer_contact": "ops@acme.example",
            "next_update_due": "2026-03-02T10:30:00+00:00", "attachments": []}


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 10) - 1]


def summary_ms(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "p50_ms": round(percentile(ms, 50), 2),
            "p95_ms": round(percentile(ms, 95), 2), "p99_ms": round(percentile(ms, 99), 2),
            "max_ms": round(max(ms), 2) if ms else float("nan")}


def filesystem_of(path: Path) -> str:
    """The file system type holding path (from /proc/mounts), e.g. ``ext4``."""
    try:
        mounts = [line.split()[1:3] for line in Path("/proc/mounts").read_text().splitlines()]
    except OSError:
        return "?"
    resolved = str(path.resolve())
    best = max((m for m in mounts if resolved == m[0] or resolved.startswith(m[0].rstrip("/")
                                                                              + "/")),
               key=lambda m: len(m[0]), default=["", "?"])
    return best[1]
