"""(a) Drain 10,000 queued events from one local store to PostgreSQL."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from .common import migrated, open_store, opened
from .people import consoles

TARGET_S = 10.0


def run(server, events: int = 10_000, tickets: int = 100, batch: int = 2000,  # type: ignore[no-untyped-def]
        mode: str = "superuser") -> dict[str, Any]:
    from console.store.local import NewEvent
    from console.store.sync import Syncer

    url = migrated(server)
    console_url, author = consoles(url, mode, 1)[0]
    with tempfile.TemporaryDirectory(prefix="bench-drain-") as tmp:
        store = open_store(Path(tmp) / "console")
        try:
            store.append_many([NewEvent(f"T-{k}", "opened", opened(f"ticket {k}"), author)
                               for k in range(tickets)])
            for start in range(tickets, events, 500):
                store.append_many([NewEvent(f"T-{n % tickets}", "message",
                                            {"text": f"update {n}"}, author)
                                   for n in range(start, min(start + 500, events))])
            queued = store.pending()
            syncer = Syncer(store, console_url, batch=batch)
            t0 = time.perf_counter()
            pushed = syncer.push()
            push_s = time.perf_counter() - t0
            t1 = time.perf_counter()
            echoed = syncer.pull()
            pull_s = time.perf_counter() - t1
            left = store.pending()
            syncer.close()
        finally:
            store.close()
    with server.admin(url.rsplit("/", 1)[1]) as conn:
        on_server = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    return {"mode": mode, "queued": queued, "pushed": pushed, "batch": batch,
            "seconds": round(push_s, 3),
            "events_per_s": round(pushed / push_s), "pending_after": left,
            "on_server": on_server, "pull_back_seconds": round(pull_s, 3),
            "pulled_new": echoed, "target_s": TARGET_S,
            "target_met": push_s <= TARGET_S and left == 0 and on_server == queued}
