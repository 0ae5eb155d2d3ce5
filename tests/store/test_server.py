"""The shared database on a real PostgreSQL: append-only log, idempotent push,
ordered pull, one-time claims, and error messages that never show a password."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import psycopg
import pytest

from console.store.records import StoredEvent
from console.store.server import SharedDatabase, SharedDBError, mask_url, public_url

pytestmark = pytest.mark.postgres


def event(n: int, ticket: str = "T-1") -> StoredEvent:
    return StoredEvent(str(uuid.uuid4()), ticket, "message", {"text": f"note {n}"}, "ana",
                       "devA", f"{1_700_000_000_000 + n:015d}-000000-devA",
                       datetime(2026, 3, 2, 10, n % 60, tzinfo=UTC))


@pytest.mark.parametrize("statement", [
    "UPDATE events SET kind = 'tampered'",
    "DELETE FROM events",
    "TRUNCATE events CASCADE",  # plain TRUNCATE already fails on the outbox foreign key
])
def test_the_shared_event_log_refuses_to_be_rewritten(pg, statement):
    db = pg.shared()
    db.push([event(1), event(2)])
    with psycopg.connect(pg.url, autocommit=True) as conn, \
            pytest.raises(psycopg.Error, match="append-only"):
        conn.execute(statement)
    assert pg.query("SELECT count(*) FROM events") == [(2,)]
    db.close()


def test_pushing_the_same_events_twice_leaves_one_row_each(pg):
    db = pg.shared()
    batch = [event(n) for n in range(5)]
    db.push(batch)
    db.push(batch)
    db.push([*batch[2:], event(9)])
    rows = pg.query("SELECT id, count(*) FROM events GROUP BY id")
    assert len(rows) == 6 and all(count == 1 for _, count in rows)
    db.close()


def test_pull_returns_the_events_after_the_cursor_in_seq_order(pg):
    db = pg.shared()
    first, second = [event(n) for n in range(3)], [event(n) for n in range(3, 8)]
    db.push(first)
    db.push(second)
    everything = db.pull(0)
    assert [e.id for e in everything] == [e.id for e in first + second]
    seqs = [e.seq for e in everything]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    after = db.pull(everything[2].seq)
    assert [e.id for e in after] == [e.id for e in second]
    assert [e.id for e in db.pull(everything[2].seq, limit=2)] == [e.id for e in second[:2]]
    assert db.pull(everything[-1].seq) == []
    db.close()


def test_a_pulled_event_equals_the_pushed_one(pg):
    db = pg.shared()
    sent = event(7)
    db.push([sent])
    (got,) = db.pull(0)
    assert got.seq is not None
    assert StoredEvent(got.id, got.ticket, got.kind, got.payload, got.author, got.device,
                       got.hlc, got.at) == sent
    db.close()


def test_only_the_first_claim_of_a_key_wins(pg):
    a, b = pg.shared(), pg.shared()
    key = "T-1/response/pre_breach/0"
    assert a.claim(key, "devA", "2026-03-02T10:00:00+00:00") is True
    assert b.claim(key, "devB", "2026-03-02T10:00:01+00:00") is False
    assert a.claim(key, "devA", "2026-03-02T10:00:02+00:00") is False
    assert pg.query("SELECT device FROM notification_claims") == [("devA",)]
    a.close()
    b.close()


def test_check_reports_the_server_version(pg):
    db = pg.shared()
    version = db.check()
    assert version[0].isdigit() and "." in version
    db.close()


def test_urls_are_shown_masked_and_stored_without_the_password():
    url = "postgresql://bob:S3cret-Pa55@db.example:5433/escalation?sslmode=require"
    assert mask_url(url) == "postgresql://bob:***@db.example:5433/escalation"
    assert "S3cret" not in public_url(url)
    assert public_url(url) == "postgresql://bob@db.example:5433/escalation?sslmode=require"


def test_a_connection_failure_names_the_server_but_never_the_password(pg_server):
    from benchmarks.pgcluster import free_port

    secret = "Hunter2-not-shown"
    db = SharedDatabase(f"postgresql://bob:{secret}@127.0.0.1:{free_port()}/nowhere")
    with pytest.raises(SharedDBError) as caught:
        db.check()
    message = str(caught.value)
    assert secret not in message
    assert "postgresql://bob:***@127.0.0.1:" in message
    assert secret not in repr(db)


def test_a_puller_never_skips_an_event_while_many_consoles_push_at_once(pg):
    """seq order is commit order (the advisory lock in push), so a cursor that only
    moves forward still sees every event. (Without the lock this fails about every
    second run: a statistical guard, never a flaky one, since with it no skip can occur.)"""
    import threading
    import time

    pushers, batches, size = 6, 40, 3
    done = threading.Event()
    seen: list[str] = []

    def push(n: int) -> None:
        db = pg.shared()
        for b in range(batches):
            db.push([event(n * 1000 + b * size + i) for i in range(size)])
        db.close()

    def pull() -> None:
        db, cursor = pg.shared(), 0
        while True:
            finished = done.is_set()
            page = db.pull(cursor, limit=7)
            seen.extend(e.id for e in page)
            cursor = page[-1].seq if page else cursor
            if finished and not page:
                break
        db.close()

    puller = threading.Thread(target=pull)
    puller.start()
    threads = [threading.Thread(target=push, args=(n,)) for n in range(pushers)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    done.set()
    puller.join(60)
    assert time.monotonic() - started < 60
    on_server = [r[0] for r in pg.query("SELECT id FROM events ORDER BY seq")]
    assert len(on_server) == pushers * batches * size
    assert seen == on_server
