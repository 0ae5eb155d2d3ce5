"""Microsoft Teams through a Workflows webhook ("When a Teams webhook request is
received"; the old Office 365 connectors are retired). The flow answers 202 Accepted
(some 200); 429 carries Retry-After; 5xx retry; other 4xx are final."""

from __future__ import annotations

from typing import Any

from ..message import teams_payload
from .base import DeliveryResult, Target, http_send, missing_secret


class TeamsChannel:
    name = "teams"
    cluster_wide = True
    idempotent = False

    def __init__(self, *, min_interval: float = 0.25, max_batch: int = 10,
                 timeout: float = 10.0) -> None:
        self.min_interval = min_interval
        self.max_batch = max_batch
        self.timeout = timeout

    def send(self, message: dict[str, Any], target: Target, secret: str | None
             ) -> DeliveryResult:
        if not secret:
            return missing_secret(self.name, target.address)
        result, _ = http_send(secret, teams_payload(message), "Teams", timeout=self.timeout)
        return result
