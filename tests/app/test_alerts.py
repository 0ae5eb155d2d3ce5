"""Desktop alerts under a fake clock: on time, once per console, caught up after downtime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from builders import FakeClock

from console.app.matrices import load_matrix_file
from console.app.runtime.alerts import CHECKED_UNTIL, AlertNotice, AlertService, AlertSummary
from console.app.runtime.rows import QueueRow
from console.app.runtime.worker import DbWorker
from console.domain.alerts import AlertSchedule
from console.paths import default_matrix_path
from console.store.claims import set_meta
from console.store.local import LocalStore
from console.store.records import StoredEvent

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


class FakeWake:
    """Records the instant the service asks to be woken at, instead of APScheduler."""

    def __init__(self, callback) -> None:  # type: ignore[no-untyped-def]
        self.callback = callback
        self.next_wake: datetime | None = None
        self.requests: list[datetime | None] = []

    def wake_at(self, when: datetime | None) -> None:
        self.next_wake = when
        self.requests.append(when)

    def shutdown(self) -> None:
        pass


@pytest.fixture
def matrix():
    return load_matrix_file(default_matrix_path())


def open_p1(store: LocalStore, ticket: str = "INC-1", at: datetime = T0,
            severity: str = "P1") -> None:
    """A P1 set by Support at open and confirmed by Engineering a minute later, so its
    first alert is the response pre-breach at 09:10."""
    store.append(ticket, "opened", {"title": f"Checkout down ({ticket})",
                                    "users_affected_pct": 60, "workaround": "none",
                                    "severity": severity}, "alice", at=at)
    store.append(ticket, "severity", {"severity": severity, "by": "engineering"}, "bob",
                 at=at + timedelta(minutes=1))


def rows(store: LocalStore) -> list[QueueRow]:
    return [QueueRow.from_record(r) for r in store.tickets()]


def make_service(qtbot, store, clock):  # type: ignore[no-untyped-def]
    worker = DbWorker()
    service = AlertService(store, worker, clock, FakeWake)
    fired: list = []  # entries newly raised (not those restored at start)
    service.raised.connect(lambda batch: batch.restored or fired.extend(batch.panel))
    service.batches = []  # type: ignore[attr-defined]
    service.raised.connect(service.batches.append)  # type: ignore[attr-defined]
    return service, worker, fired


def wait_idle(qtbot, worker) -> None:  # type: ignore[no-untyped-def]
    """Let queued DB work finish and its results reach the GUI thread."""
    done = []
    worker.submit(lambda: None, lambda _: done.append(True))
    qtbot.waitUntil(lambda: bool(done), timeout=5000)


def test_schedule_wakes_at_the_earliest_pre_breach_instant(matrix, tmp_path):
    with LocalStore(tmp_path, matrix, clock=FakeClock(T0)) as store:
        open_p1(store)
        schedule = AlertSchedule()
        for row in rows(store):
            schedule.set_ticket(row.id, row.clocks)
        # response 15m with a 5m lead -> 09:10
        assert schedule.next_fire() == T0 + timedelta(minutes=10)
        assert schedule.due(T0 + timedelta(minutes=9, seconds=59)) == []
        due = schedule.due(T0 + timedelta(minutes=10))
        assert [(a.clock, a.threshold) for a in due] == [("response", "pre_breach")]


def test_a_changed_ticket_replaces_its_alerts(matrix, tmp_path):
    with LocalStore(tmp_path, matrix, clock=FakeClock(T0)) as store:
        open_p1(store)
        schedule = AlertSchedule()
        row = rows(store)[0]
        schedule.set_ticket(row.id, row.clocks)
        store.append("INC-1", "responded", {}, "alice", at=T0 + timedelta(minutes=2))
        row = rows(store)[0]
        schedule.set_ticket(row.id, row.clocks)
        due = schedule.due(T0 + timedelta(minutes=20))
        assert ("response", "pre_breach") not in [(a.clock, a.threshold) for a in due]
        schedule.set_ticket(row.id, row.clocks, resolved=True)
        assert schedule.next_fire() is None


def test_an_alert_fires_at_its_instant_and_only_once(qtbot, matrix, tmp_path):
    clock = FakeClock(T0)
    store = LocalStore(tmp_path, matrix, clock=clock).open()
    store.append("warm-up", "note", {}, "x", at=T0)  # not a first run: alerts are live
    open_p1(store)
    service, worker, fired = make_service(qtbot, store, clock)
    service.load_checkpoint()
    service._checked_until = T0  # the console has run before
    service.update(rows(store))
    service.start()
    wait_idle(qtbot, worker)
    assert fired == []
    assert service.scheduler.next_wake == T0 + timedelta(minutes=10)

    clock.now = service.scheduler.next_wake  # the scheduler wakes exactly then
    service.check()
    wait_idle(qtbot, worker)
    assert [(n.alert.clock, n.alert.threshold, n.late) for n in fired] == [
        ("response", "pre_breach", False)]
    assert fired[0].alert.at == T0 + timedelta(minutes=10)

    service.update(rows(store))  # the same ticket re-announced: no second alert
    service.check()
    wait_idle(qtbot, worker)
    assert len(fired) == 1
    worker.shutdown()
    store.close()


def test_alerts_are_not_repeated_after_a_restart(qtbot, matrix, tmp_path):
    clock = FakeClock(T0 + timedelta(minutes=10))
    store = LocalStore(tmp_path, matrix, clock=clock).open()
    open_p1(store)
    service, worker, fired = make_service(qtbot, store, clock)
    service._checked_until = T0
    service.update(rows(store))
    service.start()
    wait_idle(qtbot, worker)
    assert len(fired) == 1
    worker.shutdown()
    store.close()

    store = LocalStore(tmp_path, matrix, clock=clock).open()  # restart
    service, worker, fired = make_service(qtbot, store, clock)
    service.load_checkpoint()
    service.update(rows(store))
    service.start()
    wait_idle(qtbot, worker)
    assert fired == []
    worker.shutdown()
    store.close()


def test_alerts_that_fell_due_while_closed_are_listed_once_marked_late(qtbot, matrix,
                                                                       tmp_path):
    clock = FakeClock(T0)
    store = LocalStore(tmp_path, matrix, clock=clock).open()
    open_p1(store)
    service, worker, fired = make_service(qtbot, store, clock)
    service.update(rows(store))
    service.start()  # first run at 09:00: records its checkpoint
    wait_idle(qtbot, worker)
    worker.shutdown()
    store.close()

    clock.now = T0 + timedelta(hours=1)  # the app was closed for an hour
    store = LocalStore(tmp_path, matrix, clock=clock).open()
    service, worker, fired = make_service(qtbot, store, clock)
    service.load_checkpoint()
    service.update(rows(store))
    service.start()
    wait_idle(qtbot, worker)
    got = sorted((n.alert.clock, n.alert.threshold) for n in fired)
    # the response clock breached while closed: its "about to breach" is moot
    assert ("response", "breach") in got and ("response", "pre_breach") not in got
    assert all(isinstance(n, AlertNotice) and n.late for n in fired)
    assert len(got) == len(set(got))
    worker.shutdown()
    store.close()


def run_once(qtbot, matrix, path, clock, prepare=None):  # type: ignore[no-untyped-def]
    """Start a console on ``path`` at ``clock.now``, let it check, and stop it; return
    its batches."""
    store = LocalStore(path, matrix, clock=clock).open()
    if prepare is not None:
        prepare(store)
    service, worker, _ = make_service(qtbot, store, clock)
    service.load_checkpoint()
    service.update(rows(store))
    service.start()
    wait_idle(qtbot, worker)
    worker.shutdown()
    store.close()
    return service.batches


def twelve_tickets(store: LocalStore, at: datetime) -> None:
    """12 open tickets, 3 of each severity, opened at ``at``."""
    for i in range(12):
        open_p1(store, f"INC-{i + 1:02d}", at, severity=f"P{i % 4 + 1}")


def test_a_first_start_summarises_week_old_tickets_instead_of_replaying_them(
        qtbot, matrix, tmp_path):
    clock = FakeClock(T0 + timedelta(days=7))
    batches = run_once(qtbot, matrix, tmp_path, clock,
                       lambda store: twelve_tickets(store, T0))
    assert len(batches) == 1
    (summary,) = batches[0].panel
    assert isinstance(summary, AlertSummary) and summary.kind == "backlog"
    assert len(summary.items) == 12 and summary.breach
    assert summary.headline == "12 tickets need action: 12 breached (3 P1, 3 P2, 3 P3, 3 P4)"
    assert summary.ticket in {"INC-01", "INC-05", "INC-09"}  # a breached P1 opens first
    assert batches[0].desktop == (summary,)


def test_tickets_pulled_after_a_first_start_do_not_flood_one_summary_grows(
        qtbot, matrix, tmp_path):
    """The reported flood: a brand-new console starts empty, then sync pulls 12
    week-old tickets (then 3 more). No LATE alert for any of them: one summary."""
    clock = FakeClock(T0 + timedelta(days=7))
    store = LocalStore(tmp_path, matrix, clock=clock).open()
    service, worker, fired = make_service(qtbot, store, clock)
    service.load_checkpoint()
    service.update(rows(store))
    service.start()  # first start: nothing yet
    wait_idle(qtbot, worker)
    assert fired == []

    clock.now += timedelta(seconds=5)
    twelve_tickets(store, T0)  # what a pull writes
    service.update(rows(store))
    service.check()  # the scheduler wakes at once: those deadlines are past
    wait_idle(qtbot, worker)
    assert [type(e).__name__ for e in fired] == ["AlertSummary"]
    assert len(fired[0].items) == 12

    clock.now += timedelta(seconds=5)
    for n in (13, 14, 15):
        open_p1(store, f"INC-{n}", T0 - timedelta(days=300), severity="P2")  # a year back
    service.update(rows(store))
    service.check()
    wait_idle(qtbot, worker)
    assert len(fired) == 2 and fired[1].key == fired[0].key  # the same entry, updated
    assert len(fired[1].items) == 15
    assert fired[1].headline.startswith("15 tickets need action: 15 breached (3 P1, 6 P2")
    assert service.batches[-1].desktop == (fired[1],)
    worker.shutdown()
    store.close()


def test_a_ticket_opened_after_the_first_start_still_alerts_on_time(qtbot, matrix,
                                                                    tmp_path):
    clock = FakeClock(T0 - timedelta(hours=1))
    run_once(qtbot, matrix, tmp_path, clock)  # the first start, an hour before
    clock.now = T0 + timedelta(minutes=10)
    batches = run_once(qtbot, matrix, tmp_path, clock, lambda store: open_p1(store))
    (notice,) = batches[0].panel
    assert isinstance(notice, AlertNotice) and not notice.late
    assert (notice.alert.clock, notice.alert.threshold) == ("response", "pre_breach")


def test_catch_up_after_downtime_is_one_desktop_notification(qtbot, matrix, tmp_path):
    clock = FakeClock(T0)
    run_once(qtbot, matrix, tmp_path, clock, lambda store: twelve_tickets(store, T0))
    clock.now = T0 + timedelta(hours=3)  # closed for three hours
    batches = run_once(qtbot, matrix, tmp_path, clock)
    (batch,) = batches
    assert len(batch.panel) >= 9  # every alert is listed, each marked late
    assert all(isinstance(n, AlertNotice) and n.late for n in batch.panel)
    (note,) = batch.desktop
    assert isinstance(note, AlertSummary) and note.kind == "catch_up"
    counts = {f"P{k}": sum(n.severity == f"P{k}" for n in batch.panel) for k in range(1, 5)}
    assert note.headline == (f"{len(batch.panel)} alerts while closed: "
                             + ", ".join(f"{v} {k}" for k, v in counts.items() if v))
    assert note.keys == {n.key for n in batch.panel}


def test_unacknowledged_alerts_survive_a_restart(qtbot, matrix, tmp_path):
    clock = FakeClock(T0)
    run_once(qtbot, matrix, tmp_path, clock, lambda store: twelve_tickets(store, T0))
    clock.now = T0 + timedelta(hours=3)
    raised = run_once(qtbot, matrix, tmp_path, clock)[0].panel

    clock.now += timedelta(minutes=1)
    store = LocalStore(tmp_path, matrix, clock=clock).open()
    service, worker, _ = make_service(qtbot, store, clock)
    acked: list = []
    service.acknowledged.connect(acked.extend)
    service.acknowledge(raised[0].ticket, raised[0].key)
    service.acknowledge(raised[1].ticket)  # a whole ticket, as the details panel does
    wait_idle(qtbot, worker)
    ticket_keys = {n.key for n in raised if n.ticket == raised[1].ticket}
    assert set(acked) == {raised[0].key} | ticket_keys
    worker.shutdown()
    store.close()

    clock.now += timedelta(minutes=1)
    batches = run_once(qtbot, matrix, tmp_path, clock)  # restart
    (restored,) = batches
    assert restored.restored and restored.desktop == ()
    assert [e.key for e in restored.panel] == [
        n.key for n in raised if n.key not in set(acked)]
    assert restored.panel[0] == raised[[n.key for n in raised].index(restored.panel[0].key)]


def test_the_backlog_summary_survives_a_restart_and_does_not_grow_twice(qtbot, matrix,
                                                                        tmp_path):
    clock = FakeClock(T0 + timedelta(days=7))
    first = run_once(qtbot, matrix, tmp_path, clock, lambda store: twelve_tickets(store, T0))
    clock.now += timedelta(minutes=5)
    batches = run_once(qtbot, matrix, tmp_path, clock)
    assert [b.restored for b in batches] == [True]
    assert batches[0].panel == first[0].panel


def test_an_acknowledgement_pulled_from_another_console_acknowledges_here(qtbot, matrix,
                                                                          tmp_path):
    clock = FakeClock(T0)
    run_once(qtbot, matrix, tmp_path, clock, lambda store: twelve_tickets(store, T0))
    clock.now = T0 + timedelta(hours=3)
    raised = run_once(qtbot, matrix, tmp_path, clock)[0].panel
    store = LocalStore(tmp_path, matrix, clock=clock).open()
    service, worker, _ = make_service(qtbot, store, clock)
    acked: list = []
    service.acknowledged.connect(acked.extend)
    one = raised[0]
    others = [e for e in raised if e.ticket == "INC-02"]
    service.pulled([
        StoredEvent("e1", one.ticket, "acknowledged", {"by": "carol", "alert": one.key},
                    "carol", "devB", "h1", clock.now),
        StoredEvent("e2", "INC-02", "acknowledged", {"by": "dan", "alert": "breach"},
                    "dan", "devB", "h2", clock.now),
        StoredEvent("e3", "INC-03", "note", {}, "dan", "devB", "h3", clock.now)])
    wait_idle(qtbot, worker)
    assert set(acked) >= {one.key, *(e.key for e in others)}
    assert not any(e.ticket == "INC-03" and e.key in acked for e in raised)
    worker.shutdown()
    store.close()


def test_a_console_from_before_alerts_since_treats_what_it_had_checked_as_history(
        qtbot, matrix, tmp_path):
    clock = FakeClock(T0 + timedelta(days=7))

    def upgraded(store: LocalStore) -> None:
        set_meta(store, CHECKED_UNTIL, (T0 + timedelta(days=6)).isoformat())
        twelve_tickets(store, T0)  # pulled now; their deadlines passed long before

    (batch,) = run_once(qtbot, matrix, tmp_path, clock, upgraded)
    assert [type(e).__name__ for e in batch.panel] == ["AlertSummary"]


def test_after_a_summary_is_acknowledged_a_later_pull_starts_a_new_one(qtbot, matrix,
                                                                       tmp_path):
    clock = FakeClock(T0 + timedelta(days=7))
    store = LocalStore(tmp_path, matrix, clock=clock).open()
    twelve_tickets(store, T0)
    service, worker, fired = make_service(qtbot, store, clock)
    service.load_checkpoint()
    service.update(rows(store))
    service.start()
    wait_idle(qtbot, worker)
    (first,) = fired
    service.acknowledge("", first.key)
    wait_idle(qtbot, worker)

    clock.now += timedelta(minutes=1)
    open_p1(store, "INC-99", T0)
    service.update(rows(store))
    service.check()
    wait_idle(qtbot, worker)
    second = fired[-1]
    assert isinstance(second, AlertSummary) and second.key != first.key
    assert [i.ticket for i in second.items] == ["INC-99"]
    worker.shutdown()
    store.close()
