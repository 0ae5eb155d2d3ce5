"""The HTTP tests' rig: the real HttpServer (its own thread and loop, port 0) over a
context like the service's, in front of a real throwaway PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from console.service.http.server import HttpContext, HttpServer, Limits, make_app
from console.service.http.tokens import TokenStore
from console.store.local import LocalStore
from console.store.server import SharedDatabase, SharedDBError

EVENTS = "/api/v1/events"
T0 = datetime(2026, 3, 2, 10, tzinfo=UTC)


def opened(ticket: str = "ZD-1", at: datetime = T0, **facts: Any) -> dict[str, Any]:
    return {"at": at.isoformat(), "ticket": ticket, "type": "opened",
            "title": "Checkout fails", "account": "Acme", "users_affected_pct": 60,
            "workaround": "none", **facts}


@dataclass
class Service:
    """An HttpServer over a context like the service's."""

    pg: Any
    db: SharedDatabase
    store: LocalStore
    limits: Limits
    ready: dict[str, Any] = field(default_factory=dict)
    wakes: list[int] = field(default_factory=list)
    server: HttpServer | None = None
    token: str = ""

    def readiness(self) -> dict[str, Any]:
        """As the service answers: the database's reachability is checked live."""
        try:
            self.db.check()
            up = True
        except SharedDBError:
            up = False
        return {**self.ready, "database": up}

    def start(self) -> Service:
        ctx = HttpContext(db=self.db, store=self.store, author="service", device="svc1",
                          clock=lambda: datetime.now(UTC), readiness=self.readiness,
                          secret=lambda name: None, wake=lambda: self.wakes.append(1),
                          limits=self.limits)
        self.server = HttpServer(make_app(ctx), port=0)
        self.server.start()
        return self

    def url(self, path: str) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.port}{path}"

    def post(self, path: str, body: Any = None, *, data: bytes | None = None,
             token: str | None = None, headers: dict[str, str] | None = None
             ) -> requests.Response:
        sent = {"Content-Type": "application/json", **(headers or {})}
        token = self.token if token is None else token
        if token:
            sent["Authorization"] = f"Bearer {token}"
        payload = data if data is not None else json.dumps(body).encode()
        return requests.post(self.url(path), data=payload, headers=sent, timeout=10)

    def get(self, path: str) -> requests.Response:
        return requests.get(self.url(path), timeout=10)

    def rows(self) -> list[tuple[Any, ...]]:
        return self.pg.query("SELECT id, ticket, kind, payload, author, device, hlc, at "
                             "FROM events ORDER BY seq")


@pytest.fixture
def make_service(pg, tmp_path, matrix) -> Iterator[Callable[..., Service]]:
    admin = SharedDatabase(pg.url)
    token = TokenStore(admin).add("zendesk")
    admin.close()
    made: list[Service] = []

    def make(limits: Limits | None = None, db_url: str | None = None) -> Service:
        store = LocalStore(tmp_path / f"svc{len(made)}", matrix).open()
        service = Service(pg, SharedDatabase(db_url or pg.url), store, limits or Limits(),
                          ready={"role": "active", "sync_lag_seconds": 0.25,
                                 "outbox_depth": 3}, token=token)
        made.append(service)
        return service.start()

    yield make
    for service in made:
        if service.server is not None:
            service.server.stop()
        service.store.close()
        service.db.close()
