"""The events a user's action records: pure decisions the app layer only stores.

- ``handoff_events``: a handoff, and the move to the target team when it moves.
- ``approval_events``: an approval request routed by the authority table, granted at
  once when the requester's own authority covers it.
"""

from __future__ import annotations

from typing import Any

from .handoff import check_authority
from .matrix.model import Matrix

Events = list[tuple[str, dict[str, Any]]]


def handoff_events(matrix: Matrix, payload: dict[str, Any], current_team: str, user: str,
                   move: bool) -> Events:
    """``handoff_submitted``, and ``escalated`` when the ticket moves to the target team."""
    events: Events = [("handoff_submitted", {**payload, "by": user})]
    target = payload.get("target")
    if move and target and target != current_team:
        team = matrix.team(str(target))
        events.append(("escalated", {"team": team.id, "tier": team.tier,
                                     "kind": payload.get("mode", "functional"),
                                     "from_team": current_team, "by": user,
                                     "reason": payload.get("reason", "")}))
    return events


def approval_events(matrix: Matrix, request_id: str, action: str, amount: float | None,
                    role: str, reason: str, user: str, severity: str | None) -> Events:
    """``approval_requested`` routed by the authority table; a decision within the
    requester's own authority is granted by them at once (``within_limit``).
    ``request_id`` is the id the request event will be stored under."""
    decision = check_authority(matrix, action, amount, role, severity)
    request = {"action": action, "amount": amount, "unit": decision.unit,
               "requested_by": user, "requester_role": role,
               "route_to_role": decision.route_to_role, "reason": reason,
               "severity": severity,
               "approvers": [a.role for a in decision.approvers]}
    events: Events = [("approval_requested", request)]
    if decision.allowed:
        events.append(("approval_granted", {"request_id": request_id, "by": user,
                                            "role": role, "within_limit": True}))
    return events
