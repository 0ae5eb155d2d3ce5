"""``escalation-console people add | list | disable | enable | grant | revoke``: the
people of the shared database, run by an admin.

A person is a PostgreSQL login listed in the database's ``people`` table; their role
is a PostgreSQL group role. These commands create and alter those roles, so they run
with an admin's login: the configured shared database (``connect``) with the password
in the OS keyring, or ``--url URL``. No password is ever taken as an argument:
``--password-stdin`` reads yours, ``--person-password-stdin`` the new person's.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from console.domain.people import ROLES

from .common import EXIT_INVALID, EXIT_OK, data_dir, fail, text

if TYPE_CHECKING:
    from console.domain.people import Person
    from console.store.server import SharedDatabase

Command = Callable[["SharedDatabase", argparse.Namespace], int]

URL_HELP = ("the shared database to administer, postgresql://you@host:port/database "
            "(default: the one 'connect' configured)")
PASSWORD_HELP = ("read your password from the first line of standard input (default: "
                 "the OS keyring, then $PGPASSWORD)")
ROLE_HELP = f"the person's role: {', '.join(ROLES)}"
MATRIX_ROLE_HELP = ("a matrix role the person holds (e.g. support_lead, as the matrix's "
                    "decision authority names it); repeat for several")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    people = sub.add_parser(
        "people", help="add, list, disable and grant the people of the shared database",
        description="Administer the people of the shared database (an admin's login). "
                    "Each person is a PostgreSQL login with a role; the server enforces "
                    "what each role may write.")
    _connection_options(people)
    psub = people.add_subparsers(dest="people_command", metavar="ACTION", required=True)

    add = psub.add_parser(
        "add", help="add a person: a new PostgreSQL login with a role",
        description="Create the PostgreSQL login NAME in ROLE and list it as a person. "
                    "With --person-password-stdin the login gets a password (read after "
                    "yours when --password-stdin is given too); without, it connects by "
                    "the server's other means (a client certificate, peer...).")
    add.add_argument("login", metavar="NAME", type=text, help="the login (a PostgreSQL role name)")
    add.add_argument("--role", required=True, choices=ROLES, help=ROLE_HELP)
    add.add_argument("--matrix-role", dest="matrix_roles", action="append", default=[],
                     type=text, metavar="R", help=MATRIX_ROLE_HELP)
    add.add_argument("--name", dest="display_name", type=text,
                     metavar="DISPLAY_NAME", help="the name people see (default: the login)")
    add.add_argument("--person-password-stdin", action="store_true",
                     help="read the new person's password from standard input (the next "
                          "line after yours with --password-stdin)")
    _connection_options(add)
    add.set_defaults(func=_run(_add))

    listing = psub.add_parser("list", help="list the people, their roles and matrix roles",
                              description="A table of the people: login, name, role, "
                                          "matrix roles and whether they are disabled.")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    _connection_options(listing)
    listing.set_defaults(func=_run(_list))

    disable = psub.add_parser(
        "disable", help="disable a person: no new logins, their sessions end",
        description="Disable NAME: the login can no longer connect and its open sessions "
                    "are ended. Their history stays.")
    disable.add_argument("login", metavar="NAME", type=text, help="the person's login")
    _connection_options(disable)
    disable.set_defaults(func=_run(_disable))

    enable = psub.add_parser("enable", help="let a disabled person connect again",
                             description="Enable NAME again, with the role they had.")
    enable.add_argument("login", metavar="NAME", type=text, help="the person's login")
    _connection_options(enable)
    enable.set_defaults(func=_run(_enable))

    grant = psub.add_parser(
        "grant", help="change a person's role or give them matrix roles",
        description="Give NAME a new role (--role) and/or more matrix roles (--matrix-role).")
    grant.add_argument("login", metavar="NAME", type=text, help="the person's login")
    grant.add_argument("--role", choices=ROLES, help=f"the new role: {', '.join(ROLES)}")
    grant.add_argument("--matrix-role", dest="matrix_roles", action="append", default=[],
                       type=text, metavar="R", help=MATRIX_ROLE_HELP)
    _connection_options(grant)
    grant.set_defaults(func=_run(_grant))

    revoke = psub.add_parser("revoke", help="take matrix roles from a person",
                             description="Take the given matrix roles from NAME.")
    revoke.add_argument("login", metavar="NAME", type=text, help="the person's login")
    revoke.add_argument("--matrix-role", dest="matrix_roles", action="append", required=True,
                        type=text, metavar="R", help="a matrix role to take; repeat for several")
    _connection_options(revoke)
    revoke.set_defaults(func=_run(_revoke))


def _connection_options(parser: argparse.ArgumentParser) -> None:
    """--url and --password-stdin, on ``people`` and on each action, so they work before
    or after the action (SUPPRESS keeps a value given before when none is given after)."""
    group = parser.add_argument_group("connection")
    group.add_argument("--url", metavar="URL", type=text, default=argparse.SUPPRESS,
                       help=URL_HELP)
    group.add_argument("--password-stdin", action="store_true", default=argparse.SUPPRESS,
                       help=PASSWORD_HELP)


def _run(command: Command) -> Callable[[argparse.Namespace], int]:
    """The action with the shared database opened, and its errors in one line (a
    login that is no admin is refused by the store, saying who it is)."""
    def run(args: argparse.Namespace) -> int:
        from console.store.server import SharedDBError

        from .db import PasswordError, explain_db_error

        try:
            url, password = shared_connection(args)
        except (SharedDBError, PasswordError) as exc:
            return fail(str(exc), EXIT_INVALID)
        db = _open(url, password)
        try:
            return command(db, args)
        except SharedDBError as exc:  # PeopleError too: the server's refusal, in words
            return fail(explain_db_error(exc, url, password), EXIT_INVALID)
        finally:
            db.close()

    return run


def shared_connection(args: argparse.Namespace) -> tuple[str, str | None]:
    """The URL (--url, else the configured one) and the admin's password."""
    from console.app.secrets import SecretsError
    from console.app.settings import Settings, SettingsError
    from console.store.server import SharedDBError, split_password

    from .db import shared_password, stdin_password

    given = getattr(args, "url", None)
    if given:
        url, password = split_password(given)
    else:
        try:
            url, password = Settings(data_dir(args)).shared_db_url or "", None
        except SettingsError as exc:
            raise SharedDBError(str(exc)) from None
        if not url:
            raise SharedDBError("no shared database is configured; give --url URL or run "
                                "'escalation-console connect URL' first")
    if getattr(args, "password_stdin", False):
        password = stdin_password() or password
    if password is None:
        try:
            password = shared_password(url)
        except SecretsError:
            password = None
    return url, password


def _open(url: str, password: str | None) -> SharedDatabase:
    from console.store.server import SharedDatabase

    return SharedDatabase(url, password)


def _add(db: SharedDatabase, args: argparse.Namespace) -> int:
    from console.store.people import add_person

    from .db import stdin_password

    password = None
    if args.person_password_stdin:
        password = stdin_password()
        if not password:
            return fail(f"no password for {args.login} on standard input (its next line)",
                        EXIT_INVALID)
    person = add_person(db, args.login, args.role, matrix_roles=tuple(args.matrix_roles),
                        display_name=args.display_name or "", password=password)
    print(f"added {_describe(person)}")
    return EXIT_OK


def _list(db: SharedDatabase, args: argparse.Namespace) -> int:
    import json

    from console.store.people import list_people

    people = list_people(db)
    if args.json:
        print(json.dumps({"people": [p.to_json() for p in people]}, indent=2,
                         ensure_ascii=False))
        return EXIT_OK
    rows = [("LOGIN", "NAME", "ROLE", "MATRIX ROLES", "DISABLED")]
    rows += [(p.login, p.display_name, p.role, ",".join(p.matrix_roles) or "-",
              "yes" if p.disabled else "no") for p in people]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    print(f"{len(people)} {'person' if len(people) == 1 else 'people'}")
    return EXIT_OK


def _disable(db: SharedDatabase, args: argparse.Namespace) -> int:
    from console.store.people import disable_person

    ended = disable_person(db, args.login)
    print(f"disabled {args.login}; ended {ended} session{'' if ended == 1 else 's'}")
    return EXIT_OK


def _enable(db: SharedDatabase, args: argparse.Namespace) -> int:
    from console.store.people import enable_person

    print(f"enabled {_describe(enable_person(db, args.login))}")
    return EXIT_OK


def _grant(db: SharedDatabase, args: argparse.Namespace) -> int:
    from console.store.people import grant

    person = grant(db, args.login, role=args.role, matrix_roles=tuple(args.matrix_roles))
    print(f"granted: {_describe(person)}")
    return EXIT_OK


def _revoke(db: SharedDatabase, args: argparse.Namespace) -> int:
    from console.store.people import revoke

    person = revoke(db, args.login, tuple(args.matrix_roles))
    print(f"revoked: {_describe(person)}")
    return EXIT_OK


def _describe(person: Person) -> str:
    """``alice (Alice Ng), lead, matrix roles support_lead`` for one line of output."""
    name = f" ({person.display_name})" if person.display_name else ""
    held = f"matrix roles {', '.join(person.matrix_roles)}" if person.matrix_roles else \
        "no matrix roles"
    return f"{person.login}{name}, {person.role}, {held}{', disabled' if person.disabled else ''}"
