"""Severity scoring and condition matching, driven only by the matrix.

Conditions return the reasons they matched (``"over 25% of users affected"``), so every
severity and every trigger can say why."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from .durations import format_duration
from .matrix.model import Conditions, Matrix
from .tickets import Intake

# VADER-style compound score for a text, -1 (negative) to 1 (positive). Injected,
# because loading a lexicon is I/O and the domain does none.
SentimentScorer = Callable[[str], float]


@dataclass(frozen=True, slots=True)
class Score:
    severity: str
    reasons: tuple[str, ...]

    def explain(self) -> str:
        return f"{self.severity}: {' and '.join(self.reasons)}"


@dataclass(slots=True)
class Facts:
    """What a condition may look at. Optional parts are absent when not known."""

    intake: Intake
    severity: str | None = None
    tier: str | None = None
    texts: tuple[str, ...] = ()
    elapsed: timedelta | None = None
    sla: tuple[str, str] | None = None  # (clock, pre_breach | breached) being fired


def _listing(values: frozenset[str]) -> str:
    return " or ".join(sorted(values))


def match(cond: Conditions, facts: Facts, sentiment: SentimentScorer | None = None
          ) -> list[str] | None:
    """The reasons ``cond`` holds for ``facts``, or None when it does not."""
    i = facts.intake
    why: list[str] = []
    if cond.users_affected_pct is not None:
        if not cond.users_affected_pct.contains(i.users_affected_pct):
            return None
        why.append(f"{i.users_affected_pct:g}% of users affected "
                   f"({cond.users_affected_pct.describe('needs').removeprefix('needs ')}%)")
    if cond.workaround is not None:
        if i.workaround not in cond.workaround:
            return None
        why.append("no workaround" if i.workaround == "none" else f"{i.workaround} workaround")
    for name, text in (("revenue_risk", "revenue at risk"),
                       ("security_breach", "security or data breach")):
        want = getattr(cond, name)
        if want is not None:
            if getattr(i, name) != want:
                return None
            why.append(text if want else f"no {text.split(' ', 1)[0]} {text.split(' ', 1)[1]}")
    for name, value in (("account_tier", i.account_tier), ("category", i.category),
                        ("severity", facts.severity), ("tier", facts.tier)):
        allowed = getattr(cond, name)
        if allowed is not None:
            if value not in allowed:
                return None
            why.append(f"{name.replace('_', ' ')} is {value}")
    if cond.keywords:
        hay = f"{i.title} {i.text}".lower()
        found = [k for k in cond.keywords if k in hay]
        if not found:
            return None
        why.append(f"mentions {found[0]!r}")
    if cond.unresolved_for is not None:
        if facts.elapsed is None or facts.elapsed < cond.unresolved_for:
            return None
        why.append(f"unresolved for {format_duration(cond.unresolved_for)}")
    if cond.sla is not None:
        if facts.sla != (cond.sla.clock, cond.sla.state):
            return None
        why.append(f"{cond.sla.clock} clock {cond.sla.state.replace('_', '-')}")
    if cond.sentiment is not None:
        reason = _negative(cond, facts, sentiment)
        if reason is None:
            return None
        why.append(reason)
    return why


def _negative(cond: Conditions, facts: Facts, sentiment: SentimentScorer | None) -> str | None:
    rule = cond.sentiment
    assert rule is not None
    texts = facts.texts or (facts.intake.text,)
    latest = texts[-1] if texts else ""
    lowered = latest.lower()
    for phrase in rule.phrases:
        if phrase in lowered:
            return f"customer wrote {phrase!r}"
    if rule.below is not None and sentiment is not None and latest.strip():
        score = sentiment(latest)
        if score < rule.below:
            return f"negative sentiment {score:.2f} (below {rule.below:g})"
    return None


def score(matrix: Matrix, intake: Intake) -> Score:
    """Suggest a severity for the intake facts, with reasons; the first match wins."""
    facts = Facts(intake)
    for sev in matrix.severities:
        for criterion in sev.criteria:
            reasons = match(criterion.when, facts)
            if reasons is not None:
                return Score(sev.id, (criterion.reason,) if criterion.reason else tuple(reasons))
    fallback = matrix.default_severity or matrix.severities[-1].id
    return Score(fallback, ("no criteria matched; the matrix default",))
