"""An event row no console can read (a broken ``hlc``, an ``at`` that is no ISO time, a
payload that is no JSON object) must not stop every console's sync: the server's
check refuses such rows from anybody, and a console that meets one already on the
server (written before the check, or with it switched off) logs it, skips it and pulls
the events behind it."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import psycopg
import pytest
from people_logins import login, login_name

from console.domain.hlc import Timestamp, to_ms
from console.store.sync import Syncer

from .helpers import open_ticket

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 3, 2, 10, tzinfo=UTC)
GOOD_HLC = Timestamp(to_ms(NOW), 0, "raw").encode()
GOOD_AT = NOW.isoformat()

# (column, bad value, what the server's message says about it)
MALFORMED = [
    ("hlc", "abc", "hlc 'abc' is not a hybrid logical clock timestamp"),
    ("hlc", "1764147600.123456", "hlc '1764147600.123456' is not a hybrid logical clock"),
    ("hlc", "000001772445600000-000000-", "hlc '000001772445600000-000000-' is not a"),
    ("at", "yesterday", "at 'yesterday' is not an ISO 8601 time with a UTC offset"),
    ("at", "2026-03-02T10:00:00", "at '2026-03-02T10:00:00' is not an ISO 8601 time"),
    ("at", "2026-02-30T10:00:00+00:00", "at '2026-02-30T10:00:00+00:00' is not an ISO"),
    ("payload", "not json", "payload is not JSON"),
    ("payload", "[1, 2]", "payload is a JSON array, not an object"),
    ("payload", '"text"', "payload is a JSON string, not an object"),
]


def row(column: str, value: str, author: str) -> dict[str, str]:
    good = {"id": str(uuid.uuid4()), "ticket": "T-1", "kind": "message",
            "payload": json.dumps({"text": "hello"}), "author": author, "device": "raw",
            "hlc": GOOD_HLC, "at": GOOD_AT}
    return good | {column: value}


def insert(conn: psycopg.Connection, values: dict[str, str]) -> None:
    conn.execute(f"INSERT INTO events ({', '.join(values)}) "
                 f"VALUES ({', '.join(['%s'] * len(values))})", tuple(values.values()))


@pytest.mark.parametrize(("column", "value", "message"), MALFORMED)
def test_a_malformed_event_is_refused_with_the_field_named(pg, column, value, message):
    ana, agent = login_name(pg, "ana"), login(pg, "ana", "agent")
    for url, author in ((agent, ana), (pg.url, "someone")):  # a person, and the superuser
        bad = row(column, value, author)
        with psycopg.connect(url, autocommit=True) as conn, pytest.raises(
                (psycopg.errors.InvalidParameterValue,)) as info:
            insert(conn, bad)
        assert info.value.diag.message_primary.startswith(f"event {bad['id']}: {message}")
    assert pg.query("SELECT count(*) FROM events") == [(0,)]


def test_a_well_formed_event_through_raw_sql_still_passes(pg):
    with psycopg.connect(pg.url, autocommit=True) as conn:
        insert(conn, row("at", "2026-03-02T10:00:00.123Z", "someone"))
    assert pg.query("SELECT count(*) FROM events") == [(1,)]


def test_a_console_skips_the_malformed_rows_on_the_server_and_pulls_the_rest(
        pg, open_store, world):
    writer, reader = open_store("writer"), open_store("reader")
    sw = Syncer(writer, pg.url)
    open_ticket(writer, "T-1", "Before the bad rows")
    sw.sync_once()
    with psycopg.connect(pg.url, autocommit=True) as conn:  # as if written before the check
        conn.execute("SET session_replication_role = replica")
        bad = [row(column, value, "someone") for column, value, _ in MALFORMED]
        for values in bad:
            insert(conn, values)
    open_ticket(writer, "T-2", "After the bad rows")
    sw.sync_once()
    with psycopg.connect(pg.url, autocommit=True) as conn:  # and the last page of the log
        conn.execute("SET session_replication_role = replica")
        for column, value, _ in MALFORMED[:4]:
            bad.append(row(column, value, "someone"))
            insert(conn, bad[-1])
    # a batch of 4: pages that start, end and are made only of unreadable rows (the
    # stored cursor passes the log's last row, unreadable too)
    sr = Syncer(reader, pg.url, batch=4, snapshot_min_events=None)
    try:
        sr.sync_once()
        assert {t.id for t in reader.tickets()} == {"T-1", "T-2"}
        top = pg.query("SELECT max(seq) FROM events")[0][0]
        assert reader.cursor() == top
        assert sr.state.unreadable == len(bad)
        assert f"{len(bad)} unreadable events skipped" in sr.state.describe()
        assert not {v["id"] for v in bad} & {e.id for e in reader.all_events()}
        sr.sync_once()  # read past for good: not met (nor counted) again
        assert sr.state.unreadable == len(bad)
    finally:
        sr.close()
        sw.close()


def test_a_first_connect_snapshot_skips_the_malformed_rows_too(pg, open_store, world):
    writer, reader = open_store("writer"), open_store("reader")
    sw = Syncer(writer, pg.url)
    open_ticket(writer, "T-1", "Open")
    sw.sync_once()
    with psycopg.connect(pg.url, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        insert(conn, row("payload", "[1, 2]", "someone"))
        insert(conn, row("hlc", "abc", "someone") | {"ticket": "T-9", "kind": "opened"})
    sr = Syncer(reader, pg.url, snapshot_min_events=0)  # open tickets first, then history
    try:
        sr.sync_once()
        assert {t.id for t in reader.tickets()} == {"T-1"}
        assert sr.state.unreadable == 2
    finally:
        sr.close()
        sw.close()
