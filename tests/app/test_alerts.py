"""Desktop alerts under a fake clock: on time, once per console, caught up after downtime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from console.app.alerts import AlertService
from console.app.matrices import load_matrix_file
from console.app.rows import QueueRow
from console.app.worker import DbWorker
from console.domain.alerts import AlertSchedule
from console.paths import default_matrix_path
from console.store.local import LocalStore

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


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


def open_p1(store: LocalStore, ticket: str = "INC-1", at: datetime = T0) -> None:
    """A P1 set by Support at open and confirmed by Engineering a minute later, so its
    first alert is the response pre-breach at 09:10."""
    store.append(ticket, "opened", {"title": "Checkout down", "users_affected_pct": 60,
                                    "workaround": "none", "severity": "P1"}, "alice", at=at)
    store.append(ticket, "severity", {"severity": "P1", "by": "engineering"}, "bob",
                 at=at + timedelta(minutes=1))


def rows(store: LocalStore) -> list[QueueRow]:
    return [QueueRow.from_record(r) for r in store.tickets()]


def make_service(qtbot, store, clock):  # type: ignore[no-untyped-def]
    worker = DbWorker()
    service = AlertService(store, worker, clock, FakeWake)
    fired: list = []
    service.alertsFired.connect(fired.extend)
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


def test_alerts_that_fell_due_while_closed_fire_once_marked_late(qtbot, matrix, tmp_path):
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
    assert ("response", "breach") in got and ("response", "pre_breach") in got
    assert all(n.late for n in fired)
    assert len(got) == len(set(got))
    worker.shutdown()
    store.close()


def test_a_first_start_does_not_replay_history(qtbot, matrix, tmp_path):
    clock = FakeClock(T0 + timedelta(days=2))
    store = LocalStore(tmp_path, matrix, clock=clock).open()
    open_p1(store)  # breached two days ago, before this console ever ran
    service, worker, fired = make_service(qtbot, store, clock)
    service.load_checkpoint()
    service.update(rows(store))
    service.start()
    wait_idle(qtbot, worker)
    assert fired == []
    worker.shutdown()
    store.close()
