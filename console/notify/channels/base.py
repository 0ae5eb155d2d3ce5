"""What every channel shares: the target, the result of one attempt, and HTTP posting.

A channel turns one message (or, for Slack and Teams, a digest of several) into one
request and says what happened: sent (with the service's id), retry later (maybe after
a server-given ``Retry-After``), or final (retrying cannot help). The dispatcher owns
retries, backoff, failover and dead letters; a channel never sleeps or loops.
"""

from __future__ import annotations

import email.utils
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

USER_AGENT = "escalation-console-notify/1"
HTTP_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class Target:
    """Who a delivery goes to on one channel: an address from the matrix (``#eng``,
    ``dana@example.com``, a PagerDuty integration name) and the contact behind it."""

    channel: str
    address: str
    contact: str = ""
    contact_name: str = ""


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """The outcome of one attempt.

    ``ok``: delivered. Otherwise ``final`` says retrying cannot help (a 4xx, an SMTP 5xx,
    a missing secret); ``retry_after`` is the wait the server asked for, in seconds."""

    ok: bool
    retry_after: float | None = None
    final: bool = False
    external_id: str = ""
    error: str = ""
    status: int | None = None
    #: failed for want of a secret: the dispatcher says where this installation keeps it
    missing_secret: bool = False

    @classmethod
    def sent(cls, external_id: str = "", status: int | None = None) -> DeliveryResult:
        return cls(True, external_id=external_id, status=status)

    @classmethod
    def retry(cls, error: str, retry_after: float | None = None,
              status: int | None = None) -> DeliveryResult:
        return cls(False, retry_after=retry_after, error=error, status=status)

    @classmethod
    def fail(cls, error: str, status: int | None = None) -> DeliveryResult:
        return cls(False, final=True, error=error, status=status)


class Channel(Protocol):
    """``send(message, target, secret) -> DeliveryResult``; never raises for a
    delivery problem. ``max_batch`` > 1 means a digest message may carry several
    alerts (``{"digest": [message, ...]}``); ``min_interval`` paces one target."""

    name: str
    max_batch: int
    min_interval: float
    cluster_wide: bool
    idempotent: bool

    def send(self, message: dict[str, Any], target: Target, secret: str | None
             ) -> DeliveryResult: ...


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP-date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass(frozen=True, slots=True)
class HttpReply:
    status: int
    headers: dict[str, str]
    body: str


def post_json(url: str, body: Any, headers: dict[str, str] | None = None,
              timeout: float = HTTP_TIMEOUT_S) -> HttpReply:
    """POST JSON; return the reply whatever its status. Raises OSError when no reply
    came (refused, reset, timed out)."""
    data = json.dumps(body, separators=(",", ":")).encode()
    request = urllib.request.Request(url, data=data, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": USER_AGENT, **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return HttpReply(response.status, {k.lower(): v for k, v in response.headers.items()},
                             response.read().decode(errors="replace"))
    except urllib.error.HTTPError as exc:
        try:
            text = exc.read().decode(errors="replace")
        except OSError:
            text = ""
        return HttpReply(exc.code, {k.lower(): v for k, v in (exc.headers or {}).items()}, text)
    except urllib.error.URLError as exc:
        reason = exc.reason
        raise OSError(str(reason) if not isinstance(reason, OSError) else reason) from None
    except TimeoutError as exc:
        raise OSError(f"timed out after {timeout:g} s") from exc


def classify_http(reply: HttpReply, what: str, *, retry_4xx: tuple[int, ...] = (408, 429)
                  ) -> DeliveryResult:
    """The usual HTTP rules: 2xx sent; 429/408 and 5xx retry (429 honours Retry-After);
    other 4xx final."""
    if 200 <= reply.status < 300:
        return DeliveryResult.sent(status=reply.status)
    detail = reply.body.strip().splitlines()[0][:200] if reply.body.strip() else ""
    error = f"{what} answered HTTP {reply.status}" + (f": {detail}" if detail else "")
    if reply.status in retry_4xx or reply.status >= 500:
        return DeliveryResult.retry(error, parse_retry_after(reply.headers.get("retry-after")),
                                    status=reply.status)
    return DeliveryResult.fail(error, status=reply.status)


def http_send(url: str, body: Any, what: str, headers: dict[str, str] | None = None,
              timeout: float = HTTP_TIMEOUT_S) -> tuple[DeliveryResult, HttpReply | None]:
    """post_json + classify_http; a network failure is a retry."""
    try:
        reply = post_json(url, body, headers, timeout)
    except OSError as exc:
        return DeliveryResult.retry(f"{what} unreachable: {exc}"), None
    return classify_http(reply, what), reply


def missing_secret(channel: str, address: str) -> DeliveryResult:
    where = f"{channel}:{address}" if address else channel
    return DeliveryResult(False, final=True, missing_secret=True,
                          error=f"no {channel} secret in the OS keyring for {where}; set it "
                                "in Notifications > Channels")
