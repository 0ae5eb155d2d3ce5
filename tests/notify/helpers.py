"""Shared bits of the notification tests."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from store.helpers import T0, World, open_ticket, wait_until  # noqa: E402

__all__ = ["T0", "World", "open_ticket", "wait_until"]
