"""The local list of events the shared database refused (SQLite, the local store).

A console writes events offline and pushes them later, so the server's refusal (a
permission trigger of 0006) comes after the fact. The refused event leaves the local
log and outbox for this table, with the server's reason, so the projection again shows
what the server holds and the person still has what they wrote. On PostgreSQL this
revision only moves the version number: the server never holds a refused event.

The local log stays append-only with one deliberate exception: the 0001 trigger that
refuses DELETE now lets through an event that was never pulled (``seq`` is NULL: only
this console ever had it) and that is already in ``refused``. Moving an event is the
one way to delete one; an accepted or pulled event can still never be deleted.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_NO_DELETE = """
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events {when}
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only: DELETE refused'); END;
"""


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    if not _sqlite():
        return
    op.create_table(
        "refused",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("ticket", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("author", sa.String(120), nullable=False),
        sa.Column("device", sa.String(64), nullable=False),
        sa.Column("hlc", sa.String(100), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("refused_at", sa.String(40), nullable=False, index=True),
    )
    op.execute("DROP TRIGGER events_no_delete")
    op.execute(_NO_DELETE.format(when="WHEN OLD.seq IS NOT NULL OR NOT EXISTS "
                                      "(SELECT 1 FROM refused WHERE event_id = OLD.id)"))


def downgrade() -> None:
    if not _sqlite():
        return
    op.execute("DROP TRIGGER events_no_delete")
    op.execute(_NO_DELETE.format(when=""))
    op.drop_table("refused")
