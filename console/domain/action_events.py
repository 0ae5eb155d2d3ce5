"""The engine's actions on a ticket, as events of the log.

When the engine routes a settled ticket to its severity's owning team, or a trigger
escalates it, bumps its severity, requires a handoff or raises its priority, the fire
says so; the event built here records it, so the projection (the queue, the wall, the
details) shows what the engine did and reports can count it:

- ``route`` -> ``routed``: ``team``, ``tier``, ``from_team``, ``severity`` (the
  settled one);
- ``escalate`` -> ``escalated``: ``team``, ``tier``, ``from_team``, ``from_tier``,
  ``mode`` (functional or hierarchical; also as ``kind``, people's escalations' word);
- ``severity_bump`` -> ``severity``: ``severity``, ``from``, ``by: "trigger"`` (the
  fold's word for a bump: it settles nothing);
- ``handoff_required`` -> ``handoff_required``: ``team``, ``tier``;
- ``prioritize`` -> ``prioritized``: ``priority``.

Each also carries ``reason`` (the fire's words), ``by: "engine"`` (but a bump, see
above) and, for a trigger's action, ``trigger`` (its id) and ``values`` (what it
matched, in words). ``notify`` fires are deliveries, not changes to the ticket.

Exactly once across instances: the event's id is a uuid5 of the fire's identity
(``Fire.key``, which every instance computes alike from the same events) and what it
did, so two writers of one action (a takeover race, two paging consoles) write one
row: the shared log inserts ``ON CONFLICT (id) DO NOTHING`` and a local store skips an
id it holds.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .fires import Fire
from .tickets import TicketEvent

ENGINE = "engine"  # ``by`` of the engine's events (their author: the writing login)
# the fire kinds that change a ticket, and the event kind each becomes
EVENT_KINDS = {"route": "routed", "escalate": "escalated", "severity_bump": "severity",
               "handoff_required": "handoff_required", "prioritize": "prioritized"}
# event kinds only the engine writes
ENGINE_ONLY = frozenset({"routed", "handoff_required", "prioritized"})
NAMESPACE = uuid.UUID("6b1f3c52-9d7e-5a40-8c1b-2e4f6a8d0c3e")


@dataclass(frozen=True, slots=True)
class ActionEvent:
    """One action of the engine, ready to append (its id decided by the fire)."""

    id: str
    ticket: str
    kind: str
    payload: dict[str, Any]
    at: datetime


def is_engine_action(event: TicketEvent) -> bool:
    """Whether ``event`` records an action of the engine (its own, or another
    instance's from the same events): a ``routed``, ``handoff_required`` or
    ``prioritized`` event, an ``escalated`` one by the engine, or a trigger's bump
    (``by: "trigger"`` naming its trigger)."""
    kind, by = event.type, event.data.get("by")
    return (kind in ENGINE_ONLY or (kind == "escalated" and by == ENGINE)
            or (kind == "severity" and by == "trigger" and "trigger" in event.data))


def _values(fire: Fire) -> str:
    """What the trigger matched, in words: the reason after ``trigger ID: ``."""
    prefix = f"trigger {fire.extra.get('trigger')}: "
    return fire.reason.removeprefix(prefix)


def action_event(fire: Fire) -> ActionEvent | None:
    """The event recording ``fire``, or None for a fire that changes no ticket."""
    kind = EVENT_KINDS.get(fire.kind)
    if kind is None:
        return None
    x = fire.extra
    payload: dict[str, Any] = {"by": ENGINE, "reason": fire.reason}
    if x.get("trigger") is not None:
        payload.update(trigger=x["trigger"], values=_values(fire))
    # what it did, beyond the fire's key: a trigger with two actions of one kind,
    # or a ticket routed again after a later severity change, is two events
    did: list[Any]
    if fire.kind == "route":
        payload.update(team=x["team"], tier=x["tier"], from_team=x.get("from_team"),
                       severity=fire.severity)
        did = [x["team"], fire.severity, fire.at.isoformat()]
    elif fire.kind == "escalate":
        payload.update(team=x["team"], tier=x["tier"], from_team=x.get("from_team"),
                       from_tier=x.get("from_tier"), mode=x.get("mode"), kind=x.get("mode"))
        did = [x["team"]]
    elif fire.kind == "severity_bump":
        payload.update(severity=fire.severity, by="trigger", **{"from": x.get("from")})
        did = [fire.severity]
    elif fire.kind == "handoff_required":
        payload.update(team=x.get("team"), tier=x.get("tier"))
        did = []
    else:  # prioritize
        payload.update(priority=x.get("priority"))
        did = [x.get("priority")]
    identity = json.dumps([list(fire.key), kind, did], default=str)
    return ActionEvent(str(uuid.uuid5(NAMESPACE, identity)), fire.ticket, kind, payload,
                       fire.at)


def action_events(fires: Iterable[Fire]) -> list[ActionEvent]:
    """The events recording these fires' actions, in fire order."""
    return [e for f in fires if (e := action_event(f)) is not None]
