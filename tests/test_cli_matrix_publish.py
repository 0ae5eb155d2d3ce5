"""``matrix publish|versions|restore``: matrix versions without the GUI, through main().

Local only (no shared database): the versions go into the data dir's store. With a
shared PostgreSQL and real logins: a lead's publish reaches another console, an agent's
is refused by the server with its reason, and an unreachable server leaves the version
queued (exit 4)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from matrix_variant import NEW_TEAM, OLD_TEAM, TEAM_ID, variant_yaml
from people_logins import login, login_name, person_url
from shared_fixtures import Pg, database

from console.app.identity import current_user
from console.app.matrices import load_matrix_file
from console.cli import main
from console.cli.matrix_versions import EXIT_QUEUED
from console.paths import default_matrix_path
from console.store.local import LocalStore

NAME = "Default escalation matrix"


@pytest.fixture(scope="module")
def bundled():  # type: ignore[no-untyped-def]
    return load_matrix_file(default_matrix_path())


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    """(the variant matrix, the bundled default matrix) as files in a git checkout."""
    variant, default = tmp_path / "variant.yaml", tmp_path / "default.yaml"
    variant.write_text(variant_yaml(), encoding="utf-8")
    default.write_text(default_matrix_path().read_text(encoding="utf-8"), encoding="utf-8")
    return variant, default


def cli(data_dir: Path, *args: str) -> int:
    return main(["--data-dir", str(data_dir), "matrix", *args])


def in_force(data_dir: Path, bundled) -> tuple[str, list[int]]:  # type: ignore[no-untyped-def]
    """(the name of the frontline team in the matrix in force, the version numbers)."""
    with LocalStore(data_dir, bundled) as store:
        return (store.matrix.team(TEAM_ID).name,
                [v.number for v in store.matrix_versions()])


def test_publish_list_and_restore_round_trip_in_the_local_store(tmp_path, files, bundled,
                                                                  capsys):
    data, (variant, default) = tmp_path / "data", files
    assert cli(data, "versions") == 0
    assert "no matrix version has been published yet" in capsys.readouterr().out

    assert cli(data, "publish", str(variant), "--comment", "Front Desk takes T1") == 0
    assert capsys.readouterr().out.strip() == (
        f"published version 1 ({NAME}) to the local store (no shared database)")
    assert in_force(data, bundled) == (NEW_TEAM, [1])
    assert cli(data, "publish", str(default), "--comment", "back to the default") == 0
    assert "published version 2" in capsys.readouterr().out
    assert in_force(data, bundled) == (OLD_TEAM, [1, 2])

    assert cli(data, "versions") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["N", "WHEN", "(UTC)", "AUTHOR", "NAME", "COMMENT"]
    assert lines[1].split()[0] == "1" and lines[1].endswith("Front Desk takes T1")
    assert lines[2].split()[:2] == ["*", "2"] and lines[2].endswith("back to the default")
    assert lines[1].split()[3:7] == [current_user(), *NAME.split()]

    assert cli(data, "restore", "1") == 0
    assert "published version 3" in capsys.readouterr().out
    assert in_force(data, bundled) == (NEW_TEAM, [1, 2, 3])
    assert cli(data, "versions", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(v["number"], v["comment"], v["in_force"]) for v in listed] == [
        (1, "Front Desk takes T1", False), (2, "back to the default", False),
        (3, "Restored version 1", True)]
    assert listed[2]["yaml"] == variant_yaml() and listed[2]["author"] == current_user()
    assert listed[2]["at"].endswith("Z")

    # restoring what is in force already publishes nothing
    assert cli(data, "restore", "1", "--comment", "again") == 0
    assert "unchanged: version 3" in capsys.readouterr().out
    assert cli(data, "restore", "2", "--comment", "the default after all") == 0
    assert in_force(data, bundled) == (OLD_TEAM, [1, 2, 3, 4])


def test_publishing_the_yaml_in_force_again_publishes_nothing(tmp_path, files, bundled,
                                                              capsys):
    data, (variant, _) = tmp_path / "data", files
    assert cli(data, "publish", str(variant), "--comment", "first") == 0
    capsys.readouterr()
    assert cli(data, "publish", str(variant), "--comment", "the pipeline ran again") == 0
    out = capsys.readouterr().out
    assert out.strip() == (f"unchanged: version 1 ({NAME}) in force has the same YAML; "
                           "nothing published")
    assert in_force(data, bundled) == (NEW_TEAM, [1])
    # a change of text alone (a comment line) is a new version: git tracks text
    variant.write_text(variant_yaml() + "# reviewed\n", encoding="utf-8")
    assert cli(data, "publish", str(variant), "--comment", "reviewed") == 0
    assert in_force(data, bundled) == (NEW_TEAM, [1, 2])


def test_an_invalid_matrix_file_lists_its_problems_and_publishes_nothing(tmp_path, files,
                                                                         bundled, capsys):
    data, (_, default) = tmp_path / "data", files
    bad = tmp_path / "bad.yaml"
    bad.write_text(default.read_text(encoding="utf-8").replace(
        "resolution: 8h", "resolution: 30m", 1), encoding="utf-8")
    assert cli(data, "publish", str(bad), "--comment", "oops") == 1
    captured = capsys.readouterr()
    problems = captured.out.splitlines()
    assert problems and all(p.startswith(f"{bad}:") for p in problems)
    line, column = problems[0].split(":")[1:3]
    assert line.isdigit() and column.isdigit()
    assert "nothing published" in captured.err
    assert cli(data, "publish", str(tmp_path / "missing.yaml"), "--comment", "x") == 1
    assert capsys.readouterr().out.strip() == f"{tmp_path / 'missing.yaml'}:1:1: no such file"
    assert in_force(data, bundled) == (OLD_TEAM, [])


def test_restoring_an_unknown_version_names_the_versions_there_are(tmp_path, files, capsys):
    data, (variant, default) = tmp_path / "data", files
    assert cli(data, "restore", "1") == 1
    assert capsys.readouterr().err.strip() == (
        "escalation-console: no matrix version 1: no version has been published yet")
    assert cli(data, "publish", str(variant), "--comment", "one") == 0
    assert cli(data, "publish", str(default), "--comment", "two") == 0
    capsys.readouterr()
    assert cli(data, "restore", "7") == 1
    assert capsys.readouterr().err.strip() == (
        "escalation-console: no matrix version 7: versions 1 to 2 exist")
    with pytest.raises(SystemExit) as usage:
        cli(data, "restore", "0")
    assert usage.value.code == 2


def test_publish_needs_a_comment(tmp_path, files, capsys):
    with pytest.raises(SystemExit) as usage:
        cli(tmp_path / "data", "publish", str(files[0]))
    assert usage.value.code == 2
    assert "--comment" in capsys.readouterr().err



def test_a_publish_that_cannot_reach_the_server_is_queued_with_its_own_exit_status(
        tmp_path, files, bundled, capsys):
    from benchmarks.pgcluster import free_port
    from console.app.settings import Settings

    data, (variant, _) = tmp_path / "data", files
    Settings(data).shared_db_url = f"postgresql://lena@127.0.0.1:{free_port()}/escalations"
    assert cli(data, "publish", str(variant), "--comment", "while the server is down") == (
        EXIT_QUEUED)
    err = capsys.readouterr().err
    assert err.startswith(f"escalation-console: version 1 ({NAME}) is queued in the local "
                          "store, not on the shared database (connecting to ")
    assert "it is pushed on the next sync" in err
    with LocalStore(data, bundled) as store:
        assert store.matrix.team(TEAM_ID).name == NEW_TEAM  # in force here meanwhile
        assert [(v.number, v.author) for v in store.matrix_versions()] == [(1, "lena")]
        assert store.pending() == 1
    # the pipeline's next run: still queued, not published twice
    assert cli(data, "publish", str(variant), "--comment", "retry") == EXIT_QUEUED
    assert "version 1 " in capsys.readouterr().err
    assert in_force(data, bundled) == (NEW_TEAM, [1])
    assert cli(data, "versions") == 0
    captured = capsys.readouterr()
    assert "the shared database was not reached" in captured.err
    assert "while the server is down" in captured.out


# -- a shared PostgreSQL with real logins -------------------------------------------------
@pytest.fixture
def pg(pg_server) -> Iterator[Pg]:  # type: ignore[no-untyped-def]
    """A fresh, migrated database (with the people, their roles and the server's checks)."""
    yield from database(pg_server)


def connected(pg: Pg, data_dir: Path, name: str, role: str) -> str:
    """Add ``name`` as a person with ``role`` and connect ``data_dir`` as them (the
    password goes to the tests' keyring); their login."""
    assert main(["--data-dir", str(data_dir), "connect", login(pg, name, role)]) == 0
    return login_name(pg, name)


def server_versions(pg: Pg) -> list[tuple[int, str, str, bool]]:
    """(number, author, comment, carries an authority table) of each version the
    server holds, in seq order."""
    rows = pg.query("SELECT payload, author FROM events WHERE kind = 'matrix_published' "
                    "ORDER BY seq")
    payloads = [(json.loads(p) if isinstance(p, str) else p, author) for p, author in rows]
    return [(p["number"], author, p["comment"], bool(p.get("authority")))
            for p, author in payloads]


@pytest.mark.postgres
def test_a_lead_publishes_from_the_command_line_and_another_console_pulls_it(
        pg, tmp_path, files, bundled, capsys):
    from console.store.sync import Syncer

    variant, default = files
    lena = connected(pg, tmp_path / "ci", "lena", "lead")
    capsys.readouterr()
    assert cli(tmp_path / "ci", "publish", str(variant), "--comment", "Front Desk") == 0
    assert capsys.readouterr().out.strip() == (
        f"published version 1 ({NAME}) to the shared database")
    # a second pipeline checkout (a fresh data dir) numbers after the server's version
    assert main(["--data-dir", str(tmp_path / "laptop"), "connect", person_url(pg, lena)]) == 0
    assert cli(tmp_path / "laptop", "publish", str(default), "--comment", "undo") == 0
    assert "published version 2" in capsys.readouterr().out
    assert server_versions(pg) == [(1, lena, "Front Desk", True), (2, lena, "undo", True)]

    with LocalStore(tmp_path / "wall", bundled) as wall:
        syncer = Syncer(wall, login(pg, "ana", "agent"))
        try:
            syncer.sync_once()
        finally:
            syncer.close()
        assert [(v.number, v.author, v.comment) for v in wall.matrix_versions()] == [
            (1, lena, "Front Desk"), (2, lena, "undo")]
        assert wall.matrix.team(TEAM_ID).name == OLD_TEAM
    # the first checkout's list follows the server too (it pulls first)
    assert cli(tmp_path / "ci", "versions") == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[1:]] == ["1", "*"]
    assert lines[2].split()[1] == "2" and lines[2].endswith("undo")
    assert cli(tmp_path / "ci", "restore", "1") == 0  # a lead restores too
    assert "published version 3" in capsys.readouterr().out
    assert server_versions(pg)[-1] == (3, lena, "Restored version 1", True)


@pytest.mark.postgres
def test_an_agents_publish_is_refused_with_the_servers_reason_and_nothing_changes(
        pg, tmp_path, files, bundled, capsys):
    variant, default = files
    lena = connected(pg, tmp_path / "lead", "lena", "lead")
    assert cli(tmp_path / "lead", "publish", str(variant), "--comment", "Front Desk") == 0
    assert cli(tmp_path / "lead", "publish", str(default), "--comment", "undo") == 0
    alice = connected(pg, tmp_path / "agent", "alice", "agent")
    capsys.readouterr()

    assert cli(tmp_path / "agent", "publish", str(variant), "--comment", "mine now") == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("escalation-console: the shared database refused version 3: "
                          "only a lead or an admin may publish a matrix")
    assert f"{alice} is an agent" in err and err.endswith("; the matrix in force is unchanged")
    # a restore is a publish: refused the same way
    assert cli(tmp_path / "agent", "restore", "1") == 1
    assert "refused version 3: only a lead or an admin" in capsys.readouterr().err

    versions = [(1, lena, "Front Desk", True), (2, lena, "undo", True)]
    assert server_versions(pg) == versions
    with LocalStore(tmp_path / "agent", bundled) as store:
        assert store.matrix.team(TEAM_ID).name == OLD_TEAM  # the lead's version 2
        assert [v.number for v in store.matrix_versions()] == [1, 2]
        assert store.pending() == 0
        with store.unit(read_only=True) as uow:
            refused = uow.refused.list()
    assert [(r.kind, r.author, r.payload["comment"]) for r in refused] == [
        ("matrix_published", alice, "Restored version 1"),
        ("matrix_published", alice, "mine now")]
    assert all(f"{alice} is an agent" in r.reason for r in refused)
    assert cli(tmp_path / "agent", "versions") == 0  # lists what the server holds
    assert [line.split()[:2] for line in capsys.readouterr().out.splitlines()[2:]] == [
        ["*", "2"]]


@pytest.mark.postgres
def test_a_version_queued_while_the_server_was_unreachable_is_pushed_by_the_next_run(
        pg, tmp_path, files, bundled, capsys):
    from benchmarks.pgcluster import free_port
    from console.app.settings import Settings

    variant, _ = files
    data = tmp_path / "ci"
    lena = connected(pg, data, "lena", "lead")
    real = Settings(data).shared_db_url
    assert real is not None
    Settings(data).shared_db_url = real.replace(f":{pg.server.port}/",  # the server is down
                                                f":{free_port()}/")
    assert cli(data, "publish", str(variant), "--comment", "during the outage") == EXIT_QUEUED
    assert "is queued in the local store" in capsys.readouterr().err
    assert server_versions(pg) == []

    Settings(data).shared_db_url = real  # back up
    assert cli(data, "publish", str(variant), "--comment", "the next commit") == 0
    assert capsys.readouterr().out.strip() == (
        f"published version 1 ({NAME}) to the shared database")
    assert server_versions(pg) == [(1, lena, "during the outage", True)]  # once
    assert cli(data, "publish", str(variant), "--comment", "and again") == 0
    assert "unchanged: version 1" in capsys.readouterr().out
    # unreachable again: unchanged here, but whether the server agrees is not known
    Settings(data).shared_db_url = real.replace(f":{pg.server.port}/", f":{free_port()}/")
    assert cli(data, "publish", str(variant), "--comment", "a docs commit") == EXIT_QUEUED
    err = capsys.readouterr().err
    assert err.startswith("escalation-console: the shared database was not reached (")
    assert err.rstrip().endswith("has the same YAML; nothing published")
    assert in_force(data, bundled) == (NEW_TEAM, [1])


@pytest.mark.postgres
def test_the_documented_pipeline_runs_without_an_os_keyring(pg, tmp_path, files):
    """docs/matrix-format.md's recipe: the null keyring backend, $PGPASSWORD, the
    pipeline's own data dir; each command a process of its own, as in a CI job."""
    import os
    import subprocess
    import sys

    from console.store.server import split_password

    url, password = split_password(login(pg, "matrix-ci", "lead"))
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
           "PGPASSWORD": password or "", "ESCALATION_CONSOLE_DATA_DIR": str(tmp_path / "ci")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "console", *args], env=env, text=True,
                              capture_output=True, timeout=120)

    assert run("connect", url).returncode == 0
    published = run("matrix", "publish", str(files[0]), "--comment", "abc123 Front Desk")
    assert published.returncode == 0, published.stderr
    assert published.stdout.strip() == f"published version 1 ({NAME}) to the shared database"
    again = run("matrix", "publish", str(files[0]), "--comment", "def456 docs only")
    assert (again.returncode, again.stdout.split(":")[0]) == (0, "unchanged")
    assert server_versions(pg) == [(1, login_name(pg, "matrix-ci"), "abc123 Front Desk", True)]


@pytest.mark.postgres
def test_the_server_checks_approvals_against_the_authority_of_the_version_published(
        pg, tmp_path, files, bundled, capsys):
    """The authority table a CLI publish carries is the one the server applies: a
    version lowering the T2 managers' refund limit to 500 makes their grant of 800
    refused; restoring the default matrix lets the same grant through."""
    import re
    import uuid
    from datetime import UTC, datetime

    import psycopg

    from console.domain.actions import approval_events
    from console.domain.hlc import Timestamp, to_ms

    def insert(url: str, kind: str, payload: dict[str, object], author: str,
               event_id: str) -> None:
        """As any program with that login could: raw SQL."""
        now = datetime.now(UTC)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("INSERT INTO events (id, ticket, kind, payload, author, device, hlc, "
                         "at) VALUES (%s, 'T-1', %s, %s, %s, 'raw', %s, %s)",
                         (event_id, kind, json.dumps(payload), author,
                          Timestamp(to_ms(now), 0, "raw").encode(), now.isoformat()))

    _, default = files
    stricter = tmp_path / "stricter.yaml"
    stricter.write_text(re.sub(r"(role: t2_manager, limit: )5000", r"\g<1>500",
                               default.read_text(encoding="utf-8")), encoding="utf-8")
    data = tmp_path / "ci"
    connected(pg, data, "lena", "lead")
    assert cli(data, "publish", str(default), "--comment", "the default") == 0
    assert cli(data, "publish", str(stricter), "--comment", "T2 refunds up to 500") == 0

    rita, rid = login_name(pg, "rita"), str(uuid.uuid4())
    kind, payload = approval_events(bundled, rid, "refund", 800, "", "angry customer", rita,
                                    "P2")[0]
    insert(login(pg, "rita", "agent"), kind, payload, rita, rid)
    manager, max_ = login(pg, "max", "lead", matrix_roles=["t2_manager"]), login_name(pg, "max")
    grant = {"request_id": rid, "by": max_, "role": "t2_manager"}
    with pytest.raises(psycopg.errors.InsufficientPrivilege) as refused:
        insert(manager, "approval_granted", grant, max_, str(uuid.uuid4()))
    assert str(refused.value.diag.message_primary).endswith(
        "(no role may under the matrix in force)")

    assert cli(data, "restore", "1") == 0
    assert "published version 3" in capsys.readouterr().out
    insert(manager, "approval_granted", grant, max_, str(uuid.uuid4()))
    assert pg.query("SELECT count(*) FROM events WHERE kind = 'approval_granted'") == [(1,)]
