"""The shared database's schema at start: migrated with ``serve --migrate``, otherwise
only checked, because migrating is DDL, which a service login should not need (and
which a later hardening forbids to non-admin logins)."""

from __future__ import annotations

from typing import Any

from console.store import migrate
from console.store.server import SharedDatabase, SharedDBError


class SchemaError(RuntimeError):
    """The shared database's schema does not match this program."""


def current_revision(db: SharedDatabase) -> str | None:
    """The Alembic revision of the shared database, None when it has no schema yet."""
    def work(conn: Any) -> str | None:
        exists = conn.execute("SELECT to_regclass('alembic_version')").fetchone()
        if exists is None or exists[0] is None:
            return None
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return str(row[0]) if row else None

    return db.transaction("reading the schema revision of", work)


def check_schema(db: SharedDatabase) -> str:
    """The database's revision when it is this program's head; raise SchemaError
    saying what to do otherwise (SharedDBError when it cannot be reached)."""
    head = migrate.head_revision()
    current = current_revision(db)
    upgrade = (f"run 'escalation-console db upgrade {db.url}' as the database owner, or "
               "start the service once with --migrate")
    if current is None:
        raise SchemaError(f"the shared database {db.masked_url} has no schema yet; {upgrade}")
    if current == head:
        return current
    if _is_older(current, head):
        raise SchemaError(f"the shared database {db.masked_url} is at schema revision "
                          f"{current}, behind this program's {head}; {upgrade}")
    raise SchemaError(f"the shared database {db.masked_url} is at schema revision "
                      f"{current}, which this program does not know (its newest is {head}): "
                      "a newer escalation-console migrated it; upgrade this one")


def _is_older(current: str, head: str) -> bool:
    """Whether ``current`` is one of this program's revisions before ``head``."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate._config())
    return any(rev.revision == current for rev in script.walk_revisions("base", head))


def prepare_schema(db: SharedDatabase, *, run_migrations: bool) -> tuple[str | None, str]:
    """Migrate (when asked) or check; (revision before, revision now)."""
    if run_migrations:
        return db.migrate()
    revision = check_schema(db)
    return revision, revision


__all__ = ["SchemaError", "SharedDBError", "check_schema", "current_revision",
           "prepare_schema"]
