"""Delivery channels: one module per service, all behind the ``Channel`` protocol."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .base import Channel, DeliveryResult, Target
from .desktop import DesktopChannel
from .email import EmailChannel, SmtpSettings
from .pagerduty import EVENTS_URL, PagerDutyChannel
from .slack import SlackChannel
from .teams import TeamsChannel
from .webhook import WebhookChannel

CHANNELS = ("pagerduty", "slack", "teams", "email", "webhook", "desktop")

__all__ = ["CHANNELS", "Channel", "DeliveryResult", "Target", "build_channels"]


def build_channels(config: dict[str, Any],
                   show: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Channel]:
    """Every channel, configured from the ``notify`` section of the settings."""
    slack = config.get("slack") or {}
    teams = config.get("teams") or {}
    pd = config.get("pagerduty") or {}
    hook = config.get("webhook") or {}
    return {
        "slack": SlackChannel(min_interval=float(slack.get("min_interval", 1.0)),
                              max_batch=int(slack.get("max_batch", 20))),
        "teams": TeamsChannel(min_interval=float(teams.get("min_interval", 0.25)),
                              max_batch=int(teams.get("max_batch", 10))),
        "pagerduty": PagerDutyChannel(events_url=str(pd.get("events_url") or EVENTS_URL)),
        "email": EmailChannel(SmtpSettings.from_dict(config.get("email") or {})),
        "webhook": WebhookChannel(min_interval=float(hook.get("min_interval", 0.0))),
        "desktop": DesktopChannel(show),
    }
