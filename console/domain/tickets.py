"""Ticket events and the ticket state they fold into.

The same fold serves the engine, the simulate command and the store's projection:
state is a pure function of a ticket's events in order. The projection folds into a
``TicketState`` with its history (severity changes with their reasons, customer
messages, the latest handoff note); the engine, which holds every open ticket for the
process's lifetime and whose rules read none of that, folds into a ``TicketCore``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

# severity_disagreement, approval_requested/granted/denied and the engine's
# handoff_required events are kept for the audit trail and the metrics; the fold passes
# over them
WORKAROUNDS = ("none", "partial", "full")
# who sets the severity that decides whether Engineering must confirm (not a trigger)
FIRST_SETTERS = frozenset({"support", "intake", "engineering"})


def _word(value: Any, default: str = "") -> str:
    """A short word many tickets share (an account, a team, a severity): one copy per
    process. Each event's payload is decoded on its own, so without this every ticket
    held its own "enterprise" and "P2" (the engine and the projection hold 50,000)."""
    return sys.intern(str(value or default))


def _shared(value: Any) -> Any:
    """``value`` itself, one shared copy when it is a string."""
    return sys.intern(value) if type(value) is str else value


@dataclass(frozen=True, slots=True)
class TicketEvent:
    """One immutable thing that happened to a ticket."""

    at: datetime
    ticket: str
    type: str
    data: dict[str, Any] = field(default_factory=dict)
    author: str = ""


@dataclass(frozen=True, slots=True)
class Intake:
    """The facts severity scoring and triggers look at."""

    title: str = ""
    text: str = ""
    account: str = ""
    account_tier: str = ""
    users_affected_pct: float = 0.0
    workaround: str = "full"
    revenue_risk: bool = False
    security_breach: bool = False
    category: str = ""

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Intake:
        return cls(
            title=str(data.get("title") or ""), text=str(data.get("text") or ""),
            account=_word(data.get("account")),
            account_tier=_word(data.get("account_tier")),
            users_affected_pct=float(data.get("users_affected_pct") or 0.0),
            workaround=_word(data.get("workaround"), "full"),
            revenue_risk=bool(data.get("revenue_risk", False)),
            security_breach=bool(data.get("security_breach", False)),
            category=_word(data.get("category")),
        )


@dataclass(slots=True)
class SeverityChange:
    at: datetime
    severity: str
    by: str  # support | engineering | trigger | intake
    reason: str = ""


@dataclass(slots=True)
class TicketState:
    """Everything the clocks, triggers and the queue need to know about one ticket."""

    id: str
    opened_at: datetime
    intake: Intake
    severity: str | None = None          # set by a person or a trigger; None = use scored
    severity_history: tuple[SeverityChange, ...] = ()
    initial_set_at: datetime | None = None
    confirmed_at: datetime | None = None
    responded_at: datetime | None = None
    last_update_at: datetime | None = None
    updates_sent: int = 0
    status: str = "open"                 # open | waiting_on_customer | resolved
    pauses: list[tuple[datetime, datetime | None]] = field(default_factory=list)
    resolved_at: datetime | None = None
    acknowledged_at: datetime | None = None
    tier: str | None = None
    team: str | None = None
    owner: str = ""
    priority: str = "normal"
    messages: tuple[str, ...] = ()
    handoffs: int = 0
    latest_handoff: dict[str, Any] | None = None  # the receiving tier reads it pinned
    severity_by: str = ""                # who set ``severity``: the last change's ``by``
    first_severity: str | None = None    # the first one Support, intake or Engineering set
    # False: the fold leaves severity_history, messages and latest_handoff empty
    keeps_history: ClassVar[bool] = True

    @property
    def paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1][1] is None

    @property
    def open(self) -> bool:
        return self.resolved_at is None


@dataclass(slots=True)
class TicketCore(TicketState):
    """A ticket's state without its history: what the engine keeps of each open ticket.
    Its rules read the current severity, who set it and the first one set (kept as
    ``severity_by`` and ``first_severity``), never the reasons, the customer's earlier
    messages or the handoff note, which were most of a ticket's bytes."""

    keeps_history: ClassVar[bool] = False


def message_text(event: TicketEvent) -> str:
    """The customer's words a ``message`` event carries."""
    return str(event.data.get("text") or "")


def open_ticket(event: TicketEvent, state_type: type[TicketState] = TicketState
                ) -> TicketState:
    state = state_type(id=event.ticket, opened_at=event.at, intake=Intake.from_data(event.data))
    state.owner = _word(event.data.get("owner"))
    if event.data.get("severity"):
        _set_severity(state, event.at, sys.intern(str(event.data["severity"])),
                      _word(event.data.get("by"), "support"), str(event.data.get("reason") or ""))
    return state


def _set_severity(state: TicketState, at: datetime, severity: str, by: str, reason: str) -> None:
    if state.keeps_history:
        state.severity_history += (SeverityChange(at, severity, by, reason),)
    state.severity = severity
    state.severity_by = by
    if state.first_severity is None and by in FIRST_SETTERS:
        state.first_severity = severity
    if by == "engineering":
        state.confirmed_at = state.confirmed_at or at
        state.initial_set_at = state.initial_set_at or at
    elif by in ("support", "intake"):
        state.initial_set_at = state.initial_set_at or at


def raise_severity(state: TicketState, at: datetime, severity: str, reason: str) -> None:
    """A trigger bumped the severity. It settles nothing: no initial or confirmed time."""
    _set_severity(state, at, severity, "trigger", reason)


def apply_event(state: TicketState | None, event: TicketEvent,
                state_type: type[TicketState] = TicketState) -> TicketState | None:
    """Fold one event into the state (mutating it). Returns the state, new (a
    ``state_type``) for `opened`.

    Events for a ticket that was never opened are ignored: the fold is total, so an
    out-of-order or foreign event can never crash a projection."""
    if event.type == "opened":
        return open_ticket(event, state_type) if state is None else state
    if state is None:
        return None
    d, at = event.data, event.at
    kind = event.type
    if kind == "severity":
        _set_severity(state, at, sys.intern(str(d["severity"])), _word(d.get("by"), "support"),
                      str(d.get("reason") or ""))
    elif kind == "responded":
        state.responded_at = state.responded_at or at
    elif kind == "update_sent":
        state.last_update_at = at
        state.updates_sent += 1
        state.responded_at = state.responded_at or at
    elif kind == "status":
        _set_status(state, at, str(d.get("status") or "open"))
    elif kind == "message":
        if state.keeps_history:
            state.messages += (message_text(event),)
    elif kind == "acknowledged":
        state.acknowledged_at = at
    elif kind == "resolved":
        if state.paused:
            state.pauses[-1] = (state.pauses[-1][0], at)
        state.resolved_at = at
        state.status = "resolved"
    elif kind == "reopened":
        state.resolved_at = None
        state.status = "open"
    elif kind in ("escalated", "assigned", "routed"):  # routed: by the engine
        if d.get("by") == "engine" and state.team not in (None, d.get("from_team")):
            return state  # moved since the engine acted (its event came later): that stands
        state.team = _shared(d.get("team", state.team))
        state.tier = _shared(d.get("tier", state.tier))
        state.owner = _shared(d.get("owner", state.owner))
    elif kind == "prioritized":  # by the engine: a trigger raised the queue priority
        state.priority = _shared(d.get("priority", state.priority))
    elif kind == "handoff_submitted":
        state.handoffs += 1
        if state.keeps_history:
            state.latest_handoff = dict(d)
    return state


def _set_status(state: TicketState, at: datetime, status: str) -> None:
    if status == "waiting_on_customer" and not state.paused and state.open:
        state.pauses.append((at, None))
        state.status = status
    elif status == "open" and state.paused:
        state.pauses[-1] = (state.pauses[-1][0], at)
        state.status = "open"
