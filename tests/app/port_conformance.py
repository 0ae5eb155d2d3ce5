"""Checked by mypy (listed in pyproject's [tool.mypy] files), never run: the console
service must satisfy the port the views are typed against."""

from __future__ import annotations

from console.app.runtime.port import ConsoleServicePort
from console.app.runtime.service import ConsoleService


def as_port(service: ConsoleService) -> ConsoleServicePort:
    """Fails type checking if ConsoleService drifts from ConsoleServicePort."""
    return service
