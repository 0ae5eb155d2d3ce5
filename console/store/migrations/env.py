"""Alembic environment: always run with a connection handed in by console.store.migrate.

On PostgreSQL the migrations run as the schema's owner role, ``escalation_owner``
(migration 0006), once it may create in the schema: its members (admins, through the
NOINHERIT ``admin`` role) and superusers take it deliberately here with ``SET LOCAL
ROLE``, so what a migration creates belongs to the owner too. Before 0006 (and for
0006's own first steps) the session's login runs them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from alembic import context
from alembic.runtime.migration import MigrationContext, MigrationInfo
from sqlalchemy import Connection

from console.store.models import Base

OWNER = "escalation_owner"

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable through the alembic CLI
    raise RuntimeError("run migrations with `escalation-console db upgrade`")


def _as_owner(conn: Connection) -> None:
    """``SET LOCAL ROLE escalation_owner`` when the role exists, this session may take
    it and it may create in the schema (0006 has run); else nothing."""
    if conn.dialect.name != "postgresql":
        return
    ready = conn.exec_driver_sql(
        "SELECT current_user <> rolname AND pg_has_role(session_user, oid, 'MEMBER') "
        "AND has_schema_privilege(oid, current_schema(), 'CREATE') "
        f"FROM pg_roles WHERE rolname = '{OWNER}'").scalar()
    if ready:
        conn.exec_driver_sql(f"SET LOCAL ROLE {OWNER}")


def _after_step(ctx: MigrationContext, step: MigrationInfo, heads: Collection[Any],
                run_args: Mapping[str, Any]) -> None:
    del step, heads, run_args  # alembic passes them by name
    if ctx.connection is not None:  # 0006 itself ends as the owner; later steps too
        _as_owner(ctx.connection)


context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite",
                  on_version_apply=_after_step)
with context.begin_transaction():
    _as_owner(connection)
    context.run_migrations()
