"""Who the sync benchmarks connect as: the server's permission checks on or off.

``superuser`` (the default run): every console is the cluster's superuser, as before
people existed; the triggers run, and pass a superuser at once. With ``--people`` the
benchmark runs twice, ``off`` against ``people``:

- ``off``: the superuser, with the BEFORE INSERT row triggers on ``events`` (the
  permission checks of migration 0006) disabled: the cost without enforcement;
- ``people``: each console connects with a login of its own, a person of the agent
  role, and writes as that person; every pushed event passes the checks.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit, urlunsplit

MODES = ("superuser", "off", "people")
# pg_trigger.tgtype bits: ROW 1, BEFORE 2, INSERT 4
_BEFORE_INSERT_ROW = 1 | 2 | 4


def as_login(url: str, login: str) -> str:
    """url with ``login`` as its user (the throwaway cluster trusts local logins)."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{login}@{host}"))


def consoles(url: str, mode: str, count: int) -> list[tuple[str, str]]:
    """(URL, author) for each of ``count`` consoles of the database at ``url`` (a
    superuser's), after preparing it for ``mode``."""
    if mode not in MODES:
        raise ValueError(f"mode {mode!r}: expected one of {', '.join(MODES)}")
    if mode == "off":
        _disable_checks(url)
    if mode != "people":
        return [(url, "bench")] * count
    from console.store.people import add_person
    from console.store.server import SharedDatabase

    suffix = uuid.uuid4().hex[:6]  # roles are cluster-wide; the databases are not
    logins = [f"bench_{suffix}_{i}" for i in range(count)]
    db = SharedDatabase(url)
    try:
        for login in logins:
            add_person(db, login, "agent", display_name=f"Bench console {login[-1]}")
    finally:
        db.close()
    return [(as_login(url, login), login) for login in logins]


def _disable_checks(url: str) -> list[str]:
    """Disable every BEFORE INSERT row trigger on events; return their names."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'events'::regclass "
            "AND NOT tgisinternal AND tgtype & %s = %s", (_BEFORE_INSERT_ROW,
                                                          _BEFORE_INSERT_ROW)).fetchall()]
        if not names:  # else "off" would quietly measure the superuser with the checks on
            raise RuntimeError("events has no BEFORE INSERT row trigger to disable; is the "
                               "database at migration 0006 or later?")
        for name in names:
            conn.execute(f'ALTER TABLE events DISABLE TRIGGER "{name}"')
    return names
