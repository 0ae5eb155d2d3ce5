"""``escalation-console connect | sync | db upgrade``: the shared database."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from typing import TYPE_CHECKING

from .common import EXIT_INVALID, EXIT_OK, EXIT_STORE, data_dir, fail, open_store, text

if TYPE_CHECKING:
    from types import FrameType

    from console.store.local import LocalStore

URL_HELP = ("postgresql://user@host:port/database; a password in it is moved to the OS "
            "keyring and never stored in settings.json")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    connect = sub.add_parser(
        "connect", help="connect this console to a shared PostgreSQL database",
        description="Check the connection, migrate the shared database if it is behind (an "
                    "admin's login only), keep the password "
                    "in the OS keyring and the URL (without the password) in settings.json. "
                    "The password comes from the URL, --password-stdin, $PGPASSWORD or a "
                    "prompt, in that order.")
    connect.add_argument("url", metavar="URL", type=text, help=URL_HELP)
    connect.add_argument("--password-stdin", action="store_true",
                         help="read the password from the first line of standard input")
    connect.add_argument("--sslmode", metavar="MODE", type=text,
                         help="TLS to the server, kept in the URL: verify-full (recommended: "
                              "the server's certificate is signed by --ca-file's CA and "
                              "issued for the host name), verify-ca, require, prefer, "
                              "allow, disable")
    connect.add_argument("--ca-file", metavar="FILE", type=text,
                         help="the CA certificate (PEM) that signed the server's "
                              "certificate, kept in the URL as an absolute sslrootcert; "
                              "alone it means --sslmode verify-full")
    connect.set_defaults(func=_cmd_connect)

    sync = sub.add_parser(
        "sync", help="push and pull events headlessly",
        description="Sync the local store with the shared database: push the outbox, pull "
                    "what others wrote. Runs until SIGINT/SIGTERM, printing state changes.")
    sync.add_argument("--once", action="store_true", help="push and pull once, then exit")
    sync.set_defaults(func=_cmd_sync)

    db = sub.add_parser("db", help="database maintenance",
                        description="Maintain the local store or a shared database.")
    dsub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = dsub.add_parser(
        "upgrade", help="migrate the local store, or a shared database, to the newest schema",
        description="Without URL: upgrade the local store in the data dir. With URL: "
                    "upgrade that PostgreSQL database. Prints the revision before and after.")
    upgrade.add_argument("url", metavar="URL", nargs="?", type=text,
                         help="a shared database, postgresql://user@host:port/database "
                              "(default: the local store)")
    upgrade.add_argument("--password-stdin", action="store_true",
                         help="read the password from the first line of standard input")
    upgrade.set_defaults(func=_cmd_upgrade)


class PasswordError(Exception):
    """The password on standard input could not be read."""


def stdin_password() -> str:
    try:
        line = sys.stdin.readline().rstrip("\r\n")
        line.encode("utf-8")  # undecodable bytes arrive as lone surrogates
    except (UnicodeDecodeError, UnicodeEncodeError):
        raise PasswordError("the password on standard input is not UTF-8 text") from None
    return line


GIVE_PASSWORD = "pipe it in with --password-stdin, or set PGPASSWORD"
KEEP_PASSWORD = ("run 'escalation-console connect URL --password-stdin' to keep one in the "
                 "OS keyring, or set PGPASSWORD")


def explain_db_error(exc: Exception, url: str, password: str | None,
                     how: str = GIVE_PASSWORD) -> str:
    """The shared database's error; when the server wants a password and none was
    given, say how to give one instead of libpq's "fe_sendauth: no password supplied"."""
    from console.store.server import describe_server, parse_url

    if not password and "no password supplied" in str(exc):
        user = parse_url(url).username or "this user"
        return (f"the server {describe_server(url)} wants a password for {user} and none "
                f"was given; {how}")
    return str(exc)


def _prompt_password(url: str) -> str | None:
    if not sys.stdin.isatty():
        return None
    import getpass

    from console.store.server import mask_url

    return getpass.getpass(f"password for {mask_url(url)} (empty for none): ") or None



def _cmd_connect(args: argparse.Namespace) -> int:
    from console.app.secrets import SecretsError, delete_password, store_password
    from console.app.settings import Settings, SettingsError
    from console.store.server import SharedDatabase, SharedDBError, describe_server
    from console.store.tls import TlsSettingError

    try:
        url, password = _url_and_password(args)
        url = _with_tls(url, args.sslmode, args.ca_file)
    except (SharedDBError, PasswordError, TlsSettingError) as exc:
        return fail(str(exc), EXIT_INVALID)
    if password is None:
        password = os.environ.get("PGPASSWORD") or _prompt_password(url)
    db = SharedDatabase(url, password)
    try:
        version = db.check()
        db.ensure_schema()  # DDL only when behind, and only by an admin
    except SharedDBError as exc:
        return fail(explain_db_error(exc, url, password), EXIT_INVALID)
    finally:
        db.close()
    kept = "no password needed"
    if password:
        try:
            where = store_password(url, password)
            why = f"the keyring backend in use ({_null_backend()}) keeps nothing"
        except SecretsError as exc:  # no keyring, or it refused: connected all the same
            where, why = None, str(exc)
        kept = (f"password kept in {where}" if where else f"password not kept ({why}); "
                "set PGPASSWORD to give it to the console and 'sync'")
    else:
        with contextlib.suppress(SecretsError):  # nothing to forget, or no keyring
            delete_password(url)
    try:
        Settings(data_dir(args)).shared_db_url = url
    except SettingsError as exc:
        return fail(str(exc), EXIT_INVALID)
    print(f"connected to PostgreSQL {version} at {describe_server(url)}; {kept}")
    return EXIT_OK


def _null_backend() -> str:
    """The module of the keyring backend in use (one that keeps nothing, here)."""
    import keyring

    return type(keyring.get_keyring()).__module__


def _with_tls(url: str, sslmode: str | None, ca: str | None) -> str:
    """url with the TLS options in its query (sslrootcert checked and absolute)."""
    from console.store.server import parse_url
    from console.store.tls import tls_query

    parsed = parse_url(url)
    tls = tls_query(parsed.query, sslmode, ca)
    return parsed.update_query_dict(tls).render_as_string(hide_password=False) if tls else url


def _url_and_password(args: argparse.Namespace) -> tuple[str, str | None]:
    """The password-free URL, and a password from the URL or --password-stdin (None if
    neither gave one; the caller decides where to look next)."""
    from console.store.server import split_password

    url, password = split_password(args.url)
    if password is None and args.password_stdin:
        password = stdin_password() or None
    return url, password


def shared_password(url: str) -> str | None:
    """The keyring's password for url, else $PGPASSWORD (libpq reads it too)."""
    from console.app.secrets import SecretsError, load_password

    try:
        password = load_password(url)
    except SecretsError:
        if os.environ.get("PGPASSWORD"):
            return os.environ["PGPASSWORD"]
        raise
    return password if password is not None else os.environ.get("PGPASSWORD")


def _cmd_sync(args: argparse.Namespace) -> int:
    from console.app.secrets import SecretsError
    from console.app.settings import Settings, SettingsError
    from console.store.errors import StoreError
    from console.store.server import SharedDBError
    from console.store.sync import Syncer

    try:
        url = Settings(data_dir(args)).shared_db_url
        if not url:
            return fail("no shared database is configured; run "
                        "'escalation-console connect URL' first", EXIT_INVALID)
        password = shared_password(url)
    except (SettingsError, SecretsError) as exc:
        return fail(str(exc), EXIT_INVALID)
    try:
        store = open_store(args)
    except StoreError as exc:
        return fail(str(exc), EXIT_STORE)
    try:
        if args.once:
            syncer = Syncer(store, url, password)
            try:
                pushed, pulled = syncer.sync_once()
            finally:
                syncer.close()
            print(f"pushed {pushed}, pulled {pulled}")
            return EXIT_OK
        return _sync_forever(store, url, password)
    except SharedDBError as exc:
        return fail(explain_db_error(exc, url, password, KEEP_PASSWORD), EXIT_INVALID)
    except StoreError as exc:
        return fail(str(exc), EXIT_STORE)
    finally:
        store.close()


def _sync_forever(store: LocalStore, url: str, password: str | None) -> int:
    import signal
    import threading
    from datetime import UTC, datetime

    from console.store.sync import Syncer, SyncState

    def report(state: SyncState) -> None:
        line = f"{datetime.now(UTC):%H:%M:%S} {state.describe()}"
        if state.status == "offline" and state.last_error:
            line += f" ({state.last_error})"
        print(line, flush=True)

    stop = threading.Event()
    syncer = Syncer(store, url, password, on_state=report)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()
        syncer.wake()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        syncer.run(stop)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        syncer.close()
    print("stopped", flush=True)
    return EXIT_OK


def _cmd_upgrade(args: argparse.Namespace) -> int:
    if args.url:
        return _upgrade_shared(args)
    from sqlalchemy.exc import SQLAlchemyError

    from console.store import migrate
    from console.store.errors import StoreError, explain_sqlite
    from console.store.local import DB_NAME, InstanceLock, sqlite_engine
    from console.store.private import private_dir, private_sqlite

    folder = data_dir(args)
    path = folder / DB_NAME
    lock = InstanceLock(folder)
    try:
        private_dir(folder)
    except OSError as exc:  # the same words as every other command's
        return fail(f"cannot create the data directory {folder}: {exc.strerror}", EXIT_STORE)
    try:
        lock.acquire()
    except StoreError as exc:
        return fail(str(exc), EXIT_STORE)
    except OSError as exc:
        return fail(explain_sqlite(exc, str(folder)), EXIT_STORE)
    engine = sqlite_engine(path)  # connects lazily: after the file is made private
    try:
        private_sqlite(path)
        before, after = migrate.upgrade(engine)
    except (SQLAlchemyError, OSError) as exc:
        return fail(explain_sqlite(exc, str(path)), EXIT_STORE)
    finally:
        engine.dispose()
        lock.release()
    print(_revisions(f"local store {path}", before, after))
    return EXIT_OK


def _upgrade_shared(args: argparse.Namespace) -> int:
    from console.app.secrets import SecretsError
    from console.store.server import (
        SchemaBehind,
        SharedDatabase,
        SharedDBError,
        describe_server,
        parse_url,
    )

    try:
        url, password = _url_and_password(args)
    except (SharedDBError, PasswordError) as exc:
        return fail(str(exc), EXIT_INVALID)
    if password is None:
        try:
            password = shared_password(url)
        except SecretsError:
            password = None
    db = SharedDatabase(url, password)
    try:
        before, after = db.ensure_schema()
    except SchemaBehind as exc:
        who = parse_url(url).username or "this login"
        return fail(f"{who} may not migrate the shared database {describe_server(url)}: "
                    "migrations need the admin role (or a superuser); it is at revision "
                    f"{exc.current or '(none)'}, this program's is {exc.head}", EXIT_INVALID)
    except SharedDBError as exc:
        return fail(explain_db_error(exc, url, password), EXIT_INVALID)
    finally:
        db.close()
    print(_revisions(f"shared database {describe_server(url)}", before, after))
    return EXIT_OK


def _revisions(what: str, before: str | None, after: str) -> str:
    if before == after:
        return f"{what}: already at revision {after}"
    return f"{what}: revision {before or '(none)'} → {after}"
