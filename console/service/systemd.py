"""``sd_notify`` without libsystemd: tell systemd (``Type=notify``) that the service
is ready or stopping. A no-op when not started by systemd ($NOTIFY_SOCKET unset)."""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Mapping


def sd_notify(state: str, env: Mapping[str, str] | None = None) -> bool:
    """Send ``state`` (e.g. ``READY=1``, ``STOPPING=1``, ``STATUS=...``); True if sent."""
    env = os.environ if env is None else env
    address = env.get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address.startswith("@"):  # an abstract socket
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock, \
            contextlib.suppress(OSError):
        sock.connect(address)
        sock.sendall(state.encode())
        return True
    return False
