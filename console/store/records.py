"""Plain records that cross the store's boundary (no ORM objects leak out)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from console.domain.tickets import TicketEvent

from .models import EventRow, TicketRow


@dataclass(frozen=True, slots=True)
class StoredEvent:
    id: str
    ticket: str
    kind: str
    payload: dict[str, Any]
    author: str
    device: str
    hlc: str
    at: datetime
    seq: int | None = None

    def to_domain(self) -> TicketEvent:
        return TicketEvent(self.at, self.ticket, self.kind, self.payload, self.author)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "ticket": self.ticket, "kind": self.kind,
                "payload": self.payload, "author": self.author, "device": self.device,
                "hlc": self.hlc, "at": self.at.isoformat(), "seq": self.seq}

    def to_row(self) -> dict[str, Any]:
        return {"id": self.id, "ticket": self.ticket, "kind": self.kind,
                "payload": json.dumps(self.payload, sort_keys=True, separators=(",", ":")),
                "author": self.author, "device": self.device, "hlc": self.hlc,
                "at": self.at.isoformat()}

    @classmethod
    def from_row(cls, row: EventRow | Any) -> StoredEvent:
        return cls(row.id, row.ticket, row.kind, json.loads(row.payload), row.author,
                   row.device, row.hlc, datetime.fromisoformat(row.at), row.seq)


@dataclass(frozen=True, slots=True)
class TicketRecord:
    """A ticket's projected row as plain data (times as stored: UTC ISO text)."""

    id: str
    title: str
    account: str
    account_tier: str
    severity: str
    severity_source: str
    confirmed: bool
    status: str
    tier: str
    team: str
    owner: str
    priority: str
    category: str
    opened_at: str
    resolved_at: str | None
    next_due: str | None
    clocks: str
    detail: str
    last_hlc: str
    event_count: int

    @classmethod
    def from_row(cls, row: TicketRow) -> TicketRecord:
        return cls(row.id, row.title, row.account, row.account_tier, row.severity,
                   row.severity_source, bool(row.confirmed), row.status, row.tier, row.team,
                   row.owner, row.priority, row.category, row.opened_at, row.resolved_at,
                   row.next_due, row.clocks, row.detail, row.last_hlc, row.event_count)


@dataclass(frozen=True, slots=True)
class Draft:
    """A form being filled in, as autosaved."""

    key: str
    form: str
    ticket: str
    payload: dict[str, Any]
    updated_at: datetime
