"""The local list of events the shared database refused (B fills this in).

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.get_bind()


def downgrade() -> None:
    op.get_bind()
