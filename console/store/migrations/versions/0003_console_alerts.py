"""Alerts a console raised, kept until acknowledged (they survive a restart).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_alerts",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("ticket", sa.String(80), nullable=False, server_default=""),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("payload", sa.Text, nullable=False, server_default="{}"),
        sa.Column("raised_at", sa.String(40), nullable=False, index=True),
        sa.Column("acknowledged_at", sa.String(40), index=True),
    )


def downgrade() -> None:
    op.drop_table("console_alerts")
