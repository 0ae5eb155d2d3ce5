"""The running service: its parts, their threads, readiness, and the clean stop.

Parts, each on its own thread and its own database connection (so a slow pull never
delays a lease renewal):

- the local store in ``state_dir`` (the same SQLite cache a console keeps), holding
  the events, the projection and the durable delivery outbox;
- the ``Syncer``: push and pull with the shared database;
- the ``LeaderLease``: one active instance; the others stand by;
- the ``NotifyRunner``: the engine over every ticket, the chains and the outbox, its
  claims fenced by the lease's epoch and every send gated on ``lease.active``;
- the ``WeeklyReport``: the weekly report PDF mailed to the matrix's ``reports:``
  recipients, by the active instance, once per week (``weekly_report.py``);
- the ``TriageTraining``: triage models trained again in a low-priority child process
  when enough new resolved tickets arrived (``triage_training.py``);
- the HTTP server (``console.service.http``).

The stop (SIGTERM) runs in a fixed budget, in the order that loses nothing: no new
HTTP requests; the runner stops (a send in flight finishes or stays ``sending``,
which ``recover()`` puts back to pending at the next start: the outbox is durable);
the lease is released so a standby takes over at once; the local outbox of events is
pushed. A part that overruns its share is left to the process's exit.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from console.app.identity import current_user
from console.app.matrices import load_matrix_file
from console.notify.runner import NotifyRunner
from console.paths import default_matrix_path
from console.store.deliveries import OPEN, DeliveryOutbox, SharedClaims
from console.store.lease import LeaderLease
from console.store.local import LocalStore
from console.store.server import SharedDatabase, parse_url
from console.store.sync import Syncer, SyncState

from .config import ServiceConfig
from .secrets import ServerSecrets

if TYPE_CHECKING:
    from console.service.http.server import HttpServer

log = logging.getLogger(__name__)
STOP_BUDGET = 4.5  # seconds; systemd and the tests allow 5


def utc_now() -> datetime:
    return datetime.now(UTC)


def tls_context(config: ServiceConfig) -> ssl.SSLContext | None:
    """A server TLS context from ``tls_cert`` (and ``tls_key``), None without TLS.
    Raise ValueError naming the field when the files do not load."""
    if config.tls_cert is None:
        if config.tls_key is not None:
            raise ValueError("tls_key: set tls_cert too (the certificate chain file)")
        return None
    for name, path in (("tls_cert", config.tls_cert), ("tls_key", config.tls_key)):
        if path is not None and not path.is_file():  # ssl's own error names no file
            raise ValueError(f"{name}: no such file {path}")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(config.tls_cert, config.tls_key)
    except (ssl.SSLError, OSError) as exc:
        raise ValueError(f"tls_cert: cannot load {config.tls_cert}"
                         f"{' with ' + str(config.tls_key) if config.tls_key else ''}: "
                         f"{getattr(exc, 'reason', None) or exc}") from None
    return context


@dataclass
class _Part:
    name: str
    thread: threading.Thread
    stop: threading.Event


class Service:
    """Owns the parts; ``start()`` then ``stop()``, from one thread."""

    def __init__(self, config: ServiceConfig, password: str | None, secrets: ServerSecrets,
                 *, clock: Callable[[], datetime] = utc_now,
                 on_failure: Callable[[str], None] | None = None) -> None:
        """``on_failure(part)`` runs when a part's thread ends on an error: each part
        handles the failures it expects (the database going away, a bad event), so
        this is a bug, and a service that silently stopped paging is worse than one
        that exits for systemd to restart."""
        self.config = config
        self.on_failure = on_failure
        self.password = password
        self.secrets = secrets
        self.clock = clock
        self.started_at = clock()
        self.store: LocalStore | None = None
        self.syncer: Syncer | None = None
        self.lease: LeaderLease | None = None
        self.runner: NotifyRunner | None = None
        self.http: HttpServer | None = None
        self._dbs: list[SharedDatabase] = []
        self._parts: dict[str, _Part] = {}
        self._outbox: DeliveryOutbox | None = None
        # set first thing at a stop: no new external send starts (see stop())
        self._stopping = threading.Event()

    # -- start ------------------------------------------------------------------------
    def database(self) -> SharedDatabase:
        """A new connection holder to the shared database (closed at stop)."""
        db = SharedDatabase(self.config.database_url, self.password)
        self._dbs.append(db)
        return db

    def open_store(self) -> LocalStore:
        """The local cache in ``state_dir`` (raises StoreError)."""
        matrix = load_matrix_file(default_matrix_path())
        self.store = LocalStore(self.config.state_dir, matrix, clock=self.clock).open()
        self._outbox = DeliveryOutbox(self.store)
        return self.store

    def start(self, ssl_context: ssl.SSLContext | None = None) -> None:
        """Start every part; returns once HTTP listens. Raises on a start failure
        (the caller stops what did start)."""
        store = self.store or self.open_store()
        lease = self._start_lease()
        # what another instance or a console wrote reaches the engine at once
        syncer = self.syncer = Syncer(store, self.config.database_url, self.password,
                                      on_state=self._sync_state, clock=self.clock,
                                      on_pulled=lambda _events: self._wake_runner())
        self._spawn("sync", syncer.run)
        self._start_runner(store, lease)
        self._start_reports(lease)
        self._start_weekly_report(store, lease)
        self._start_triage_training(store)
        self._start_http(store, syncer, ssl_context)

    def _spawn(self, name: str, target: Callable[[threading.Event], None]) -> _Part:
        stop = threading.Event()
        part = _Part(name, threading.Thread(name=f"serve-{name}", daemon=True,
                                            target=self._guard, args=(name, target, stop)),
                     stop)
        self._parts[name] = part
        part.thread.start()
        return part

    def _guard(self, name: str, target: Callable[[threading.Event], None],
               stop: threading.Event) -> None:
        try:
            target(stop)
        except Exception:
            log.exception("the %s part stopped on an error", name)
            if self.on_failure is not None:
                self.on_failure(name)

    def _start_lease(self) -> LeaderLease:
        lease = self.lease = LeaderLease(self.database(), self.config.instance,
                                         host=socket.gethostname(),
                                         ttl=self.config.takeover_seconds)
        self._spawn("lease", lambda stop: lease.run(stop, on_change=self._role_changed))
        return lease

    def _role_changed(self, active: bool) -> None:
        epoch = self.lease.epoch if active and self.lease is not None else None
        log.info("this instance is now %s", "active" if active else "standing by",
                 extra={"role": "active" if active else "standby", "epoch": epoch})
        if self.runner is not None:
            self.runner.wake()  # a new leader sends what is due at once

    def _start_reports(self, lease: LeaderLease) -> None:
        """The shared database's reports rollup, kept by the active instance
        (docs/reports.md)."""
        from console.store.shared_reports import keep_fresh

        engine = self.database().sqlalchemy_engine("escalation-service-reports")
        matrix = load_matrix_file(default_matrix_path())
        self._spawn("reports", lambda stop: keep_fresh(engine, matrix, lambda: lease.active,
                                                       stop))

    def _start_runner(self, store: LocalStore, lease: LeaderLease) -> None:
        from console.app.notify_ops import build_runner

        notify = self.config.notify
        # claims only under this instance's live lease (the epoch is the fencing token),
        # and no external send unless this instance is the active one right now and is
        # not stopping
        claims = SharedClaims(self.database(), store.device,
                              float(notify.get("lease_seconds", 120.0)),
                              fence=lambda: lease.epoch)
        runner = self.runner = build_runner(store, config=notify, secrets=self.secrets,
                                            claims=claims,
                                            may_send=lambda: (lease.active
                                                              and not self._stopping.is_set()),
                                            show=self._desktop_alert, clock=self.clock,
                                            author=self.author,
                                            # the engine's actions: pushed at once
                                            on_actions=lambda _events: self._wake_sync())
        self._spawn("notify", runner.run)

    def _start_weekly_report(self, store: LocalStore, lease: LeaderLease) -> None:
        """The weekly report email (weekly_report.py): claimed like a notification
        step, fenced by the lease, sent only by the active instance."""
        from .weekly_report import WeeklyReport

        notify = self.config.notify
        claims = SharedClaims(self.database(), store.device,
                              float(notify.get("lease_seconds", 120.0)),
                              fence=lambda: lease.epoch)
        weekly = WeeklyReport(store, claims, email=dict(notify.get("email") or {}),
                              password=lambda: self.secrets.get("email:password"),
                              may_send=lambda: lease.active and not self._stopping.is_set(),
                              clock=self.clock)
        self._spawn("weekly-report", weekly.run)

    def _start_triage_training(self, store: LocalStore) -> None:
        """Triage models trained again when enough new resolved tickets arrived, in a
        low-priority child process (triage_training.py)."""
        from .triage_training import TriageTraining

        self._spawn("triage-training", TriageTraining(store).run)

    @staticmethod
    def _desktop_alert(message: dict[str, Any]) -> None:
        """A server has no desktop: its "desktop" alerts (a chain with nowhere else to
        go, a chain exhausted) are warnings in its log, not dead letters."""
        log.warning("alert for the desktop: %s %s: %s", message.get("severity") or "",
                    message.get("ticket"), message.get("reason") or message.get("title"),
                    extra={"ticket": message.get("ticket"), "ref": message.get("ref"),
                           "channel": "desktop"})

    def _start_http(self, store: LocalStore, syncer: Syncer,
                    ssl_context: ssl.SSLContext | None) -> None:
        from console.service.http.server import HttpContext, HttpServer, Limits, make_app

        given = self.config.http
        limits = Limits(**{name: given[key] for key, name in (
            ("max_body_bytes", "max_body"), ("rate_per_second", "rate"), ("burst", "burst"))
            if key in given})
        context = HttpContext(db=self.database(), store=store, author=self.author,
                              device=store.device, clock=self.clock,
                              readiness=self.readiness, secret=self.secrets.named,
                              wake=syncer.wake, limits=limits)
        self.http = HttpServer(make_app(context), self.config.listen_host,
                               self.config.listen_port, ssl_context=ssl_context)
        self.http.start()

    @property
    def author(self) -> str:
        """Events the service writes are signed with its database login."""
        return parse_url(self.config.database_url).username or current_user()

    def _sync_state(self, state: SyncState) -> None:
        if state.status == "offline":
            log.warning("sync offline: %s", state.last_error,
                        extra={"sync": state.status, "pending": state.pending})
        else:
            log.info("sync %s", state.describe(),
                     extra={"sync": state.status, "pending": state.pending})

    # -- readiness ----------------------------------------------------------------------
    def readiness(self) -> dict[str, Any]:
        """For /readyz and /metrics: role, database reachable, sync lag, outbox depth,
        and whether the notifier's engine has replayed the stored events (``replayed``:
        until then nothing that falls due is seen); ``ready_to_page``: replayed, and
        this instance is the active one; ``start_seconds`` and ``from_checkpoint``:
        what the notifier's start took, and whether it began from the engine's
        checkpoint (``console.notify.checkpoint``) rather than the whole log."""
        state = self.syncer.state if self.syncer is not None else SyncState("syncing")
        since = state.last_sync or self.started_at
        depth = 0
        if self._outbox is not None:
            try:
                counts = self._outbox.counts()
                depth = sum(counts.get(status, 0) for status in OPEN)
            except Exception:  # the local disk: report, do not fail the probe
                log.exception("cannot count the outbox")
                depth = -1
        active = bool(self.lease is not None and self.lease.active)
        runner = self.runner
        replayed = bool(runner is not None and runner.started.is_set())
        took = runner.start_seconds if runner is not None and replayed else None
        saved = runner.checkpoint if runner is not None else None
        return {"role": "active" if active else "standby",
                "database": state.status == "online",
                "sync_lag_seconds": round(max(0.0, (self.clock() - since).total_seconds()), 3),
                "outbox_depth": depth,
                "replayed": replayed,
                "ready_to_page": replayed and active,
                "start_seconds": round(took, 3) if took is not None else None,
                "from_checkpoint": bool(replayed and saved is not None
                                        and saved.restored_cursor is not None),
                "instance": self.config.instance}

    # -- stop -------------------------------------------------------------------------
    def stop(self, budget: float = STOP_BUDGET) -> list[str]:
        """Stop in the order that loses nothing, within ``budget`` seconds; returns
        the parts that overran (left to the process's exit)."""
        deadline = time.monotonic() + budget
        # A pass that is sending goes on with its other due deliveries unless told: it
        # would start sends the exit cuts off and record none of the pass's results (the
        # standby then sends them all again). Shut the gate: the send on the wire
        # finishes and is recorded, the rest go back to pending with their claims
        # released, for the standby to send at once.
        self._stopping.set()
        late: list[str] = []

        def left(share: float) -> float:
            return max(0.0, min(share, deadline - time.monotonic()))

        if self.http is not None:
            try:
                self.http.stop(timeout=left(1.5))
            except Exception:
                log.exception("stopping HTTP failed")
        if not self._join("notify", left(1.5), wake=self._wake_runner):
            late.append("notify")
            log.warning("a send was still in flight at the stop: it stays in the durable "
                        "outbox and is retried (or found sent) at the next start")
        if not self._join("reports", left(1.0)):  # stops between two folds
            late.append("reports")
        if not self._join("weekly-report", left(0.5)):  # a mail in flight: sent again
            late.append("weekly-report")
        if not self._join("triage-training", left(0.5)):  # the child is terminated
            late.append("triage-training")
        if not self._join("lease", left(1.5)):  # run() releases the lease on its way out
            late.append("lease")
        if not self._join("sync", left(1.0), wake=self._wake_sync):
            late.append("sync")
        elif self.syncer is not None and not self._bounded(self._final_push, left(1.5),
                                                           "pushing the last events"):
            late.append("final push")
        if not late:
            self._close()
        return late

    def _wake_runner(self) -> None:
        if self.runner is not None:
            self.runner.wake()

    def _wake_sync(self) -> None:
        if self.syncer is not None:
            self.syncer.wake()

    def _join(self, name: str, timeout: float, wake: Callable[[], None] | None = None
              ) -> bool:
        part = self._parts.get(name)
        if part is None:
            return True
        part.stop.set()
        if wake is not None:
            wake()
        part.thread.join(timeout)
        return not part.thread.is_alive()

    @staticmethod
    def _bounded(work: Callable[[], None], timeout: float, what: str) -> bool:
        """Run ``work`` on a helper thread for at most ``timeout`` seconds."""
        def guarded() -> None:
            try:
                work()
            except Exception as exc:  # the database is gone: the outbox keeps it
                log.warning("%s failed: %s", what, exc)

        helper = threading.Thread(target=guarded, name=f"serve-stop-{what}", daemon=True)
        helper.start()
        helper.join(timeout)
        return not helper.is_alive()

    def _final_push(self) -> None:
        assert self.syncer is not None
        pushed = self.syncer.push()
        if pushed:
            log.info("pushed %d local events before stopping", pushed)

    def _close(self) -> None:
        if self.syncer is not None:
            self.syncer.close()
        for db in self._dbs:
            db.close()
        if self.store is not None:
            self.store.close()
            self.store = None
