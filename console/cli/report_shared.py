"""``escalation-console report --shared``: the report from the shared database's rollup
(``report_facts``, kept by the escalation service), with the shared log's matrix in
force. The connection is ``people``'s: ``--url``, else the configured shared database,
with the keyring's password (or ``--password-stdin``, or $PGPASSWORD).

A rollup nobody keeps (no ``escalation-console serve`` running) falls behind the log:
the report says so on standard error, with how many events it leaves out, and still
prints what there is. It never folds those events itself: only the service's login may
write the rollup (migration 0008), and only its active instance does, so two writers
never fold the same tickets at once.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from .common import EXIT_INVALID, fail

if TYPE_CHECKING:
    from console.app.usecases.reports import ReportStore
    from console.domain.matrix import Matrix
    from console.domain.reports import PagingLoad, Report
    from console.store.server import SharedDatabase

Compute = Callable[["ReportStore"], "tuple[Report, Matrix] | int"]
Emit = Callable[["tuple[Report, Matrix, PagingLoad | None]"], int]
NEED = "0008"  # the revision that made the rollup


def behind_warning(count: int) -> str:
    """What standard error says when the rollup has not folded ``count`` events."""
    s = "" if count == 1 else "s"
    return (f"escalation-console report: warning: the shared reports rollup is {count} "
            f"event{s} behind the log, so this report leaves {'it' if count == 1 else 'them'} "
            "out; the escalation service keeps it ('escalation-console serve' with the "
            "service login, refreshing every 10 s): start it, or wait for it to catch up")


def shared_report(args: argparse.Namespace, compute: Compute, emit: Emit) -> int:
    """Connect, check the schema, compute the report from the shared rollup, warn when it
    is behind, and ``emit`` it (no paging load: the outbox is not in the database)."""
    from sqlalchemy.exc import SQLAlchemyError

    from console.app.matrices import load_matrix_file
    from console.paths import default_matrix_path
    from console.store.server import SharedDatabase, SharedDBError
    from console.store.shared_reports import SharedReports

    from .db import PasswordError, explain_db_error
    from .people import shared_connection

    try:
        url, password = shared_connection(args)
    except (SharedDBError, PasswordError) as exc:
        return fail(str(exc), EXIT_INVALID)
    db = SharedDatabase(url, password)
    try:
        problem = _schema_problem(db)
        if problem:
            return fail(problem, EXIT_INVALID)
        engine = db.sqlalchemy_engine("escalation-console report")
        try:
            shared = SharedReports(engine, load_matrix_file(default_matrix_path()))
            done = compute(shared)
            if isinstance(done, int):
                return done
            missing = shared.behind()
        except SQLAlchemyError as exc:  # the server went away, or refused a read
            reason = db.scrub(str(getattr(exc, "orig", None) or exc).strip().splitlines()[0])
            return fail(f"reading the reports from {db.masked_url} failed: {reason}",
                        EXIT_INVALID)
        finally:
            engine.dispose()
    except SharedDBError as exc:
        return fail(explain_db_error(exc, url, password), EXIT_INVALID)
    finally:
        db.close()
    if missing:
        print(behind_warning(missing), file=sys.stderr)
    return emit((done[0], done[1], None))


def _schema_problem(db: SharedDatabase) -> str | None:
    """Why the shared database cannot answer a report (its schema predates the rollup),
    or None. Connecting here also turns an unreachable server into SharedDBError."""
    from console.store import migrate

    current = db.schema_revision()
    if current is not None and current >= NEED:
        return None
    at = f"at revision {current}" if current else "empty (no schema)"
    return (f"the shared database {db.masked_url} is {at}; reports need revision {NEED} "
            f"or later (this program's is {migrate.head_revision()}): an admin runs "
            f"'escalation-console db upgrade URL'")
