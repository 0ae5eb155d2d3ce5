"""The desktop channel: a notification on this console only (never claimed in the
shared database: every console shows its own). The app passes a callback that hands
the message to the GUI thread, which shows it through console/ui/notifier.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .base import DeliveryResult, Target


class DesktopChannel:
    name = "desktop"
    cluster_wide = False
    idempotent = False
    max_batch = 1
    min_interval = 0.0

    def __init__(self, show: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.show = show

    def send(self, message: dict[str, Any], target: Target, secret: str | None
             ) -> DeliveryResult:
        if self.show is None:
            return DeliveryResult.fail("no desktop session to show notifications on")
        try:
            self.show(message)
        except Exception as exc:  # the GUI must never take the dispatcher down
            return DeliveryResult.fail(f"desktop notification failed: {exc}")
        return DeliveryResult.sent("desktop")
