"""Real people on a test's database: ``login(pg, "ana", "agent")`` adds the person as
the superuser (``console.store.people.add_person``) and returns a URL that connects as
them, so a test writes through that login and meets the server's checks.

Logins are cluster-wide and every test of the session shares one cluster, so the
person's login is the name suffixed with the test's database (``login_name``).
"""

from __future__ import annotations

from collections.abc import Iterable

from shared_fixtures import Pg
from sqlalchemy.engine import make_url

from console.store.people import add_person
from console.store.server import SharedDatabase


def login_name(pg: Pg, name: str) -> str:
    """The login (and event author) of ``name`` on ``pg``'s database."""
    return f"{name}_{pg.url.rsplit('/', 1)[1]}"


def person_url(pg: Pg, login: str, password: str | None = "pw") -> str:
    """A URL of ``pg``'s database that connects as ``login``."""
    url = make_url(pg.url).set(username=login, password=password)
    return url.render_as_string(hide_password=False)


def login(pg: Pg, name: str, role: str, *, matrix_roles: Iterable[str] = (),
          password: str = "pw", display_name: str = "") -> str:
    """Add ``name`` (made unique to the test's database, see ``login_name``) as a
    person with ``role`` and ``matrix_roles``; a URL that connects as them. The test
    cluster trusts local connections, so the password is carried but not checked."""
    person = login_name(pg, name)
    db = SharedDatabase(pg.url)
    try:
        add_person(db, person, role, matrix_roles=tuple(matrix_roles),
                   display_name=display_name, password=password)
    finally:
        db.close()
    return person_url(pg, person, password)
