"""Pre-breach and breach alerts for this console.

The domain's AlertSchedule says when the next alert falls due; APScheduler wakes at
exactly that instant (it never polls). Each alert is claimed in the local store before
it is shown, so it shows once per console, restarts included. Alerts that fell due
while the app was closed are shown once at start, marked late.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QObject, Signal, Slot

from console.domain.alerts import Alert, AlertSchedule
from console.store.claims import claim_locally, get_meta, set_meta
from console.store.local import LocalStore

from .rows import QueueRow
from .worker import DbWorker

CHECKED_UNTIL = "alerts_checked_until"
LATE_AFTER = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class AlertNotice:
    """An alert as the UI shows it."""

    alert: Alert
    title: str
    late: bool

    @property
    def headline(self) -> str:
        what = "breached" if self.alert.threshold == "breach" else "about to breach"
        late = " (while the console was closed)" if self.late else ""
        return f"{self.alert.severity} {self.alert.ticket}: {self.alert.clock} {what}{late}"


class WakeScheduler:
    """Wakes a callback at one instant; each call to ``wake_at`` replaces the last."""

    def __init__(self, callback: Callable[[], None]) -> None:
        from apscheduler.schedulers.background import BackgroundScheduler

        self._callback = callback
        self._scheduler = BackgroundScheduler(timezone=UTC)
        self._scheduler.start()
        self.next_wake: datetime | None = None

    def wake_at(self, when: datetime | None) -> None:
        from apscheduler.triggers.date import DateTrigger

        self.next_wake = when
        if when is None:
            if self._scheduler.get_job("wake"):
                self._scheduler.remove_job("wake")
            return
        # misfire_grace_time=None: a wake that comes late (laptop asleep) still runs once
        self._scheduler.add_job(self._callback, DateTrigger(run_date=when), id="wake",
                                replace_existing=True, misfire_grace_time=None, coalesce=True)

    def shutdown(self) -> None:
        self._scheduler.shutdown(wait=False)


class AlertService(QObject):
    """Keeps the alert schedule, wakes on time, claims and announces alerts."""

    alertsFired = Signal(list)  # list[AlertNotice]
    _woken = Signal()

    def __init__(self, store: LocalStore, worker: DbWorker, clock: Callable[[], datetime],
                 scheduler_factory: Callable[[Callable[[], None]], WakeScheduler] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.worker = worker
        self.clock = clock
        self.schedule = AlertSchedule()
        self.titles: dict[str, str] = {}
        self._started_at = clock()
        self._checked_until: datetime | None = None
        self._ready = False
        # APScheduler calls back on its own thread; the signal hops to the GUI thread
        self._woken.connect(self.check)
        factory = scheduler_factory or WakeScheduler
        self.scheduler = factory(self._woken.emit)

    def load_checkpoint(self) -> None:
        """Read when alerts were last checked (call on the DB worker)."""
        value = get_meta(self.store, CHECKED_UNTIL)
        self._checked_until = datetime.fromisoformat(value) if value else None

    def update(self, rows: Iterable[QueueRow], removed: Iterable[str] = ()) -> None:
        for row in rows:
            self.titles[row.id] = row.title
            self.schedule.set_ticket(row.id, row.clocks, resolved=not row.open)
        for ticket in removed:
            self.schedule.remove(ticket)
        self._rearm()

    def start(self) -> None:
        """Begin alerting: catch up once on what fell due while closed, then wake on time."""
        self._ready = True
        self.check()

    def _rearm(self) -> None:
        if self._ready:
            self.scheduler.wake_at(self.schedule.next_fire())

    @Slot()
    def check(self) -> None:
        now = self.clock()
        due = list({a.key: a for a in self.schedule.due(now)}.values())
        self._rearm()
        first_run = self._checked_until is None
        started = self._started_at
        if first_run:
            # A console's first start: what fell due before it existed is history.
            silent, due = [a for a in due if a.at < started], [a for a in due if a.at >= started]
        else:
            silent = []
        keys = [a.key for a in due]
        silent_keys = [a.key for a in silent]
        stamp = now.isoformat()

        def claim() -> set[str]:
            claim_locally(self.store, silent_keys, stamp)
            fresh = claim_locally(self.store, keys, stamp)
            set_meta(self.store, CHECKED_UNTIL, stamp)
            return fresh

        def announce(fresh: set[str]) -> None:
            self._checked_until = now
            notices = [AlertNotice(a, self.titles.get(a.ticket, ""),
                                   late=a.at < started or now - a.at > LATE_AFTER)
                       for a in due if a.key in fresh]
            if notices:
                self.alertsFired.emit(notices)

        if keys or silent_keys or first_run:
            self.worker.submit(claim, announce)

    def shutdown(self) -> None:
        self.scheduler.shutdown()
