"""A partition between real ``serve`` processes: the active instance reaches PostgreSQL
through a TCP proxy; in the middle of a run of P1 deadlines its sessions are terminated
on the server and the proxy is killed (its route is gone, new connections refused). It
must stop sending before the standby starts: every page it sent was received before
the standby's first, it logs that it stands by before the standby logs that it is
active, and each page due goes out once overall.

test_lease_fencing.py partitions an in-process lease and dispatcher the same way; this
one runs the whole service (sync, engine, lease, claims, HTTP) in its own process."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from benchmarks.notify.fakes import FakeServices, wait_for
from benchmarks.service import rig
from console.service.http.tokens import TokenStore

from .conftest import clean_env
from .test_lease_fencing import TcpProxy

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
PD_PATH = "/pagerduty/v2/enqueue"
RESPONSE, LEAD, ACK = 20, 10, 10  # pre-breach +10 s, breach +20 s, backup +30 s
TICKETS = 8


def _logged_at(entry: dict) -> datetime:  # type: ignore[type-arg]
    return datetime.fromisoformat(entry["ts"])


def test_a_partitioned_active_serve_stops_sending_before_the_standby_starts(
        pg, serve_config, start_serve):
    rig.publish_matrix(pg.url, rig.short_p1_matrix(RESPONSE, LEAD, ACK))
    db = pg.shared()
    try:
        token = TokenStore(db).add("helpdesk")
    finally:
        db.close()
    proxy = TcpProxy(pg.server.host, pg.server.port)
    try:
        with FakeServices() as services:
            services.routing_keys |= set(rig.ROUTING_KEYS.values())
            env = clean_env(**rig.secret_env())

            def config(name: str, url: str):  # type: ignore[no-untyped-def]
                # each instance pages through its own path, so the sender is known
                notify = {"pagerduty": {"events_url": f"{services.pagerduty_url}/{name}"}}
                return serve_config(url, name, notify=notify)

            a = start_serve(config("pager-a", proxy.url(pg.url)), env=env)
            a.wait_active()
            b = start_serve(config("pager-b", pg.url), env=env)
            b_port = b.wait_ready()

            opened = {}
            for n in range(TICKETS):  # deadlines one second apart
                ticket, at = f"CUT-{n}", datetime.now(UTC)
                rig.post_events(b_port, token, rig.p1_event(ticket, at))
                opened[ticket] = at
                time.sleep(1.0)

            def sent_by(name: str) -> list:  # type: ignore[type-arg]
                return [r for r in services.received(PD_PATH, 202)
                        if r.path.endswith(f"/{name}") and r.body["event_action"] == "trigger"]

            assert wait_for(lambda: len(sent_by("pager-a")) >= 4, RESPONSE + 10), a.log_text()
            # the partition: a's sessions end on the server, its route is gone
            ports = [s.getsockname()[1] for s in proxy.sockets[1::2]]
            pg.server.terminate("client_port = ANY(%s)", (ports,))
            proxy.kill()
            cut = time.monotonic()

            offsets = (RESPONSE - LEAD, RESPONSE, RESPONSE + ACK)
            last_due = max(opened.values()) + timedelta(seconds=max(offsets))
            due_keys = {(t, k) for t in opened for k in (rig.WARNING_KEY, rig.PRIMARY_KEY,
                                                         rig.BACKUP_KEY)}

            def first_pages() -> set[tuple[str, str]]:
                return {(r.body["dedup_key"].split("/")[1], r.body["routing_key"])
                        for r in sent_by("pager-a") + sent_by("pager-b")}

            assert wait_for(lambda: due_keys <= first_pages(),
                            (last_due - datetime.now(UTC)).total_seconds() + 10), (
                due_keys - first_pages(), b.log_text())
            from_a, from_b = sent_by("pager-a"), sent_by("pager-b")
            stood_by = a.wait_log(lambda e: e.get("role") == "standby", timeout=5)
            took_over = b.wait_log(lambda e: e.get("role") == "active", timeout=5)
    finally:
        proxy.kill()

    assert from_a and from_b
    assert max(r.at for r in from_a) < min(r.at for r in from_b)  # a stopped first
    assert min(r.at for r in from_b) > cut
    assert _logged_at(stood_by) < _logged_at(took_over), (stood_by, took_over)
    triggers = Counter(r.body["dedup_key"] for r in from_a + from_b)
    assert max(triggers.values()) == 1, triggers  # nothing sent by both
    print(f"a sent {len(from_a)} pages, b {len(from_b)}; b's first page "
          f"{min(r.at for r in from_b) - cut:.2f} s after the cut; a stood by "
          f"{(_logged_at(took_over) - _logged_at(stood_by)).total_seconds():.2f} s "
          "before b took over")
