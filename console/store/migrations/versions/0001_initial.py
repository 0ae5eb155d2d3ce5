"""Initial schema: event log, outbox, cursor, projections, claims, profiles.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    seq = (sa.Column("seq", sa.BigInteger, sa.Identity(always=False), unique=True)
           if postgres else sa.Column("seq", sa.BigInteger, unique=True))
    op.create_table(
        "events",
        sa.Column("id", sa.String(36), primary_key=True),
        seq,
        sa.Column("ticket", sa.String(80), nullable=False, index=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("author", sa.String(120), nullable=False),
        sa.Column("device", sa.String(64), nullable=False),
        sa.Column("hlc", sa.String(100), nullable=False, index=True),
        sa.Column("at", sa.String(40), nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("event_id", sa.String(36), sa.ForeignKey("events.id"), primary_key=True),
        sa.Column("queued_hlc", sa.String(100), nullable=False, index=True),
    )
    op.create_table(
        "sync_cursor",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.create_table(
        "tickets",
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column("title", sa.Text, nullable=False, server_default=""),
        sa.Column("account", sa.String(200), nullable=False, server_default=""),
        sa.Column("account_tier", sa.String(40), nullable=False, server_default=""),
        sa.Column("severity", sa.String(20), nullable=False, server_default=""),
        sa.Column("severity_source", sa.String(20), nullable=False, server_default=""),
        sa.Column("confirmed", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("status", sa.String(30), nullable=False, server_default="open"),
        sa.Column("tier", sa.String(20), nullable=False, server_default=""),
        sa.Column("team", sa.String(80), nullable=False, server_default=""),
        sa.Column("owner", sa.String(120), nullable=False, server_default=""),
        sa.Column("priority", sa.String(20), nullable=False, server_default="normal"),
        sa.Column("category", sa.String(60), nullable=False, server_default=""),
        sa.Column("opened_at", sa.String(40), nullable=False, server_default=""),
        sa.Column("resolved_at", sa.String(40)),
        sa.Column("next_due", sa.String(40), index=True),
        sa.Column("clocks", sa.Text, nullable=False, server_default="[]"),
        sa.Column("detail", sa.Text, nullable=False, server_default="{}"),
        sa.Column("last_hlc", sa.String(100), nullable=False, server_default=""),
        sa.Column("event_count", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "matrix_versions",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("yaml", sa.Text, nullable=False),
        sa.Column("author", sa.String(120), nullable=False),
        sa.Column("comment", sa.Text, nullable=False, server_default=""),
        sa.Column("hlc", sa.String(100), nullable=False, index=True),
    )
    op.create_table(
        "user_profiles",
        sa.Column("id", sa.String(120), primary_key=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("roles", sa.Text, nullable=False, server_default="[]"),
        sa.Column("team", sa.String(80), nullable=False, server_default=""),
    )
    op.create_table(
        "notification_claims",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("device", sa.String(64), nullable=False),
        sa.Column("claimed_at", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="claimed"),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(60), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    # The event log is append-only, on both sides.
    if postgres:
        op.execute("""
            CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'the event log is append-only: % refused', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END $$;
        """)
        op.execute("""
            CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON events
            FOR EACH ROW EXECUTE FUNCTION events_append_only();
        """)
        op.execute("""
            CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
            FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();
        """)
        # Wakes pullers; carries no data, so a missed notification only costs latency.
        op.execute("""
            CREATE FUNCTION events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('escalation_console_events', '');
                RETURN NULL;
            END $$;
        """)
        op.execute("""
            CREATE TRIGGER events_notify AFTER INSERT ON events
            FOR EACH STATEMENT EXECUTE FUNCTION events_notify();
        """)
    else:
        for op_name in ("UPDATE", "DELETE"):
            op.execute(f"""
                CREATE TRIGGER events_no_{op_name.lower()} BEFORE {op_name} ON events
                BEGIN SELECT RAISE(ABORT, 'the event log is append-only: {op_name} refused');
                END;
            """)


def downgrade() -> None:
    for table in ("meta", "notification_claims", "user_profiles", "matrix_versions",
                  "tickets", "sync_cursor", "outbox", "events"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS events_append_only() CASCADE")
        op.execute("DROP FUNCTION IF EXISTS events_notify() CASCADE")
