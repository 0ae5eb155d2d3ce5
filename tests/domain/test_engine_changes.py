"""The engine across matrix changes and severity changes that rewrite history."""

from __future__ import annotations

import gc
from datetime import UTC, datetime, timedelta

from console.domain.engine import Engine, build_calendars
from console.domain.matrix import parse_matrix_text
from console.domain.projection import project
from console.domain.tickets import TicketEvent
from console.paths import default_matrix_path

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
TEXT = default_matrix_path().read_text()


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def p1_opened() -> TicketEvent:
    return TicketEvent(T0, "T1", "opened", {"title": "Outage", "users_affected_pct": 60,
                                            "workaround": "none", "severity": "P1"})


def test_a_matrix_change_that_shortens_a_running_chain_does_not_crash():
    engine = Engine(parse_matrix_text(TEXT))
    engine.apply(p1_opened())
    engine.advance_to(at(11))  # the P1 page is on its second step (the CTO)
    shorter = TEXT.replace(
        "      - {primary: cto, backup: vp-engineering, channel: pagerduty, ack_timeout: 10m}\n",
        "", 1)
    assert shorter != TEXT
    engine.set_matrix(parse_matrix_text(shorter))
    fires = engine.advance_to(at(60))
    pages = [f for f in fires if f.kind == "notify" and f.extra["chain"] == "p1-page"]
    assert pages and all(f.extra["step"] == 1 for f in pages)


def test_a_matrix_change_that_removes_a_running_chain_stops_it():
    engine = Engine(parse_matrix_text(TEXT))
    engine.apply(p1_opened())
    engine.advance_to(at(1))
    no_page = (TEXT.replace("    notify: p1-page\n", "", 1)
               .replace("  p1-page:\n", "  unused-page:\n", 1))
    engine.set_matrix(parse_matrix_text(no_page))
    fires = engine.advance_to(at(60))
    assert not [f for f in fires if f.kind == "notify" and f.extra.get("chain") == "p1-page"]


def test_a_severity_raise_after_the_response_alerts_the_missed_response_once_late():
    engine = Engine(parse_matrix_text(TEXT))
    engine.apply(TicketEvent(T0, "T2", "opened", {"title": "Slow export", "category": "bug",
                                                  "workaround": "full"}))  # scored P3
    engine.apply(TicketEvent(at(30), "T2", "responded", {}))  # fine for a P3 (24h)
    fires = engine.apply(TicketEvent(at(40), "T2", "severity",
                                     {"severity": "P1", "by": "engineering"}))
    fires += engine.advance_to(at(41))
    missed = [f for f in fires if f.kind == "breach" and f.clock == "response"]
    assert len(missed) == 1
    assert missed[0].at == at(40)
    assert missed[0].extra["late"] and missed[0].extra["retroactive"]
    assert missed[0].extra["due"] == at(15)
    more = engine.apply(TicketEvent(at(50), "T2", "message", {"text": "any news?"}))
    assert not [f for f in more if f.kind == "breach" and f.clock == "response"]


def test_matrix_change_skips_resolved_tickets_and_counts_open_deadlines():
    engine = Engine(parse_matrix_text(TEXT))
    engine.apply(p1_opened())
    engine.apply(TicketEvent(at(1), "T9", "opened", {"users_affected_pct": 60,
                                                     "workaround": "none"}))
    engine.apply(TicketEvent(at(2), "T9", "resolved", {}))
    count = engine.set_matrix(parse_matrix_text(TEXT.replace("response: 15m", "response: 10m")))
    assert count == len([c for c in engine.clocks("T1") if c.due is not None])
    breach = [f for f in engine.advance_to(at(20)) if f.kind == "breach" and f.clock == "response"]
    assert [(f.ticket, f.at) for f in breach] == [("T1", at(10))]


class _WatchedTickets(dict):
    """The engine's ticket table, noting whether the collector is on while it is walked."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self.collector_on: list[bool] = []

    def values(self):  # type: ignore[override]
        for ticket in super().values():
            self.collector_on.append(gc.isenabled())
            yield ticket


def test_a_matrix_change_leaves_the_garbage_collector_to_the_process():
    # the engine runs on the notify thread: switching the collector off would stop it for
    # the GUI thread too
    engine = Engine(parse_matrix_text(TEXT))
    engine.apply(p1_opened())
    engine.tickets = _WatchedTickets(engine.tickets)
    assert gc.isenabled()
    engine.set_matrix(parse_matrix_text(TEXT))
    assert engine.tickets.collector_on == [True]
    assert gc.isenabled()


def test_a_severity_the_matrix_does_not_know_is_judged_by_the_score_in_engine_and_queue():
    # another console with a newer matrix may record a severity this one has not got yet;
    # the engine and the projection then agree on the score's suggestion
    matrix = parse_matrix_text(TEXT)
    events = [TicketEvent(T0, "T3", "opened", {"title": "Slow export", "category": "bug",
                                               "workaround": "full"}),
              TicketEvent(at(5), "T3", "severity", {"severity": "P9", "by": "support"})]
    engine = Engine(matrix)
    for event in events:
        engine.apply(event)
    view = project(events, matrix, build_calendars(matrix))
    assert view is not None and (view.severity, view.severity_source) == ("P3", "suggested")
    assert engine.severity("T3") == view.severity
    assert {c.severity for c in engine.clocks("T3")} == {"P3"}


def test_rescheduled_timers_do_not_pile_up_and_fire_exactly_as_without_the_events():
    """Every event reschedules its ticket; the superseded timers must not stay in the heap
    (50,000 replayed tickets held ~10 dead entries each), and dropping them changes
    nothing that fires."""
    engine = Engine(parse_matrix_text(TEXT))
    quiet, busy = p1_opened(), TicketEvent(T0, "T9", "opened", p1_opened().data)
    engine.apply(quiet)
    engine.apply(busy)
    for i in range(2000):  # a no-op reassignment still reschedules the ticket
        engine.apply(TicketEvent(T0 + timedelta(microseconds=i + 1), "T9", "assigned", {}))
    live = sum(1 for entry in engine._heap
               if engine.tickets[entry[2]].version == entry[3])
    assert len(engine._heap) <= 4 * live + 1024
    fires = engine.advance_to(at(24 * 60))

    def seen(ticket: str) -> list[tuple[datetime, str, str | None, str]]:
        return [(f.at, f.kind, f.clock, f.reason) for f in fires if f.ticket == ticket]

    assert seen("T1") and seen("T1") == seen("T9")
