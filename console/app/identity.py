"""Who is at this console: the name written as the author of their events."""

from __future__ import annotations

import getpass


def current_user() -> str:
    """The login name ($LOGNAME, $USER, ... or the password database), never a
    placeholder: a console started without $USER (a kiosk, systemd) still signs its
    events with the account that runs it."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no environment name and no passwd entry
        return "unknown"
