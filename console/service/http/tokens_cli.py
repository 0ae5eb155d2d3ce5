"""``escalation-console serve tokens add|list|revoke``: the intake API's bearer tokens.

The tokens live in the shared database (table ``api_tokens``, migration 0005), so the
commands read the service's configuration (``--config``, ``ESCALATION_SERVICE_*``) and
its database password (``ESCALATION_SECRET_DATABASE_PASSWORD`` and the other secret
sources) as ``serve`` does, and work from any host that can reach the database.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .tokens import TokenStore

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_tokens_commands(serve_parser: argparse.ArgumentParser) -> None:
    """Add ``tokens add NAME | list | revoke NAME`` under ``serve``."""
    from console.cli.serve import add_config_option

    sub = next((a for a in serve_parser._actions
                if isinstance(a, argparse._SubParsersAction)), None)
    if sub is None:
        sub = serve_parser.add_subparsers(dest="serve_command", metavar="COMMAND")
    tokens = sub.add_parser(
        "tokens", help="bearer tokens of the intake API (one per integration)",
        description="Create, list and revoke the bearer tokens that POST /api/v1/events "
                    "and the presets accept. Only a hash of each token is stored, in the "
                    "shared database, so every instance accepts it.")
    add_config_option(tokens)
    actions = tokens.add_subparsers(dest="tokens_command", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="make a token for an integration and print it once",
                             description="Make a token for the integration NAME (e.g. "
                                         "zendesk) and print it, once: it is not stored. "
                                         "Events it sends are written as author api:NAME.")
    add.add_argument("name", metavar="NAME",
                     help="the integration the token is for, e.g. zendesk")
    add_config_option(add)
    add.set_defaults(func=_run(_add))
    listing = actions.add_parser("list", help="list tokens (names and prefixes, no secrets)")
    add_config_option(listing)
    listing.set_defaults(func=_run(_list))
    revoke = actions.add_parser("revoke", help="revoke an integration's token at once",
                                description="Revoke the live token of NAME: the next "
                                            "request with it gets 401, on every instance.")
    revoke.add_argument("name", metavar="NAME", help="the integration whose token to revoke")
    add_config_option(revoke)
    revoke.set_defaults(func=_run(_revoke))


def _run(action: Callable[[TokenStore, argparse.Namespace], int]
         ) -> Callable[[argparse.Namespace], int]:
    def command(args: argparse.Namespace) -> int:
        from console.app.secrets import SecretsError
        from console.cli.serve import load_service_config
        from console.service.configfile import ConfigError
        from console.service.secrets import SecretSources, database_password
        from console.store.server import SharedDatabase, SharedDBError

        from .tokens import TokenError, TokenStore

        try:
            config = load_service_config(args)
            password = database_password(SecretSources(), config.database_url)
        except (ConfigError, SecretsError) as exc:
            print(f"escalation-console: {exc}", file=sys.stderr)
            return EXIT_USAGE
        db = SharedDatabase(config.database_url, password)
        try:
            return action(TokenStore(db), args)
        except TokenError as exc:
            print(f"escalation-console: {exc}", file=sys.stderr)
            return EXIT_FAILED
        except SharedDBError as exc:
            hint = ("; run 'serve --migrate' (or 'db upgrade URL') first"
                    if "api_tokens" in str(exc) else "")
            print(f"escalation-console: {exc}{hint}", file=sys.stderr)
            return EXIT_FAILED
        finally:
            db.close()

    return command


def _add(store: TokenStore, args: argparse.Namespace) -> int:
    token = store.add(args.name)
    print(token)
    print(f"token for {args.name!r} created; it is shown only now. Send it as "
          "'Authorization: Bearer TOKEN'.", file=sys.stderr)
    return EXIT_OK


def _list(store: TokenStore, args: argparse.Namespace) -> int:
    rows = store.list()
    if not rows:
        print("no tokens; make one with 'serve tokens add NAME'", file=sys.stderr)
    for t in rows:
        state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "live"
        print(f"{t.name}\t{t.prefix}...\tcreated {t.created_at:%Y-%m-%d %H:%M}\t{state}")
    return EXIT_OK


def _revoke(store: TokenStore, args: argparse.Namespace) -> int:
    store.revoke(args.name)
    print(f"token for {args.name!r} revoked", file=sys.stderr)
    return EXIT_OK
