"""Intake and the two-stage severity decision, as pure rules the forms call.

Support opens a ticket with a severity: the matrix's suggestion, or an override that
must carry a reason. Engineering then confirms or adjusts it, always with a reason;
an adjustment is also recorded as a ``severity_disagreement`` so metrics can count them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .matrix.model import Matrix
from .tickets import WORKAROUNDS, Intake

INTAKE_REQUIRED = {
    "title": "Give the issue a short title, e.g. \"Checkout returns 502 for EU customers\".",
    "account": "Name the customer or account.",
    "account_tier": "Pick the account's tier (it can raise the severity).",
    "text": "Describe what the customer sees.",
    "category": "Pick a category: it chooses the severity rules and the handoff template.",
    "workaround": "Is there a workaround? Pick none, partial or full.",
    "users_affected_pct": "Enter the share of users affected, 0 to 100.",
}
DEFAULT_TIERS = ("enterprise", "business", "starter")
DEFAULT_CATEGORIES = ("bug", "performance", "integration", "billing", "security", "outage",
                      "feature_request", "ui", "question")
STAGES = ("support", "engineering")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_pct(value: Any) -> float | None:
    """``"30"``, ``"30%"``, ``30`` → 30.0; None when blank or not a number in 0..100."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        text = str(value or "").strip().rstrip("%").strip().replace(",", ".")
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            return None
    return number if 0 <= number <= 100 else None


def check_intake(values: dict[str, Any]) -> dict[str, str]:
    """The intake's problems, by field: ``{field: message}``; empty when it may go."""
    errors = {name: message for name, message in INTAKE_REQUIRED.items()
              if _blank(values.get(name))}
    if "users_affected_pct" not in errors and parse_pct(values["users_affected_pct"]) is None:
        errors["users_affected_pct"] = "Write a number from 0 to 100, e.g. 30."
    if "workaround" not in errors and values["workaround"] not in WORKAROUNDS:
        errors["workaround"] = "Pick none, partial or full."
    return errors


def to_intake(values: dict[str, Any]) -> Intake:
    """The facts scoring looks at; blanks score as the mildest value."""
    pct = parse_pct(values.get("users_affected_pct"))
    workaround = values.get("workaround")
    return Intake(
        title=str(values.get("title") or "").strip(), text=str(values.get("text") or ""),
        account=str(values.get("account") or "").strip(),
        account_tier=str(values.get("account_tier") or "").strip(),
        users_affected_pct=pct or 0.0,
        workaround=workaround if workaround in WORKAROUNDS else "full",
        revenue_risk=bool(values.get("revenue_risk")),
        security_breach=bool(values.get("security_breach")),
        category=str(values.get("category") or "").strip(),
    )


def unknown_facts(values: dict[str, Any]) -> list[str]:
    """Scoring facts not given yet, so the suggestion can say it is provisional."""
    missing = []
    if values.get("workaround") not in WORKAROUNDS:
        missing.append("workaround")
    if parse_pct(values.get("users_affected_pct")) is None:
        missing.append("users affected")
    if _blank(values.get("category")):
        missing.append("category")
    if _blank(values.get("account_tier")):
        missing.append("account tier")
    return missing


def opened_payload(values: dict[str, Any], owner: str) -> dict[str, Any]:
    i = to_intake(values)
    return {"title": i.title, "text": i.text, "account": i.account,
            "account_tier": i.account_tier, "users_affected_pct": i.users_affected_pct,
            "workaround": i.workaround, "revenue_risk": i.revenue_risk,
            "security_breach": i.security_breach, "category": i.category, "owner": owner}


# -- severity decisions -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SeverityDecision:
    """What a person decided, against what the matrix suggested and what was set before."""

    stage: str                 # support | engineering
    chosen: str
    suggested: str
    reason: str = ""
    initial: str | None = None  # the severity Support set (for Engineering's stage)
    suggestion_reasons: tuple[str, ...] = ()

    @property
    def overrides_suggestion(self) -> bool:
        return self.chosen != self.suggested

    @property
    def disagrees(self) -> bool:
        """Engineering set something other than Support's initial severity."""
        return (self.stage == "engineering" and self.initial is not None
                and self.chosen != self.initial)


def check_severity(decision: SeverityDecision, matrix: Matrix) -> dict[str, str]:
    """``{"severity" | "reason": message}``; a reason is required for an override of the
    suggestion and for every Engineering decision."""
    errors: dict[str, str] = {}
    if decision.chosen not in {s.id for s in matrix.severities}:
        errors["severity"] = "Pick a severity."
        return errors
    if not decision.reason.strip():
        if decision.stage == "engineering" and decision.disagrees:
            errors["reason"] = (f"Say why you change {decision.initial} to {decision.chosen}: "
                                "it is recorded as a disagreement.")
        elif decision.stage == "engineering":
            errors["reason"] = f"Say why {decision.chosen} is right (e.g. what you checked)."
        elif decision.overrides_suggestion:
            errors["reason"] = (f"You chose {decision.chosen} instead of the suggested "
                                f"{decision.suggested}: say why.")
    return errors


def severity_events(decision: SeverityDecision) -> list[tuple[str, dict[str, Any]]]:
    """The events that record a decision: ``severity``, and for Engineering changing
    Support's severity also ``severity_disagreement``."""
    reason = decision.reason.strip()
    if not reason and not decision.overrides_suggestion:
        reason = "matrix suggestion: " + "; ".join(decision.suggestion_reasons or ("default",))
    payload: dict[str, Any] = {"severity": decision.chosen, "by": decision.stage,
                               "reason": reason}
    if decision.overrides_suggestion:
        payload["override_of"] = decision.suggested
    if decision.stage == "engineering" and decision.initial is not None:
        payload["initial"] = decision.initial
    events = [("severity", payload)]
    if decision.disagrees:
        events.append(("severity_disagreement", {"initial": decision.initial,
                                                 "confirmed": decision.chosen,
                                                 "reason": reason}))
    return events


# -- lists the form offers --------------------------------------------------------------------


def categories(matrix: Matrix) -> list[str]:
    """Categories the matrix knows (criteria, triggers, handoff templates), then the
    usual ones, without duplicates."""
    found: list[str] = []
    conditions = [c.when for s in matrix.severities for c in s.criteria]
    conditions += [t.when for t in matrix.triggers]
    for cond in conditions:
        found.extend(sorted(cond.category or ()))
    found.extend(k for k in matrix.handoff_templates if k != "default")
    found.extend(DEFAULT_CATEGORIES)
    return list(dict.fromkeys(found))


def account_tiers(matrix: Matrix, known: list[str] | tuple[str, ...] = ()) -> list[str]:
    found: list[str] = []
    conditions = [c.when for s in matrix.severities for c in s.criteria]
    conditions += [t.when for t in matrix.triggers]
    for cond in conditions:
        found.extend(sorted(cond.account_tier or ()))
    found.extend(DEFAULT_TIERS)
    found.extend(t for t in known if t)
    return list(dict.fromkeys(found))


def new_ticket_id(now: datetime, token: str) -> str:
    """``INC-260302-7QK4``: the day plus a random token the caller supplies, so ids made
    offline on different consoles do not collide."""
    return f"INC-{now:%y%m%d}-{token.upper()[:4]}"
