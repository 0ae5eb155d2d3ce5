"""Knowledge capture: the KB draft carries the ticket's own steps and nothing about other
customers; drafts are written whole, never over an earlier one; recurring fixes group."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from console.app.triage.kb import affected_versions, kb_draft, scrub, slug, write_kb_draft
from console.app.triage.kb_groups import (
    by_phrase,
    by_steps,
    normalise_step,
    recurring,
    steps_of,
)
from console.store.records import StoredEvent

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def ticket(tid: str, account: str, title: str, text: str, *, steps: str = "",
           note: str = "", message: str = "", author: str = "ana") -> list[StoredEvent]:
    events: list[tuple[str, dict[str, Any], str]] = [
        ("opened", {"title": title, "text": text, "account": account}, "intake")]
    if message:
        events.append(("message", {"text": message, "from": "customer"}, "customer"))
    if steps:
        events.append(("handoff_submitted", {"steps_tried": steps, "customer": account,
                                             "summary": f"{title} for {account}"}, author))
    events.append(("update_sent", {"text": "We restarted the IdP connector. We will update "
                                           "you within the hour."}, author))
    events.append(("resolved", {"resolution": "fixed", "note": note}, author))
    return [StoredEvent(f"{tid}-{n}", tid, kind, payload, who, "dev", "",
                        T0 + timedelta(minutes=10 * n))
            for n, (kind, payload, who) in enumerate(events)]


def ours() -> list[StoredEvent]:
    return ticket(
        "INC-1", "Acme Corp", "SSO login fails for Acme Corp after 2.3.1",
        "Maria (maria.lopez@acme.example, +49 30 1234 5678) reports that SSO login fails "
        "since version 2.3.1. Users see error 500, e.g. on the login page.",
        steps="Reproduced on a test account\nCleared the SSO cache",
        note="Cleared the SSO cache for all Acme Corp users; login works again.")


@dataclass(frozen=True)
class Similar:  # the fields of suggest.Similar that carry other customers' words
    ticket: str
    title: str
    resolution: str
    team: str = "t1"


def other_customers() -> list[Any]:
    return [
        Similar("INC-7", "SSO loop on login", "Told Bob Stone at Globex (bob@globex.example, "
                "555-123-4567) to clear the cache"),
        ticket("INC-8", "Initech", "Login broken for Initech",
               "Peter Gibbons at Initech says login is broken since 2.2.9.",
               steps="Cleared Initech's SSO cache", note="Peter confirmed the fix.",
               message="Peter here: this is costing us a fortune.", author="lisa"),
    ]


def test_the_kb_draft_carries_the_tickets_symptoms_versions_and_steps() -> None:
    draft = kb_draft(ours())
    assert draft.startswith("# SSO login fails for the customer after 2.3.1\n")
    assert "resolved 2026-03-02" in draft
    symptoms = draft.split("## Symptoms")[1].split("##")[0]
    assert "Users see error 500, e.g. on the login page." in symptoms
    versions = draft.split("## Affected versions")[1].split("##")[0]
    assert versions.strip() == "- 2.3.1"
    steps = draft.split("## Steps that resolved it")[1].split("##")[0]
    assert steps.strip().splitlines() == [
        "1. Reproduced on a test account", "2. Cleared the SSO cache",
        "3. We restarted the IdP connector.",
        "4. Cleared the SSO cache for all the customer users; login works again."]
    assert "within the hour" not in draft  # a promise is not a step


def test_the_kb_draft_scrubs_emails_phones_and_the_account_from_the_tickets_own_text(
        ) -> None:
    draft = kb_draft(ours())
    for private in ("maria.lopez@acme.example", "1234 5678", "Acme Corp"):
        assert private not in draft
    assert "[e-mail]" in draft and "[phone]" in draft


def test_the_kb_draft_links_similar_tickets_by_id_and_title_and_says_nothing_else(
        ) -> None:
    draft = kb_draft(ours(), other_customers())
    similar = draft.split("## Similar tickets")[1]
    assert similar.strip().splitlines() == [
        "- [INC-7](escalation-console://ticket/INC-7): SSO loop on login",
        "- [INC-8](escalation-console://ticket/INC-8): Login broken for the customer"]
    for other in ("Globex", "Bob", "bob@globex", "555-123-4567", "Initech", "Peter",
                  "Gibbons", "fortune", "lisa", "2.2.9", "clear the cache"):
        assert other not in draft, other


def test_the_kb_draft_scrubs_the_similar_tickets_accounts_from_their_titles() -> None:
    draft = kb_draft(ours(), [Similar("INC-9", "Umbrella Corp: SSO loop", "")],
                     private=["Umbrella Corp"])
    assert "- [INC-9](escalation-console://ticket/INC-9): the customer: SSO loop" in draft
    assert "Umbrella" not in draft


def test_the_kb_draft_leaves_the_ticket_itself_out_of_its_similar_tickets() -> None:
    draft = kb_draft(ours(), [Similar("INC-1", "itself", "")])
    assert draft.split("## Similar tickets")[1].strip() == "- None found."


def test_an_empty_history_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="history is empty"):
        kb_draft([])


def test_scrub_keeps_versions_ips_and_dates_but_not_phone_numbers() -> None:
    text = "On 2026-03-02 14:05 host 10.0.0.12 ran 2.3.1; call (555) 123-4567 or +1 555 0100 99"
    assert scrub(text) == ("On 2026-03-02 14:05 host 10.0.0.12 ran 2.3.1; call [phone] or "
                           "[phone]")


def test_affected_versions_are_version_numbers_not_durations_or_addresses() -> None:
    text = ("Fails since version 4.2, for 3.5 hours, on 10.0.0.1; v2.0 and 2.3.1-beta too. "
            "Release 7.1.")
    assert affected_versions([text]) == ["4.2", "v2.0", "2.3.1-beta", "7.1"]


# -- writing ---------------------------------------------------------------------------
def test_a_draft_is_named_by_ticket_and_title_in_a_folder_made_for_it(tmp_path: Path) -> None:
    folder = tmp_path / "kb" / "drafts"
    path = write_kb_draft(folder, "INC-1", kb_draft(ours()))
    assert path == folder / "INC-1-sso-login-fails-for-the-customer-after-2-3-1.md"
    assert path.read_text(encoding="utf-8") == kb_draft(ours())
    assert sorted(p.name for p in folder.iterdir()) == [path.name]  # no temporary left


def test_a_second_draft_never_replaces_the_first(tmp_path: Path) -> None:
    first = write_kb_draft(tmp_path, "INC-1", "# Title\n\nfirst\n")
    first.write_text("edited by hand\n", encoding="utf-8")
    second = write_kb_draft(tmp_path, "INC-1", "# Title\n\nsecond\n")
    third = write_kb_draft(tmp_path, "INC-1", "# Title\n\nthird\n")
    assert [p.name for p in (first, second, third)] == [
        "INC-1-title.md", "INC-1-title-2.md", "INC-1-title-3.md"]
    assert first.read_text(encoding="utf-8") == "edited by hand\n"
    assert third.read_text(encoding="utf-8").endswith("third\n")


def test_a_ticket_id_cannot_write_outside_the_folder(tmp_path: Path) -> None:
    path = write_kb_draft(tmp_path / "kb", "../../etc/passwd", "# Ünïcode tïtle!\n")
    assert path.parent == tmp_path / "kb"
    assert path.name == "etc-passwd-unicode-title.md"


def test_a_folder_that_cannot_be_made_raises_oserror(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    with pytest.raises(OSError):
        write_kb_draft(tmp_path / "a-file" / "kb", "INC-1", "# x\n")
    assert [p.name for p in tmp_path.iterdir()] == ["a-file"]


def test_slug_is_lowercase_ascii_words_joined_by_dashes() -> None:
    assert slug("SSO login fails after 2.3.1!") == "sso-login-fails-after-2-3-1"
    assert slug("Straße — Überweisung") == "strae-uberweisung"
    assert len(slug("word " * 40)) <= 60


# -- recurring issues ------------------------------------------------------------------
@dataclass(frozen=True)
class Example:
    ticket: str
    resolved_at: datetime
    resolution: str
    title: str = ""


def examples() -> list[Example]:
    sso = ["Cleared the SSO cache", "Cleared the SSO cache for INC-1002.",
           "cleared the sso cache", "SSO cache cleared; confirmed with the customer.",
           "Clearing the SSO cache", "Cleared the SSO cache", "Cleared the SSO cache."]
    out = [Example(f"INC-{n}", T0 + timedelta(days=n), text) for n, text in enumerate(sso)]
    out += [Example("INC-50", T0 + timedelta(days=2), "Restarted the sync service 2.3"),
            Example("INC-51", T0 + timedelta(days=3), "Restarted the sync service"),
            Example("INC-52", T0 + timedelta(days=4), "Rotated the API key"),
            Example("INC-60", T0, "Confirmed with the customer."),
            Example("INC-61", T0, "Confirmed with the customer."),
            Example("INC-62", T0, "Fixed."),
            Example("INC-63", T0, "Fixed."),
            Example("INC-90", T0 - timedelta(days=40), "Cleared the SSO cache")]
    return out


def test_tickets_resolved_by_the_same_steps_form_a_recurring_group() -> None:
    groups = recurring(examples(), since=T0 - timedelta(days=1))
    assert [(g.phrase, len(g.tickets)) for g in groups] == [
        ("Cleared the SSO cache", 7), ("Restarted the sync service", 2)]
    assert groups[0].describe() == "7 tickets this month resolved by clearing the SSO cache"
    assert groups[0].tickets[0] == "INC-0" and "INC-90" not in groups[0].tickets
    assert groups[1].describe("in the last 30 days") == (
        "2 tickets in the last 30 days resolved by restarting the sync service")


def test_exact_matching_alone_keeps_reworded_steps_apart() -> None:
    groups = recurring(examples(), since=T0 - timedelta(days=1), threshold=1.01)
    assert ("Cleared the SSO cache", 6) in [(g.phrase, len(g.tickets)) for g in groups]


def test_closing_words_are_not_steps_and_group_nothing() -> None:
    assert steps_of("Confirmed with the customer.") == []
    assert steps_of("tried: Cleared cache; Fixed.") == ["Cleared cache"]
    assert recurring([e for e in examples() if e.ticket >= "INC-60"], since=T0) == []


def test_step_normalisation_drops_ids_numbers_and_stop_words() -> None:
    assert normalise_step("Cleared the SSO cache for INC-1002 on 2.3.1") == "clear sso cache"
    assert normalise_step("Den Cache geleert") == "cache geleert"


def test_a_group_name_reads_as_how_the_tickets_were_resolved() -> None:
    assert by_phrase("Rolled back the release") == "by rolling back the release"
    assert by_phrase("Applied the hotfix") == "by applying the hotfix"
    assert by_phrase("Reset the password") == "by resetting the password"
    assert by_phrase("Vendor patch 4") == "with “Vendor patch 4”"


def test_steps_come_apart_in_the_examples_one_line_form() -> None:
    line = ("tried: Reproduced on a test account Cleared the SSO cache - Confirmed with the "
            "customer.")
    assert steps_of(line) == ["Reproduced on a test account", "Cleared the SSO cache"]


def test_similar_groups_do_not_chain_into_one() -> None:
    # a ~ b and b ~ c, but a and c share little: b joins the larger of a and c only
    a = "Cleared the SSO cache; restarted the IdP connector"
    b = "Cleared the SSO cache; restarted the IdP connector; rotated the signing key"
    c = "Rotated the signing key; restarted the IdP connector; renewed the certificate"
    found = recurring([Example(f"A-{n}", T0, a) for n in range(3)]
                      + [Example("B-1", T0, b)]
                      + [Example(f"C-{n}", T0, c) for n in range(2)], since=T0,
                      threshold=0.5)
    assert all(not (any(t.startswith("A-") for t in g.tickets)
                    and any(t.startswith("C-") for t in g.tickets)) for g in found)


def test_a_group_of_several_steps_is_named_by_all_of_them() -> None:
    line = "tried: Reproduced on a test account Cleared the SSO cache - Confirmed."
    found = recurring([Example("A-1", T0, line), Example("A-2", T0, line.replace(
        "Cleared the SSO cache", "Cleared the SSO cache for INC-7"))], since=T0)
    assert [g.describe() for g in found] == [
        "2 tickets this month resolved by reproducing on a test account and clearing the "
        "SSO cache"]
    assert found[0].phrase == "Reproduced on a test account; Cleared the SSO cache"
    assert by_steps(["Cleared the cache", "Vendor patch 4"]) == (
        "with “Cleared the cache; Vendor patch 4”")
