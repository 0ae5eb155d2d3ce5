"""The reports' rollup: ``report_facts``, one row per ticket (console/store/report_facts.py).

Both dialects. Locally the projector keeps it, in the same transaction as the ticket
projection; rows of a store upgraded to 0008 are filled by the first report (the
console's start never waits for a year of history). On PostgreSQL the shared database's
table is kept by the escalation service as it pulls (it holds every event), and read by
every console: the owner's default privileges (0006) give SELECT to every role; the
``service`` role alone writes it. ``last_seq`` there is the log's last ``seq`` folded
into the row, so a refresh refolds only tickets whose log moved.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _role_exists(name: str) -> bool:
    found = op.get_bind().execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :n"),
                                  {"n": name}).first()
    return found is not None


def upgrade() -> None:
    op.create_table(
        "report_facts",
        sa.Column("ticket", sa.String(80), primary_key=True),
        sa.Column("opened_us", sa.BigInteger, nullable=False, index=True),
        sa.Column("horizon_us", sa.BigInteger, nullable=False, index=True),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("teams", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("last_seq", sa.BigInteger, nullable=True),
        sa.Column("facts", sa.Text, nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql" and _role_exists("service"):
        op.execute("GRANT SELECT ON report_facts TO agent, lead, commander, admin, service")
        op.execute("GRANT INSERT, UPDATE, DELETE ON report_facts TO service")


def downgrade() -> None:
    op.drop_table("report_facts")
