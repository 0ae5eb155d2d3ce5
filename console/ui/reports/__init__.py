"""The Reports window: is the matrix working? (issue 15, docs/reports.md)."""

from __future__ import annotations

from .window import ReportsWindow

__all__ = ["ReportsWindow"]
