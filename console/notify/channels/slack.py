"""Slack incoming webhooks.

Slack answers ``200 ok``; ``429`` with ``Retry-After`` (seconds) when a webhook posts
more than about one message per second; 4xx texts (``invalid_payload``,
``channel_not_found``, ``action_prohibited``...) are final; 5xx are retried. The
dispatcher paces each webhook to ``min_interval`` and, when alerts pile up, sends a
digest of up to ``max_batch`` alerts in one message instead of a backlog.
"""

from __future__ import annotations

from typing import Any

from ..message import slack_payload
from .base import DeliveryResult, Target, http_send, missing_secret


class SlackChannel:
    name = "slack"
    cluster_wide = True
    idempotent = False

    def __init__(self, *, min_interval: float = 1.0, max_batch: int = 20,
                 timeout: float = 10.0) -> None:
        self.min_interval = min_interval
        self.max_batch = max_batch
        self.timeout = timeout

    def send(self, message: dict[str, Any], target: Target, secret: str | None
             ) -> DeliveryResult:
        if not secret:
            return missing_secret(self.name, target.address)
        result, reply = http_send(secret, slack_payload(message), "Slack", timeout=self.timeout)
        if result.ok and reply is not None and reply.body.strip() not in ("", "ok"):
            # Slack only ever says "ok" on success; anything else is an error text
            return DeliveryResult.fail(f"Slack answered {reply.body.strip()[:200]!r}",
                                       status=reply.status)
        return result
