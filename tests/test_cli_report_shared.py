"""``report --shared`` through the command line's main() against a real PostgreSQL: the
hand-made event file imported into a local store and synced to the shared database,
whose rollup the service's refresh (``SharedReports.refresh_all``) keeps."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from matrix_variant import ADDED_TEAM_ID, variant_yaml
from people_logins import login
from shared_fixtures import Pg, database, migrate_to

from console.app.matrices import load_matrix_file
from console.app.settings import Settings
from console.cli import main
from console.paths import default_matrix_path
from console.store.local import LocalStore
from console.store.shared_reports import SharedReports
from console.store.sync import Syncer
from tests.app.report_data import hand_made, jsonl

WINDOW = ("--from", "2026-11-02T00:00:00Z", "--to", "2026-11-16T00:00:00Z")


@pytest.fixture
def pg(pg_server) -> Iterator[Pg]:  # type: ignore[no-untyped-def]
    """A fresh, migrated database (its URL is the superuser's)."""
    yield from database(pg_server)


def cli(capsys, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def imported(tmp_path: Path, capsys) -> str:  # type: ignore[no-untyped-def]
    """A data dir holding the twelve hand-made tickets, imported as a user would."""
    (tmp_path / "hand.jsonl").write_text(jsonl(hand_made()), encoding="utf-8")
    data = str(tmp_path / "data")
    code, _, err = cli(capsys, "import", str(tmp_path / "hand.jsonl"), "--data-dir", data)
    assert code == 0, err
    return data


def synced(data: str, url: str, yaml: str | None = None) -> int:
    """Push the data dir's log to the shared database (publishing ``yaml`` first);
    how many events the local store holds."""
    store = LocalStore(Path(data), load_matrix_file(default_matrix_path())).open()
    try:
        if yaml is not None:
            store.publish_matrix(yaml, "a team more", "lead")
        with Syncer(store, url) as syncer:
            syncer.sync_once()
        return len(store.all_events())
    finally:
        store.close()


def refreshed(pg: Pg) -> None:
    """What the escalation service does every 10 s: fold the moved tickets."""
    engine = pg.shared().sqlalchemy_engine()
    try:
        SharedReports(engine, load_matrix_file(default_matrix_path())).refresh_all()
    finally:
        engine.dispose()


def report_json(capsys, *args: str) -> tuple[dict, str]:  # type: ignore[no-untyped-def]
    code, out, err = cli(capsys, "report", *WINDOW, "--format", "json", *args)
    assert code == 0, err
    return json.loads(out), err


@pytest.mark.postgres
@pytest.mark.filterwarnings("ignore:Session.login_data")
def test_a_shared_report_equals_the_local_stores_of_the_same_log(pg, tmp_path, capsys):
    data = imported(tmp_path, capsys)
    synced(data, pg.url)
    refreshed(pg)
    local, _ = report_json(capsys, "--data-dir", data)
    # an agent's login reads the rollup; the password in the URL goes to psycopg only
    shared, err = report_json(capsys, "--shared", "--url", login(pg, "ana", "agent"))
    assert err == ""
    assert shared.pop("paging") is None  # the outbox is the sender's, not the server's
    local.pop("paging")
    assert shared == local and shared["opened"] == 12 and shared["escalated"] == 3

    # the matrix in force is the shared log's newest published version
    code, _, err = cli(capsys, "report", *WINDOW, "--shared", "--url", pg.url,
                       "--team", ADDED_TEAM_ID)
    assert code == 2 and f"no team {ADDED_TEAM_ID!r}" in err
    synced(data, pg.url, variant_yaml())
    refreshed(pg)
    for extra in ((), ("--team", "frontline"), ("--severity", "P3")):
        local, _ = report_json(capsys, "--data-dir", data, *extra)
        shared, _ = report_json(capsys, "--shared", "--url", pg.url, *extra)
        shared.pop("paging"), local.pop("paging")
        assert shared == local
    shared, err = report_json(capsys, "--shared", "--url", pg.url, "--team", ADDED_TEAM_ID)
    assert err == "" and shared["opened"] == 0


@pytest.mark.postgres
@pytest.mark.filterwarnings("ignore:Session.login_data")
def test_a_rollup_behind_the_log_is_reported_on_stderr_and_what_is_there_printed(
        pg, tmp_path, capsys):
    data = imported(tmp_path, capsys)
    Settings(Path(data)).shared_db_url = pg.url  # as 'connect' leaves it
    events = synced(data, pg.url)
    shared, err = report_json(capsys, "--shared", "--data-dir", data)
    assert shared["opened"] == 0  # nothing folded yet: no service ran
    assert f"the shared reports rollup is {events} events behind the log" in err
    assert "'escalation-console serve'" in err and len(err.splitlines()) == 1

    refreshed(pg)
    pdf = tmp_path / "shared.pdf"
    code, out, err = cli(capsys, "report", *WINDOW, "--shared", "--data-dir", data,
                         "--pdf", str(pdf))
    assert (code, err) == (0, f"wrote 10 pages to {pdf}\n")  # caught up: no warning
    assert pdf.read_bytes().startswith(b"%PDF")
    assert "Opened 12, resolved 12, escalated 3" in out
    assert "not in the shared database" in out  # the paging load's place in the table
    code, out, _ = cli(capsys, "report", *WINDOW, "--shared", "--data-dir", data,
                       "--format", "csv")
    assert code == 0 and "escalation_rate,,,rate,0.25,3,12" in out and "paging" not in out


@pytest.mark.postgres
@pytest.mark.filterwarnings("ignore:Session.login_data")
def test_a_shared_database_older_than_the_rollup_is_a_clear_error(pg, capsys):
    migrate_to(pg.url, "0007")
    code, out, err = cli(capsys, "report", "--shared", "--url", pg.url)
    assert (code, out) == (1, "")
    assert "is at revision 0007; reports need revision 0008 or later" in err
    assert "'escalation-console db upgrade URL'" in err


def test_an_unreachable_server_is_one_line_without_the_password(capsys):
    code, out, err = cli(capsys, "report", "--shared", "--url",
                         "postgresql://ana:s3cret@127.0.0.1:1/escalation")
    assert (code, out) == (1, "")
    assert err.startswith("escalation-console: connecting to postgresql://ana:***@127.0.0.1:1")
    assert "s3cret" not in err and "Traceback" not in err and len(err.splitlines()) == 1
