"""Fixtures for the service tests: a real PostgreSQL and real ``serve`` processes.

- ``pg_server``: the session's throwaway cluster ($ESCALATION_CONSOLE_TEST_PG_URL if
  set), as in tests/store; without PostgreSQL binaries the tests that need it skip.
- ``pg``: a fresh database per test, migrated (``pg.url``, ``pg.shared()``,
  ``pg.query(sql)``); ``bare_pg``: one without a schema.
- ``serve_config(url, **settings)``: writes a TOML configuration (state_dir in
  tmp_path, listen on a free port) and returns its path.
- ``start_serve(config, *args, env=...)``: starts ``python -m console serve --config
  FILE --log-format json`` and returns a :class:`ServeProcess`; every one still running
  at the end of the test is killed and reaped.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the cluster helper is shared with benchmarks/sync
    sys.path.insert(0, str(ROOT))

from shared_fixtures import Pg, database  # noqa: E402

from benchmarks.pgcluster import ExternalPg, PgCluster, free_port  # noqa: E402

# Variables a developer's shell may hold that would change what a test's serve does.
_OURS = ("ESCALATION_SERVICE_", "ESCALATION_SECRET_", "CREDENTIALS_DIRECTORY", "NOTIFY_SOCKET",
         "PGPASSWORD")


@pytest.fixture
def pg(pg_server: PgCluster | ExternalPg) -> Iterator[Pg]:
    """A fresh, migrated database."""
    yield from database(pg_server, prefix="svc")


@pytest.fixture
def bare_pg(pg_server: PgCluster | ExternalPg) -> Iterator[Pg]:
    """A fresh database without any schema."""
    yield from database(pg_server, migrate=False, prefix="svc")


def toml_text(settings: dict[str, Any]) -> str:
    """Settings as TOML: scalars first, then one table per nested mapping."""
    def value(v: Any) -> str:
        return json.dumps(v) if not isinstance(v, bool) else ("true" if v else "false")

    def emit(prefix: str, table: dict[str, Any]) -> list[str]:
        lines = [f"{k} = {value(v)}" for k, v in table.items() if not isinstance(v, dict)]
        for k, v in table.items():
            if isinstance(v, dict):
                name = f"{prefix}.{k}" if prefix else k
                lines += ["", f"[{name}]", *emit(name, v)]
        return lines

    return "\n".join(emit("", settings)) + "\n"


def config_file(directory: Path, url: str, name: str = "service", **settings: Any) -> Path:
    """directory/<name>.toml; state_dir is directory/<name>-state and listen a free
    port on 127.0.0.1 unless given (benchmarks/service uses it outside pytest)."""
    full = {"database_url": url, "state_dir": str(directory / f"{name}-state"),
            "listen": f"127.0.0.1:{free_port()}", "takeover_seconds": 3,
            "instance": name, **settings}
    path = directory / f"{name}.toml"
    path.write_text(toml_text(full), encoding="utf-8")
    return path


@pytest.fixture
def serve_config(tmp_path: Path) -> Callable[..., Path]:
    """serve_config(url, name="service", **settings) -> a TOML file in tmp_path
    (``config_file``)."""
    def make(url: str, name: str = "service", **settings: Any) -> Path:
        return config_file(tmp_path, url, name, **settings)

    return make


def clean_env(**extra: str) -> dict[str, str]:
    """The test's environment without service settings or secrets, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OURS)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return {**env, **extra}


class ServeProcess:
    """A running ``escalation-console serve`` with its JSON log lines collected."""

    def __init__(self, args: list[str], env: dict[str, str], python: tuple[str, ...] = ()
                 ) -> None:
        self.args = args
        self.proc = subprocess.Popen([sys.executable, *python, "-m", "console", *args],
                                     env=env, cwd=ROOT, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, encoding="utf-8", errors="replace")
        self.logs: list[dict[str, Any]] = []
        self.other: list[str] = []  # stderr lines that are not JSON (e.g. -X importtime)
        self.stdout: list[str] = []
        self._cond = threading.Condition()
        self._eof = 0
        self._readers = [threading.Thread(target=self._read, args=(stream, sink), daemon=True)
                         for stream, sink in ((self.proc.stderr, None),
                                              (self.proc.stdout, self.stdout))]
        for reader in self._readers:
            reader.start()

    def _read(self, stream: Any, sink: list[str] | None) -> None:
        for line in stream:
            with self._cond:
                if sink is not None:
                    sink.append(line.rstrip("\n"))
                else:
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        entry = None
                    if isinstance(entry, dict):
                        self.logs.append(entry)
                    else:
                        self.other.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._eof += 1
            self._cond.notify_all()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def find(self, match: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
        with self._cond:
            return next((e for e in self.logs if match(e)), None)

    def wait_log(self, match: Callable[[dict[str, Any]], bool] | str,
                 timeout: float = 60.0) -> dict[str, Any]:
        """The first log entry that matches (a predicate, or a message); fails the test
        with the log so far when the process ends or the time runs out first."""
        if isinstance(match, str):
            message = match
            match = lambda e: e.get("message") == message  # noqa: E731
        predicate = match
        found: list[dict[str, Any]] = []

        def ready() -> bool:
            hit = next((e for e in self.logs if predicate(e)), None)
            if hit is not None:
                found.append(hit)
            return hit is not None or self._eof == len(self._readers)

        with self._cond:
            self._cond.wait_for(ready, timeout)
        if not found:
            pytest.fail(f"serve did not log what was awaited within {timeout:g} s "
                        f"(exit {self.proc.poll()}):\n{self.log_text()}")
        return found[0]

    def wait_ready(self, timeout: float = 60.0) -> int:
        """Wait for the "serving" line; returns the HTTP port."""
        return int(self.wait_log("serving", timeout)["port"])

    def wait_active(self, timeout: float = 60.0) -> int:
        """Wait until it serves and holds the lease; returns the HTTP port."""
        port = self.wait_ready(timeout)
        self.wait_log(lambda e: e.get("role") == "active", timeout)
        return port

    def log_text(self) -> str:
        with self._cond:
            return "\n".join([json.dumps(e) for e in self.logs] + self.other)

    def signal(self, signum: int = signal.SIGTERM) -> float:
        """Send a signal; returns the monotonic time it was sent."""
        os.kill(self.proc.pid, signum)
        return time.monotonic()

    def wait(self, timeout: float) -> int:
        """The exit code, once the process ended and its output was read."""
        code = self.proc.wait(timeout)
        for reader in self._readers:
            reader.join(timeout)
        return code

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(30)
        for reader in self._readers:
            reader.join(10)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def start_serve() -> Iterator[Callable[..., ServeProcess]]:
    """start_serve(config, *args, env=None, python=()) -> a ServeProcess (JSON logs)."""
    started: list[ServeProcess] = []

    def start(config: Path | None, *args: str, env: dict[str, str] | None = None,
              python: tuple[str, ...] = ()) -> ServeProcess:
        argv = ["serve", *(["--config", str(config)] if config is not None else []),
                "--log-format", "json", *args]
        process = ServeProcess(argv, env if env is not None else clean_env(), python)
        started.append(process)
        return process

    yield start
    for process in started:
        process.close()


def send_pagerduty_ack(port: int, secret: str, event_id: str, incident_key: str) -> Any:
    """POST a signed PagerDuty v3 ``incident.acknowledged`` webhook for the alert whose
    dedup key is ``incident_key`` to a serve's hook; returns the requests response."""
    import requests

    from console.service.http import hooks

    body = json.dumps({"event": {
        "id": event_id, "event_type": "incident.acknowledged", "resource_type": "incident",
        "occurred_at": "2026-03-02T10:01:00Z",
        "agent": {"id": "PDANA01", "summary": "Dana Oncall", "type": "user_reference"},
        "data": {"id": "PINC001", "type": "incident", "status": "acknowledged",
                 "incident_key": incident_key}}}).encode()
    return requests.post(
        f"http://127.0.0.1:{port}{hooks.PAGERDUTY_PATH}", data=body, timeout=10,
        headers={"X-PagerDuty-Signature": hooks.pagerduty_signature(secret, body)})
