"""A console connecting for the first time to a long log: the open tickets (and the
matrix versions) first, the history after, and the same projection as a full pull."""

from __future__ import annotations

from datetime import timedelta

import pytest

from console.store.sync import Syncer

from .helpers import open_ticket

pytestmark = pytest.mark.postgres


def _history(store, tickets: int = 30) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Tickets T-0..T-29: every third stays open, the others are resolved, and T-1 is
    resolved then reopened. Returns what each ticket is (open or resolved)."""
    state = {}
    for n in range(tickets):
        ticket = f"T-{n}"
        open_ticket(store, ticket, f"Problem {n}")
        store.append(ticket, "severity", {"severity": "P3", "by": "support"}, "ana")
        if n % 3:
            store.append(ticket, "resolved", {}, "ana")
            state[ticket] = "resolved"
        else:
            state[ticket] = "open"
    store.append("T-1", "reopened", {}, "ana")
    state["T-1"] = "open"
    return state


def _projection(store) -> dict[str, tuple]:  # type: ignore[no-untyped-def]
    return {t.id: (t.status, t.severity, t.title, t.event_count) for t in store.tickets()}


def test_a_first_connect_gets_the_open_tickets_first_then_the_history(pg, open_store):
    a = open_store("a")
    expected = _history(a)
    with Syncer(a, pg.url) as sa:
        sa.sync_once()
    top = pg.query("SELECT max(seq) FROM events")[0][0]

    b = open_store("b")
    with Syncer(b, pg.url, batch=7, snapshot_min_events=0) as sb:
        sb.pull()  # the first connect: the snapshot only
        open_now = {t.id for t in b.tickets()}
        assert open_now == {t for t, s in expected.items() if s == "open"}
        assert all(t.status != "resolved" for t in b.tickets())
        assert b.cursor() == top  # new events follow from the snapshot
        assert sb.history_left() == ("", top)

        # a resolved ticket changes after the snapshot: its newest event arrives before
        # its history, and the ticket still folds right once the history lands
        a.append("T-2", "reopened", {}, "ana")
        expected["T-2"] = "open"
        with Syncer(a, pg.url) as sa:
            sa.sync_once()
        sb.pull()
        assert sb.history_left() == ("", top)

        pages = 0
        while sb.history_left() is not None:
            sb.pull_history(max_pages=1)
            pages += 1
        assert pages > 1  # a page at a time, not all at once

    assert _projection(b) == _projection(a)
    assert {t.id: t.status for t in b.tickets()} == {
        t: ("open" if s == "open" else "resolved") for t, s in expected.items()}
    assert b.history_left() is None


def test_the_history_pull_survives_a_restart_and_sync_once_finishes_it(pg, open_store):
    a = open_store("a")
    _history(a)
    with Syncer(a, pg.url) as sa:
        sa.sync_once()

    b = open_store("b")
    with Syncer(b, pg.url, batch=5, snapshot_min_events=0) as sb:
        sb.pull()
        sb.pull_history(max_pages=2)
        done, until = sb.history_left()  # type: ignore[misc]
        assert done and until == pg.query("SELECT max(seq) FROM events")[0][0]
    # a new Syncer (the console restarted) picks the history up where it stopped
    with Syncer(b, pg.url, batch=5, snapshot_min_events=0) as again:
        assert again.history_left() == (done, until)
        again.sync_once()
        assert again.history_left() is None
        assert not again.state.history_loading
    assert _projection(b) == _projection(a)


def test_the_sync_state_says_history_is_loading_until_it_is_complete(pg, open_store):
    a = open_store("a")
    _history(a)
    with Syncer(a, pg.url) as sa:
        sa.sync_once()
    b = open_store("b")
    with Syncer(b, pg.url, batch=10, snapshot_min_events=0) as sb:
        sb._cycle(push=True, history_pages=0)
        assert sb.state.history_loading
        assert "loading history" in sb.state.describe()
        sb._cycle(push=False, history_pages=1)
        assert sb.state.history_loading and sb.history_left()[0]  # type: ignore[index]
        sb.sync_once()
        assert not sb.state.history_loading
        assert "history" not in sb.state.describe()


def test_a_short_log_is_pulled_in_order_without_a_snapshot(pg, open_store):
    a = open_store("a")
    _history(a, tickets=6)
    with Syncer(a, pg.url) as sa:
        sa.sync_once()
    b = open_store("b")
    with Syncer(b, pg.url) as sb:  # the default threshold is far above 20 events
        sb.pull()
        assert sb.history_left() is None
    assert _projection(b) == _projection(a)


def _runner(store, world):  # type: ignore[no-untyped-def]
    from console.app.notify_ops import build_runner
    from console.app.notify_secrets import StaticSecrets

    # no secrets: every external page fails at once, but each is planned and keyed
    return build_runner(store, config={}, secrets=StaticSecrets({}), claims=None,
                        clock=world.clock(), sentiment=None, seed=7, checkpoint=False)


def _keys(runner) -> set[str]:  # type: ignore[no-untyped-def]
    return {r.key for r in runner.outbox.listing()}


def test_a_first_connect_pages_exactly_what_a_full_pull_pages(pg, open_store, world):
    a = open_store("a")
    start = world.now
    world.now = start - timedelta(days=2)
    _history(a)  # tickets from two days ago, mostly resolved
    world.now = start
    for n in range(3):  # and three P1s opened just now that nobody acknowledges
        a.append(f"P1-{n}", "opened", {"title": "Checkout down for everyone",
                                       "account": "Acme", "users_affected_pct": 90,
                                       "workaround": "none"}, "ana")
    with Syncer(a, pg.url) as sa:
        sa.sync_once()

    snapshot, full = open_store("snapshot"), open_store("full")
    with Syncer(snapshot, pg.url, batch=7, snapshot_min_events=0) as s1, \
            Syncer(full, pg.url, snapshot_min_events=None) as s2:
        s1.pull()  # open tickets only; history still to come
        s2.pull()
        r1, r2 = _runner(snapshot, world), _runner(full, world)
        r1.run_once()
        r2.run_once()
        for _ in range(4):  # time passes: pre-breach, breach, the chain's next steps
            world.advance(10 * 60)
            s1.pull_history(max_pages=2)  # history lands meanwhile on the snapshot side
            r1.run_once()
            r2.run_once()
        s1.pull_history()
        world.advance(60)
        r1.run_once()
        r2.run_once()
    # the closed tickets' history, pulled while the runner ran, queued nothing at all
    assert not [r for r in r1.outbox.listing() if r.ticket.startswith("T-")]
    paged = _keys(r2)
    assert any(k.startswith("notify|P1-") for k in paged)
    assert _keys(r1) == paged


def test_history_comes_a_whole_ticket_at_a_time(pg, open_store):
    """A closed ticket never lands opened but not yet resolved, where the notifier could
    take it for an open one and page for it."""
    a = open_store("a")
    _history(a)
    with Syncer(a, pg.url) as sa:
        sa.sync_once()
    b = open_store("b")
    with Syncer(b, pg.url, batch=7, snapshot_min_events=0) as sb:
        sb.pull()
        while sb.history_left() is not None:
            sb.pull_history(max_pages=1)
            # after every page, each ticket the store holds is whole: as open or as
            # resolved as it is on the server
            assert {t.id: t.status for t in b.tickets()} == {
                t.id: t.status for t in a.tickets() if t.id in {r.id for r in b.tickets()}}
