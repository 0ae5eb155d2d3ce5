"""A generic JSON webhook: POST ``{"type": "escalation.notification", "id", "message",
"text"}`` with an ``Idempotency-Key`` header that is the same on every retry and every
console, so a receiver that honours it sees each notification once. 2xx is sent; 408,
429 (with Retry-After) and 5xx are retried; other 4xx are final."""

from __future__ import annotations

from typing import Any

from ..message import webhook_payload
from .base import DeliveryResult, Target, http_send, missing_secret


class WebhookChannel:
    name = "webhook"
    cluster_wide = True
    idempotent = True  # for receivers that honour Idempotency-Key
    max_batch = 1

    def __init__(self, *, min_interval: float = 0.0, timeout: float = 10.0) -> None:
        self.min_interval = min_interval
        self.timeout = timeout

    def send(self, message: dict[str, Any], target: Target, secret: str | None
             ) -> DeliveryResult:
        if not secret:
            return missing_secret(self.name, target.address)
        ref = str(message.get("ref", ""))
        result, _ = http_send(secret, webhook_payload(message, ref), "the webhook",
                              headers={"Idempotency-Key": ref}, timeout=self.timeout)
        if result.ok:
            return DeliveryResult.sent(ref, result.status)
        return result
