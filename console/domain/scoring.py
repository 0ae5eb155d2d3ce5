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
# `words` look at the title and the start of the text: that is where an agent describes
# the problem (pasted logs follow), and it keeps scoring on every keystroke cheap.
WORDS_SCAN_CHARS = 4000


@dataclass(frozen=True, slots=True)
class Score:
    """A suggested severity. ``reasons`` are the matrix's words for the rules that matched
    (the deciding rule first); ``drivers`` are the facts and the words of the ticket
    that made them match."""

    severity: str
    reasons: tuple[str, ...]
    drivers: tuple[str, ...] = ()

    def explain(self) -> str:
        return f"{self.severity}: {'; '.join(self.reasons)}"

    def because(self) -> str:
        """``P1 because: category is outage; words: 'down for', 'all EU customers'``."""
        if not self.drivers:
            return self.explain()
        return f"{self.severity} because: {'; '.join(self.drivers)}"


@dataclass(slots=True)
class Facts:
    """What a condition may look at. Optional parts are absent when not known."""

    intake: Intake
    severity: str | None = None
    tier: str | None = None
    texts: tuple[str, ...] = ()
    elapsed: timedelta | None = None
    sla: tuple[str, str] | None = None  # (clock, pre_breach | breached) being fired


def match(cond: Conditions, facts: Facts, sentiment: SentimentScorer | None = None
          ) -> list[str] | None:
    """The reasons ``cond`` holds for ``facts``, or None when it does not."""
    found = _match(cond, facts, sentiment)
    if found is None:
        return None
    why, spans = found
    return [*why, _words_reason(facts.intake, spans)] if spans else why


def _haystack(i: Intake) -> str:
    return f"{i.title}\n{i.text[:WORDS_SCAN_CHARS]}"


def _words_reason(intake: Intake, spans: list[tuple[int, int]]) -> str:
    """``words: 'Checkout down for', 'all EU customers'``: the ticket's own words, in
    the order written, overlapping finds joined."""
    hay = _haystack(intake)
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    quoted = dict.fromkeys(" ".join(hay[a:b].split()) for a, b in merged)
    return "words: " + ", ".join(f"'{w}'" for w in quoted)


def _match(cond: Conditions, facts: Facts, sentiment: SentimentScorer | None = None
           ) -> tuple[list[str], list[tuple[int, int]]] | None:
    """(reasons, where ``cond.words`` found words in the title and text), or None when
    ``cond`` does not hold."""
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
    words: list[tuple[int, int]] = []
    if cond.words:
        hay = _haystack(i)
        words = [span for p in cond.words if (span := p.find(hay)) is not None]
        if not words:
            return None
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
    return why, words


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
    """Suggest a severity for the intake facts; the first severity with a matching rule
    wins. Its reasons and drivers come from every rule of that severity that matched, so
    the agent sees all the words and facts behind it."""
    facts = Facts(intake)
    for sev in matrix.severities:
        matched = False
        reasons: list[str] = []
        drivers: list[str] = []
        words: list[tuple[int, int]] = []
        for criterion in sev.criteria:
            found = _match(criterion.when, facts)
            if found is None:
                continue
            matched = True
            why, seen = found
            # a rule without a reason explains itself with its conditions, as one reason
            own = [*why, _words_reason(intake, seen)] if seen else why
            if reason := criterion.reason or " and ".join(own):
                reasons.append(reason)
            drivers.extend(why)
            words.extend(seen)
        if matched:
            if words:
                drivers.append(_words_reason(intake, words))
            return Score(sev.id, tuple(dict.fromkeys(reasons)), tuple(dict.fromkeys(drivers)))
    fallback = matrix.default_severity or matrix.severities[-1].id
    return Score(fallback, ("no criteria matched; the matrix default",))


def effective_severity(matrix: Matrix, chosen: str | None, suggested: str) -> str:
    """The severity a ticket is judged by: the one a person or a trigger chose while the
    matrix still has it, else the score's suggestion. A severity a matrix change removed
    is kept in the ticket's history, so a later matrix that restores it applies it again."""
    return chosen if chosen is not None and matrix.has_severity(chosen) else suggested
