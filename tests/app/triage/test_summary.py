"""The handoff's extractive summary: only the ticket's own sentences, each linked to the
event that said it first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from console.app.triage.sentences import classify, split_sentences
from console.app.triage.summary import LIMIT, summarise, summary_text
from console.store.records import StoredEvent

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def event(n: int, kind: str, payload: dict[str, Any], author: str = "ana",
          minutes: int | None = None) -> StoredEvent:
    at = T0 + timedelta(minutes=n if minutes is None else minutes)
    return StoredEvent(f"{n:02d}{'e' * 6}-{n}", "INC-1", kind, payload, author, "dev", "",
                       at)


def story() -> list[StoredEvent]:
    return [
        event(1, "opened", {"title": "SSO login fails after upgrade to 2.3.1",
                            "text": "Maria reports that SSO login fails since version 2.3.1. "
                                    "Users see an error page, e.g. on https://sso.example.com/"
                                    "login.html. They would like an update by the end of the "
                                    "day."}, "intake"),
        event(2, "severity", {"severity": "P2", "by": "intake", "reason": "set at intake"}),
        event(3, "message", {"text": "We tried clearing the browser cache; no change.",
                             "from": "customer"}, "customer"),
        event(4, "update_sent", {"text": "We reproduced the problem. We will send the next "
                                         "update within the hour."}),
        event(5, "handoff_submitted", {
            "summary": "SSO login fails for Acme since 2.3.1.",
            "steps_tried": "Reproduced on a test account\nCleared the SSO cache",
            "next_steps": "Check the IdP logs around the first failure.",
            "customer": "Acme, enterprise tier", "target": "specialists",
            "context": "Tried: Rebooted the gateway [event 0badc0de, 09:00]"}),
    ]


def by_text(sentences: list[Any]) -> dict[str, Any]:
    return {s.text: s for s in sentences}


# -- splitting -------------------------------------------------------------------------
def test_versions_urls_and_abbreviations_do_not_end_a_sentence() -> None:
    text = ("We upgraded to 2.3.1 yesterday. See https://example.com/a.b?c=1 for the log. "
            "Chrome, e.g. version 120.0, fails! Dr. Lee agrees. Wir haben z.B. den Cache "
            "geleert. Apps, logs etc. Then it worked.")
    assert [s.text for s in split_sentences(text)] == [
        "We upgraded to 2.3.1 yesterday.", "See https://example.com/a.b?c=1 for the log.",
        "Chrome, e.g. version 120.0, fails!", "Dr. Lee agrees.",
        "Wir haben z.B. den Cache geleert.", "Apps, logs etc.", "Then it worked."]


def test_lines_bullets_and_list_numbers_split_steps() -> None:
    text = "1. Restarted the sync\n2. Cleared cache.\n- Checked status page\n\n* Re-synced"
    spans = split_sentences(text)
    assert [s.text for s in spans] == ["Restarted the sync", "Cleared cache.",
                                       "Checked status page", "Re-synced"]
    assert all(text[s.start:s.end] == s.text for s in spans)


def test_cue_words_classify_what_was_tried_and_promised_in_english_and_german() -> None:
    assert classify("We restarted the connector.", "history", ours=True) == "tried"
    assert classify("We will send a fix by tomorrow.", "history", ours=True) == "promised"
    assert classify("Wir haben den Cache geleert.", "said", ours=False) == "tried"
    assert classify("Wir melden uns bis morgen.", "history", ours=True) == "promised"
    assert classify("The dashboard is blank.", "said", ours=False) == "said"


def test_a_customer_asking_for_an_update_by_tonight_is_not_a_promise() -> None:
    assert classify("They would like an update by the end of the day.", "said",
                    ours=False) == "said"


# -- the summary -----------------------------------------------------------------------
def test_the_summary_lists_what_was_tried_and_promised_with_their_events() -> None:
    sentences = by_text(summarise(story()))
    assert sentences["Reproduced on a test account"].kind == "tried"
    assert sentences["Reproduced on a test account"].event_id.startswith("05")
    assert sentences["Cleared the SSO cache"].event_id.startswith("05")
    promise = sentences["We will send the next update within the hour."]
    assert (promise.kind, promise.event_id[:2]) == ("promised", "04")
    customer = sentences["We tried clearing the browser cache; no change."]
    assert (customer.kind, customer.event_id[:2]) == ("tried", "03")
    wish = sentences["They would like an update by the end of the day."]
    assert (wish.kind, wish.event_id[:2]) == ("said", "01")


def test_the_summary_leaves_out_the_engines_words_the_customer_field_and_old_summaries(
        ) -> None:
    texts = {s.text for s in summarise(story(), limit=50)}
    assert "set at intake" not in texts
    assert not any("enterprise tier" in t or "gateway" in t for t in texts)


def test_a_sentence_said_twice_is_quoted_once_from_the_event_that_said_it_first() -> None:
    history = [*story(), event(6, "handoff_submitted", {
        "steps_tried": "Reproduced on a test account\nCleared the SSO cache",
        "next_steps": "Roll back to 2.3.0."})]
    sentences = summarise(history, limit=50)
    repeated = [s for s in sentences if s.text == "Cleared the SSO cache"]
    assert [s.event_id[:2] for s in repeated] == ["05"]


def test_the_summary_keeps_to_its_sentence_and_character_limits() -> None:
    steps = "\n".join(f"Checked node {n} of the sync cluster and its queue" for n in range(40))
    history = [*story(), event(6, "handoff_submitted", {"steps_tried": steps})]
    assert len(summarise(history)) == LIMIT
    short = summarise(history, limit=40, max_chars=300)
    assert sum(len(s.text) for s in short) <= 300 < sum(len(s.text) for s in short) + 60


def test_the_summary_text_labels_each_line_and_ends_it_with_its_events_reference() -> None:
    sentences = summarise(story())
    lines = summary_text(sentences, UTC).splitlines()
    assert len(lines) == len(sentences)
    assert "Tried: Reproduced on a test account [event 05eeeeee, 14:05]" in lines
    assert ("Promised: We will send the next update within the hour. "
            "[event 04eeeeee, 14:04]") in lines
    kinds = [line.split(":")[0] for line in lines]
    order = ["Tried", "Promised", "Customer said", "History"]
    assert kinds == sorted(kinds, key=order.index)


def test_the_summary_text_dates_its_references_when_the_story_spans_days() -> None:
    history = [*story(), event(7, "update_sent", {"text": "We will deploy the fix tomorrow."},
                               minutes=60 * 30)]
    text = summary_text(summarise(history), UTC)
    assert "[event 07eeeeee, 2026-03-03 20:00]" in text
    assert "[event 04eeeeee, 2026-03-02 14:04]" in text


def test_a_ticket_with_nothing_to_quote_has_an_empty_summary() -> None:
    history = [event(1, "opened", {"title": "", "text": "   "}),
               event(2, "status", {"status": "waiting_on_customer"})]
    assert summarise(history) == []
    assert summary_text([]) == ""


def test_the_demo_tickets_handoff_steps_are_in_its_summary() -> None:
    from console.app.matrices import load_matrix_file
    from console.app.usecases.demo import demo_events
    from console.paths import default_matrix_path

    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    raw = demo_events(load_matrix_file(default_matrix_path()), now, tickets=60, history=0)
    events = [StoredEvent(e.id or "", e.ticket, e.kind, e.payload, e.author, "d", "",
                          e.at or now) for e in raw]
    handoff = next(e for e in events if e.kind == "handoff_submitted")
    history = [e for e in events if e.ticket == handoff.ticket]
    sentences = summarise(history)
    tried = {s.text for s in sentences if s.kind == "tried"}
    assert tried and tried <= set(handoff.payload["steps_tried"].splitlines())


# -- property: nothing but the events' own sentences -----------------------------------
WORDS = st.sampled_from([
    "We", "tried", "restarting", "the", "sync", "e.g.", "version", "2.3.1", "will",
    "send", "https://x.example/a.b", "z.B.", "Cache", "geleert", "Dr.", "Lee", "1.",
    "etc.", "no", "change", "update", "by", "tomorrow", "ok", "€", "3.5", "-", "é",
])
TEXT = st.lists(st.one_of(WORDS, st.sampled_from([".", "!", "?", "\n", " ", "\n- ", ". "])),
                max_size=40).map(" ".join)
KINDS = st.sampled_from(["opened", "message", "update_sent", "handoff_submitted", "resolved",
                         "escalated", "severity", "note"])
FIELDS = st.sampled_from(["title", "text", "steps_tried", "next_steps", "summary", "note",
                          "reason", "customer", "context", "resolution"])
EVENT = st.tuples(KINDS, st.dictionaries(FIELDS, TEXT, max_size=4), st.sampled_from(
    ["customer", "agent", None]))


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(st.lists(EVENT, max_size=12), st.integers(1, 12), st.integers(20, 1500))
def test_every_summary_sentence_is_verbatim_text_of_its_own_event(
        raw: list[tuple[str, dict[str, str], str | None]], limit: int, max_chars: int) -> None:
    history = []
    for n, (kind, payload, sender) in enumerate(raw):
        if sender is not None:
            payload = {**payload, "from": sender}
        history.append(event(n, kind, payload, minutes=(n * 37) % 50))
    by_id = {e.id: e for e in history}
    sentences = summarise(history, limit=limit, max_chars=max_chars)
    assert len(sentences) <= limit
    assert sum(len(s.text) for s in sentences) <= max_chars
    for s in sentences:
        source = by_id[s.event_id]
        assert s.at == source.at
        assert any(s.text in str(v) for v in source.payload.values())
        assert s.text == s.text.strip() and "\n" not in s.text
    lines = summary_text(sentences, UTC).splitlines()
    assert len(lines) == len(sentences)


def test_a_customer_thanking_for_a_workaround_said_it_rather_than_tried_it() -> None:
    assert classify("Thanks, the workaround helps for now.", "said", ours=False) == "said"
