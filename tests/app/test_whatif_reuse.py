"""What-if reuses the unchanged tickets' results: a draft that changes only some
severities' entries replays again only the tickets judged by one of them, and gives
exactly what two whole replays give."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta

import pytest

from benchmarks.engine.runner import load_matrices
from benchmarks.engine.workload import OPENED_SPREAD, generate
from console.app.usecases.demo.scenarios import demo_events
from console.app.usecases.whatif import replay
from console.app.usecases.whatif.replay import changed_severities, replay_pair
from console.domain.matrix import Matrix, parse_matrix_text
from console.domain.tickets import TicketEvent
from console.paths import default_matrix_path

# the module, which the package's ``replay`` function hides
replay_module = importlib.import_module("console.app.usecases.whatif.replay")
DEFAULT_TEXT = default_matrix_path().read_text(encoding="utf-8")
P2_TARGETS = "response: 1h, update: 1h, resolution: 8h"
P2_SHORTER = "response: 45m, update: 1h, resolution: 8h"


def edited(old: str, new: str) -> Matrix:
    assert DEFAULT_TEXT.count(old) == 1, old
    return parse_matrix_text(DEFAULT_TEXT.replace(old, new))


def demo() -> tuple[Matrix, list[TicketEvent], tuple[datetime, datetime]]:
    matrix = parse_matrix_text(DEFAULT_TEXT)
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    events = sorted((TicketEvent(e.at, e.ticket, e.kind, e.payload, e.author)
                     for e in demo_events(matrix, now, tickets=40, history=60)),
                    key=lambda e: e.at)
    return matrix, events, (now - timedelta(days=60), now)


def test_a_change_to_one_severitys_targets_names_that_severity():
    active = parse_matrix_text(DEFAULT_TEXT)
    assert changed_severities(edited(P2_TARGETS, P2_SHORTER), active) == {"P2"}
    assert changed_severities(active, active) == frozenset()


def test_a_change_beyond_the_severities_entries_reuses_nothing():
    active = parse_matrix_text(DEFAULT_TEXT)
    backup = edited("- {primary: product-design-inbox, channel: email}",
                    "- {primary: product-design-inbox, backup: product-manager, "
                    "channel: email, ack_timeout: 30m}")
    assert changed_severities(backup, active) is None


def test_comparing_does_not_change_either_matrix():
    active = parse_matrix_text(DEFAULT_TEXT)
    draft = edited(P2_TARGETS, P2_SHORTER)
    changed_severities(draft, active)
    assert draft.severity("P2").targets.response == timedelta(minutes=45)
    assert active.severity("P2").targets.response == timedelta(hours=1)


@pytest.mark.parametrize("draft_edit", [
    (P2_TARGETS, P2_SHORTER),
    ("- {primary: product-design-inbox, channel: email}",
     "- {primary: product-design-inbox, backup: product-manager, channel: email, "
     "ack_timeout: 30m}"),
])
def test_the_pair_equals_two_whole_replays_on_the_demo_store(draft_edit):
    active, events, window = demo()
    draft = edited(*draft_edit)
    assert replay_pair(draft, active, events, *window) == (
        replay(draft, events, *window), replay(active, events, *window))


def test_the_pair_equals_two_whole_replays_on_the_engine_workload():
    work = generate(400, 12, 7)
    draft, active = load_matrices()[::-1]
    window = (work.start - timedelta(seconds=max(OPENED_SPREAD.values())), work.end)
    assert changed_severities(draft, active) == {"P2", "P3"}
    assert replay_pair(draft, active, work.events, *window) == (
        replay(draft, work.events, *window), replay(active, work.events, *window))


def test_only_the_tickets_judged_by_a_changed_severity_are_replayed_again(monkeypatch):
    active, events, window = demo()
    draft = edited(P2_TARGETS, P2_SHORTER)
    calls: list[tuple[Matrix, set[str]]] = []
    real = replay_module._replay

    def recording(matrix, chosen, *args):  # type: ignore[no-untyped-def]
        calls.append((matrix, {e.ticket for e in chosen}))
        return real(matrix, chosen, *args)

    monkeypatch.setattr(replay_module, "_replay", recording)
    replay_pair(draft, active, events, *window)
    (first, everyone), (second, again) = calls
    assert first is active and second is draft
    p2 = {e.ticket for e in events if e.data.get("severity") == "P2"} & everyone
    assert p2 and p2 <= again < everyone  # P2's tickets, not the P1/P3/P4 ones


def test_the_rates_need_no_clock_instances():
    """What-if folds its tickets without clock instances: the T1 resolution and
    escalation rates are the reports' all the same."""
    from itertools import groupby

    from console.domain.reports import report, ticket_facts

    matrix, events, window = demo()
    by_ticket = sorted(events, key=lambda e: e.ticket)
    full, light = [], []
    for _, group in groupby(by_ticket, key=lambda e: e.ticket):
        evs = list(group)
        full.append(ticket_facts(evs, matrix))
        light.append(ticket_facts(evs, matrix, clocks=False))
    assert all(f.clocks for f in full if f) and not any(f.clocks for f in light if f)
    with_clocks = report([f for f in full if f], *window, matrix.kpis)
    without = report([f for f in light if f], *window, matrix.kpis)
    assert with_clocks.escalation_rate.denominator > 0
    assert (without.t1_resolution, without.escalation_rate) == (
        with_clocks.t1_resolution, with_clocks.escalation_rate)


def test_the_compacted_replays_compare_as_the_whole_ones():
    from console.app.usecases.whatif import impact
    from console.app.usecases.whatif.replay import compacted

    active, events, window = demo()
    draft = edited(P2_TARGETS, P2_SHORTER)
    whole = replay_pair(draft, active, events, *window)
    small = compacted(*whole)
    assert impact(*small) == impact(*whole)
    assert impact(*small).pages_per_week and any(d for _, d, _ in impact(*small).daily_breaches)
    assert len(small[1].tickets) < len(whole[1].tickets)
    assert impact(*compacted(*small)) == impact(*whole)  # compacting twice changes nothing
    # of a ticket kept, only the rows the versions counted differently
    assert small[0].tickets and all(
        small[1].tickets.get(t, {}).get(row) != ats
        for t, rows in small[0].tickets.items() for row, ats in rows.items())
    kept_rows = sum(len(rows) for rows in small[0].tickets.values())
    assert kept_rows < sum(len(whole[0].tickets[t]) for t in small[0].tickets)
