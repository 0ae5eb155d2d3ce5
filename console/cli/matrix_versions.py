"""``escalation-console matrix publish|versions|restore``: matrix versions without the
GUI, so a team can keep its matrix in git and publish it from a pipeline
(docs/matrix-format.md). The work is console.app.usecases.matrix_versions; this module
reads the arguments and the connection, and prints.

Exit status: 0 published, or nothing to publish (the same YAML is in force); 1 an
invalid matrix file, an unknown version, or the server refused the publish (its reason
is printed); 2 a usage error; 3 the local store could not be opened or written;
4 (EXIT_QUEUED) the shared database was not reached: the version is queued in the local
store and the next sync pushes it, or (the same YAML in force here) nothing was
published but whether the server agrees is not known. A pipeline must not take either
for done.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from .common import EXIT_INVALID, EXIT_OK, EXIT_STORE, fail, open_store, positive_int, text

if TYPE_CHECKING:
    from console.app.usecases.matrix_versions import Outcome, Version
    from console.store.local import LocalStore
    from console.store.sync import Syncer

EXIT_QUEUED = 4  # the shared database was not reached: queued in the local store, or not known

STATUS = ("Exit status: 0 published (or already in force), 1 invalid or refused by the "
          "server, 2 usage error, 3 local store error, 4 the shared database was not "
          "reached: queued here, the next sync pushes it.")


def register(msub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    publish = msub.add_parser(
        "publish", help="publish a matrix file as the next version",
        description="Publish FILE as the next matrix version, into the local store and, "
                    "with a shared database configured, to the server at once (which "
                    "accepts it from a lead or an admin). The same YAML as the version in "
                    "force publishes nothing, so a pipeline may run this on every commit. "
                    + STATUS)
    publish.add_argument("file", metavar="FILE", help="a matrix file (YAML)")
    publish.add_argument("--comment", metavar="TEXT", type=text, required=True,
                         help="why this version (shown in the version history)")
    publish.set_defaults(func=_cmd_publish)

    versions = msub.add_parser(
        "versions", help="list the published matrix versions, oldest first",
        description="List every published matrix version, oldest first (the newest "
                    "last): number, when (UTC), author, name and comment; '*' marks the "
                    "version in force. With a shared database, pulls first.")
    versions.add_argument("--json", action="store_true",
                          help="one JSON array, for scripts (the YAML of each version too)")
    versions.set_defaults(func=_cmd_versions)

    restore = msub.add_parser(
        "restore", help="publish an earlier version again, as a new version",
        description="Publish version N again as the next version (history is never "
                    "rewritten). " + STATUS)
    restore.add_argument("number", metavar="N", type=positive_int,
                         help="the version to restore (see 'matrix versions')")
    restore.add_argument("--comment", metavar="TEXT", type=text,
                         help="why (default: 'Restored version N')")
    restore.set_defaults(func=_cmd_restore)


Work = Callable[["LocalStore", "Syncer | None", str], int]


def _run(args: argparse.Namespace, work: Work) -> int:
    """Open the data dir's store (and a Syncer when a shared database is configured),
    run ``work(store, syncer, author)``, close both."""
    from console.app.datadir import resolve_data_dir
    from console.app.identity import current_user, database_login
    from console.app.secrets import SecretsError
    from console.app.settings import Settings, SettingsError
    from console.store.errors import StoreError
    from console.store.sync import Syncer

    from .db import shared_password

    try:
        url = Settings(resolve_data_dir(args.data_dir)).shared_db_url
        password = shared_password(url) if url else None
    except (SettingsError, SecretsError) as exc:
        return fail(str(exc), EXIT_INVALID)
    # the server takes an event only from its author's own login
    author = database_login(url) or current_user()
    try:
        store = open_store(args)
    except StoreError as exc:
        return fail(str(exc), EXIT_STORE)
    syncer = Syncer(store, url, password) if url else None
    try:
        return work(store, syncer, author)
    except StoreError as exc:
        return fail(str(exc), EXIT_STORE)
    finally:
        if syncer is not None:
            syncer.close()
        store.close()


def _cmd_publish(args: argparse.Namespace) -> int:
    from console.app.matrices import read_matrix_file
    from console.app.usecases import matrix_versions as versions

    yaml_text, matrix, problems = read_matrix_file(args.file)
    if yaml_text is None or matrix is None:
        for problem in problems:
            print(problem)
        return fail(f"{args.file}: invalid ({len(problems)} problem"
                    f"{'s' if len(problems) != 1 else ''}); nothing published")

    def work(store: LocalStore, syncer: Syncer | None, author: str) -> int:
        return _report(versions.publish(store, yaml_text, matrix, author, args.comment,
                                        syncer))

    return _run(args, work)


def _cmd_restore(args: argparse.Namespace) -> int:
    from console.app.usecases import matrix_versions as versions
    from console.domain.matrix import MatrixError

    def work(store: LocalStore, syncer: Syncer | None, author: str) -> int:
        try:
            outcome = versions.restore(store, args.number, author, args.comment or "",
                                       syncer)
        except versions.UnknownVersion as exc:
            return fail(str(exc))
        except MatrixError as exc:  # a version some other client published unchecked
            for problem in exc.problems:
                print(problem)
            return fail(f"version {args.number} is not a valid matrix; nothing published")
        return _report(outcome)

    return _run(args, work)


def _report(outcome: Outcome) -> int:
    from console.app.usecases import matrix_versions as versions

    v = outcome.version
    if outcome.status == versions.UNCHANGED and outcome.reason:
        # another console may have published since this store last heard: not known done
        return fail(f"the shared database was not reached ({outcome.reason}); version "
                    f"{v.number} ({v.name}), in force as far as this data dir knows, has the "
                    "same YAML; nothing published", EXIT_QUEUED)
    if outcome.status == versions.UNCHANGED:
        print(f"unchanged: version {v.number} ({v.name}) in force has the same YAML; "
              "nothing published")
        return EXIT_OK
    if outcome.status == versions.REFUSED:
        return fail(f"the shared database refused version {v.number}: {outcome.reason}; "
                    "the matrix in force is unchanged")
    if outcome.status == versions.QUEUED:
        return fail(f"version {v.number} ({v.name}) is queued in the local store, not on "
                    f"the shared database ({outcome.reason}); it is pushed on the next sync "
                    "('escalation-console sync --once', or a console running on this data "
                    "dir)", EXIT_QUEUED)
    where = "the local store (no shared database)" if outcome.local_only else "the shared database"
    print(f"published version {v.number} ({v.name}) to {where}")
    return EXIT_OK


def _cmd_versions(args: argparse.Namespace) -> int:
    import sys

    from console.app.usecases import matrix_versions as versions

    def work(store: LocalStore, syncer: Syncer | None, author: str) -> int:
        offline = versions.pull(syncer)
        if offline is not None:  # still worth listing: what this store holds
            print(f"escalation-console: the shared database was not reached ({offline}); "
                  "listing the local store's versions", file=sys.stderr)
        listed = versions.list_versions(store)
        if args.json:
            print(json.dumps([_json(v) for v in listed], indent=2, ensure_ascii=False))
        elif not listed:
            print("no matrix version has been published yet (the bundled matrix is in force)")
        else:
            _table(listed)
        return EXIT_OK

    return _run(args, work)


def _json(v: Version) -> dict[str, object]:
    return {"number": v.number, "name": v.name, "author": v.author,
            "at": v.at.isoformat().replace("+00:00", "Z"), "comment": v.comment,
            "in_force": v.in_force, "event_id": v.event_id, "yaml": v.yaml}


def _table(listed: list[Version]) -> None:
    rows = [("", "N", "WHEN (UTC)", "AUTHOR", "NAME", "COMMENT")]
    rows += [("*" if v.in_force else "", str(v.number), f"{v.at:%Y-%m-%d %H:%M}", v.author,
              v.name, " ".join(v.comment.split())) for v in listed]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for row in rows:
        cells = [row[0].ljust(widths[0]), row[1].rjust(widths[1]),
                 *(c.ljust(w) for c, w in zip(row[2:5], widths[2:5], strict=True)), row[5]]
        print("  ".join(cells).rstrip())
