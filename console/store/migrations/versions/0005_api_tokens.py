"""Bearer tokens of the intake API (``serve tokens add|list|revoke``), one row a token.

Only the SHA-256 of each token is stored: a token is 32 random bytes, so its hash
cannot be searched back, and a stolen table lets nobody in. Created on PostgreSQL
only: every ``serve`` instance checks tokens against the shared database, so a token
made on one host works on all of them; a local SQLite cache has no use for the table
(as with 0004, on SQLite this revision only moves the version number).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if not _postgres():
        return
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),      # the integration, "zendesk"
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),  # sha256 hex
        sa.Column("prefix", sa.String(16), nullable=False),    # shown by `tokens list`
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), nullable=False,
                  server_default=sa.text("now()")),
        sa.Column("revoked_at", postgresql.TIMESTAMP(timezone=True)),
    )
    # one live token per integration; revoked rows stay for the record
    op.create_index("api_tokens_live_name", "api_tokens", ["name"], unique=True,
                    postgresql_where=sa.text("revoked_at IS NULL"))


def downgrade() -> None:
    if _postgres():
        op.drop_table("api_tokens")
