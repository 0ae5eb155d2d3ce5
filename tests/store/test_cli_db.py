"""``db upgrade`` and ``tickets list|show`` through the command line's main()."""

from __future__ import annotations

import json

import pytest

from console.cli import main
from console.store.migrate import head_revision

from .helpers import open_ticket

NOW = "2026-03-02T10:20:00+00:00"


def test_db_upgrade_migrates_an_empty_local_store_and_reports_the_revisions(tmp_path, capsys,
                                                                             matrix):
    from console.store.local import DB_NAME, LocalStore

    head = head_revision()
    assert main(["--data-dir", str(tmp_path / "new"), "db", "upgrade"]) == 0
    assert capsys.readouterr().out.strip() == (
        f"local store {tmp_path / 'new' / DB_NAME}: revision (none) → {head}")
    assert main(["--data-dir", str(tmp_path / "new"), "db", "upgrade"]) == 0
    assert capsys.readouterr().out.strip().endswith(f": already at revision {head}")

    old = tmp_path / "old"
    old.mkdir()
    (old / DB_NAME).write_bytes(b"")  # an empty SQLite file, as an interrupted first run leaves
    assert main(["--data-dir", str(old), "db", "upgrade"]) == 0
    assert f"revision (none) → {head}" in capsys.readouterr().out
    with LocalStore(old, matrix) as store:
        open_ticket(store, "T-1")
        assert store.ticket("T-1") is not None


@pytest.mark.postgres
def test_db_upgrade_migrates_a_shared_database_by_url(pg_server, capsys):
    import psycopg

    url = pg_server.create_database()
    head = head_revision()
    assert main(["db", "upgrade", url]) == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith("shared database 127.0.0.1:") or out.startswith("shared database ")
    assert out.endswith(f"revision (none) → {head}")
    assert main(["db", "upgrade", url]) == 0
    assert capsys.readouterr().out.strip().endswith(f"already at revision {head}")
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (head,)


def test_db_upgrade_of_an_unreachable_server_is_a_masked_error(capsys):
    from benchmarks.pgcluster import free_port

    url = f"postgresql://bob:Pa55-Hidden@127.0.0.1:{free_port()}/x"
    assert main(["db", "upgrade", url]) == 1
    err = capsys.readouterr().err
    assert "Pa55-Hidden" not in err and "postgresql://bob:***@127.0.0.1:" in err


@pytest.fixture
def ticket_dir(tmp_path, matrix, world):  # type: ignore[no-untyped-def]
    """A data dir with a confirmed P1 (T-1) and a P2 waiting on the customer (T-2)."""
    from console.store.local import LocalStore

    with LocalStore(tmp_path / "d", matrix, clock=world.clock()) as store:
        open_ticket(store, "T-1", "Checkout down", pct=60, workaround="none")
        world.advance(120)
        store.append("T-1", "severity", {"severity": "P1", "by": "support"}, "ana")
        world.advance(180)
        store.append("T-1", "responded", {}, "ana")
        world.advance(240)
        store.append("T-1", "severity", {"severity": "P1", "by": "engineering"}, "ben")
        store.append("T-1", "assigned", {"owner": "ben", "team": "incident-response"}, "ben")
        open_ticket(store, "T-2", "Exports slow", pct=10, workaround="partial")
        world.advance(60)
        store.append("T-2", "status", {"status": "waiting_on_customer"}, "ana")
    return tmp_path / "d"


def test_tickets_list_json_gives_each_ticket_with_its_clocks_due_and_state(ticket_dir, capsys):
    assert main(["--data-dir", str(ticket_dir), "tickets", "list", "--json", "--now", NOW]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["now"] == NOW
    tickets = {t["id"]: t for t in data["tickets"]}
    assert set(tickets) == {"T-1", "T-2"}
    for t in tickets.values():
        assert {"id", "title", "severity", "status", "tier", "team", "owner", "clocks"} <= set(t)
        for clock in t["clocks"]:
            assert {"name", "due", "state"} <= set(clock)
            assert clock["state"] in {"ok", "pre_breach", "breached", "paused", "met"}
    t1 = tickets["T-1"]
    assert (t1["severity"], t1["status"], t1["tier"], t1["team"], t1["owner"]) == (
        "P1", "open", "T3", "incident-response", "ben")
    clocks = {c["name"]: c for c in t1["clocks"]}
    assert clocks["response"]["state"] == "met"
    assert (clocks["resolution"]["due"], clocks["resolution"]["state"]) == (
        "2026-03-02T12:00:00+00:00", "ok")
    assert clocks["update"]["state"] == "ok"  # due 10:35
    t2 = tickets["T-2"]
    assert t2["status"] == "waiting_on_customer"
    assert {c["name"]: c["state"] for c in t2["clocks"]}["resolution"] == "paused"
    # the queue order: by next due time
    assert [t["id"] for t in data["tickets"]] == sorted(
        tickets, key=lambda i: tickets[i]["next_due"] or "~")


def test_tickets_show_json_gives_the_full_history_including_who_set_the_severity(
        ticket_dir, capsys):
    assert main(["--data-dir", str(ticket_dir), "tickets", "show", "T-1", "--json",
                 "--now", NOW]) == 0
    data = json.loads(capsys.readouterr().out)
    ticket, history = data["ticket"], data["history"]
    assert ticket["id"] == "T-1" and ticket["confirmed"] is True
    assert ticket["severity_source"] == "engineering"
    assert [e["kind"] for e in history] == ["opened", "severity", "responded", "severity",
                                           "assigned"]
    for e in history:
        assert {"id", "kind", "payload", "author", "device", "hlc", "at"} <= set(e)
    set_by, confirmed_by = [e for e in history if e["kind"] == "severity"]
    assert (set_by["payload"], set_by["author"]) == ({"severity": "P1", "by": "support"}, "ana")
    assert confirmed_by["payload"]["by"] == "engineering" and confirmed_by["author"] == "ben"
    assert confirmed_by["at"] == "2026-03-02T10:09:00+00:00"
    assert [e["hlc"] for e in history] == sorted(e["hlc"] for e in history)


def test_tickets_show_and_list_print_tables_without_json(ticket_dir, capsys):
    assert main(["--data-dir", str(ticket_dir), "tickets", "list", "--now", NOW]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:3] == ["ID", "SEV", "STATUS"]
    assert "T-1" in out and "Exports slow" in out and out.rstrip().endswith("2 tickets")
    assert main(["--data-dir", str(ticket_dir), "tickets", "show", "T-1", "--now", NOW]) == 0
    out = capsys.readouterr().out
    assert out.startswith("T-1: Checkout down") and "engineering" in out
    assert main(["--data-dir", str(ticket_dir), "tickets", "show", "T-404"]) == 1
    assert "no ticket 'T-404'" in capsys.readouterr().err



def test_the_database_and_ticket_commands_never_import_qt(tmp_path):
    import subprocess
    import sys

    code = ("import sys; from console.cli import main; d = sys.argv[1]; "
            "main(['--data-dir', d, 'db', 'upgrade']); "
            "main(['--data-dir', d, 'tickets', 'list', '--json']); "
            "main(['--data-dir', d, 'sync', '--once']); "
            "import console.app.secrets, console.app.settings, console.store.sync; "
            "print(sorted(m for m in sys.modules if m.startswith('PySide6')))")
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path / "d")],
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.strip().endswith("[]"), result.stderr
    assert "no shared database is configured" in result.stderr


@pytest.mark.postgres
def test_sync_runs_until_sigterm_printing_its_state(pg, tmp_path, matrix):
    import signal
    import subprocess
    import sys

    from console.store.local import LocalStore

    data_dir = tmp_path / "d"
    assert main(["--data-dir", str(data_dir), "connect", pg.url]) == 0
    with LocalStore(data_dir, matrix) as store:
        open_ticket(store, "T-1")
    proc = subprocess.Popen([sys.executable, "-m", "console", "--data-dir", str(data_dir),
                             "sync"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = [proc.stdout.readline().strip() for _ in range(2)]
        assert lines[0].endswith(" syncing") and lines[1].endswith(" online"), lines
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert out.strip().endswith("stopped")
    assert pg.query("SELECT ticket FROM events") == [("T-1",)]


@pytest.fixture
def password_role(pg_server):  # type: ignore[no-untyped-def]
    """(URL without password, role) of a database whose owner must log in with a
    password (scram over TCP)."""
    import uuid

    from benchmarks.pgcluster import PgCluster

    if not isinstance(pg_server, PgCluster):
        pytest.skip("needs a throwaway cluster whose pg_hba.conf it may change")
    role, dbname = f"ec_{uuid.uuid4().hex[:10]}", f"p_{uuid.uuid4().hex[:10]}"
    with pg_server.admin() as conn:
        conn.execute("SET password_encryption = 'scram-sha-256'")
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'Not-Given-1'")
        conn.execute(f"CREATE DATABASE {dbname} OWNER {role}")
    pg_server.prepend_hba(f"host all {role} 127.0.0.1/32 scram-sha-256")
    return f"postgresql://{role}@{pg_server.host}:{pg_server.port}/{dbname}", role


@pytest.mark.postgres
@pytest.mark.parametrize("command", [["connect"], ["db", "upgrade"]], ids=["connect", "upgrade"])
def test_no_password_and_no_terminal_says_how_to_give_one(password_role, command, tmp_path):
    import os
    import subprocess
    import sys

    url, role = password_role
    env = {k: v for k, v in os.environ.items() if k != "PGPASSWORD"}
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg")  # an empty keyring
    result = subprocess.run([sys.executable, "-m", "console", "--data-dir",
                             str(tmp_path / "data"), *command, url],
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env,
                            timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith("escalation-console: the server ")
    assert (f"wants a password for {role} and none was given; pipe it in with "
            "--password-stdin, or set PGPASSWORD") in result.stderr
    assert "fe_sendauth" not in result.stderr and "***" not in result.stderr


@pytest.mark.postgres
def test_sync_without_a_kept_password_says_how_to_keep_one(password_role, tmp_path):
    import os
    import subprocess
    import sys

    from console.app.settings import Settings

    url, role = password_role
    Settings(tmp_path / "data").shared_db_url = url  # connected once, password since lost
    env = {k: v for k, v in os.environ.items() if k != "PGPASSWORD"}
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg")  # an empty keyring
    result = subprocess.run([sys.executable, "-m", "console", "--data-dir",
                             str(tmp_path / "data"), "sync", "--once"],
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env,
                            timeout=60)
    assert result.returncode == 1
    assert (f"wants a password for {role} and none was given; run 'escalation-console "
            "connect URL --password-stdin' to keep one in the OS keyring, or set "
            "PGPASSWORD") in result.stderr
    assert "fe_sendauth" not in result.stderr
