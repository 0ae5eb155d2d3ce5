"""The demo queue: realistic, alive at "now", deterministic, re-seeded on each launch,
and written by the bulk fast path with exactly the rows the normal path writes."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from console.app.matrices import load_matrix_file
from console.app.runtime.rows import QueueRow
from console.app.usecases.demo import (
    MARKER,
    DemoError,
    demo_data_dir,
    demo_events,
    seed_demo,
)
from console.app.usecases.demo.data import MAX_AGE
from console.domain.scoring import score
from console.domain.tickets import Intake
from console.paths import default_matrix_path
from console.store.bulk import NotNewTickets, bulk_append_new_tickets
from console.store.local import LocalStore, NewEvent
from console.store.models import TicketRow

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def matrix():  # type: ignore[no-untyped-def]
    return load_matrix_file(default_matrix_path())


def rows_of(data_dir: Path, matrix) -> list[QueueRow]:  # type: ignore[no-untyped-def]
    with LocalStore(data_dir, matrix, clock=lambda: NOW) as store:
        return [QueueRow.from_record(r) for r in store.tickets()]


def fingerprint(data_dir: Path, matrix) -> list[dict]:  # type: ignore[no-untyped-def]
    with LocalStore(data_dir, matrix, clock=lambda: NOW) as store:
        return store.projection_fingerprint()


@pytest.fixture(scope="module")
def demo(tmp_path_factory, matrix) -> tuple[Path, list[QueueRow]]:  # type: ignore[no-untyped-def]
    """The demo store, and the rows of its live queue (the last ten days: the 90 days
    of resolved history behind it are for the reports, tests/app/test_demo_reports.py)."""
    data_dir = tmp_path_factory.mktemp("demo-base") / "demo"
    assert seed_demo(data_dir, matrix, NOW, user="tester") == 600
    return data_dir, [r for r in rows_of(data_dir, matrix) if NOW - r.opened_at <= MAX_AGE]


def test_every_demo_ticket_gets_the_severity_the_matrix_suggests_for_it(matrix) -> None:  # type: ignore[no-untyped-def]
    opened = [e.payload for e in demo_events(matrix, NOW) if e.kind == "opened"]
    suggested = Counter((p["severity"], score(matrix, Intake.from_data(p)).severity)
                        for p in opened)
    assert {set_ for set_, _ in suggested} == {"P1", "P2", "P3", "P4"}
    assert all(set_ == scored for set_, scored in suggested), suggested


def test_the_demo_dir_is_named_after_its_size(tmp_path: Path) -> None:
    assert demo_data_dir(tmp_path, 200) == tmp_path / "demo"
    assert demo_data_dir(tmp_path, 50_000) == tmp_path / "demo-50000"


def test_the_demo_has_200_tickets_across_every_severity(demo) -> None:  # type: ignore[no-untyped-def]
    _, rows = demo
    assert len(rows) == 200
    severities = Counter(r.severity for r in rows)
    assert set(severities) == {"P1", "P2", "P3", "P4"}
    assert severities["P3"] > severities["P2"] > severities["P1"]
    assert severities["P4"] > severities["P1"]
    assert len({r.account for r in rows}) >= 20
    assert {r.account_tier for r in rows} == {"enterprise", "business", "starter"}
    assert {"bug", "performance", "integration", "billing", "feature_request", "ui",
            "question"} <= {r.category for r in rows}
    assert all(r.title and r.detail["text"] for r in rows)


def test_every_sla_state_is_on_show_at_now(demo) -> None:  # type: ignore[no-untyped-def]
    _, rows = demo
    states = Counter(r.sla_state(NOW) for r in rows if r.open)
    for state in ("ok", "pre_breach", "breached", "paused"):
        assert states[state] >= 1, states
    assert states["ok"] > states["breached"]
    # pre-breach means due within minutes, not hours
    soon = [r for r in rows if r.open and r.sla_state(NOW) == "pre_breach"]
    assert any(r.next_due is not None and r.next_due - NOW <= timedelta(minutes=5)
               for r in soon)
    assert any(r.status == "waiting_on_customer" for r in rows)


def test_the_demo_has_unconfirmed_escalated_handed_off_resolved_and_mine(
        demo) -> None:  # type: ignore[no-untyped-def]
    _, rows = demo
    unconfirmed = [r for r in rows if r.open and not r.confirmed]
    assert unconfirmed and {r.severity for r in unconfirmed} <= {"P1", "P2"}
    assert all(r.severity_source == "support" for r in unconfirmed)
    assert any(r.severity_source == "engineering" for r in rows)
    assert {"T2", "T3"} <= {r.tier for r in rows}
    handoffs = [r.detail["latest_handoff"] for r in rows if r.detail["latest_handoff"]]
    assert handoffs
    for handoff in handoffs:
        assert {"summary", "steps_tried", "next_steps", "target_team", "urgency"} <= set(handoff)
    resolved = [r for r in rows if not r.open]
    assert resolved and len(resolved) < 30
    assert sum(r.owner == "tester" for r in rows) >= 5
    assert any(r.owner == "" for r in rows)


def test_events_lie_in_the_past_and_p1s_are_recent(matrix) -> None:  # type: ignore[no-untyped-def]
    events = demo_events(matrix, NOW, 200, seed=7)
    assert all(e.at is not None and e.at <= NOW for e in events)
    opened = {e.ticket: e for e in events if e.kind == "opened"
              and e.at is not None and NOW - e.at <= MAX_AGE}
    assert len(opened) == 200
    ages = [NOW - e.at for e in opened.values() if e.at is not None]
    assert min(ages) < timedelta(minutes=15)
    assert max(ages) > timedelta(days=2)
    p1_ages = [NOW - e.at for e in opened.values()
               if e.payload["severity"] == "P1" and e.at is not None]
    assert p1_ages and max(p1_ages) < timedelta(hours=12)


def test_the_demo_stays_out_of_the_outbox(demo, matrix) -> None:  # type: ignore[no-untyped-def]
    data_dir, _ = demo
    with LocalStore(data_dir, matrix, clock=lambda: NOW) as store:
        assert store.pending() == 0
        assert len(store.all_events()) > 200


def test_the_demo_is_deterministic_for_a_seed(tmp_path: Path, matrix) -> None:  # type: ignore[no-untyped-def]
    for name, seed in (("a", 11), ("b", 11), ("c", 12)):
        seed_demo(tmp_path / name, matrix, NOW, tickets=60, seed=seed, user="tester")
    a, b, c = (fingerprint(tmp_path / n, matrix) for n in "abc")
    assert a == b
    assert a != c
    assert demo_events(matrix, NOW, 60, 11) == demo_events(matrix, NOW, 60, 11)


def test_reseeding_wipes_the_previous_demo(tmp_path: Path, matrix) -> None:  # type: ignore[no-untyped-def]
    data_dir = tmp_path / "demo"
    seed_demo(data_dir, matrix, NOW, tickets=40, history=0)
    with LocalStore(data_dir, matrix, clock=lambda: NOW) as store:
        store.append("LOCAL-1", "opened", {"title": "typed during the demo"}, "tester")
        assert len(store.tickets()) == 41
    later = NOW + timedelta(hours=3)
    seed_demo(data_dir, matrix, later, tickets=40, history=0)
    rows = rows_of(data_dir, matrix)
    assert len(rows) == 40
    assert "LOCAL-1" not in {r.id for r in rows}
    # re-seeded relative to the new "now": the countdowns are alive again
    assert max(r.opened_at for r in rows) > NOW


def test_seeding_refuses_a_store_that_is_not_a_demo(tmp_path: Path, matrix) -> None:  # type: ignore[no-untyped-def]
    with LocalStore(tmp_path, matrix, clock=lambda: NOW) as store:
        store.append("REAL-1", "opened", {"title": "a real ticket"}, "ana")
    with pytest.raises(DemoError, match="not a demo"):
        seed_demo(tmp_path, matrix, NOW, tickets=10)
    assert not (tmp_path / MARKER).exists()
    assert [r.id for r in rows_of(tmp_path, matrix)] == ["REAL-1"]


def test_seeding_refuses_a_demo_a_console_has_open(tmp_path: Path, matrix) -> None:  # type: ignore[no-untyped-def]
    seed_demo(tmp_path, matrix, NOW, tickets=10, history=0)
    with LocalStore(tmp_path, matrix, clock=lambda: NOW), pytest.raises(DemoError):
        seed_demo(tmp_path, matrix, NOW, tickets=10)
    assert len(rows_of(tmp_path, matrix)) == 10


def test_progress_is_reported_and_ends_at_the_total(tmp_path: Path, matrix) -> None:  # type: ignore[no-untyped-def]
    calls: list[tuple[int, int]] = []
    seed_demo(tmp_path, matrix, NOW, tickets=300, progress=lambda d, t: calls.append((d, t)))
    assert len(calls) > 10
    assert calls[-1] == (300, 300)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_the_demo_can_leave_out_resolved_tickets(tmp_path: Path, matrix) -> None:  # type: ignore[no-untyped-def]
    seed_demo(tmp_path, matrix, NOW, tickets=150, include_resolved=False)
    rows = rows_of(tmp_path, matrix)
    assert len(rows) == 150
    assert all(r.open for r in rows)


def test_seeding_200_tickets_runs(tmp_path: Path, matrix) -> None:  # type: ignore[no-untyped-def]
    """The launch path: one seed of the default demo (fast; not timed here)."""
    data_dir = demo_data_dir(tmp_path, 200)
    assert seed_demo(data_dir, matrix, datetime.now(UTC)) == 600


# -- the bulk fast path ------------------------------------------------------------------------
def raw_rows(store: LocalStore) -> list[dict]:
    """Every ticket column as stored (text, not parsed), the device stripped from HLCs."""
    out = []
    for row in store.tickets():
        d = {c: getattr(row, c) for c in TicketRow.__table__.columns.keys()}  # noqa: SIM118
        d["last_hlc"] = d["last_hlc"].rsplit("-", 1)[0]
        out.append(d)
    return out


def test_the_bulk_path_writes_what_append_many_writes(tmp_path: Path, matrix) -> None:  # type: ignore[no-untyped-def]
    events = demo_events(matrix, NOW, 50, seed=3)
    assert any(e.kind == "handoff_submitted" for e in events)
    with (LocalStore(tmp_path / "normal", matrix, clock=lambda: NOW) as normal,
          LocalStore(tmp_path / "bulk", matrix, clock=lambda: NOW) as bulk):
        stored_normal = normal.append_many(events)
        stored_bulk = bulk_append_new_tickets(bulk, events)
        assert normal.projection_fingerprint() == bulk.projection_fingerprint()
        assert raw_rows(normal) == raw_rows(bulk)
        assert len(normal.tickets()) == 150  # and the 100 resolved over 90 days
        assert ([(e.id, e.hlc.rsplit("-", 1)[0], e.at) for e in stored_normal]
                == [(e.id, e.hlc.rsplit("-", 1)[0], e.at) for e in stored_bulk])
        assert [e.to_json() | {"device": "", "hlc": ""} for e in normal.all_events()] == \
            [e.to_json() | {"device": "", "hlc": ""} for e in bulk.all_events()]
        assert normal.pending() == bulk.pending() == len(events)
        # both stores carry on the same way afterwards
        for store in (normal, bulk):
            store.append("INC-10001", "resolved", {}, "ana", NOW)
        assert normal.projection_fingerprint() == bulk.projection_fingerprint()


def test_the_bulk_path_matches_without_ids_or_times(tmp_path: Path, matrix) -> None:  # type: ignore[no-untyped-def]
    events = [NewEvent("A", "opened", {"title": "no id", "users_affected_pct": 40,
                                       "workaround": "none"}, "ana"),
              NewEvent("A", "severity", {"severity": "P1", "by": "support"}, "ana"),
              NewEvent("B", "message", {"text": "never opened"}, "ana")]
    with (LocalStore(tmp_path / "normal", matrix, clock=lambda: NOW) as normal,
          LocalStore(tmp_path / "bulk", matrix, clock=lambda: NOW) as bulk):
        normal.append_many(events)
        bulk_append_new_tickets(bulk, events)
        assert normal.projection_fingerprint() == bulk.projection_fingerprint()
        assert [r.id for r in bulk.tickets()] == ["A"]


def test_the_bulk_path_can_keep_events_out_of_the_outbox(tmp_path: Path, matrix) -> None:  # type: ignore[no-untyped-def]
    with LocalStore(tmp_path, matrix, clock=lambda: NOW) as store:
        bulk_append_new_tickets(store, demo_events(matrix, NOW, 5, history=0), outbox=False)
        assert store.pending() == 0
        assert len(store.tickets()) == 5


def test_the_bulk_path_refuses_tickets_the_store_knows(tmp_path: Path, matrix) -> None:  # type: ignore[no-untyped-def]
    with LocalStore(tmp_path, matrix, clock=lambda: NOW) as store:
        store.append("INC-10001", "opened", {"title": "already here"}, "ana", NOW)
        with pytest.raises(NotNewTickets, match="INC-10001"):
            bulk_append_new_tickets(store, demo_events(matrix, NOW, 5))
        assert [r.id for r in store.tickets()] == ["INC-10001"]
        assert len(store.all_events()) == 1
        with pytest.raises(ValueError, match="matrix"):
            bulk_append_new_tickets(store, [NewEvent("_matrix", "matrix_published",
                                                     {"yaml": ""}, "lead")])
        # on a store with events, ids it already holds are skipped, like append_many
        known = store.all_events()[0].id
        stored = bulk_append_new_tickets(store, [
            NewEvent("NEW-1", "opened", {"title": "dup"}, "ana", NOW, id=known),
            NewEvent("NEW-2", "opened", {"title": "fresh"}, "ana", NOW)])
        assert [e.ticket for e in stored] == ["NEW-2"]
