"""The shared database's schema at start: migrated with ``serve --migrate``, otherwise
only checked, because migrating is DDL, which a service login should not need (and
which only the admin role may run: ``--migrate`` with a service login at head does
nothing, and behind, says an admin must upgrade)."""

from __future__ import annotations

from console.store import migrate
from console.store.server import SharedDatabase, SharedDBError


class SchemaError(RuntimeError):
    """The shared database's schema does not match this program."""


def current_revision(db: SharedDatabase) -> str | None:
    """The Alembic revision of the shared database, None when it has no schema yet."""
    return db.schema_revision()


def check_schema(db: SharedDatabase) -> str:
    """The database's revision when it is this program's head; raise SchemaError
    saying what to do otherwise (SharedDBError when it cannot be reached)."""
    head = migrate.head_revision()
    current = current_revision(db)
    upgrade = (f"run 'escalation-console db upgrade {db.url}' with an admin's login, or "
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
    """Migrate (when asked and behind: an admin's login only) or check; (revision
    before, revision now)."""
    if run_migrations:
        return db.ensure_schema()
    revision = check_schema(db)
    return revision, revision


__all__ = ["SchemaError", "SharedDBError", "check_schema", "current_revision",
           "prepare_schema"]
