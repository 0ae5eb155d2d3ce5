"""The service's HTTP endpoint (aiohttp): health, readiness, metrics and the intake API.

aiohttp runs in a thread of its own with its own event loop (``HttpServer``), so the
service's other threads (sync, notifier, lease) never wait on a request and no ASGI
server process has to be managed. Blocking work (the shared database, the local
store) runs in the loop's default executor; the loop itself only parses and answers.

Routes:
- ``GET /healthz``: 200 while the loop answers (liveness);
- ``GET /readyz``: 200 when the shared database is reachable, else 503 (readiness);
  the body says whether this instance is active or standing by, its sync lag and
  outbox depth, and whether it is ready to page (``ready_to_page``: active, and its
  notifier's start, from the engine's checkpoint or the whole log, is done);
- ``GET /metrics``: Prometheus text (``metrics``);
- ``POST /api/v1/events``: one event or a batch, bearer token (``intake``, ``tokens``);
- ``POST /api/v1/presets/zendesk``: a Zendesk trigger's webhook (``zendesk``);
- the PagerDuty and Slack webhooks of ``hooks`` when that module is installed.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import importlib.util
import logging
import math
import ssl
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from console.store.local import LocalStore
from console.store.server import SharedDatabase, SharedDBError

from .intake import Accepted, Planned, Problem, Rejected, Writer, decode_body, plan
from .metrics import make_registry
from .tokens import RateLimiter, TokenStore
from .zendesk import digest, map_payload

log = logging.getLogger(__name__)
T = TypeVar("T")
MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Request limits: the body cap (413 above it) and the per-token rate (429)."""

    max_body: int = MiB
    rate: float = 10.0      # requests a second per token, on average
    burst: int = 50         # requests a token may send at once


@dataclass
class HttpContext:
    """What the endpoint needs from the service (see the module docstring)."""

    db: SharedDatabase
    store: LocalStore
    author: str
    device: str
    clock: Callable[[], datetime]
    readiness: Callable[[], dict[str, Any]]
    secret: Callable[[str], str | None]
    wake: Callable[[], None]
    limits: Limits = field(default_factory=Limits)


def _problem(status: int, message: str, problems: list[Problem] | None = None,
             headers: dict[str, str] | None = None) -> web.Response:
    body: dict[str, Any] = {"error": message}
    if problems is not None:
        body["problems"] = [p.to_json() for p in problems]
    return web.json_response(body, status=status, headers=headers)


async def _blocking(fn: Callable[..., T], *args: Any) -> T:
    return await asyncio.get_running_loop().run_in_executor(None, functools.partial(fn, *args))


class _Api:
    """The handlers; one per application."""

    def __init__(self, ctx: HttpContext) -> None:
        self.ctx = ctx
        self.tokens = TokenStore(ctx.db)
        self.limiter = RateLimiter(ctx.limits.rate, ctx.limits.burst)
        self.writer = Writer(ctx.db, ctx.device, self._seen)
        self.registry = make_registry(ctx.store, ctx.readiness, ctx.clock)

    def _seen(self) -> str | None:
        with self.ctx.store.unit(read_only=True) as uow:
            return uow.meta.get("hlc")

    async def healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "alive"})

    async def readyz(self, request: web.Request) -> web.Response:
        try:
            ready = await _blocking(self.ctx.readiness)
        except Exception as exc:  # readiness must answer, even about itself failing
            log.warning("readiness check failed: %s", exc)
            ready = {"database": False, "error": str(exc)}
        return web.json_response(ready, status=200 if ready.get("database") else 503)

    async def metrics(self, request: web.Request) -> web.Response:
        body = await _blocking(generate_latest, self.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    # -- the intake ---------------------------------------------------------------------
    async def events(self, request: web.Request) -> web.Response:
        return await self._intake(request, self._plan_events)

    async def zendesk(self, request: web.Request) -> web.Response:
        return await self._intake(request, self._plan_zendesk)

    def _plan_events(self, body: Any, integration: str, key: str | None) -> list[Planned]:
        return plan(body, self.ctx.store.matrix, integration=integration, idempotency_key=key)

    def _plan_zendesk(self, body: Any, integration: str, key: str | None) -> list[Planned]:
        matrix = self.ctx.store.matrix

        def current(ticket: str) -> Any:
            with self.ctx.store.unit(read_only=True) as uow:
                return uow.tickets.get(ticket)

        events = map_payload(body, now=self.ctx.clock(), current=current,
                             severities={s.id for s in matrix.severities})
        if key is not None:  # the header scopes the ids instead of the content
            events = [{**e, "id": digest(f"{key}\x1f{e['id']}")} for e in events]
        return plan(events, matrix, integration=integration) if events else []

    async def _intake(self, request: web.Request,
                      planner: Callable[[Any, str, str | None], list[Planned]]
                      ) -> web.Response:
        limit = self.ctx.limits.max_body
        if request.content_length is not None and request.content_length > limit:
            return _problem(413, f"the body is over {limit} bytes")
        integration = await self._authorize(request)
        if isinstance(integration, web.Response):
            return integration
        wait = self.limiter.take(integration)
        if wait > 0:
            return _problem(429, f"too many requests for token {integration!r}; "
                                 f"at most {self.ctx.limits.rate:g} a second",
                            headers={"Retry-After": str(max(1, math.ceil(wait)))})
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _problem(413, f"the body is over {limit} bytes")
        key = request.headers.get("Idempotency-Key")
        if key is not None and not 0 < len(key) <= 200:
            return _problem(400, "Idempotency-Key: expected 1 to 200 characters")
        try:
            planned = await _blocking(planner, decode_body(raw), integration, key)
            accepted = (await _blocking(self.writer.write, planned, f"api:{integration}",
                                        self.ctx.clock)
                        if planned else Accepted([], 0))
        except Rejected as exc:
            return _problem(exc.status, "nothing was written: the request has "
                                        f"{len(exc.problems)} problem(s)", exc.problems)
        except SharedDBError as exc:
            log.warning("intake: the shared database failed: %s", exc)
            return _problem(503, "the shared database is unavailable; nothing was written, "
                                 "send it again", headers={"Retry-After": "5"})
        if accepted.new:
            self.ctx.wake()
        return web.json_response({"accepted": len(accepted.ids), "new": accepted.new,
                                  "duplicates": len(accepted.ids) - accepted.new,
                                  "ids": accepted.ids})

    async def _authorize(self, request: web.Request) -> str | web.Response:
        challenge = {"WWW-Authenticate": 'Bearer realm="escalation-console"'}
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _problem(401, "missing bearer token: send 'Authorization: Bearer TOKEN' "
                                 "('serve tokens add NAME' makes one)", headers=challenge)
        try:
            name = await _blocking(self.tokens.verify, token.strip())
        except SharedDBError as exc:
            log.warning("intake: cannot check tokens: %s", exc)
            return _problem(503, "the shared database is unavailable; send it again",
                            headers={"Retry-After": "5"})
        if name is None:
            return _problem(401, "the token is unknown or revoked", headers=challenge)
        return name


@web.middleware
async def _errors(request: web.Request,
                  handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                  ) -> web.StreamResponse:
    """JSON for every error, and no traceback to the client."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _problem(exc.status, exc.reason, headers={
            k: v for k, v in exc.headers.items() if k.lower() in ("allow", "retry-after")})
    except Exception:
        log.exception("HTTP %s %s failed", request.method, request.path)
        return _problem(500, "internal error; see the service's log")


def make_app(ctx: HttpContext) -> web.Application:
    """The application: our routes, plus ``hooks.routes(ctx)`` when that module exists."""
    api = _Api(ctx)
    app = web.Application(client_max_size=ctx.limits.max_body, middlewares=[_errors])
    app.add_routes([
        web.get("/healthz", api.healthz),
        web.get("/readyz", api.readyz),
        web.get("/metrics", api.metrics),
        web.post("/api/v1/events", api.events),
        web.post("/api/v1/presets/zendesk", api.zendesk),
    ])
    if importlib.util.find_spec(f"{__package__}.hooks") is not None:
        hooks = importlib.import_module(f"{__package__}.hooks")
        app.add_routes(hooks.routes(ctx))
    return app


def _loop_error(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """A client that fails the TLS handshake (plain HTTP on the HTTPS port, a scanner)
    is the client's problem: one info line, not asyncio's error with a traceback."""
    exc = context.get("exception")
    if isinstance(exc, ssl.SSLError):
        log.info("TLS handshake failed: %s", exc)
        return
    loop.default_exception_handler(context)


class HttpServer:
    """Serves an application from a thread with its own event loop."""

    def __init__(self, app: web.Application, host: str = "127.0.0.1", port: int = 8787,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.app, self.host, self._port, self.ssl_context = app, host, port, ssl_context
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def port(self) -> int:
        """The port it listens on (the one the OS chose when constructed with 0)."""
        return self._port

    def start(self, timeout: float = 10.0) -> None:
        """Listen; returns once the socket is bound (raises OSError if it cannot be)."""
        self._thread = threading.Thread(target=self._run, name="http", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError(f"the HTTP server did not start within {timeout:g} s")
        if self._error is not None:
            self._thread.join(timeout)
            raise self._error

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        loop.set_exception_handler(_loop_error)
        self._loop = loop
        try:
            try:
                loop.run_until_complete(self._listen())
            except BaseException as exc:
                self._error = exc
                return
            finally:
                self._ready.set()
            loop.run_forever()
        finally:
            if self._runner is not None:
                loop.run_until_complete(self._close(self._runner))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()

    async def _listen(self) -> None:
        runner = web.AppRunner(self.app, shutdown_timeout=1.0)
        await runner.setup()
        self._runner = runner
        site = web.TCPSite(runner, self.host, self._port, ssl_context=self.ssl_context)
        await site.start()
        self._port = int(runner.addresses[0][1])

    @staticmethod
    async def _close(runner: web.AppRunner) -> None:
        """Finish the requests in flight, then drop the connections still open: a TLS
        connection's polite close waits for the peer's close_notify, which a client
        that went away never sends, and would outlive the loop."""
        server = runner.server
        transports = [h.transport for h in (server.connections if server else [])
                      if h.transport is not None]
        await runner.cleanup()
        for transport in transports:
            transport.abort()
        await asyncio.sleep(0)  # one turn: the aborted sockets close

    def stop(self, timeout: float = 3.0) -> None:
        """Stop listening, finish the requests in flight, close the loop."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if thread.is_alive() and not loop.is_closed():
            loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        self._thread = None
