"""Who is at this console: the name written as the author of their events.

With a shared database configured, that is the database login: the server checks every
event's author against the session's login (``docs/security.md``), so an event signed
with anything else would be refused when it is pushed. Without one, the OS login.
"""

from __future__ import annotations

import getpass
from pathlib import Path


def current_user() -> str:
    """The login name ($LOGNAME, $USER, ... or the password database), never a
    placeholder: a console started without $USER (a kiosk, systemd) still signs its
    events with the account that runs it."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no environment name and no passwd entry
        return "unknown"


def database_login(url: str | None) -> str | None:
    """The login a PostgreSQL URL connects as (its user, or ``?user=``); None when the
    URL names none (libpq then uses the OS login) or is not a database URL."""
    if not url:
        return None
    from console.store.server import SharedDBError, parse_url

    try:
        parsed = parse_url(url)
    except SharedDBError:
        return None
    query_user = parsed.query.get("user")
    return parsed.username or (query_user if isinstance(query_user, str) else None) or None


def console_author(data_dir: str | Path) -> str:
    """The author of this console's events: the login of the shared database configured
    in ``data_dir``'s settings (also while this session runs local only: its events are
    pushed later, as that login), else the OS login. Settings that cannot be read (a
    data dir that is a file...) give the OS login: opening the store then says what is
    wrong, in the words every command uses."""
    from console.app.settings import Settings, SettingsError

    try:
        url = Settings(data_dir).shared_db_url
    except SettingsError:
        url = None
    return database_login(url) or current_user()
