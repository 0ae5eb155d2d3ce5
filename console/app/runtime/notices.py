"""Wording of a notification chain message for the desktop (a status line, a popup)."""

from __future__ import annotations

from typing import Any

from console.notify.message import headline, text_body


def desktop_text(message: dict[str, Any]) -> tuple[str, str]:
    """(summary, body) for showing a desktop-channel chain message."""
    return headline(message), text_body(message)
