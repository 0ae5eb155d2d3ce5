"""Local stand-ins for Slack, Teams, PagerDuty Events v2, a generic webhook and an SMTP
server with STARTTLS, on 127.0.0.1 only. Shared by tests/notify and the benchmark.

They behave like the real services where our client's behaviour depends on it:
Slack answers ``ok``, and ``429`` with ``Retry-After`` beyond its rate; PagerDuty
answers 202 with the dedup_key and keeps one alert per dedup_key (a trigger for an
open alert is folded into it); SMTP offers STARTTLS (self-signed certificate) and can
answer 4xx then accept, or 5xx. Every request is recorded, and so is every request
that came back before the Retry-After the server asked for.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Request:
    at: float
    path: str
    body: Any
    headers: dict[str, str]
    status: int


@dataclass
class Reply:
    status: int
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class FakeServices:
    """One HTTP server: /slack/<hook>, /teams/<hook>, /pagerduty/v2/enqueue, /hook/<name>."""

    def __init__(self, *, slack_rate: float | None = None, slack_throttle_every: int = 0,
                 throttle_retry_after: int = 2) -> None:
        self.slack_rate = slack_rate           # messages per second per Slack hook
        # every Nth Slack message that the rate allows is refused anyway (429), as a
        # workspace-wide limit the client cannot see coming would
        self.slack_throttle_every = slack_throttle_every
        self.throttle_retry_after = throttle_retry_after
        self._slack_allowed = 0
        self.requests: list[Request] = []
        self.scripts: dict[str, list[Reply]] = {}   # path prefix -> replies to give first
        self.delays: dict[str, float] = {}
        self.routing_keys: set[str] = {"R-ONCALL", "R-EXEC", "R-TEST"}
        self.alerts: dict[str, dict[str, Any]] = {}  # dedup_key -> alert
        self.early: list[Request] = []          # came back before Retry-After expired
        self._retry_until: dict[str, float] = {}
        self._last_ok: dict[str, float] = {}
        self._lock = threading.Lock()
        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeServices:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def pagerduty_url(self) -> str:
        return self.url("/pagerduty/v2/enqueue")

    def script(self, prefix: str, *replies: Reply) -> None:
        with self._lock:
            self.scripts.setdefault(prefix, []).extend(replies)

    def received(self, prefix: str, status: int | None = None) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path.startswith(prefix)
                    and (status is None or r.status == status)]

    # -- behaviour ----------------------------------------------------------------------
    def _scripted(self, path: str) -> Reply | None:
        for prefix, replies in self.scripts.items():
            if path.startswith(prefix) and replies:
                return replies.pop(0)
        return None

    def _respond(self, path: str, body: Any, headers: dict[str, str]) -> Reply:
        now = time.monotonic()
        until = self._retry_until.get(path)
        if until is not None and now < until:
            self.early.append(Request(now, path, body, headers, 0))
        scripted = self._scripted(path)
        if scripted is not None:
            if scripted.status == 429:
                wait = float(scripted.headers.get("Retry-After", "1"))
                self._retry_until[path] = now + wait
            return scripted
        if path.startswith("/slack/"):
            return self._slack(path, body, now)
        if path.startswith("/teams/"):
            return Reply(202)
        if path.startswith("/pagerduty/"):
            return self._pagerduty(body)
        if path.startswith("/hook/"):
            return Reply(200, '{"ok":true}')
        return Reply(404, "no such endpoint")

    def _slack(self, path: str, body: Any, now: float) -> Reply:
        if not isinstance(body, dict) or not (body.get("text") or body.get("blocks")):
            return Reply(400, "invalid_payload")
        if self.slack_rate:
            last = self._last_ok.get(path)
            gap = 1.0 / self.slack_rate
            if last is not None and now - last < gap:
                wait = max(1, math.ceil(gap - (now - last)))
                self._retry_until[path] = now + wait
                return Reply(429, "rate_limited", {"Retry-After": str(wait)})
        if self.slack_throttle_every:
            self._slack_allowed += 1
            if self._slack_allowed % self.slack_throttle_every == 0:
                self._retry_until[path] = now + self.throttle_retry_after
                return Reply(429, "rate_limited",
                             {"Retry-After": str(self.throttle_retry_after)})
        if self.slack_rate:
            self._last_ok[path] = now
        return Reply(200, "ok")

    def _pagerduty(self, body: Any) -> Reply:
        if not isinstance(body, dict) or body.get("routing_key") not in self.routing_keys:
            return Reply(400, json.dumps({"status": "invalid event",
                                          "message": "Event object is invalid",
                                          "errors": ["Invalid routing key"]}))
        action = body.get("event_action")
        key = body.get("dedup_key") or f"pd-{len(self.alerts)}"
        alert = self.alerts.get(key)
        if action == "trigger":
            if "payload" not in body:
                return Reply(400, '{"status":"invalid event"}')
            if alert is None or alert["status"] == "resolved":
                self.alerts[key] = {"status": "triggered", "triggers": 1, "body": body,
                                    "incidents": (alert or {}).get("incidents", 0) + 1}
            else:
                alert["triggers"] += 1  # deduplicated into the open alert
        elif action in ("acknowledge", "resolve"):
            if alert is not None:
                alert["status"] = "acknowledged" if action == "acknowledge" else "resolved"
        else:
            return Reply(400, '{"status":"invalid event"}')
        return Reply(202, json.dumps({"status": "success", "message": "Event processed",
                                      "dedup_key": key}))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        services = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw.decode(errors="replace")
                headers = {k.lower(): v for k, v in self.headers.items()}
                with services._lock:
                    reply = services._respond(self.path, body, headers)
                    delay = reply.delay or services.delays.get(self.path, 0.0)
                    services.requests.append(Request(time.monotonic(), self.path, body,
                                                     headers, reply.status))
                if delay:
                    time.sleep(delay)
                data = reply.body.encode()
                self.send_response(reply.status)
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "text/plain" if "slack" in self.path
                                 else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


# -- SMTP ----------------------------------------------------------------------------------
def self_signed_cert(directory: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """(cert.pem, key.pem) for ``host``, made with the cryptography package."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(host)), x509.DNSName("localhost")]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class FakeSmtp:
    """aiosmtpd with STARTTLS required and AUTH (user ``console``, password ``s3cret``).

    ``rcpt_rules[address]`` is a list of SMTP replies to give RCPT TO before accepting
    (e.g. ``["451 4.7.1 greylisted"]``) or a permanent one (``"550 5.1.1 no such user"``)."""

    USER, PASSWORD = "console", "s3cret"

    def __init__(self, directory: Path | None = None) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        self._tmp = tempfile.TemporaryDirectory() if directory is None else None
        base = Path(self._tmp.name) if self._tmp else directory
        self.cert, self.key = self_signed_cert(base)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        self.messages: list[Any] = []
        self.rcpt_rules: dict[str, list[str] | str] = {}
        self.rcpt_log: list[tuple[str, str]] = []
        smtp = self

        class Handler:

            async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]
                rule = smtp.rcpt_rules.get(address)
                if isinstance(rule, list) and rule:
                    reply = rule.pop(0)
                    smtp.rcpt_log.append((address, reply))
                    return reply
                if isinstance(rule, str):
                    smtp.rcpt_log.append((address, rule))
                    return rule
                smtp.rcpt_log.append((address, "250"))
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
                msg = message_from_bytes(envelope.content)
                smtp.messages.append({"to": list(envelope.rcpt_tos), "msg": msg,
                                      "tls": session.ssl is not None,
                                      "auth": session.authenticated})
                return "250 Message accepted for delivery"

        def authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
            ok = (getattr(auth_data, "login", b"") == smtp.USER.encode()
                  and getattr(auth_data, "password", b"") == smtp.PASSWORD.encode())
            return AuthResult(success=ok, handled=False)

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port,
                                     tls_context=context, require_starttls=True,
                                     authenticator=authenticator, auth_require_tls=True)

    def __enter__(self) -> FakeSmtp:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            self.controller.stop()
        if self._tmp is not None:
            self._tmp.cleanup()

    def settings(self) -> dict[str, Any]:
        return {"host": "127.0.0.1", "port": self.port, "username": self.USER,
                "sender": "console@example.com", "starttls": True, "cafile": str(self.cert),
                "timeout": 10}


def wait_for(condition: Callable[[], Any], timeout: float, interval: float = 0.02) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())


def notify_secrets(services: FakeServices) -> dict[str, str]:
    """Keyring-equivalent secrets pointing every channel at the fake services."""
    return {
        "pagerduty:engineering-oncall": "R-ONCALL",
        "pagerduty:executive-escalation": "R-EXEC",
        "slack:#engineering": services.url("/slack/engineering"),
        "slack:default": services.url("/slack/default"),
        "teams:default": services.url("/teams/default"),
        "webhook:default": services.url("/hook/default"),
        "email:password": FakeSmtp.PASSWORD,
    }


def notify_config(services: FakeServices, smtp: FakeSmtp | None = None,
                  **overrides: Any) -> dict[str, Any]:
    """The ``notify`` settings for the fake services (fast retries for tests)."""
    config: dict[str, Any] = {
        "slack": {"min_interval": 1.0, "max_batch": 20},
        "teams": {"min_interval": 0.0, "max_batch": 10},
        "email": smtp.settings() if smtp is not None else {},
        "pagerduty": {"events_url": services.pagerduty_url},
        "webhook": {},
        "retry": {"base": 1.0, "cap": 30.0, "max_attempts": 5},
        "offline_grace_seconds": 120.0,
        "lease_seconds": 120.0,
    }
    config.update(overrides)
    return config
