"""Severity scoring and condition matching: driven by the matrix, always with reasons."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.domain.matrix.format import WORDS_PATTERN
from console.domain.matrix.model import Conditions, NumRange, SentimentRule, WordPattern
from console.domain.scoring import (
    WORDS_SCAN_CHARS,
    Facts,
    Score,
    effective_severity,
    match,
    score,
)
from console.domain.tickets import Intake

from ._matrices import default_matrix, default_text, variant

# One intake per criterion of the default matrix, in matrix order; each matches only it.
EVERY_CRITERION = [
    (dict(users_affected_pct=30, workaround="none"),
     "P1: over 25% of users affected and no workaround"),
    (dict(security_breach=True),
     "P1: security or data breach"),
    (dict(revenue_risk=True, workaround="none", users_affected_pct=5),
     "P1: revenue at risk and no workaround"),
    (dict(category="outage"),
     "P1: an outage, a security incident or data loss"),
    (dict(title="Site down for all EU customers"),
     "P1: the description reads as an outage for everyone, or a breach or data loss"),
    (dict(users_affected_pct=10, workaround="partial"),
     "P2: under 25% of users affected and at most a partial workaround"),
    (dict(users_affected_pct=40, workaround="partial"),
     "P2: over 25% of users affected with only a partial workaround"),
    (dict(account_tier="enterprise", workaround="none"),
     "P2: high-value account without a full workaround"),
    (dict(revenue_risk=True),
     "P2: revenue at risk, a significant business impact"),
    (dict(title="Payment failing at checkout"),
     "P2: the description reads as payments failing or a feature broken for many users"),
    (dict(workaround="full", category="integration"),
     "P3: a full workaround is available"),
    (dict(workaround="partial", category="performance"),
     "P3: minor bug or performance problem with low time sensitivity"),
    (dict(category="ui"),
     "P4: cosmetic issue, feature request or general inquiry"),
    (dict(title="How do I add a second admin?"),
     "P4: the description reads as a question, a request or a cosmetic issue"),
]

# Realistic intakes and the severity the article's table gives them. P1: system down for
# all users, security breach, revenue-critical functions failing. P2: major feature
# broken for many users, no workaround, significant business impact. P3: partial loss of
# function, a workaround exists, a single user or small group. P4: cosmetic, questions,
# feature requests, how-to.
ARTICLE_TABLE = [
    ("P1", dict(title="Checkout down for all enterprise customers, payment failing")),
    ("P1", dict(title="Checkout down for all enterprise customers, payment failing",
                category="outage", account_tier="enterprise")),
    ("P1", dict(title="Data loss after last night's migration",
                text="Projects created since Monday are gone.")),
    ("P1", dict(title="Admin API keys exposed in a public repo", category="security",
                account_tier="business", users_affected_pct=1, workaround="full")),
    ("P1", dict(title="Card payments declined", text="No order has gone through since 9:40.",
                category="billing", revenue_risk=True, workaround="none",
                users_affected_pct=8)),
    ("P1", dict(title="Web app returns 503", text="Nobody can sign in, on any browser.",
                category="bug", users_affected_pct=100, workaround="none")),
    ("P2", dict(title="CSV export drops rows beyond 10,000", category="bug",
                users_affected_pct=15, workaround="none", account_tier="business")),
    ("P2", dict(title="Coupon codes rejected at checkout", category="billing",
                revenue_risk=True, workaround="full", users_affected_pct=3)),
    ("P2", dict(title="Reports time out", text="Many of our users cannot open reports.",
                category="performance")),
    ("P3", dict(title="Search is slow for one user", category="performance",
                users_affected_pct=1, workaround="full", account_tier="starter")),
    ("P3", dict(title="Scheduled report sent twice", category="bug", workaround="full")),
    ("P4", dict(title="Typo in the onboarding checklist", category="ui")),
    ("P4", dict(title="How do we rotate API keys without downtime?")),
    ("P4", dict(title="Request: dark mode for the agent app", category="feature_request",
                account_tier="enterprise", workaround="full")),
]


def scored(matrix=None, **intake) -> Score:
    return score(matrix or default_matrix(), Intake(**intake))


# -- score() -------------------------------------------------------------------------------


@pytest.mark.parametrize(("intake", "explained"), EVERY_CRITERION,
                         ids=[e.split(":")[0] + " " + e.split(": ")[1][:30]
                              for _, e in EVERY_CRITERION])
def test_every_default_criterion_is_reachable_with_its_reason(intake, explained):
    result = scored(**intake)
    assert result.explain() == explained
    assert result.severity == explained.split(":")[0]
    assert result.reasons == (explained.split(": ", 1)[1],)


def test_the_cases_above_cover_every_criterion_of_the_default_matrix():
    reasons = {c.reason for s in default_matrix().severities for c in s.criteria}
    assert reasons == {e.split(": ", 1)[1] for _, e in EVERY_CRITERION}
    assert {s.id for s in default_matrix().severities} == {"P1", "P2", "P3", "P4"}


@pytest.mark.parametrize(("severity", "intake"), ARTICLE_TABLE,
                         ids=[f"{sev} {i['title'][:40]}" for sev, i in ARTICLE_TABLE])
def test_realistic_intakes_get_the_severity_of_the_articles_table(severity, intake):
    assert scored(**intake).severity == severity


def test_title_and_text_alone_can_raise_the_suggestion():
    result = scored(title="Checkout down for all enterprise customers, payment failing")
    assert result.because() == (
        "P1 because: words: 'Checkout down for', 'all enterprise customers'")


def test_the_suggestion_names_every_fact_and_word_of_its_severity():
    result = scored(title="Checkout down for all enterprise customers, payment failing",
                    category="outage", users_affected_pct=60, workaround="none")
    assert result.severity == "P1"
    assert result.drivers == ("60% of users affected (over 25%)", "no workaround",
                              "category is outage",
                              "words: 'Checkout down for', 'all enterprise customers'")
    assert result.reasons[0] == "over 25% of users affected and no workaround"  # it decided
    assert "an outage, a security incident or data loss" in result.reasons
    assert result.explain().startswith(
        "P1: over 25% of users affected and no workaround; an outage, a security incident")


def test_revenue_at_risk_changes_the_severity():
    base = dict(title="Card payments declined", category="billing", users_affected_pct=5)
    assert scored(**base, workaround="full").severity == "P3"
    assert scored(**base, workaround="full", revenue_risk=True).severity == "P2"
    assert scored(**base, workaround="none").severity == "P2"
    assert scored(**base, workaround="none", revenue_risk=True).explain() == (
        "P1: revenue at risk and no workaround")


def test_the_example_from_the_brief_reads_as_written():
    assert (scored(users_affected_pct=60, workaround="none").explain()
            == "P1: over 25% of users affected and no workaround")


def test_a_security_breach_is_p1_whatever_else_is_true():
    result = scored(security_breach=True, users_affected_pct=1, workaround="full",
                    category="ui", account_tier="smb")
    assert result == Score("P1", ("security or data breach",), ("security or data breach",))


def test_an_enterprise_account_without_a_full_workaround_is_p2():
    assert scored(account_tier="enterprise", workaround="partial").severity == "P2"
    assert scored(account_tier="enterprise", workaround="none").reasons == (
        "high-value account without a full workaround",)


def test_an_enterprise_account_with_a_full_workaround_is_not_raised_to_p2():
    assert scored(account_tier="enterprise", workaround="full", category="ui").severity == "P4"


def test_exactly_25_percent_is_not_over_25_percent():
    assert scored(users_affected_pct=25, workaround="none").severity == "P2"
    assert scored(users_affected_pct=25.1, workaround="none").severity == "P1"


def test_the_first_matching_severity_wins_over_lower_ones():
    # Matches P2 (enterprise, partial) and P3 (bug): the higher severity wins.
    result = scored(account_tier="enterprise", workaround="partial", category="bug")
    assert result.severity == "P2"


def test_nothing_matching_falls_back_to_the_matrix_default_severity():
    result = scored()
    assert result == Score("P3", ("no criteria matched; the matrix default",))
    assert result.explain() == "P3: no criteria matched; the matrix default"


def test_the_fallback_severity_comes_from_the_matrix():
    matrix = variant(("default_severity: P3\n", "default_severity: P4\n"))
    assert scored(matrix).severity == "P4"


def test_without_a_default_severity_the_fallback_is_the_lowest_severity():
    matrix = variant(("default_severity: P3\n", ""))
    assert matrix.default_severity is None
    assert scored(matrix) == Score("P4", ("no criteria matched; the matrix default",))


def test_raising_a_threshold_in_the_matrix_changes_the_severity():
    before = scored(users_affected_pct=30, workaround="none")
    matrix = variant(
        ("      - when: {users_affected_pct: {gt: 25}, workaround: none}\n",
         "      - when: {users_affected_pct: {gt: 50}, workaround: none}\n"))
    after = scored(matrix, users_affected_pct=30, workaround="none")
    assert before.severity == "P1"
    assert after.severity != "P1"
    assert scored(matrix, users_affected_pct=51, workaround="none").explain() == (
        "P1: over 25% of users affected and no workaround")  # the reason text is the file's


def test_rewording_a_criterion_changes_the_reason():
    matrix = variant(("        reason: security or data breach\n",
                      "        reason: customer data exposed\n"))
    assert scored(matrix, security_breach=True).explain() == "P1: customer data exposed"


def test_a_criterion_without_a_reason_explains_itself_from_its_conditions():
    matrix = variant(("        reason: high-value account without a full workaround\n", ""))
    result = scored(matrix, account_tier="enterprise", workaround="none")
    assert result.explain() == "P2: no workaround and account tier is enterprise"


def test_a_new_criterion_in_the_matrix_is_used():
    matrix = variant((
        "      - when: {category: [feature_request, ui, cosmetic, question]}\n",
        "      - when: {category: [feature_request, ui, cosmetic, question, docs]}\n"))
    assert scored(category="docs").severity == "P3"  # the fallback
    assert scored(matrix, category="docs").severity == "P4"


# -- match() -------------------------------------------------------------------------------


def trigger(trigger_id: str, matrix=None) -> Conditions:
    return next(t.when for t in (matrix or default_matrix()).triggers if t.id == trigger_id)


def test_numeric_and_workaround_conditions_explain_the_values():
    p1 = default_matrix().severity("P1").criteria[0].when
    facts = Facts(Intake(users_affected_pct=30, workaround="none"))
    assert match(p1, facts) == ["30% of users affected (over 25%)", "no workaround"]


def test_a_failing_condition_returns_none_and_an_empty_one_holds_trivially():
    assert match(Conditions(users_affected_pct=NumRange(gt=25)),
                 Facts(Intake(users_affected_pct=25))) is None
    assert match(Conditions(), Facts(Intake())) == []


def test_boolean_conditions_explain_both_ways():
    assert match(Conditions(security_breach=False), Facts(Intake())) == [
        "no security or data breach"]
    assert match(Conditions(revenue_risk=True), Facts(Intake(revenue_risk=True))) == [
        "revenue at risk"]


def test_keywords_match_case_insensitively_and_name_the_keyword_found():
    payment = trigger("payment-bug")
    facts = Facts(Intake(title="CHECKOUT fails for everyone", category="bug"))
    assert match(payment, facts) == ["category is bug", "mentions 'checkout'"]


def test_keywords_are_searched_in_title_and_text():
    payment = trigger("payment-bug")
    facts = Facts(Intake(title="Broken", text="every Invoice is blank", category="bug"))
    assert match(payment, facts) == ["category is bug", "mentions 'invoice'"]


def test_keywords_written_in_capitals_in_the_matrix_still_match():
    matrix = variant(("      keywords: [payment, checkout, billing, card declined, invoice]\n",
                      "      keywords: [Payment, CHECKOUT]\n"))
    facts = Facts(Intake(title="checkout is down", category="bug"))
    assert match(trigger("payment-bug", matrix), facts) == ["category is bug",
                                                            "mentions 'checkout'"]


def test_no_keyword_means_no_match():
    facts = Facts(Intake(title="Login page is slow", category="bug"))
    assert match(trigger("payment-bug"), facts) is None


def test_a_negative_phrase_matches_case_insensitively():
    facts = Facts(Intake(), texts=("This is UNACCEPTABLE.",))
    assert match(trigger("negative-sentiment"), facts) == ["customer wrote 'unacceptable'"]


def test_phrases_written_in_capitals_in_the_matrix_still_match():
    line = next(x for x in default_text().splitlines(keepends=True) if "phrases: [" in x)
    capitals = re.sub(r"phrases: \[[^\]]*\]", "phrases: [Talk To My Lawyer]", line)
    matrix = variant((line, capitals))
    facts = Facts(Intake(), texts=("I will talk to my lawyer",))
    assert match(trigger("negative-sentiment", matrix), facts) == [
        "customer wrote 'talk to my lawyer'"]


def test_an_injected_scorer_below_the_threshold_matches_with_the_score():
    cond = trigger("negative-sentiment")
    assert cond.sentiment is not None and cond.sentiment.below is not None
    below = cond.sentiment.below
    seen: list[str] = []

    def fake(text: str) -> float:
        seen.append(text)
        return below - 0.25

    facts = Facts(Intake(), texts=("older message", "I am very disappointed"))
    assert match(cond, facts, fake) == [
        f"negative sentiment {below - 0.25:.2f} (below {below:g})"]
    assert seen == ["I am very disappointed"]  # only the latest text is judged


def test_a_score_at_the_threshold_is_not_negative_enough():
    cond = trigger("negative-sentiment")
    assert cond.sentiment is not None and cond.sentiment.below is not None
    facts = Facts(Intake(), texts=("meh",))
    assert match(cond, facts, lambda _: cond.sentiment.below) is None
    assert match(trigger("negative-sentiment"), facts, lambda _: 0.9) is None


def test_without_a_scorer_only_phrases_count():
    facts = Facts(Intake(), texts=("I am very disappointed",))
    assert match(trigger("negative-sentiment"), facts) is None


def test_a_phrase_wins_without_asking_the_scorer():
    def never(text: str) -> float:
        raise AssertionError("the scorer must not be asked when a phrase matched")

    facts = Facts(Intake(), texts=("we will cancel",))
    assert match(trigger("negative-sentiment"), facts, never) == ["customer wrote 'cancel'"]


def test_empty_text_is_never_scored():
    def never(text: str) -> float:
        raise AssertionError("empty text must not be scored")

    assert match(trigger("negative-sentiment"), Facts(Intake(), texts=("   ",)), never) is None


def test_sentiment_falls_back_to_the_intake_text():
    rule = Conditions(sentiment=SentimentRule(below=-0.5, phrases=("lawyer",)))
    assert match(rule, Facts(Intake(text="Our lawyer is reading this"))) == [
        "customer wrote 'lawyer'"]


def test_only_the_latest_message_is_judged():
    facts = Facts(Intake(), texts=("this is unacceptable", "thanks, all good now"))
    assert match(trigger("negative-sentiment"), facts, lambda _: 0.7) is None


def test_unresolved_for_needs_the_elapsed_time():
    from datetime import timedelta

    cond = trigger("unresolved-24h")
    assert match(cond, Facts(Intake())) is None
    assert match(cond, Facts(Intake(), elapsed=timedelta(hours=23, minutes=59))) is None
    assert match(cond, Facts(Intake(), elapsed=timedelta(hours=24))) == ["unresolved for 1d"]


def test_sla_conditions_name_the_clock_and_state():
    cond = trigger("p1-resolution-at-risk")
    facts = Facts(Intake(), severity="P1", sla=("resolution", "pre_breach"))
    assert match(cond, facts) == ["severity is P1", "resolution clock pre-breach"]
    assert match(cond, Facts(Intake(), severity="P2", sla=("resolution", "pre_breach"))) is None
    assert match(cond, Facts(Intake(), severity="P1", sla=("response", "pre_breach"))) is None


# -- words: whole words in the title and text ------------------------------------------------


def words(*patterns: str) -> Conditions:
    return Conditions(words=tuple(WordPattern.parse(p) for p in patterns))


@pytest.mark.parametrize(("pattern", "title", "found"), [
    ("down", "Site is DOWN since 9:40", "DOWN"),
    ("down", "Export to CSV: download fails", None),
    ("down", "Drop-down menu overlaps the Save button", None),
    ("down", "Slowdown after the release", None),
    ("fail*", "Payments failed twice", "failed"),
    ("payment* fail*", "payments: failing since noon", "payments: failing"),
    ("all ... customers", "down for all customers", "all customers"),
    ("all ... customers", "down for all of our EU customers", "all of our EU customers"),
    ("all ... customers", "down for all of our big EU customers", None),  # four words apart
    ("all ... customers", "Fixed for all. Customers can log in", None),  # a new sentence
    ("can't log* in", "We can\u2019t log in since the update", "can\u2019t log in"),
    ("customer", "the customer's data is visible", "customer"),
])
def test_words_match_whole_words_in_any_case(pattern, title, found):
    reasons = match(words(pattern), Facts(Intake(title=title)))
    assert reasons == (None if found is None else [f"words: '{found}'"])


def test_words_are_found_in_the_text_too_and_each_is_named_once_in_order():
    facts = Facts(Intake(title="Checkout broken", text="Down for all EU customers. It is down."))
    assert match(words("all ... customers", "down for", "down", "for all"), facts) == [
        "words: 'Down for all EU customers'"]  # overlapping finds read as one phrase
    assert match(words("all ... customers", "down"), facts) == [
        "words: 'Down', 'all EU customers'"]


def test_words_and_other_conditions_must_all_hold():
    cond = Conditions(category=frozenset({"bug"}), words=words("outage").words)
    assert match(cond, Facts(Intake(title="Outage in EU", category="ui"))) is None
    assert match(cond, Facts(Intake(title="Outage in EU", category="bug"))) == [
        "category is bug", "words: 'Outage'"]


def test_words_far_into_a_long_text_are_not_looked_at():
    pasted_log = "x " * WORDS_SCAN_CHARS + "connection is down"
    assert match(words("is down"), Facts(Intake(title="Sync errors", text=pasted_log))) is None
    assert match(words("sync"), Facts(Intake(title="Sync errors", text=pasted_log))) == [
        "words: 'Sync'"]


@settings(max_examples=300, deadline=None)
@given(entry=st.from_regex(WORDS_PATTERN, fullmatch=True),
       text=st.text(alphabet=st.sampled_from("ab -.'\u2019*\u2026\n"), max_size=60))
def test_every_words_entry_the_format_accepts_compiles_and_searches(entry, text):
    pattern = WordPattern.parse(entry)
    found = pattern.find(text)
    assert found is None or 0 <= found[0] <= found[1] <= len(text)


def test_the_effective_severity_is_the_chosen_one_while_the_matrix_has_it():
    matrix = default_matrix()
    assert effective_severity(matrix, "P2", "P4") == "P2"
    assert effective_severity(matrix, None, "P4") == "P4"
    # removed by a matrix change, or set by a console with a newer matrix
    assert effective_severity(matrix, "P9", "P4") == "P4"
