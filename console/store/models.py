"""Tables of the local store (SQLite) and the shared database (PostgreSQL).

Both run the same migrations. The event log is the source of truth; everything else
is a projection of it (tickets, matrix versions) or bookkeeping (outbox, cursor).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CursorResult,
    ForeignKey,
    Integer,
    Result,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


def table_of(row: type[Base]) -> Table:
    """The Table behind a mapped class (``__table__`` is typed as any FromClause)."""
    table = row.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{row.__name__} is not mapped to a table")
    return table


def rows_affected(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed (its result is a CursorResult)."""
    return int(result.rowcount or 0) if isinstance(result, CursorResult) else 0


class EventRow(Base):
    """One immutable event. ``seq`` is the shared database's order (NULL until pulled)."""

    __tablename__ = "events"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    ticket: Mapped[str] = mapped_column(String(80), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)  # JSON
    author: Mapped[str] = mapped_column(String(120))
    device: Mapped[str] = mapped_column(String(64))
    hlc: Mapped[str] = mapped_column(String(100), index=True)
    at: Mapped[str] = mapped_column(String(40))  # ISO-8601 UTC, the event's business time


class OutboxRow(Base):
    """Events the shared database has not acknowledged yet."""

    __tablename__ = "outbox"

    event_id: Mapped[str] = mapped_column(ForeignKey("events.id"), primary_key=True)
    queued_hlc: Mapped[str] = mapped_column(String(100), index=True)


class SyncCursorRow(Base):
    __tablename__ = "sync_cursor"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)


class TicketRow(Base):
    """The ticket projection: a fold of the ticket's events in HLC order."""

    __tablename__ = "tickets"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    title: Mapped[str] = mapped_column(Text, default="")
    account: Mapped[str] = mapped_column(String(200), default="")
    account_tier: Mapped[str] = mapped_column(String(40), default="")
    severity: Mapped[str] = mapped_column(String(20), default="")
    severity_source: Mapped[str] = mapped_column(String(20), default="")
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(30), default="open")
    tier: Mapped[str] = mapped_column(String(20), default="")
    team: Mapped[str] = mapped_column(String(80), default="")
    owner: Mapped[str] = mapped_column(String(120), default="")
    priority: Mapped[str] = mapped_column(String(20), default="normal")
    category: Mapped[str] = mapped_column(String(60), default="")
    opened_at: Mapped[str] = mapped_column(String(40), default="")
    resolved_at: Mapped[str | None] = mapped_column(String(40))
    next_due: Mapped[str | None] = mapped_column(String(40), index=True)
    clocks: Mapped[str] = mapped_column(Text, default="[]")  # JSON list
    detail: Mapped[str] = mapped_column(Text, default="{}")  # JSON: score, handoff...
    last_hlc: Mapped[str] = mapped_column(String(100), default="")
    event_count: Mapped[int] = mapped_column(Integer, default=0)


class MatrixVersionRow(Base):
    """Published matrix versions (a projection of matrix_published events)."""

    __tablename__ = "matrix_versions"

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    yaml: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(120))
    comment: Mapped[str] = mapped_column(Text, default="")
    hlc: Mapped[str] = mapped_column(String(100), index=True)


class UserProfileRow(Base):
    __tablename__ = "user_profiles"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    roles: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of matrix role ids
    team: Mapped[str] = mapped_column(String(80), default="")


class NotificationClaimRow(Base):
    """One alert or notification step claimed by one console, so it goes out once."""

    __tablename__ = "notification_claims"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    device: Mapped[str] = mapped_column(String(64))
    claimed_at: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="claimed")


class MetaRow(Base):
    """Local facts: this console's device id, its last HLC."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class DraftRow(Base):
    """A form being filled in: autosaved on every change, so nothing typed is lost."""

    __tablename__ = "drafts"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)  # e.g. handoff:INC-1
    form: Mapped[str] = mapped_column(String(40))
    ticket: Mapped[str] = mapped_column(String(80), default="")
    payload: Mapped[str] = mapped_column(Text, default="{}")  # JSON of the form's fields
    updated_at: Mapped[str] = mapped_column(String(40))


class DeliveryRow(Base):
    """One notification to send through one channel: the durable notification outbox.

    ``key`` is the exactly-once identity (ticket, clock, threshold, step, ...); the shared
    database's notification_claims decides which console sends it."""

    __tablename__ = "deliveries"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    ticket: Mapped[str] = mapped_column(String(80), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    contact: Mapped[str] = mapped_column(String(120), default="")
    payload: Mapped[str] = mapped_column(Text, default="{}")  # the message, as JSON
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[str] = mapped_column(String(40), index=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[str] = mapped_column(String(40))
    sent_at: Mapped[str | None] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(200), default="")


class ConsoleAlertRow(Base):
    """An alert this console raised (or a summary of several), kept until acknowledged
    so the Alerts panel shows it again after a restart. Local to each console."""

    __tablename__ = "console_alerts"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    ticket: Mapped[str] = mapped_column(String(80), default="")  # "" for a summary
    kind: Mapped[str] = mapped_column(String(20))  # alert | summary
    payload: Mapped[str] = mapped_column(Text, default="{}")  # JSON to rebuild the entry
    raised_at: Mapped[str] = mapped_column(String(40), index=True)
    acknowledged_at: Mapped[str | None] = mapped_column(String(40), index=True)


class RefusedRow(Base):
    """An event of this console the shared database refused, moved out of the log with
    the server's reason (local only: the server never held it)."""

    __tablename__ = "refused"

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    ticket: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)  # JSON, as in events
    author: Mapped[str] = mapped_column(String(120))
    device: Mapped[str] = mapped_column(String(64))
    hlc: Mapped[str] = mapped_column(String(100))
    at: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    refused_at: Mapped[str] = mapped_column(String(40), index=True)
