"""PagerDuty Events API v2: trigger, acknowledge and resolve, keyed by ``dedup_key``.

Every event for one chain step and recipient carries the same dedup_key (see
``message.pd_dedup_key``), so PagerDuty folds retries, and sends from several
consoles, into one alert; acknowledge and resolve reach that alert by the same key.
The routing key (the integration key of a PagerDuty service) is the secret.

Replies: 202 Accepted (``{"status": "success", "dedup_key": ...}``) is sent; 400 is
final (the event is malformed, or the routing key is wrong); 429 and 5xx are retried,
429 after its Retry-After when PagerDuty sends one.
"""

from __future__ import annotations

import json
from typing import Any

from ..message import pagerduty_event
from .base import DeliveryResult, Target, http_send, missing_secret

EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"


class PagerDutyChannel:
    name = "pagerduty"
    cluster_wide = True
    idempotent = True
    max_batch = 1

    def __init__(self, *, events_url: str = EVENTS_URL, min_interval: float = 0.0,
                 timeout: float = 10.0) -> None:
        self.events_url = events_url
        self.min_interval = min_interval
        self.timeout = timeout

    def send(self, message: dict[str, Any], target: Target, secret: str | None
             ) -> DeliveryResult:
        if not secret:
            return missing_secret(self.name, target.address)
        action = str(message.get("event_action") or "trigger")
        if action not in ("trigger", "acknowledge", "resolve"):
            return DeliveryResult.fail(f"unknown PagerDuty event_action {action!r}")
        event = pagerduty_event(message, secret, action)
        result, reply = http_send(self.events_url, event, "PagerDuty", timeout=self.timeout)
        if not result.ok or reply is None:
            return result
        try:
            dedup = json.loads(reply.body).get("dedup_key") or event["dedup_key"]
        except (ValueError, AttributeError):
            dedup = event["dedup_key"]
        return DeliveryResult.sent(str(dedup), reply.status)
