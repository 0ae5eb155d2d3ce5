"""``start``: how long ``serve`` takes to be ready to page with a year of history in the
shared database, against a full replay of that history, at each size.

For each size a fresh database is loaded (``history.load``) and measured, in one run:
- cold start: a real ``serve`` process with an empty state directory, from its spawn to
  ``/readyz`` saying ``role: active`` and ``replayed: true`` (the notifier's engine has
  replayed what the local store holds; a first connect pulls the open tickets first);
- warm start: the same instance stopped (SIGTERM) and started again on its state
  directory, to the same answer (its store holds what the background history pull
  brought in meanwhile);
- warm start with the whole history local: the rest of the history pulled into its
  state directory (``Syncer.pull_history``, as the background pull would in time),
  then started again (the history is new to its engine: replayed after the
  checkpoint); then once more: the restart of a service that has run for a while;
- the full replay: the engine's checkpoint file deleted and the service started again on
  the same store, which it then replays in full;
- the engine alone over every event of the log, read from the shared database in order
  (no store, no outbox: the floor of any replay).

The local store's event count at each stop is printed, and what /readyz says of the
notifier's start (``start_seconds``, ``from_checkpoint``): a restart replays only the
events stored after the engine's checkpoint (``console.notify.checkpoint``).
"""

from __future__ import annotations

import json
import signal
import sqlite3
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from console.notify.checkpoint import FILE_NAME as CHECKPOINT_FILE

from . import history

SIZES = (100_000, 300_000, 1_000_000)


def _readyz(port: int) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as reply:
            return dict(json.loads(reply.read()))
    except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
        return None


def _local_events(state_dir: Path) -> int:
    from console.store.local import DB_NAME

    with sqlite3.connect(state_dir / DB_NAME) as conn:
        (count,) = conn.execute("SELECT count(*) FROM events").fetchone()
    conn.close()
    return int(count)


def _pull_whole_history(state_dir: Path, url: str) -> float:
    from benchmarks.sync.common import open_store
    from console.store.sync import Syncer

    store = open_store(state_dir)
    try:
        t0 = time.perf_counter()
        with Syncer(store, url) as syncer:
            syncer.pull_history()
            syncer.pull()
        return time.perf_counter() - t0
    finally:
        store.close()


def serve_to_ready(config: Path, timeout: float = 600.0) -> dict[str, Any]:
    """Spawn ``serve``; seconds to its "serving" line and to /readyz active and
    replayed; then stop it with SIGTERM."""
    from tests.service.conftest import ServeProcess, clean_env

    port = int(config.read_text(encoding="utf-8").split('listen = "127.0.0.1:')[1]
               .split('"')[0])
    t0 = time.monotonic()
    process = ServeProcess(["serve", "--config", str(config), "--log-format", "json"],
                           clean_env())
    try:
        serving = None
        while time.monotonic() - t0 < timeout:
            if serving is None and process.find(lambda e: e.get("message") == "serving"):
                serving = time.monotonic() - t0
            ready = _readyz(port) if serving is not None else None
            if ready and ready.get("role") == "active" and ready.get("replayed"):
                break  # ready_to_page
            if process.proc.poll() is not None:
                raise RuntimeError(f"serve exited {process.proc.poll()}:\n"
                                   f"{process.log_text()}")
            time.sleep(0.02)
        else:
            raise RuntimeError(f"serve not ready within {timeout:g} s:\n{process.log_text()}")
        ready_s = time.monotonic() - t0
        assert ready is not None
        runner = {"runner_start_s": ready.get("start_seconds"),
                  "from_checkpoint": ready.get("from_checkpoint")}
        process.signal(signal.SIGTERM)
        process.wait(30)
        runner["warnings"] = [e.get("message") for e in process.logs  # start to stop
                              if e.get("level") in ("warning", "error")
                              and "checkpoint" in str(e.get("message"))]
    finally:
        process.close()
    return {"serving_s": round(serving or 0.0, 2), "ready_s": round(ready_s, 2), **runner}


def full_replay(url: str, now: datetime) -> dict[str, float]:
    """Every event of the log, in log order, through one Engine under the default
    matrix (with sentiment scoring, as the notifier runs it)."""
    from console.app.matrices import load_matrix_file
    from console.app.sentiment import vader_compound
    from console.domain.engine import Engine
    from console.domain.tickets import TicketEvent
    from console.paths import default_matrix_path

    engine = Engine(load_matrix_file(default_matrix_path()), sentiment=vader_compound)
    t0 = time.perf_counter()
    engine_s, events = 0.0, 0
    with psycopg.connect(url) as conn, conn.cursor(name="replay") as cur:
        cur.itersize = 20_000
        cur.execute("SELECT at, ticket, kind, payload, author FROM events ORDER BY seq")
        while rows := cur.fetchmany(20_000):
            batch = [TicketEvent(datetime.fromisoformat(at) if isinstance(at, str) else at,
                                 ticket, kind,
                                 json.loads(payload) if isinstance(payload, str) else payload,
                                 author) for at, ticket, kind, payload, author in rows]
            t1 = time.perf_counter()
            for event in batch:
                if not event.ticket.startswith("_"):
                    engine.apply(event)
            engine_s += time.perf_counter() - t1
            events += len(batch)
    t1 = time.perf_counter()
    engine.advance_to(now)
    engine_s += time.perf_counter() - t1
    return {"events": events, "replay_s": round(time.perf_counter() - t0, 2),
            "engine_s": round(engine_s, 2)}


def _how(r: dict[str, Any]) -> str:
    start = r.get("runner_start_s")
    where = "from the engine's checkpoint" if r.get("from_checkpoint") else "no checkpoint"
    warned = "; ".join(str(w) for w in r.get("warnings") or [])
    return f"notifier start {start} s, {where}" + (f"; warned: {warned}" if warned else "")


def run(server: Any, sizes: tuple[int, ...], say: Any) -> dict[str, Any]:
    from benchmarks.sync.common import migrated
    from tests.service.conftest import config_file

    out: dict[str, Any] = {}
    for size in sizes:
        url = migrated(server)
        now = datetime.now(UTC)
        t0 = time.perf_counter()
        loaded = history.load(url, size, now)
        say(f"start @ {loaded:,} events (loaded in {time.perf_counter() - t0:.0f} s)")
        with tempfile.TemporaryDirectory(prefix="serve-start-") as tmp:
            config = config_file(Path(tmp), url, "bench", takeover_seconds=15)
            state = Path(tmp) / "bench-state"
            cold = serve_to_ready(config)
            cold["local_events"] = _local_events(state)
            warm = serve_to_ready(config)
            warm["local_events"] = _local_events(state)
            pulled_s = _pull_whole_history(state, url)
            whole = serve_to_ready(config)
            whole["local_events"] = _local_events(state)
            again = serve_to_ready(config)  # its clean stop saved the engine's state
            again["local_events"] = _local_events(state)
            (state / CHECKPOINT_FILE).unlink()  # the same store, replayed in full
            replay = serve_to_ready(config)
            replay["local_events"] = _local_events(state)
        full = full_replay(url, now)
        say(f"  cold start to ready {cold['ready_s']:.2f} s (serving {cold['serving_s']:.2f} s,"
            f" {cold['local_events']:,} events local at the stop; {_how(cold)})")
        say(f"  warm start to ready {warm['ready_s']:.2f} s (serving {warm['serving_s']:.2f} s,"
            f" {warm['local_events']:,} events local at the stop; {_how(warm)})")
        say(f"  warm start to ready {whole['ready_s']:.2f} s with the whole history local "
            f"(serving {whole['serving_s']:.2f} s, {whole['local_events']:,} events local; "
            f"the history pulled in {pulled_s:.0f} s; {_how(whole)})")
        say(f"  and again (steady state): {again['ready_s']:.2f} s ({_how(again)})")
        say(f"  without the checkpoint (the service's full replay of its store): "
            f"{replay['ready_s']:.2f} s ({_how(replay)})")
        say(f"  the engine alone over {full['events']:,} events: {full['replay_s']:.2f} s "
            f"(engine {full['engine_s']:.2f} s, the rest reading the log)")
        out[str(loaded)] = {"cold": cold, "warm": warm, "warm_whole_history": whole,
                            "warm_again": again, "no_checkpoint": replay,
                            "engine_replay": full}
        with server.admin() as conn:  # keep the cluster small
            conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    return out
