"""The matrix's semantic checks on severity rules: contradictions and rules that never
change a result.

A rule is *subsumed* by another when every intake that satisfies it satisfies the other
too. Scoring takes the first severity with a matching rule, so a rule subsumed by a
higher severity's rule can never decide (a contradiction), and one subsumed by a sibling
of its own severity never changes the result (shadowed).
"""

from __future__ import annotations

from . import model as m
from .spec import Problem

_SCORED = ("workaround", "account_tier", "category", "severity", "tier")


def redundant_rules(severities: tuple[m.Severity, ...]) -> list[Problem]:
    """Every severity rule that can never change a result, with the rules that cover it.
    A rule that contradicts a higher severity is not also reported as shadowed."""
    problems: list[Problem] = []
    for lo in severities:
        for j, rule in enumerate(lo.criteria):
            found = _contradictions(severities, lo, j, rule)
            shadowed = None if found else _shadowed(lo, j, rule)
            problems.extend(found if shadowed is None else [shadowed])
    return problems


def _contradictions(severities: tuple[m.Severity, ...], lo: m.Severity, j: int,
                    rule: m.Criterion) -> list[Problem]:
    """For each higher severity, its first rule that always wins over ``rule``."""
    found: list[Problem] = []
    for hi in (s for s in severities if s.rank < lo.rank):
        for k, other in enumerate(hi.criteria):
            if subsumes(other.when, rule.when):
                same = subsumes(rule.when, other.when)
                found.append(Problem(("severities", lo.rank, "criteria", j),
                                     f"contradicts {hi.id} criteria[{k}]: "
                                     + ("the same conditions give two severities" if same else
                                        f"every ticket it matches is already {hi.id}")))
                break
    return found


def _shadowed(sev: m.Severity, j: int, rule: m.Criterion) -> Problem | None:
    """Within one severity, a rule that a sibling covers never changes the result (the
    severity is the same either way): keep the wider rule. Of two equal rules, the
    second is reported."""
    for k, other in enumerate(sev.criteria):
        if k == j or not subsumes(other.when, rule.when):
            continue
        if subsumes(rule.when, other.when):
            if k > j:
                continue
            why = f"the same conditions as {sev.id} criteria[{k}]"
        else:
            why = f"{sev.id} criteria[{k}] already matches every ticket it matches"
        return Problem(("severities", sev.rank, "criteria", j),
                       f"never changes the result: {why}")
    return None


def subsumes(wide: m.Conditions, narrow: m.Conditions) -> bool:
    """True when every intake that satisfies ``narrow`` also satisfies ``wide``."""
    for name in _SCORED:
        w, n = getattr(wide, name), getattr(narrow, name)
        if w is not None and (n is None or not n <= w):
            return False
    for name in ("revenue_risk", "security_breach"):
        w, n = getattr(wide, name), getattr(narrow, name)
        if w is not None and w != n:
            return False
    if wide.users_affected_pct is not None and (
            narrow.users_affected_pct is None
            or not narrow.users_affected_pct.within(wide.users_affected_pct)):
        return False
    if wide.keywords and not _keywords_cover(wide.keywords, narrow):
        return False
    if wide.words and not (narrow.words and all(
            any(_implies(n, w) for w in wide.words) for n in narrow.words)):
        return False
    # time, sentiment and SLA conditions make a rule situational: never call it subsumed
    return not (wide.unresolved_for or wide.sentiment or wide.sla)


def _keywords_cover(keywords: tuple[str, ...], narrow: m.Conditions) -> bool:
    """Keywords match when any one appears (as text) in the ticket: every narrow keyword
    must contain a wide one, or every narrow word pattern must have a word that does."""
    if narrow.keywords and all(any(w in n for w in keywords) for n in narrow.keywords):
        return True
    return bool(narrow.words) and all(
        any(w in t.rstrip("*") for w in keywords for t in p.tokens() if t not in m.GAP_TOKENS)
        for p in narrow.words)


def _implies(narrow: m.WordPattern, wide: m.WordPattern) -> bool:
    """Text that ``narrow`` finds also holds ``wide``: ``wide``'s words appear, in a row,
    among ``narrow``'s, each the same word or, for ``fail*``, a word it begins."""
    n, w = narrow.tokens(), wide.tokens()

    def same(nt: str, wt: str) -> bool:
        if wt in m.GAP_TOKENS or nt in m.GAP_TOKENS:
            return nt == wt
        if wt.endswith("*"):
            return nt.startswith(wt[:-1])
        return nt == wt

    return any(all(same(n[i + k], wt) for k, wt in enumerate(w))
               for i in range(len(n) - len(w) + 1))
