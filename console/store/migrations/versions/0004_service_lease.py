"""The service lease: which ``serve`` instance is active (one row per lease name).

Created on PostgreSQL only. The same migration chain runs on every console's local
SQLite store, but a lease only means something where several processes meet: in the
shared database, whose clock (``now()``) decides expiry. A lease table in a local cache
would be an empty table nobody reads, and SQLite has no ``timestamptz`` nor a server
clock, so on SQLite this revision only moves the version number.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if not _postgres():
        return
    op.create_table(
        "service_lease",
        sa.Column("name", sa.String(40), primary_key=True),  # "pager"
        sa.Column("holder", sa.String(200), nullable=False),  # instance id, host:pid
        sa.Column("host", sa.String(200), nullable=False, server_default=""),
        # One per process: a restarted (or duplicated) instance with the same name is a
        # new holder, so it waits for the lease and gets a new epoch like any other.
        sa.Column("token", sa.String(64), nullable=False, server_default=""),
        # The fencing token: +1 on every change of holder.
        sa.Column("epoch", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("renewed_at", postgresql.TIMESTAMP(timezone=True), nullable=False,
                  server_default=sa.text("now()")),
        sa.Column("expires_at", postgresql.TIMESTAMP(timezone=True), nullable=False,
                  server_default=sa.text("now()")),
    )


def downgrade() -> None:
    if _postgres():
        op.drop_table("service_lease")
