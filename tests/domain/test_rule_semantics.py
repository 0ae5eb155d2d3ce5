"""The rule semantics alone, on model records: which severity rules never decide."""

from __future__ import annotations

from console.domain.matrix.model import Conditions, Criterion, Severity, WordPattern
from console.domain.matrix.semantics import redundant_rules, subsumes


def rule(**when: object) -> Criterion:
    return Criterion(Conditions(**when), "")  # type: ignore[arg-type]


def sev(rank: int, *criteria: Criterion) -> Severity:
    return Severity(f"P{rank + 1}", f"P{rank + 1}", "#000", rank, criteria=criteria)


def messages(severities: tuple[Severity, ...]) -> list[tuple[object, str]]:
    return [(p.path, p.message) for p in redundant_rules(severities)]


def test_a_rule_covered_by_two_higher_severities_contradicts_each_of_them():
    outage = rule(keywords=("outage",))
    narrow = rule(keywords=("outage in eu",), workaround=frozenset({"none"}))
    found = messages((sev(0, outage), sev(1, outage), sev(2, narrow)))
    assert found == [
        (("severities", 1, "criteria", 0),
         "contradicts P1 criteria[0]: the same conditions give two severities"),
        (("severities", 2, "criteria", 0),
         "contradicts P1 criteria[0]: every ticket it matches is already P1"),
        (("severities", 2, "criteria", 0),
         "contradicts P2 criteria[0]: every ticket it matches is already P2")]


def test_a_contradicting_rule_is_not_also_reported_as_shadowed():
    wide = rule(workaround=frozenset({"none"}))
    narrow = rule(workaround=frozenset({"none"}), revenue_risk=True)
    found = messages((sev(0, wide), sev(1, wide, narrow)))
    assert [path for path, _ in found] == [("severities", 1, "criteria", 0),
                                           ("severities", 1, "criteria", 1)]
    assert all(m.startswith("contradicts P1") for _, m in found)


def test_a_word_pattern_covers_a_longer_phrase_that_holds_its_words_in_a_row():
    wide = Conditions(words=(WordPattern.parse("card fail*"),))
    narrow = Conditions(words=(WordPattern.parse("eu card failures"),))
    assert subsumes(wide, narrow) and not subsumes(narrow, wide)
    assert subsumes(Conditions(keywords=("fail",)), narrow)
