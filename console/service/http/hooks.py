"""Acknowledgements from outside: PagerDuty v3 webhooks and Slack's Acknowledge button.

- ``POST /hooks/pagerduty`` receives a PagerDuty v3 webhook subscription's deliveries:
  ``incident.acknowledged`` and ``incident.resolved`` become ``acknowledged`` and
  ``resolved`` events on the console ticket whose alert opened the incident.
- ``POST /hooks/slack`` is a Slack app's interactivity Request URL: a click on the
  Acknowledge button of one of our messages becomes an ``acknowledged`` event.

Both check the sender's signature over the raw body before they read anything else:
an unsigned, badly signed or (Slack) stale request gets 401 and changes nothing. A hook
whose secret is not configured answers 503 and reads nothing: it is this instance's
fault, not the sender's, and PagerDuty retries a 5xx for about 20 minutes while it
drops a 4xx for good. Events go straight to the shared database, committed before the
2xx, with ids derived from the sender's own ids (uuid5): a delivery PagerDuty retries,
or a click Slack sends twice, is recorded once.

Where the dedup key is (PagerDuty v3): the body is ``{"event": {...}}`` with
``event.id`` (unique, the same on every retry), ``event.event_type``, ``event.agent``
(who did it; ``summary`` is a user's name) and ``event.data``, the incident. The
incident has no ``dedup_key`` field: an incident opened by an Events API v2 alert
carries that alert's dedup key as ``data.incident_key``. Ours are ``ec/TICKET/REF``
(``console.notify.message.pd_dedup_key``); ``console.app.notify_ops.alert_ticket``,
which ``notify pd-ack`` uses too, maps one to its ticket. Anything else (another
tool's incident, a ticket this instance does not know, other event types, PagerDuty's
``pagey.ping``, or PagerDuty echoing an acknowledgement the console itself sent it) is
answered 200 and ignored, so PagerDuty neither retries it nor disables the
subscription.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import json
import logging
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qs

import aiohttp
from aiohttp import web

from console.app.notify_ops import alert_ticket, pagerduty_ack_payload
from console.app.secrets import SecretsError
from console.domain.hlc import HybridClock, to_ms
from console.notify.message import SLACK_ACK_ACTION, slack_ack_value, ticket_from_dedup_key
from console.store.deliveries import DeliveryOutbox
from console.store.errors import StoreError
from console.store.records import StoredEvent
from console.store.server import SharedDBError

if TYPE_CHECKING:
    from console.store.local import LocalStore

    from .server import HttpContext

log = logging.getLogger(__name__)
T = TypeVar("T")

PAGERDUTY_PATH = "/hooks/pagerduty"
SLACK_PATH = "/hooks/slack"
PAGERDUTY_SECRET = "pagerduty_webhook_secret"
SLACK_SECRET = "slack_signing_secret"
SLACK_REPLAY_WINDOW = 300.0  # seconds: Slack's own advice
PAGERDUTY_KINDS = {"incident.acknowledged": "acknowledged", "incident.resolved": "resolved"}
# the namespace of the event ids derived from PagerDuty's and Slack's ids (never change it:
# a retried delivery must map to the id its first delivery got)
EVENT_NAMESPACE = uuid.UUID("6f1d7c62-52a5-4c1e-9a43-2d0c5d1e8b17")


# -- signatures ---------------------------------------------------------------------------
def pagerduty_signature(secret: str, body: bytes) -> str:
    """``v1=`` + the hex HMAC-SHA256 of the raw body: one signature PagerDuty sends."""
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def pagerduty_signed(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``X-PagerDuty-Signature`` holds a valid signature of ``body``. While a
    secret rotates the header carries several, comma-separated; one valid is enough.
    Each is compared in constant time."""
    if not header:
        return False
    expected = pagerduty_signature(secret, body).encode()
    return any(hmac.compare_digest(expected, part.strip().encode())
               for part in header.split(","))


def slack_signature(secret: str, timestamp: str, body: bytes) -> str:
    """``v0=`` + the hex HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def slack_refusal(secret: str, body: bytes, timestamp: str | None, signature: str | None,
                  now: datetime) -> str | None:
    """Why a Slack request is refused (None: it is signed and fresh). A timestamp more
    than five minutes from ``now`` is refused, so a captured request cannot be replayed
    later."""
    if not timestamp or not signature:
        return "unsigned"
    try:
        sent = int(timestamp)
    except ValueError:
        return "bad timestamp"
    if abs(now.timestamp() - sent) > SLACK_REPLAY_WINDOW:
        return "stale timestamp"
    if not hmac.compare_digest(slack_signature(secret, timestamp, body).encode(),
                               signature.encode()):
        return "bad signature"
    return None


# -- the hooks -----------------------------------------------------------------------------
def routes(ctx: HttpContext) -> list[web.RouteDef]:
    """The hooks' routes, for ``make_app``."""
    hooks = Hooks(ctx)
    return [web.post(PAGERDUTY_PATH, hooks.pagerduty), web.post(SLACK_PATH, hooks.slack)]


def _answer(status: int, **body: Any) -> web.Response:
    return web.json_response(body, status=status)


class Hooks:
    """The two handlers over one context. Database and store work runs in the default
    executor, so a slow database never stalls the event loop."""

    def __init__(self, ctx: HttpContext) -> None:
        self.ctx = ctx
        # events written here need an HLC stamp; their own clock (a device name of its
        # own) keeps their stamps distinct from the local store's
        self._hlc = HybridClock(f"{ctx.device.replace('-', '_')}.hooks")
        self._hlc_lock = threading.Lock()

    async def _off_loop(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(None, work)

    def _secret(self, name: str) -> str | None:
        try:
            return self.ctx.secret(name) or None
        except SecretsError as exc:  # a broken source (an unreadable file): refuse, say why
            log.error("secret %s is unusable: %s", name, exc)
            return None

    def _event(self, event_id: str, ticket: str, kind: str, payload: dict[str, Any],
               author: str) -> StoredEvent:
        at = self.ctx.clock().astimezone(UTC)
        with self._hlc_lock:
            stamp = self._hlc.now(to_ms(at)).encode()
        return StoredEvent(event_id, ticket, kind, payload, author, self.ctx.device, stamp, at)

    async def _record(self, event: StoredEvent) -> web.Response | None:
        """Push the event (committed when this returns None), then wake sync; a
        database failure is a 503, which PagerDuty retries."""
        try:
            await self._off_loop(lambda: self.ctx.db.push([event], all_or_none=True))
        except SharedDBError as exc:
            log.error("could not record %s of %s: %s", event.kind, event.ticket, exc)
            return _answer(503, error="the shared database is unavailable; try again")
        self.ctx.wake()
        log.info("%s %s from %s (event %s)", event.ticket, event.kind, event.author, event.id)
        return None

    # -- PagerDuty ------------------------------------------------------------------------
    async def pagerduty(self, request: web.Request) -> web.Response:
        secret = self._secret(PAGERDUTY_SECRET)
        if secret is None:
            return _answer(503, error=f"PagerDuty webhooks are not configured here (no "
                                      f"{PAGERDUTY_SECRET} secret)")
        body = await request.read()
        if not pagerduty_signed(secret, body, request.headers.get("X-PagerDuty-Signature")):
            log.warning("refused a PagerDuty webhook from %s: missing or bad signature",
                        request.remote)
            return _answer(401, error="missing or bad X-PagerDuty-Signature")
        try:
            event = json.loads(body)["event"]
            event_type = str(event.get("event_type") or "")
            event_id = str(event["id"])
            data = event.get("data") or {}
        except (ValueError, KeyError, TypeError, AttributeError):
            return _answer(400, error="not a PagerDuty v3 webhook: expected "
                                      '{"event": {"id": ..., "event_type": ..., "data": ...}}')
        kind = PAGERDUTY_KINDS.get(event_type)
        if kind is None:
            return _answer(200, ignored=f"event type {event_type or '(none)'!r}")
        key = data.get("incident_key") if isinstance(data, dict) else None
        if not isinstance(key, str) or ticket_from_dedup_key(key) is None:
            return _answer(200, ignored="not an incident raised by the console")
        try:
            ticket = await self._off_loop(
                functools.partial(alert_ticket, self.ctx.store, key, ticket_ids=False))
            echo = ticket is not None and await self._off_loop(
                functools.partial(told_pagerduty, self.ctx.store, ticket, key, kind))
        except StoreError as exc:
            log.error("PagerDuty webhook: cannot read the local store: %s", exc)
            return _answer(503, error="the local store is unavailable; try again")
        if ticket is None:
            log.warning("PagerDuty %s for %s: no such ticket here", event_type, key)
            return _answer(200, ignored=f"no ticket {ticket_from_dedup_key(key)!r} here")
        if echo:
            return _answer(200, ignored=f"the console {kind} {ticket} itself")
        agent = event.get("agent") if isinstance(event.get("agent"), dict) else {}
        by = str(agent.get("summary") or agent.get("id") or "pagerduty")
        payload = pagerduty_ack_payload(
            key, by, incident=str(data.get("id") or ""), webhook_event=event_id,
            occurred_at=str(event.get("occurred_at") or ""))
        stored = self._event(str(uuid.uuid5(EVENT_NAMESPACE, f"pagerduty:{event_id}")),
                             ticket, kind, payload, "pagerduty")
        failed = await self._record(stored)
        return failed or _answer(200, recorded=kind, ticket=ticket, event=stored.id)

    # -- Slack ----------------------------------------------------------------------------
    async def slack(self, request: web.Request) -> web.StreamResponse:
        secret = self._secret(SLACK_SECRET)
        if secret is None:
            return _answer(503, error=f"Slack interactivity is not configured here (no "
                                      f"{SLACK_SECRET} secret)")
        body = await request.read()
        refusal = slack_refusal(secret, body, request.headers.get("X-Slack-Request-Timestamp"),
                                request.headers.get("X-Slack-Signature"), self.ctx.clock())
        if refusal is not None:
            log.warning("refused a Slack request from %s: %s", request.remote, refusal)
            return _answer(401, error=f"Slack request refused: {refusal}")
        try:
            payload = json.loads(parse_qs(body.decode())["payload"][0])
            actions = payload.get("actions") if payload.get("type") == "block_actions" else []
        except (ValueError, KeyError, IndexError, AttributeError):
            return _answer(400, error="expected a form field 'payload' holding Slack's JSON")
        click = next((a for a in actions or () if isinstance(a, dict)
                      and a.get("action_id") == SLACK_ACK_ACTION), None)
        value = slack_ack_value(str(click.get("value") or "")) if click else None
        if click is None or value is None:
            return web.Response(status=200)  # another interaction: not ours to handle
        ticket, ref = value
        user = payload.get("user") if isinstance(payload.get("user"), dict) else {}
        user_id = str(user.get("id") or "")
        author = f"slack:{user.get('username') or user.get('name') or user_id or 'unknown'}"
        try:
            known = await self._off_loop(functools.partial(self.ctx.store.ticket, ticket))
        except StoreError as exc:
            log.error("Slack acknowledgement: cannot read the local store: %s", exc)
            return _answer(503, error="the local store is unavailable; try again")
        if known is None:
            return await self._reply(request, payload,
                                     f"No ticket {ticket} here: nothing was acknowledged.")
        click_id = f"slack:{user_id}:{click.get('action_ts') or ''}:{ticket}:{ref}"
        stored = self._event(str(uuid.uuid5(EVENT_NAMESPACE, click_id)), ticket,
                             "acknowledged", {"by": author, "via": "slack", "alert": ref,
                                              "slack_user": user_id}, author)
        failed = await self._record(stored)
        if failed is not None:
            return failed
        return await self._reply(request, payload,
                                 f"Acknowledged {ticket} (<@{user_id}>): its chain stops.",
                                 ticket=ticket)

    async def _reply(self, request: web.Request, payload: dict[str, Any], text: str,
                     ticket: str | None = None) -> web.StreamResponse:
        """Answer the click at once (Slack wants it within 3 s), then tell Slack's
        ``response_url``: after an acknowledgement the message loses its button and
        says who acknowledged; otherwise the clicker alone sees ``text``. The update is
        sent inside the request's own handler, after its answer, so a clean stop of the
        server waits for it instead of dropping it half-sent."""
        response = web.Response(status=200)
        await response.prepare(request)
        await response.write_eof()
        url = payload.get("response_url")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            return response
        blocks = (payload.get("message") or {}).get("blocks") if ticket else None
        if isinstance(blocks, list):
            update = {"replace_original": True, "text": text,
                      "blocks": acknowledged_blocks(blocks, ticket or "", text)}
        else:
            update = {"replace_original": False, "response_type": "ephemeral", "text": text}
        await _post(url, update)
        return response


def told_pagerduty(store: LocalStore, ticket: str, key: str, kind: str) -> bool:
    """Whether the console itself acknowledged (or resolved) the alert ``key`` in
    PagerDuty: its outbox holds that follow-up (``Planner.pagerduty_follow_up``). The
    webhook PagerDuty sends next is then our own action coming back; recording it would
    move the ticket's acknowledgement (or resolution) time."""
    wanted = "pd_" + ("acknowledge" if kind == "acknowledged" else "resolve")
    return any(r.channel == "pagerduty" and r.meta.get("kind") == wanted
               and (r.payload.get("message") or {}).get("dedup_key") == key
               for r in DeliveryOutbox(store).for_ticket(ticket))


def acknowledged_blocks(blocks: list[Any], ticket: str, text: str) -> list[Any]:
    """The message's blocks without the ticket's Acknowledge button, and a line saying
    who acknowledged after that alert."""
    out: list[Any] = []
    for block in blocks:
        accessory = block.get("accessory") if isinstance(block, dict) else None
        button = accessory if isinstance(accessory, dict) else {}
        value = slack_ack_value(str(button.get("value") or ""))
        if button.get("action_id") != SLACK_ACK_ACTION or value is None or value[0] != ticket:
            out.append(block)
            continue
        out.append({k: v for k, v in block.items() if k != "accessory"})
        out.append({"type": "context", "elements": [{"type": "mrkdwn", "text": text}]})
    return out


async def _post(url: str, body: dict[str, Any]) -> None:
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session, \
                session.post(url, json=body) as response:
            if response.status >= 300:
                log.warning("Slack response_url answered %s", response.status)
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.warning("could not update the Slack message: %s", exc)
