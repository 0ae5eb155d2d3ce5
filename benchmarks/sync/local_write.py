"""(c) The latency of one local event write: a ~2 KB handoff, committed with
synchronous=FULL, outbox and projection included."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

from .common import handoff_payload, open_store, opened, summary_ms

TARGET_P95_MS = 10.0


def run(writes: int = 1000, tickets: int = 50, warmup: int = 50) -> dict[str, Any]:
    from console.store.local import NewEvent

    payload = handoff_payload()
    with tempfile.TemporaryDirectory(prefix="bench-write-") as tmp:
        store = open_store(Path(tmp) / "console")
        try:
            store.append_many([NewEvent(f"T-{k}", "opened", opened(f"ticket {k}"), "bench")
                               for k in range(tickets)])
            times = []
            for n in range(warmup + writes):
                t0 = time.perf_counter()
                store.append(f"T-{n % tickets}", "handoff_submitted", payload, "bench")
                if n >= warmup:
                    times.append(time.perf_counter() - t0)
        finally:
            store.close()
    stats = summary_ms(times)
    return {**stats, "payload_bytes": len(json.dumps(payload)), "tickets": tickets,
            "events_per_ticket_at_end": (warmup + writes) // tickets + 1,
            "target_p95_ms": TARGET_P95_MS, "target_met": stats["p95_ms"] <= TARGET_P95_MS}
