"""What the engine keeps of each ticket: no history, no title or text when it can read
them back, and the very same fires either way."""

from __future__ import annotations

import pickle
import sys
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from pathlib import Path

from console.domain.engine import Engine
from console.domain.fires import Fire
from console.domain.matrix import parse_matrix_text
from console.domain.tickets import Intake, TicketEvent
from console.paths import default_matrix_path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the engine benchmark's workload generator
    sys.path.insert(0, str(ROOT))

from benchmarks.engine.workload import generate  # noqa: E402

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
TEXT = default_matrix_path().read_text()
# Rules that read a ticket's words long after it opened: a time trigger and an SLA
# trigger (the default matrix's word rules all run while the ticket opens).
WORDY = TEXT.replace("\ntriggers:\n", """
triggers:
  - id: slow-payment
    when: {unresolved_for: 2h, keywords: [payment, invoice, export]}
    then:
      - prioritize: high
  - id: breach-words
    when: {sla: {clock: response, state: breached}, keywords: [checkout, card, reports]}
    then:
      - require_handoff: true
""", 1)
# a new version whose scoring reads other words: switching to it re-scores every ticket
REWORDED = WORDY.replace("words: [outage, is down,", "words: [outage, slow, is down,", 1)


class OpenedIntakes:
    """Reads intakes back as the store does: from each ticket's opening."""

    def __init__(self, events: list[TicketEvent]) -> None:
        self.by_ticket: dict[str, Intake] = {}
        for e in events:
            if e.type == "opened":
                self.by_ticket.setdefault(e.ticket, Intake.from_data(e.data))
        self.read = 0

    def __call__(self, ids: Collection[str]) -> dict[str, Intake]:
        self.read += len(ids)
        return {i: self.by_ticket[i] for i in ids if i in self.by_ticket}


def _run(engine: Engine, events: list[TicketEvent], switch_at: datetime) -> list[Fire]:
    fires: list[Fire] = []
    switched = False
    for e in events:
        if not switched and e.at >= switch_at:
            fires += engine.advance_to(switch_at)
            engine.set_matrix(parse_matrix_text(REWORDED))
            switched = True
        fires += engine.apply(e)
    return fires + engine.advance_to(events[-1].at + timedelta(days=3))


def test_an_engine_that_reads_intakes_back_fires_exactly_what_one_keeping_them_fires():
    work = generate(300, 6.0, seed=11)
    events = work.events
    switch_at = work.start + timedelta(hours=3)
    keeping = _run(Engine(parse_matrix_text(WORDY)), events, switch_at)
    source = OpenedIntakes(events)
    reading = _run(Engine(parse_matrix_text(WORDY), intakes=source), events, switch_at)
    assert [f.to_json() for f in reading] == [f.to_json() for f in keeping]
    by_trigger = {f.extra.get("trigger") for f in keeping}
    assert {"slow-payment", "breach-words"} <= by_trigger  # the word rules did fire
    assert source.read > 0


def test_the_engine_keeps_no_history_and_shares_what_tickets_have_in_common():
    data = {"title": "Invoice export broken", "text": "Every invoice export fails. " * 40,
            "account": "Acme", "account_tier": "enterprise", "category": "bug",
            "workaround": "none", "severity": "P2", "by": "support"}
    events = []
    for ticket in ("A", "B"):
        events += [
            TicketEvent(T0, ticket, "opened", dict(data)),
            TicketEvent(T0 + timedelta(minutes=1), ticket, "message",
                        {"text": "Any news? " * 50}),
            TicketEvent(T0 + timedelta(minutes=2), ticket, "severity",
                        {"severity": "P1", "by": "engineering", "reason": "bigger " * 30}),
            TicketEvent(T0 + timedelta(minutes=3), ticket, "handoff_submitted",
                        {"summary": "handed over " * 40}),
        ]
    engine = Engine(parse_matrix_text(TEXT), intakes=OpenedIntakes(events))
    for e in events:
        engine.apply(e)
    engine.advance_to(T0 + timedelta(hours=3))
    a, b = engine.tickets["A"], engine.tickets["B"]
    for st in (a.state, b.state):
        assert st.messages == () and st.severity_history == () and st.latest_handoff is None
        assert (st.intake.title, st.intake.text) == ("", "")
        assert (st.severity, st.severity_by, st.first_severity) == ("P1", "engineering", "P2")
        assert st.handoffs == 1
    assert a.state.intake is b.state.intake
    assert a.fired and all(x is y for x, y in zip(a.fired, b.fired, strict=True))


def test_the_engines_ticket_records_are_plain_data_a_checkpoint_can_save():
    work = generate(50, 2.0, seed=3)
    engine = Engine(parse_matrix_text(WORDY), intakes=OpenedIntakes(work.events))
    for e in work.events:
        engine.apply(e)
    saved = pickle.loads(pickle.dumps(engine.tickets))
    assert saved == engine.tickets
    assert any(t.chains for t in saved.values()) and any(t.fired for t in saved.values())
