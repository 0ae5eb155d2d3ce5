"""Form drafts and the notification delivery outbox.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drafts",
        sa.Column("key", sa.String(160), primary_key=True),
        sa.Column("form", sa.String(40), nullable=False),
        sa.Column("ticket", sa.String(80), nullable=False, server_default=""),
        sa.Column("payload", sa.Text, nullable=False, server_default="{}"),
        sa.Column("updated_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("key", sa.String(300), nullable=False, unique=True),
        sa.Column("ticket", sa.String(80), nullable=False, index=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("contact", sa.String(120), nullable=False, server_default=""),
        sa.Column("payload", sa.Text, nullable=False, server_default="{}"),
        sa.Column("status", sa.String(20), nullable=False, server_default="pending",
                  index=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.String(40), nullable=False, index=True),
        sa.Column("last_error", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("sent_at", sa.String(40)),
        sa.Column("external_id", sa.String(200), nullable=False, server_default=""),
    )


def downgrade() -> None:
    op.drop_table("deliveries")
    op.drop_table("drafts")
