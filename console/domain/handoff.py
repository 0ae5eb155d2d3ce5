"""Handoff and decision-authority rules: pure functions the forms and tests share.

- ``check_handoff``: required fields (from the category's template) → ``{field: message}``.
- ``history_summary``: the ticket's events as short lines, to pre-fill the handoff.
- ``check_authority``: may this role take this action at this amount, and if not, who
  must approve it.
- ``pending_approvals``: approval requests that nobody has granted or denied yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Protocol

from .matrix.format import HANDOFF_FIELDS
from .matrix.model import Authority, HandoffTemplate, Matrix

MODES = ("functional", "hierarchical")
URGENCIES = ("low", "normal", "high", "critical")
URGENCY_BY_SEVERITY = {0: "critical", 1: "high", 2: "normal"}
FIELD_LABELS = {
    "summary": "Issue summary", "details": "Ticket details", "customer": "Customer and account",
    "history": "History so far", "steps_tried": "Troubleshooting tried",
    "next_steps": "Next steps", "reason": "Escalation reason", "target": "Target team",
    "mode": "Kind of move", "urgency": "Urgency", "attachments": "Attachments",
    "context": "Triage context",
}
# What to write, when the template has no prompt of its own.
FIELD_HELP = {
    "summary": "one sentence the next person can act on",
    "details": "what is broken, where, since when",
    "customer": "who the customer is and their account",
    "history": "what happened so far (pre-filled from the ticket)",
    "steps_tried": "what you already tried, with results",
    "next_steps": "what should happen next, and what the customer was promised",
    "reason": "why this goes to another team now",
    "target": "the team that takes the ticket",
    "mode": "functional (another function) or hierarchical (a higher tier)",
    "urgency": "how fast the receiving team must act",
    "attachments": "logs, screenshots or other files",
    "context": "filled in later by triage assistance",
}
ALWAYS_REQUIRED = ("target", "mode")


class EventLike(Protocol):
    """What the history builder reads: a StoredEvent fits."""

    @property
    def at(self) -> datetime: ...
    @property
    def kind(self) -> str: ...
    @property
    def payload(self) -> dict[str, Any]: ...
    @property
    def author(self) -> str: ...


class IdentifiedEvent(EventLike, Protocol):
    @property
    def id(self) -> str: ...


def _blank(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return not value
    return value is None or not str(value).strip()


def required_fields(template: HandoffTemplate) -> tuple[str, ...]:
    """The template's required fields plus the target and the kind of move, in form order."""
    wanted = set(template.required) | set(ALWAYS_REQUIRED)
    return tuple(f for f in HANDOFF_FIELDS if f in wanted)


def field_message(template: HandoffTemplate, name: str) -> str:
    """The message shown next to an empty required field."""
    label = FIELD_LABELS.get(name, name)
    hint = template.prompts.get(name) or FIELD_HELP.get(name, "")
    if name == "attachments":
        return (f"{label} are required for {template.category} handoffs: add "
                f"{hint[:1].lower() + hint[1:]}.")
    if name in ("target", "mode", "urgency"):
        return f"Choose the {label.lower()}: {hint}."
    return f"{label} is required: {hint[:1].lower() + hint[1:]}." if hint else \
        f"{label} is required."


def check_handoff(matrix: Matrix, template: HandoffTemplate, values: dict[str, Any],
                  current_tier: str | None = None, checked: Sequence[str] = ()
                  ) -> dict[str, str]:
    """Every problem with a handoff, by field (``checklist`` for unticked checks)."""
    errors = {name: field_message(template, name) for name in required_fields(template)
              if _blank(values.get(name))}
    teams = {t.id: t for t in matrix.teams}
    target = values.get("target")
    if "target" not in errors and target not in teams:
        errors["target"] = f"{target!r} is not a team in the matrix; pick one from the list."
    mode = values.get("mode")
    if "mode" not in errors and mode not in MODES:
        errors["mode"] = "Choose functional or hierarchical."
    if ("target" not in errors and "mode" not in errors and mode == "hierarchical"
            and current_tier):
        team = teams[str(target)]  # a known team: checked above
        here = {t.id: t.level for t in matrix.tiers}.get(current_tier)
        there = {t.id: t.level for t in matrix.tiers}.get(team.tier)
        if here is not None and there is not None and there <= here:
            errors["mode"] = (f"A hierarchical move goes up a tier, but {team.name} "
                              f"is in {team.tier} (the ticket is in {current_tier}). "
                              "Choose functional, or a team in a higher tier.")
    if "urgency" not in errors and not _blank(values.get("urgency")) \
            and values["urgency"] not in URGENCIES:
        errors["urgency"] = "Choose low, normal, high or critical."
    unticked = [c for c in template.checklist if c not in set(checked)]
    if unticked:
        errors["checklist"] = "Tick every check before handing off: " + "; ".join(unticked)
    return errors


def suggest_mode(matrix: Matrix, current_tier: str | None, target_team: str) -> str:
    """Hierarchical when the target sits in a higher tier than the ticket, else functional."""
    levels = {t.id: t.level for t in matrix.tiers}
    try:
        there = levels[matrix.team(target_team).tier]
    except StopIteration:
        return "functional"
    here = levels.get(current_tier or "", there)
    return "hierarchical" if there > here else "functional"


def suggest_urgency(matrix: Matrix, severity: str) -> str:
    try:
        rank = matrix.severity(severity).rank
    except KeyError:
        return "normal"
    return URGENCY_BY_SEVERITY.get(rank, "low")


# -- history ---------------------------------------------------------------------------------

_SKIP = frozenset({"matrix_published"})


def _event_line(kind: str, p: dict[str, Any], author: str = "") -> str:
    if kind == "opened":
        facts = [f"{p.get('users_affected_pct', 0):g}% users affected",
                 f"workaround {p.get('workaround', '?')}"]
        if p.get("security_breach"):
            facts.append("security/data breach")
        if p.get("revenue_risk"):
            facts.append("revenue at risk")
        return f"opened: {p.get('title', '')} ({', '.join(facts)})"
    if kind == "severity":
        why = f" — {p['reason']}" if p.get("reason") else ""
        return f"severity {p.get('severity')} set by {p.get('by', 'support')}{why}"
    if kind == "severity_disagreement":
        return f"severity changed {p.get('initial')} → {p.get('confirmed')}: {p.get('reason')}"
    if kind == "message":
        who = p.get("from") or "customer"
        text = str(p.get("text", "")).strip()[:300]
        return f"wrote: {text}" if who == author else f"{who} wrote: {text}"
    if kind == "status":
        return f"status → {str(p.get('status', '')).replace('_', ' ')}"
    if kind in ("escalated", "assigned", "routed"):  # routed: by the engine
        where = ", ".join(f"{k} {p[k]}" for k in ("team", "tier", "owner") if p.get(k))
        return f"{kind} to {where}" if where else kind
    if kind == "handoff_submitted":
        return f"handoff to {p.get('target') or p.get('target_team') or '?'}: " \
               f"{p.get('summary', '')}"
    if kind == "approval_requested":
        return (f"approval requested: {p.get('action')} {_amount(p)} → "
                f"{p.get('route_to_role')}")
    if kind in ("approval_granted", "approval_denied"):
        return f"{kind.replace('_', ' ')} by {p.get('by')} ({p.get('role')})"
    if kind == "update_sent":
        return "customer update sent" + (f": {p['text']}" if p.get("text") else "")
    return kind.replace("_", " ")


def _amount(p: dict[str, Any]) -> str:
    amount = p.get("amount")
    if amount is None:
        return ""
    return f"{float(amount):,.2f}".rstrip("0").rstrip(".") + (f" {p['unit']}" if p.get("unit")
                                                              else "")


def history_summary(events: Iterable[EventLike], tz: tzinfo | None = None,
                    limit: int = 40) -> str:
    """One line per event, oldest first: ``2026-03-02 10:00  ana  opened: ...``. Only the
    last ``limit`` events are listed, with a note about the ones left out."""
    lines = [f"{e.at.astimezone(tz):%Y-%m-%d %H:%M}  {e.author or '—'}  "
             f"{_event_line(e.kind, e.payload, e.author)}"
             for e in events if e.kind not in _SKIP]
    if len(lines) > limit:
        lines = [f"({len(lines) - limit} earlier events not shown)", *lines[-limit:]]
    return "\n".join(lines)


# -- decision authority ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuthorityDecision:
    action: str
    amount: float | None
    unit: str
    allowed: bool                       # the role may do it on its own
    route_to_role: str | None           # who the approval request goes to
    approvers: tuple[Authority, ...]    # every role that could approve, lowest limit first
    message: str                        # the plain sentence the form shows


def role_name(matrix: Matrix, role: str) -> str:
    return next((r.name for r in matrix.roles if r.id == role), role)


def authority_actions(matrix: Matrix) -> list[str]:
    return list(dict.fromkeys(a.action for a in matrix.authority))


def action_unit(matrix: Matrix, action: str) -> str | None:
    """The unit of the action's limits (``USD``), "" for a limit without a unit, None
    when no row of the action has a limit (it takes no amount)."""
    rows = [a for a in matrix.authority if a.action == action and a.limit is not None]
    return None if not rows else rows[0].unit


def _money(value: float, unit: str) -> str:
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text} {unit}".strip()


def _who(matrix: Matrix, row: Authority) -> str:
    limit = "" if row.limit is None else f" (up to {_money(row.limit, row.unit)})"
    return role_name(matrix, row.role) + limit


def check_authority(matrix: Matrix, action: str, amount: float | None, role: str,
                    severity: str | None = None) -> AuthorityDecision:
    """May ``role`` take ``action`` (at ``amount``, at ``severity``) on its own? If not,
    the request goes to the lowest-limit role that may approve it."""
    unit = action_unit(matrix, action) or ""
    what = action.replace("_", " ") + (f" of {_money(amount, unit)}" if amount is not None
                                       else "")
    rows = [a for a in matrix.authority if a.action == action]
    if not rows:
        return AuthorityDecision(action, amount, unit, False, None, (),
                                 f"The matrix has no authority rule for {what}.")
    approvers = tuple(matrix.approvers(action, amount, severity))
    own = next((a for a in approvers if a.role == role), None)
    if own is not None:
        return AuthorityDecision(action, amount, unit, True, role, approvers,
                                 f"Within your authority: {_who(matrix, own)} may approve "
                                 f"{what}.")
    mine = next((a for a in rows if a.role == role), None)
    if mine is not None and mine.severities is not None and severity not in mine.severities:
        why = (f"{role_name(matrix, role)} decides this only at "
               f"{', '.join(sorted(mine.severities))}")
    elif mine is not None and mine.limit is not None:
        why = f"it is over your limit of {_money(mine.limit, mine.unit)}"
    else:
        why = f"{role_name(matrix, role)} may not approve {action.replace('_', ' ')}"
    if not approvers:
        top = max((a.limit for a in rows if a.limit is not None), default=None)
        above = f"; the highest limit is {_money(top, unit)}" if top is not None else ""
        at = f" at {severity}" if severity else ""
        return AuthorityDecision(action, amount, unit, False, None, (),
                                 f"No role may approve {what}{at} under this matrix ({why}"
                                 f"{above}): take it to your lead.")
    who = "; ".join(_who(matrix, a) for a in approvers)
    return AuthorityDecision(action, amount, unit, False, approvers[0].role, approvers,
                             f"Needs approval: {why}. Who may approve: {who}. "
                             f"The request goes to {role_name(matrix, approvers[0].role)}.")


def may_approve(matrix: Matrix, request: dict[str, Any], role: str) -> bool:
    """Whether ``role`` may grant this ``approval_requested`` payload."""
    amount = request.get("amount")
    rows = matrix.approvers(str(request.get("action")),
                            None if amount is None else float(amount), request.get("severity"))
    return any(a.role == role for a in rows)


@dataclass(frozen=True, slots=True)
class PendingApproval:
    request_id: str
    at: datetime
    request: dict[str, Any]

    def describe(self, matrix: Matrix) -> str:
        p = self.request
        amount = _amount(p)
        return (f"{str(p.get('action', '')).replace('_', ' ')} {amount}".strip()
                + f" — asked by {p.get('requested_by', '?')}, for "
                  f"{role_name(matrix, str(p.get('route_to_role')))}"
                + (f": {p['reason']}" if p.get("reason") else ""))


def pending_approvals(events: Iterable[IdentifiedEvent]) -> list[PendingApproval]:
    """Requests with neither a grant nor a denial, oldest first."""
    requests: dict[str, PendingApproval] = {}
    answered: set[str] = set()
    for e in events:
        if e.kind == "approval_requested":
            requests[e.id] = PendingApproval(e.id, e.at, e.payload)
        elif e.kind in ("approval_granted", "approval_denied"):
            answered.add(str(e.payload.get("request_id")))
    return [r for rid, r in requests.items() if rid not in answered]
