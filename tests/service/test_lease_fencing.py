"""The lease gates real sends: a standby sends nothing, a fenced or offline leader sends
nothing and counts no attempt, and a partitioned leader (its connections terminated
and its route to the database cut by killing a TCP proxy) stops sending before the
standby starts. Real PostgreSQL, a real local webhook receiver, real outboxes."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the shared fixtures

import store.conftest as store_fixtures
from store.helpers import wait_until

from benchmarks.notify.fakes import FakeServices, notify_config
from console.app.notify_ops import sample_message
from console.app.notify_secrets import StaticSecrets
from console.notify.channels import build_channels
from console.notify.outbox import NOT_MINE, Dispatcher
from console.notify.plan import NewDelivery
from console.store.deliveries import DeliveryOutbox, SharedClaims
from console.store.lease import LeaderLease
from console.store.local import LocalStore
from console.store.server import SharedDatabase

pytestmark = [pytest.mark.postgres, pytest.mark.filterwarnings("ignore:Session.login_data")]
matrix = store_fixtures.matrix  # pg and pg_server: tests/service/conftest.py


def utc_now() -> datetime:
    return datetime.now(UTC)


def delivery(key: str, channel: str = "webhook") -> NewDelivery:
    """One delivery as the planner would make it; the webhook's body id is the key."""
    message = {**sample_message(channel, utc_now()), "ref": key}
    return NewDelivery(key, "TEST-1", channel, "ops",
                       {"message": message,
                        "target": {"address": "default", "contact": "ops",
                                   "contact_name": "Ops"},
                        "meta": {"claim": channel != "desktop", "kind": "test", "rank": 0}},
                       utc_now())


@dataclass
class Instance:
    """One service instance: its lease, its outbox and its dispatcher."""

    name: str
    lease: LeaderLease
    store: LocalStore
    dispatcher: Dispatcher
    shown: list[dict[str, Any]]

    def enqueue(self, *new: NewDelivery) -> None:
        DeliveryOutbox(self.store).enqueue(new, utc_now())

    def rows(self) -> dict[str, Any]:
        return {r.key: r for r in DeliveryOutbox(self.store).listing()}


@pytest.fixture
def make_instance(tmp_path: Path, matrix: Any, services: FakeServices
                  ) -> Iterator[Callable[..., Instance]]:
    opened: list[Any] = []

    def make(name: str, url: str, *, ttl: float = 1.5, lease_seconds: float = 2.0) -> Instance:
        lease_db, claims_db = SharedDatabase(url), SharedDatabase(url)
        store = LocalStore(tmp_path / name, matrix, clock=utc_now).open()
        opened.extend([lease_db, claims_db, store])
        lease = LeaderLease(lease_db, f"{name}:1", host=name, ttl=ttl)
        claims = SharedClaims(claims_db, name, lease_seconds, fence=lambda: lease.epoch)
        shown: list[dict[str, Any]] = []
        # Each instance's webhook secret points at its own path, so the receiver can
        # tell who sent what.
        secrets = StaticSecrets({"webhook:default": services.url(f"/hook/{name}")})
        dispatcher = Dispatcher(DeliveryOutbox(store), build_channels(notify_config(services),
                                                                      shown.append),
                                secrets.lookup, claims=claims, may_send=lambda: lease.active,
                                gate_interval=0.2)
        return Instance(name, lease, store, dispatcher, shown)

    yield make
    for thing in reversed(opened):
        thing.close()


def test_a_standby_sends_nothing_external_and_counts_no_attempt(pg, make_instance, services):
    a = make_instance("host-a", pg.url)
    b = make_instance("host-b", pg.url)
    assert a.lease.tick() and not b.lease.tick()
    b.enqueue(delivery("k1"), delivery("d1", "desktop"))
    report = b.dispatcher.dispatch(utc_now())
    assert report.held == 1 and report.sent == 1  # the desktop one is not gated
    assert [m["ref"] for m in b.shown] == ["d1"]
    row = b.rows()["k1"]
    assert (row.status, row.attempts, row.last_error) == ("pending", 0, NOT_MINE)
    assert services.received("/hook/") == []
    assert pg.query("SELECT count(*) FROM notification_claims") == [(0,)]  # nothing claimed


def test_a_standby_learns_what_the_active_instance_sent(pg, make_instance, services):
    a = make_instance("host-a", pg.url)
    b = make_instance("host-b", pg.url)
    assert a.lease.tick() and not b.lease.tick()
    for instance in (a, b):
        instance.enqueue(delivery("k1"))
    assert a.dispatcher.dispatch(utc_now()).sent == 1
    report = b.dispatcher.dispatch(utc_now())
    assert report.skipped == 1
    row = b.rows()["k1"]
    assert (row.status, row.external_id) == ("skipped", "elsewhere:host-a")
    assert [r.body["id"] for r in services.received("/hook/")] == ["k1"]


def test_a_leader_that_lost_its_lease_mid_pass_sends_nothing_more(pg, make_instance,
                                                                  services):
    """The gate is asked again right before each send: the claim was won, then the
    lease went (released here); the rest stay queued, unclaimed, with no attempt."""
    a = make_instance("host-a", pg.url)
    assert a.lease.tick()
    a.enqueue(delivery("k1"), delivery("k2"))
    asked = []

    def may_send() -> bool:
        asked.append(a.lease.active)
        if len(asked) == 2:  # after the gate before the claim, before the first send
            a.lease.release()
        return a.lease.active

    a.dispatcher.may_send = may_send
    report = a.dispatcher.dispatch(utc_now())
    assert report.sent == 0 and report.held == 2
    assert {k: (r.status, r.attempts) for k, r in a.rows().items()} == {
        "k1": ("pending", 0), "k2": ("pending", 0)}
    assert services.received("/hook/") == []
    # released, so the next leader need not wait out the claim lease
    assert pg.query("SELECT count(*) FROM notification_claims") == [(0,)]


def test_an_offline_leader_holds_even_the_idempotent_channels(pg, make_instance, services):
    """A console sends PagerDuty and webhooks unclaimed when offline; a service cannot
    prove it still holds the lease, so it holds them."""
    proxy = TcpProxy(pg.server.host, pg.server.port)
    try:
        a = make_instance("host-a", proxy.url(pg.url), ttl=30)
        assert a.lease.tick()
        a.enqueue(delivery("k1"))
        proxy.kill()
        report = a.dispatcher.dispatch(utc_now())
        assert a.lease.active  # the local deadline has not passed: only the claim fails
        assert report.held == 1 and report.sent == 0
        assert services.received("/hook/") == []
        assert a.rows()["k1"].attempts == 0
    finally:
        proxy.kill()


class TcpProxy:
    """A TCP forwarder to the database; ``kill()`` cuts every connection through it and
    refuses new ones, as a network partition would."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._dead = False
        accept = threading.Thread(target=self._accept, daemon=True)
        accept.start()
        self.threads.append(accept)

    def url(self, url: str) -> str:
        return url.replace(f":{self.upstream[1]}/", f":{self.port}/")

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._dead:
                    client.close()
                    server.close()
                    return
                self.sockets += [client, server]
                for a, b in ((client, server), (server, client)):
                    t = threading.Thread(target=self._pipe, args=(a, b), daemon=True)
                    t.start()
                    self.threads.append(t)

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def kill(self) -> None:
        with self._lock:
            self._dead = True
            sockets, self.sockets = self.sockets, []
        self.listener.close()
        for s in sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()
        for t in self.threads:
            t.join(timeout=5)


def test_a_partitioned_leader_stops_sending_before_the_standby_starts(pg, make_instance,
                                                                      services):
    ttl = 1.5
    proxy = TcpProxy(pg.server.host, pg.server.port)
    a = make_instance("host-a", proxy.url(pg.url), ttl=ttl)
    b = make_instance("host-b", pg.url, ttl=ttl)
    events: list[tuple[str, float]] = []
    stop = threading.Event()

    def role(who: str) -> Callable[[bool], None]:
        return lambda active: events.append((f"{who} {'on' if active else 'off'}",
                                             time.monotonic()))

    def dispatch_loop(instance: Instance) -> None:
        while not stop.is_set():
            with contextlib.suppress(Exception):  # a partitioned store call is expected
                instance.dispatcher.dispatch(utc_now())
            stop.wait(0.05)

    threads = [threading.Thread(target=a.lease.run, args=(stop, role("a"))),
               threading.Thread(target=b.lease.run, args=(stop, role("b"))),
               threading.Thread(target=dispatch_loop, args=(a,)),
               threading.Thread(target=dispatch_loop, args=(b,))]
    assert a.lease.tick()  # a is the leader before b's first tick
    for t in threads:
        t.start()
    try:
        first = [f"k{i}" for i in range(5)]
        for instance in (a, b):
            instance.enqueue(*[delivery(k) for k in first])
        wait_until(lambda: len(services.received("/hook/host-a")) == 5, timeout=10)

        cut = time.monotonic()
        proxy.kill()  # the route is gone, and so are a's sessions on the server:
        pg.server.terminate("application_name = 'escalation-console' AND pid = ANY(%s)",
                            ([p for p in (a.lease.db.backend_pid(),
                                          a.dispatcher.claims.db.backend_pid())  # type: ignore[union-attr]
                              if p is not None],))
        second = [f"k{i}" for i in range(5, 10)]
        for instance in (a, b):
            instance.enqueue(*[delivery(k) for k in second])
        wait_until(lambda: len(services.received("/hook/host-b")) == 5, timeout=15)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=10)
        proxy.kill()

    sent_a = services.received("/hook/host-a")
    sent_b = services.received("/hook/host-b")
    assert [r.body["id"] for r in sent_a] == first
    assert sorted(r.body["id"] for r in sent_b) == second
    assert Counter(r.body["id"] for r in sent_a + sent_b).most_common(1)[0][1] == 1
    assert max(r.at for r in sent_a) < cut < min(r.at for r in sent_b)
    when: dict[str, float] = {}
    for what, at in events:
        when.setdefault(what, at)
    assert when["a off"] < when["b on"], events  # a gave up before b took over
    takeover = min(r.at for r in sent_b) - cut
    assert takeover < ttl + 1.5, f"the standby's first page came {takeover:.2f} s after the cut"
