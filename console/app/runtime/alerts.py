"""Pre-breach and breach alerts for this console.

The domain's AlertSchedule says when the next alert falls due; APScheduler wakes at
exactly that instant (it never polls). Each alert is claimed in the local store before
it is shown, so it shows once per console, restarts included. What is due is triaged
(console.domain.alerts.triage):

* an alert that falls due while the console runs is shown on its own;
* alerts that fell due while the console was closed are each listed (marked late),
  but the desktop gets one notification for the lot ("12 alerts while closed: …");
* deadlines that passed before this console first started are history: never replayed
  one by one, however they arrive (at the first start, or pulled a year later). The
  tickets among them that still need action (open, breached or in pre-breach now) go
  into one summary, which grows while it is unacknowledged.

Alerts stay in the local store until acknowledged, so the Alerts panel shows them
again after a restart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from console.app.runtime.rows import QueueRow
from console.app.runtime.worker import DbWorker
from console.domain.alerts import (
    Alert,
    AlertSchedule,
    Attention,
    attention,
    backlog_headline,
    catch_up_headline,
    triage,
)
from console.store.claims import (
    StoredAlert,
    acknowledge_alerts,
    forget_acknowledged,
    get_meta,
    raise_alerts,
    unacknowledged_alerts,
)
from console.store.local import LocalStore

CHECKED_UNTIL = "alerts_checked_until"
ALERTS_SINCE = "alerts_since"  # when this console first started alerting
LATE_AFTER = timedelta(seconds=60)
KEEP_ACKNOWLEDGED = timedelta(days=30)
RESTORE_LIMIT = 500  # the Alerts panel's own limit
BACKLOG_PREFIX = "summary|backlog|"


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat()


@dataclass(frozen=True, slots=True)
class AlertNotice:
    """An alert as the UI shows it."""

    alert: Alert
    title: str
    late: bool

    @property
    def key(self) -> str:
        return self.alert.key

    @property
    def ticket(self) -> str:
        return self.alert.ticket

    @property
    def severity(self) -> str:
        return self.alert.severity

    @property
    def breach(self) -> bool:
        return self.alert.threshold == "breach"

    @property
    def headline(self) -> str:
        what = "breached" if self.breach else "about to breach"
        late = " (while the console was closed)" if self.late else ""
        return f"{self.alert.severity} {self.alert.ticket}: {self.alert.clock} {what}{late}"

    def to_payload(self) -> dict[str, Any]:
        a = self.alert
        return {"ticket": a.ticket, "clock": a.clock, "threshold": a.threshold,
                "at": _iso(a.at), "due": _iso(a.due), "severity": a.severity,
                "title": self.title, "late": self.late}

    @classmethod
    def from_payload(cls, p: dict[str, Any]) -> AlertNotice:
        alert = Alert(p["ticket"], p["clock"], p["threshold"], datetime.fromisoformat(p["at"]),
                      datetime.fromisoformat(p["due"]), p["severity"])
        return cls(alert, p.get("title", ""), bool(p.get("late")))


@dataclass(frozen=True, slots=True)
class AlertSummary:
    """Several alerts as one entry: the backlog a console found when it first started
    (``backlog``), or a catch-up after downtime on the desktop (``catch_up``)."""

    key: str
    kind: str  # backlog | catch_up
    headline: str
    items: tuple[Attention, ...]  # one per ticket, most urgent first
    keys: frozenset[str] = frozenset()  # the alerts it stands for (a catch-up)

    @property
    def ticket(self) -> str:
        """The most urgent ticket (what Open shows)."""
        return self.items[0].ticket if self.items else ""

    @property
    def severity(self) -> str:
        return min((i.severity for i in self.items), default="")

    @property
    def breach(self) -> bool:
        return any(i.state == "breached" for i in self.items)

    @property
    def late(self) -> bool:
        return self.kind == "catch_up"

    @property
    def detail(self) -> str:
        """The tickets, most urgent first: ``INC-1 (P1 breached), INC-7 (P2), …``."""
        shown = [f"{i.ticket} ({i.severity}{' breached' if i.state == 'breached' else ''})"
                 for i in self.items[:6]]
        more = len(self.items) - len(shown)
        return ", ".join(shown) + (f" and {more} more" if more > 0 else "")

    def to_payload(self) -> dict[str, Any]:
        return {"kind": self.kind,
                "items": [{"ticket": i.ticket, "severity": i.severity, "state": i.state,
                           "clock": i.clock, "due": _iso(i.due), "title": i.title}
                          for i in self.items]}

    @classmethod
    def from_payload(cls, key: str, p: dict[str, Any]) -> AlertSummary:
        items = tuple(Attention(i["ticket"], i["severity"], i["state"], i["clock"],
                                datetime.fromisoformat(i["due"]), i.get("title", ""))
                      for i in p.get("items", []))
        return cls(key, p.get("kind", "backlog"), backlog_headline(items), items)


AlertEntry = AlertNotice | AlertSummary


@dataclass(frozen=True, slots=True)
class AlertBatch:
    """What one check raised: entries for the Alerts panel (an entry whose key is already
    listed replaces it) and the desktop notifications to show (same rule)."""

    panel: tuple[AlertEntry, ...]
    desktop: tuple[AlertEntry, ...]
    restored: bool = False  # from the store at start: for the panel only
    raised_at: tuple[datetime, ...] = ()  # per panel entry, when restored


def entry_from_stored(stored: StoredAlert) -> AlertEntry:
    if stored.kind == "summary":
        return AlertSummary.from_payload(stored.key, stored.payload)
    return AlertNotice.from_payload(stored.payload)


def desktop_entries(notices: list[AlertNotice], backlog: AlertSummary | None, *,
                    started: datetime, stamp: str) -> tuple[AlertEntry, ...]:
    """Live alerts one by one; late ones as one catch-up notification when there are
    several; the backlog summary as one."""
    live = [n for n in notices if not n.late]
    late = [n for n in notices if n.late]
    out: list[AlertEntry] = list(live)
    if len(late) == 1:
        out.append(late[0])
    elif late:
        alerts = [n.alert for n in late]
        closed = all(a.at < started for a in alerts)
        out.append(AlertSummary(f"summary|catch_up|{stamp}", "catch_up",
                                catch_up_headline(alerts, while_closed=closed),
                                attention(alerts, {n.ticket: n.title for n in late}),
                                frozenset(n.key for n in late)))
    if backlog is not None:
        out.append(backlog)
    return tuple(out)


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
    """Keeps the alert schedule, wakes on time, claims, keeps and announces alerts."""

    raised = Signal(object)       # AlertBatch
    acknowledged = Signal(list)   # alert keys no longer waiting
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
        self._since: datetime | None = None
        self._restored: list[tuple[AlertEntry, datetime]] = []
        self._ready = False
        # APScheduler calls back on its own thread; the signal hops to the GUI thread
        self._woken.connect(self.check)
        factory = scheduler_factory or WakeScheduler
        self.scheduler = factory(self._woken.emit)

    def load_checkpoint(self) -> None:
        """Read when alerts were last checked, and the alerts still waiting for an
        acknowledgement (call on the DB worker, before ``start``)."""
        value = get_meta(self.store, CHECKED_UNTIL)
        self._checked_until = datetime.fromisoformat(value) if value else None
        since = get_meta(self.store, ALERTS_SINCE)
        # a console from before ALERTS_SINCE existed: what it had checked is history
        self._since = datetime.fromisoformat(since) if since else self._checked_until
        forget_acknowledged(self.store, _iso(self.clock() - KEEP_ACKNOWLEDGED))
        self._restored = [(entry_from_stored(a), datetime.fromisoformat(a.raised_at))
                          for a in unacknowledged_alerts(self.store, RESTORE_LIMIT)]

    def update(self, rows: Iterable[QueueRow], removed: Iterable[str] = ()) -> None:
        for row in rows:
            self.titles[row.id] = row.title
            self.schedule.set_ticket(row.id, row.clocks, resolved=not row.open)
        for ticket in removed:
            self.schedule.remove(ticket)
        self._rearm()

    def start(self) -> None:
        """Begin alerting: show the alerts still unacknowledged, catch up once on what
        fell due while closed, then wake on time."""
        self._ready = True
        if self._restored:
            restored, self._restored = self._restored, []
            self.raised.emit(AlertBatch(tuple(e for e, _ in restored), (), restored=True,
                                        raised_at=tuple(t for _, t in restored)))
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
        since = self._since or (started if first_run else self._checked_until) or started
        triaged = triage(due, now=now, since=since, started=started, late_after=LATE_AFTER)
        keys = [a.key for a in due]
        stamp = _iso(now)
        titles = {a.ticket: self.titles.get(a.ticket, "") for a in due}
        shown = sorted(triaged.live + triaged.late, key=lambda a: (a.at, a.key))

        def build(fresh: set[str], open_summary: StoredAlert | None
                  ) -> tuple[list[StoredAlert], tuple[list[AlertNotice], AlertSummary | None]]:
            notices = [AlertNotice(a, titles[a.ticket], late=a in triaged.late)
                       for a in shown if a.key in fresh]
            keep = [StoredAlert(n.key, "alert", n.ticket, n.to_payload(), stamp)
                    for n in notices]
            backlog = [a for a in triaged.backlog if a.key in fresh]
            summary = None
            if backlog:
                earlier = (AlertSummary.from_payload(open_summary.key, open_summary.payload)
                           if open_summary is not None else None)
                items = attention(backlog, titles, earlier.items if earlier else ())
                key = earlier.key if earlier else f"{BACKLOG_PREFIX}{stamp}"
                summary = AlertSummary(key, "backlog", backlog_headline(items), items)
                keep.append(StoredAlert(key, "summary", "", summary.to_payload(), stamp))
            return keep, (notices, summary)

        def claim() -> tuple[list[AlertNotice], AlertSummary | None]:
            return raise_alerts(self.store, keys, stamp, build, summary_prefix=BACKLOG_PREFIX,
                                meta={CHECKED_UNTIL: stamp, ALERTS_SINCE: _iso(since)})

        def announce(result: tuple[list[AlertNotice], AlertSummary | None]) -> None:
            self._checked_until, self._since = now, since
            notices, summary = result
            panel: tuple[AlertEntry, ...] = (*notices, *([summary] if summary else []))
            if panel:
                self.raised.emit(AlertBatch(panel, desktop_entries(
                    notices, summary, started=started, stamp=stamp)))

        if keys or first_run or self._since is None:
            self.worker.submit(claim, announce)

    # -- acknowledgements ---------------------------------------------------------------
    def acknowledge(self, ticket: str, key: str = "") -> None:
        """Acknowledge one alert (``key``), or every alert of ``ticket`` when the key is
        empty; ``acknowledged`` then names the alerts that were waiting."""
        self.acknowledge_many([(ticket, key)])

    def acknowledge_many(self, acks: list[tuple[str, str]]) -> None:
        """Like ``acknowledge`` for several (ticket, key) pairs; safe from any thread."""
        if not acks:
            return
        stamp = _iso(self.clock())
        # the entry acknowledged here is done even if it was never kept (a catch-up)
        named = [key for _, key in acks if key]

        def done(keys: list[str]) -> None:
            keys = list(dict.fromkeys([*keys, *named]))
            if keys:
                self.acknowledged.emit(keys)

        self.worker.submit(lambda: acknowledge_alerts(self.store, acks, stamp), done)

    def pulled(self, events: Iterable[Any]) -> None:
        """Acknowledgements made on other consoles (events pulled by sync): their alerts
        are done here too. Safe from the sync thread."""
        acks = []
        for e in events:
            if e.kind == "acknowledged":
                key = str(e.payload.get("alert") or "")
                # an alert key names one alert; anything else acknowledges the ticket
                acks.append((e.ticket, key if key.startswith(f"{e.ticket}|") else ""))
        self.acknowledge_many(acks)

    def shutdown(self) -> None:
        self.scheduler.shutdown()
