"""kill -9 while a notification is on the wire, then restart.

The child console sends to a server that holds the request for 30 s; we SIGKILL the
child mid-send. The outbox still says ``sending``; the restarted console sends again.
PagerDuty folds the resend into the same alert through the dedup_key: one alert, one
page. Slack has no such key: the message may arrive twice (at-least-once); the
outbox and the claim narrow the window to the requests in flight at the kill."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.notify.fakes import notify_config, notify_secrets, wait_for
from console.app.notify_ops import build_runner
from console.app.notify_secrets import StaticSecrets
from console.store.local import DB_NAME, LocalStore

from .helpers import open_ticket

pytestmark = pytest.mark.slow
CHILD = Path(__file__).with_name("crash_child.py")
ROOT = Path(__file__).resolve().parents[2]


def _statuses(data_dir: Path) -> dict[str, str]:
    with sqlite3.connect(data_dir / DB_NAME) as conn:
        return dict(conn.execute("SELECT key, status FROM deliveries"))


def _crash_mid_send(tmp_path: Path, matrix, services, path: str, setup) -> Path:  # type: ignore[no-untyped-def]
    data_dir = tmp_path / "console"
    with LocalStore(data_dir, matrix) as store:
        setup(store)
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"config": notify_config(services),
                                    "secrets": notify_secrets(services)}))
    services.delays[path] = 30.0  # the server holds the request: we kill mid-send
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, str(CHILD), str(data_dir), str(settings)],
                             env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        assert wait_for(lambda: services.received(path), 30), "nothing was sent"
        assert "sending" in _statuses(data_dir).values()
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
        child.communicate(timeout=10)  # reaps it and closes its pipe
    services.delays.clear()
    return data_dir


def _restart(data_dir: Path, matrix, services) -> None:  # type: ignore[no-untyped-def]
    with LocalStore(data_dir, matrix) as store:
        runner = build_runner(store, config=notify_config(services),
                              secrets=StaticSecrets(notify_secrets(services)), claims=None,
                              sentiment=None)
        runner.run_once()


def test_kill_9_during_a_pagerduty_send_pages_once(tmp_path, matrix, services):
    path = "/pagerduty/v2/enqueue"
    data_dir = _crash_mid_send(tmp_path, matrix, services, path,
                               lambda store: open_ticket(store, "INC-1"))
    in_flight = services.received(path)[0].body["dedup_key"]
    _restart(data_dir, matrix, services)
    assert set(_statuses(data_dir).values()) == {"sent"}
    triggers = Counter(r.body["dedup_key"] for r in services.received(path))
    assert triggers[in_flight] == 2          # the resend after the restart...
    alert = services.alerts[in_flight]
    assert alert["incidents"] == 1 and alert["triggers"] == 2  # ...folded into one alert
    assert len(services.alerts) == 2         # primary and cc: one alert each


def test_kill_9_during_a_slack_send_is_at_least_once(tmp_path, matrix, services):
    path = "/slack/engineering"
    data_dir = _crash_mid_send(tmp_path, matrix, services, path,
                               lambda store: open_ticket(store, "INC-2", pct=10))
    _restart(data_dir, matrix, services)
    assert set(_statuses(data_dir).values()) == {"sent"}
    refs = Counter()
    for request in services.received("/slack/"):
        for block in request.body["blocks"]:
            if block["type"] == "context":
                refs[block["elements"][0]["text"].rsplit(" ", 1)[1]] += 1
    assert len(refs) == 2                    # #engineering and the cc to @cs-lead
    assert all(1 <= n <= 2 for n in refs.values())  # at least once, at most the in-flight
