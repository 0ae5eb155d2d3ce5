"""The reports' rollup (``report_facts``) kept by the local store's projector: it always
equals folding the log, after a refused event and a matrix change too, and a store
upgraded to 0008 fills it on its first report."""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import datetime, timedelta
from types import SimpleNamespace

from domain.reports.test_properties import history, tickets
from hypothesis import given, settings
from matrix_variant import BUSINESS, variant_yaml
from sqlalchemy import select

from console.app.usecases.reports import load_report, paging_pages, tickets_for
from console.domain.reports import TicketFacts, paging_load, report, ticket_facts
from console.domain.tickets import TicketEvent
from console.store.local import LocalStore, NewEvent
from console.store.models import DeliveryRow

from .helpers import T0

FAR = T0 + timedelta(days=400)


def _folded(store: LocalStore) -> dict[str, TicketFacts]:
    """Every ticket's facts folded from the log now (the baseline)."""
    by_ticket: dict[str, list[TicketEvent]] = {}
    for e in store.all_events():
        by_ticket.setdefault(e.ticket, []).append(TicketEvent(e.at, e.ticket, e.kind,
                                                              e.payload, e.author))
    out = {}
    for ticket, events in by_ticket.items():
        facts = ticket_facts(events, store.matrix)
        if facts is not None:
            out[ticket] = facts
    return out


def _rolled(store: LocalStore) -> dict[str, TicketFacts]:
    with store.unit(read_only=True) as uow:
        return {f.id: f for f in uow.report_facts.window(T0 - timedelta(days=400), FAR)}


def _append(store: LocalStore, events: list[TicketEvent]) -> None:
    store.append_many([NewEvent(e.ticket, e.type, dict(e.data), "agent-ana", e.at)
                       for e in events])


@settings(max_examples=25, derandomize=True, deadline=None)
@given(tickets)
def test_the_rollup_equals_folding_the_log(tmp_path_factory, matrix, plan):  # type: ignore[no-untyped-def]
    with LocalStore(tmp_path_factory.mktemp("s"), matrix) as store:
        histories = history(plan)
        half = len(histories) // 2
        store.append_many([])  # nothing: no rows
        for events in histories[:half]:  # one ticket a write, as the console writes
            _append(store, events)
        # the rest in one batch, the events interleaved across tickets
        _append(store, sorted((e for h in histories[half:] for e in h), key=lambda e: e.at))
        assert _rolled(store) == _folded(store)
        r = load_report(store, T0, T0 + timedelta(days=30), now=FAR)
        assert r == report(_folded(store).values(), T0, T0 + timedelta(days=30),
                           matrix.kpis)


def test_a_refused_event_refolds_the_tickets_facts(open_store, world):  # type: ignore[no-untyped-def]
    a = open_store("a")
    a.append("T-1", "opened", {"title": "x", "severity": "P3", "by": "support"}, "ann")
    world.advance(60)
    hop = a.append("T-1", "escalated", {"team": "specialists", "tier": "T2",
                                        "mode": "functional"}, "ann")
    assert len(_rolled(a)["T-1"].escalations) == 1
    a.refuse([(hop, "not yours")])
    assert _rolled(a)["T-1"].escalations == ()
    assert _rolled(a) == _folded(a)


def test_a_new_matrix_refolds_every_tickets_facts(open_store, world):  # type: ignore[no-untyped-def]
    a = open_store("a")
    for n in range(3):
        a.append(f"T-{n}", "opened", {"title": "x", "severity": "P3", "by": "support"}, "ann")
        world.advance(60)
    before = _rolled(a)
    a.publish_matrix(variant_yaml(), "P3 on a business calendar", "lead")
    after = _rolled(a)
    # the P3 clocks now run on Berlin business hours: every row changed, as a fold says
    assert BUSINESS in a.matrix.calendars and after == _folded(a)
    assert after.keys() == before.keys()
    assert all(after[t].clocks != before[t].clocks for t in after)


def test_a_store_upgraded_to_0008_fills_its_rollup_on_the_first_report(open_store, world):  # type: ignore[no-untyped-def]
    a = open_store("a")
    for n in range(5):
        a.append(f"T-{n}", "opened", {"title": "x", "severity": "P2", "by": "support"}, "ann")
        world.advance(60)
    with contextlib.closing(sqlite3.connect(a.path)) as conn, conn:
        conn.execute("DELETE FROM report_facts")  # as 0008 leaves an older store
    assert _rolled(a) == {}
    r = load_report(a, T0, T0 + timedelta(days=1), now=world.now + timedelta(hours=1))
    assert r.opened == 5 and _rolled(a) == _folded(a)


def test_a_click_lists_the_tickets_of_a_rate(open_store, world):  # type: ignore[no-untyped-def]
    a = open_store("a")
    for n in range(4):
        a.append(f"T-{n}", "opened", {"title": "x", "severity": "P2", "by": "support",
                                      "owner": "ann"}, "ann")
        world.advance(60)
        if n % 2:
            a.append(f"T-{n}", "escalated", {"team": "specialists", "tier": "T2",
                                             "from_team": "frontline"}, "ann")
    now = world.now + timedelta(hours=1)
    window = (T0, T0 + timedelta(days=7))
    r = load_report(a, *window, now=now)
    team = tickets_for(a, *window, "team", "frontline", now=now)
    agent = tickets_for(a, *window, "agent", "ann", now=now)
    assert team.numerator == agent.numerator == ("T-1", "T-3")
    assert team.denominator == ("T-0", "T-1", "T-2", "T-3")
    assert len(team.numerator) == r.teams["frontline"].rate.numerator
    assert len(agent.denominator) == r.agents["ann"].denominator


def _page(store: LocalStore, key: str, ticket: str, contact: str, chain: str | None,
          sent_at: datetime, kind: str = "notify") -> None:
    message = {"ticket": ticket, "chain": chain, "round": 1, "recipient": contact.title()}
    new = SimpleNamespace(key=key, ticket=ticket, channel="sms", contact=contact,
                          payload={"message": message, "target": {}, "meta": {"kind": kind}},
                          not_before=sent_at)
    with store.unit() as uow:
        uow.deliveries.enqueue([new], sent_at)
        found = uow.deliveries.select(select(DeliveryRow).where(DeliveryRow.key == key))
        uow.deliveries.record([{"id": found[0].id, "status": "sent", "sent_at": sent_at}])


def test_paging_pages_are_the_chain_steps_sent_with_their_acknowledgement(open_store, world):  # type: ignore[no-untyped-def]
    a = open_store("a")
    a.append("T-1", "opened", {"title": "x", "severity": "P1", "by": "support"}, "ann")
    start = world.now
    _page(a, "k1", "T-1", "ann", "p1-chain", start + timedelta(minutes=1))
    _page(a, "k2", "T-1", "bob", "p1-chain", start + timedelta(minutes=6))
    _page(a, "k3", "T-1", "ann", None, start + timedelta(minutes=7))  # not a chain step
    _page(a, "k4", "T-1", "ann", "p1-chain", start + timedelta(minutes=8),
          kind="exhausted")
    world.advance(10 * 60)
    a.append("T-1", "acknowledged", {}, "bob")
    acked = world.now
    pages = paging_pages(a, start, start + timedelta(days=1))
    assert [(p.person, p.sent_at, p.chain, p.acknowledged_at) for p in pages] == [
        ("ann", start + timedelta(minutes=1), "T-1|p1-chain|1", acked),
        ("bob", start + timedelta(minutes=6), "T-1|p1-chain|1", acked)]
    load = paging_load(pages, start, start + timedelta(days=1))
    assert load.pages == {"ann": 1, "bob": 1} and load.mtta.median == 600 - 60
    # a run that began before the window is no run of the window
    later = paging_load(paging_pages(a, start + timedelta(minutes=5), start + timedelta(days=1)),
                        start + timedelta(minutes=5), start + timedelta(days=1))
    assert later.chains == 0 and later.pages == {"bob": 1}
