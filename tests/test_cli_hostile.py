"""Every sub-command, given hostile arguments, fails with a clear message and never a
traceback: missing files, directories given as files, unwritable outputs, malformed
URLs, unknown ids, empty input and bytes that are not UTF-8.

Each case runs the real command in its own subprocess with its own data dir, so the
cases are independent (parallel-friendly). They run with ESCALATION_CONSOLE_DEBUG=1,
which turns off main()'s last-resort guard: a crash shows as a traceback and fails
here, so these tests do not lean on the guard.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "examples" / "p1-outage.jsonl")
NOT_UTF8 = os.fsdecode(b"\xff\xfe-\x80")  # as Python receives such bytes in argv
DEFAULT = str(ROOT / "matrices" / "default.yaml")
URL_BAD_PORT = "postgresql://u:p@127.0.0.1:notaport/db"


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple[str, ...]
    code: int
    message: str  # must appear in stdout or stderr
    stdin: bytes = b""


def case(id: str, *argv: str, code: int, message: str, stdin: bytes = b"") -> Case:
    return Case(id, argv, code, message, stdin)


# {a} is an arena of hostile files; {d} is this case's own (fresh) data dir.
CASES = [
    # matrix
    case("validate-missing-file", "matrix", "validate", "{a}/missing.yaml",
         code=1, message="missing.yaml:1:1: no such file"),
    case("validate-a-directory", "matrix", "validate", "{a}/dir",
         code=1, message="is a directory"),
    case("validate-empty-file", "matrix", "validate", "{a}/empty.yaml",
         code=1, message="must be a mapping"),
    case("validate-not-utf8-file", "matrix", "validate", "{a}/not-utf8.yaml",
         code=1, message="not UTF-8 text"),
    case("schema-into-a-missing-directory", "matrix", "schema", "-o", "{a}/missing/x.json",
         code=2, message="missing/x.json: cannot write: No such file or directory"),
    case("schema-onto-a-directory", "matrix", "schema", "-o", "{a}/dir",
         code=2, message="dir: cannot write: Is a directory"),
    case("schema-under-a-file", "matrix", "schema", "-o", "{a}/plain.txt/x.json",
         code=2, message="cannot write: Not a directory"),
    case("schema-onto-a-full-device", "matrix", "schema", "-o", "/dev/full",
         code=2, message="/dev/full: cannot write: No space left on device"),
    case("schema-to-an-empty-name", "matrix", "schema", "-o", "",
         code=2, message="--output: give a file name"),
    case("matrix-without-action", "matrix", code=2, message="required: ACTION"),
    case("publish-missing-file", "matrix", "publish", "{a}/missing.yaml", "--comment", "x",
         "--data-dir", "{d}", code=1, message="missing.yaml:1:1: no such file"),
    case("publish-not-utf8-file", "matrix", "publish", "{a}/not-utf8.yaml", "--comment", "x",
         "--data-dir", "{d}", code=1, message="not UTF-8 text"),
    case("publish-comment-not-utf8", "matrix", "publish", str(ROOT / "matrices" / "default.yaml"),
         "--comment", NOT_UTF8, code=2, message="argument --comment: not UTF-8 text"),
    case("publish-into-a-damaged-store", "matrix", "publish",
         str(ROOT / "matrices" / "default.yaml"), "--comment", "x", "--data-dir", "{a}/damaged",
         code=3, message="is damaged"),
    case("versions-data-dir-is-a-file", "matrix", "versions", "--data-dir", "{a}/plain.txt",
         code=1, message="settings.json"),
    case("restore-unknown-version", "matrix", "restore", "3", "--data-dir", "{d}",
         code=1, message="no matrix version 3: no version has been published yet"),
    case("restore-not-a-number", "matrix", "restore", "three", "--data-dir", "{d}",
         code=2, message="argument N: 'three' is not a whole number"),
    # simulate
    case("simulate-missing-file", "simulate", "{a}/missing.jsonl",
         code=2, message="missing.jsonl: cannot read: No such file or directory"),
    case("simulate-a-directory", "simulate", "{a}/dir",
         code=2, message="dir: cannot read: Is a directory"),
    case("simulate-empty-file", "simulate", "{a}/empty.jsonl",
         code=1, message="empty.jsonl: no events to replay"),
    case("simulate-empty-stdin", "simulate", "-", code=1, message="<stdin>: no events to replay"),
    case("simulate-not-utf8-file", "simulate", "{a}/not-utf8.jsonl",
         code=1, message="not UTF-8 text"),
    case("simulate-missing-matrix", "simulate", EXAMPLE, "--matrix", "{a}/missing.yaml",
         code=1, message="missing.yaml:1:1: no such file"),
    case("simulate-matrix-a-directory", "simulate", EXAMPLE, "--matrix", "{a}/dir",
         code=1, message="is a directory, not a matrix file"),
    case("simulate-until-garbage", "simulate", EXAMPLE, "--until", "soon",
         code=2, message="--until: 'soon' is not an ISO-8601 time"),
    case("simulate-until-empty", "simulate", EXAMPLE, "--until", "",
         code=2, message="--until: '' is not an ISO-8601 time"),
    # whatif
    case("whatif-without-a-draft", "whatif", "--events", EXAMPLE,
         code=2, message="the following arguments are required: --matrix"),
    case("whatif-missing-draft", "whatif", "--matrix", "{a}/missing.yaml", "--events", EXAMPLE,
         code=1, message="missing.yaml:1:1: no such file"),
    case("whatif-against-a-directory", "whatif", "--matrix", DEFAULT, "--against", "{a}/dir",
         "--events", EXAMPLE, code=1, message="is a directory, not a matrix file"),
    case("whatif-missing-events", "whatif", "--matrix", DEFAULT, "--events",
         "{a}/missing.jsonl", code=2,
         message="missing.jsonl: cannot read: No such file or directory"),
    case("whatif-events-a-directory", "whatif", "--matrix", DEFAULT, "--events", "{a}/dir",
         code=2, message="dir: cannot read: Is a directory"),
    case("whatif-empty-events", "whatif", "--matrix", DEFAULT, "--events", "{a}/empty.jsonl",
         code=1, message="empty.jsonl: no events"),
    case("whatif-not-utf8-events", "whatif", "--matrix", DEFAULT, "--events",
         "{a}/not-utf8.jsonl", code=1, message="not UTF-8 text"),
    case("whatif-days-and-from", "whatif", "--matrix", DEFAULT, "--events", EXAMPLE,
         "--days", "3", "--from", "2026-11-01", "--to", "2026-11-02",
         code=2, message="--days and --from/--to are either-or"),
    case("whatif-from-garbage", "whatif", "--matrix", DEFAULT, "--events", EXAMPLE,
         "--from", "soon", code=2, message="'soon' is not an ISO-8601 time"),
    case("whatif-from-without-to", "whatif", "--matrix", DEFAULT, "--events", EXAMPLE,
         "--from", "2026-11-01", code=2, message="--from and --to go together"),
    case("whatif-days-zero", "whatif", "--matrix", DEFAULT, "--events", EXAMPLE,
         "--days", "0", code=2, message="argument --days: give a number of 1 or more"),
    case("whatif-in-a-damaged-store", "whatif", "--matrix", DEFAULT, "--data-dir",
         "{a}/damaged", code=3, message="is damaged"),
    # import
    case("import-missing-file", "import", "{a}/missing.jsonl", "--data-dir", "{d}",
         code=2, message="missing.jsonl: cannot read: No such file or directory"),
    case("import-a-directory", "--data-dir", "{d}", "import", "{a}/dir.jsonl",
         code=2, message="dir.jsonl: cannot read: is a directory"),
    case("import-empty-file", "--data-dir", "{d}", "import", "{a}/empty.csv",
         code=1, message="empty.csv: the file is empty"),
    case("import-not-utf8-file", "--data-dir", "{d}", "import", "{a}/not-utf8.jsonl",
         code=1, message="not UTF-8 text"),
    case("import-unknown-format", "--data-dir", "{d}", "import", "{a}/plain.txt",
         code=2, message="cannot tell the format"),
    case("import-stdin-without-format", "--data-dir", "{d}", "import", "-",
         code=2, message="reading standard input needs --format"),
    case("import-empty-stdin", "--data-dir", "{d}", "import", "-", "--format", "jsonl",
         code=1, message="<stdin>: the file is empty"),
    case("import-unknown-timezone", "--data-dir", "{d}", "import", EXAMPLE,
         "--timezone", "Mars/Olympus", code=2, message="unknown time zone 'Mars/Olympus'"),
    case("import-author-not-utf8", "--data-dir", "{d}", "import", EXAMPLE, "--author", NOT_UTF8,
         code=2, message="argument --author: not UTF-8 text"),
    case("import-data-dir-is-a-file", "--data-dir", "{a}/plain.txt", "import", EXAMPLE,
         code=3, message="cannot create the data directory"),
    case("import-without-file", "import", code=2, message="required: FILE"),
    case("import-into-an-empty-data-dir-name", "import", EXAMPLE, "--data-dir", "",
         code=2, message="argument --data-dir: give a directory"),
    case("empty-data-dir-name-before-the-command", "--data-dir", "", "tickets", "list",
         code=2, message="argument --data-dir: give a directory"),
    case("import-into-a-damaged-store", "--data-dir", "{a}/damaged", "import", EXAMPLE,
         code=3, message="is damaged (file is not a database)"),
    # export
    case("export-into-a-missing-directory", "export", "{a}/missing/x.jsonl", "--data-dir", "{d}",
         code=2, message="missing/x.jsonl: cannot write: No such file or directory"),
    case("export-onto-a-directory", "export", "{a}/dir", "--data-dir", "{d}",
         code=2, message="dir: cannot write: is a directory"),
    case("export-under-a-file", "export", "{a}/plain.txt/x.jsonl", "--data-dir", "{d}",
         code=2, message="cannot write: Not a directory"),
    case("export-from-garbage", "export", "-", "--from", "soon", "--data-dir", "{d}",
         code=2, message="argument --from: 'soon' is not an ISO-8601 time"),
    case("export-ticket-not-utf8", "export", "-", "--ticket", NOT_UTF8,
         code=2, message="argument --ticket: not UTF-8 text"),
    case("export-without-file", "export", code=2, message="required: FILE"),
    case("export-from-a-damaged-store", "export", "-", "--data-dir", "{a}/damaged",
         code=3, message="is damaged"),
    case("export-data-dir-is-a-file", "export", "-", "--data-dir", "{a}/plain.txt",
         code=3, message="cannot create the data directory"),
    # report
    case("report-from-garbage", "report", "--from", "last week", "--data-dir", "{d}",
         code=2, message="argument --from: 'last week' is not an ISO-8601 time"),
    case("report-to-without-offset", "report", "--to", "2026-11-02T00:00", "--data-dir", "{d}",
         code=2, message="argument --to: '2026-11-02T00:00' has no UTC offset"),
    case("report-to-before-from", "report", "--from", "2026-11-02T00:00Z",
         "--to", "2026-11-01T00:00Z", "--data-dir", "{d}",
         code=2, message="--to must be after --from"),
    case("report-from-in-the-future", "report", "--from", "2999-01-01T00:00Z",
         "--to", "2999-02-01T00:00Z", "--data-dir", "{d}",
         code=2, message="is in the future: nothing to report yet"),
    case("report-unknown-team", "report", "--team", "nosuch", "--data-dir", "{d}",
         code=2, message="no team 'nosuch' in the matrix in force; the teams are: self-service, "
                         "frontline, specialists"),
    case("report-unknown-severity", "report", "--severity", "P9", "--data-dir", "{d}",
         code=2, message="no severity 'P9' in the matrix in force; the severities are: "
                         "P1, P2, P3, P4"),
    case("report-team-not-utf8", "report", "--team", NOT_UTF8,
         code=2, message="argument --team: not UTF-8 text"),
    case("report-bad-format", "report", "--format", "xml",
         code=2, message="argument --format: invalid choice: 'xml'"),
    case("report-pdf-into-a-missing-directory", "report", "--pdf", "{a}/missing/r.pdf",
         "--data-dir", "{d}",
         code=2, message="missing/r.pdf: cannot write: No such file or directory"),
    case("report-pdf-onto-a-directory", "report", "--pdf", "{a}/dir", "--data-dir", "{d}",
         code=2, message="dir: cannot write: Is a directory"),
    case("report-pdf-under-a-file", "report", "--pdf", "{a}/plain.txt/r.pdf",
         "--data-dir", "{d}", code=2, message="cannot write: Not a directory"),
    case("report-pdf-empty-name", "report", "--pdf", "", code=2,
         message="argument --pdf: give a file name"),
    case("report-from-a-damaged-store", "report", "--data-dir", "{a}/damaged",
         code=3, message="is damaged"),
    case("report-shared-unconfigured", "report", "--shared", "--data-dir", "{d}",
         code=1, message="no shared database is configured; give --url URL"),
    case("report-shared-not-a-url", "report", "--url", "not a url", "--data-dir", "{d}",
         code=1, message="not a database URL"),
    case("report-shared-nothing-listening", "report", "--url",
         "postgresql://u:pw@127.0.0.1:1/db", "--data-dir", "{d}",
         code=1, message="connecting to postgresql://u:***@127.0.0.1:1/db failed"),
    case("report-password-stdin-without-shared", "report", "--password-stdin",
         "--data-dir", "{d}", code=2, message="--password-stdin is for --shared"),
    # tickets
    case("tickets-show-unknown-id", "tickets", "show", "NOPE-1", "--data-dir", "{d}",
         code=1, message="no ticket 'NOPE-1' in this console's store"),
    case("tickets-show-id-not-utf8", "tickets", "show", NOT_UTF8, "--data-dir", "{d}",
         code=2, message="argument ID: not UTF-8 text"),
    case("tickets-list-now-garbage", "tickets", "list", "--now", "later", "--data-dir", "{d}",
         code=2, message="--now needs an ISO-8601 instant"),
    case("tickets-list-data-dir-is-a-file", "tickets", "list", "--data-dir", "{a}/plain.txt",
         code=3, message="cannot create the data directory"),
    case("tickets-list-damaged-store", "tickets", "list", "--data-dir", "{a}/damaged",
         code=3, message="is damaged"),
    # connect, db upgrade, sync
    case("connect-not-a-url", "connect", "not a url", "--data-dir", "{d}",
         code=1, message="not a database URL"),
    case("connect-empty-url", "connect", "", "--data-dir", "{d}",
         code=2, message="argument URL: give a value"),
    case("connect-other-database", "connect", "mysql://u@host/db", "--data-dir", "{d}",
         code=1, message="not a PostgreSQL URL (mysql://...)"),
    case("connect-port-not-a-number", "connect", URL_BAD_PORT, "--data-dir", "{d}",
         code=1, message="not a database URL: the port 'notaport' is not a number"),
    case("connect-broken-ipv6-host", "connect", "postgresql://u@[::1/db", "--data-dir", "{d}",
         code=1, message="not a database URL"),
    case("connect-url-not-utf8", "connect", "postgresql://u@host/" + NOT_UTF8,
         code=2, message="argument URL: not UTF-8 text"),
    case("connect-password-stdin-not-utf8", "connect", "postgresql://u@127.0.0.1:1/db",
         "--password-stdin", "--data-dir", "{d}", stdin=b"\xff\xfe\x80\n",
         code=1, message="the password on standard input is not UTF-8 text"),
    case("connect-nothing-listening", "connect", "postgresql://u@127.0.0.1:1/db",
         "--data-dir", "{d}", code=1, message="connecting to postgresql://u@127.0.0.1:1/db failed"),
    case("db-upgrade-port-not-a-number", "db", "upgrade", URL_BAD_PORT, "--data-dir", "{d}",
         code=1, message="the port 'notaport' is not a number"),
    case("db-upgrade-not-a-url", "--data-dir", "{d}", "db", "upgrade", "nonsense",
         code=1, message="not a database URL"),
    case("db-upgrade-data-dir-is-a-file", "db", "upgrade", "--data-dir", "{a}/plain.txt",
         code=3, message="cannot create the data directory"),
    case("db-upgrade-damaged-store", "db", "upgrade", "--data-dir", "{a}/damaged",
         code=3, message="is damaged"),
    case("sync-without-a-shared-database", "sync", "--once", "--data-dir", "{d}",
         code=1, message="no shared database is configured"),
    case("sync-forever-without-a-shared-database", "sync", "--data-dir", "{d}",
         code=1, message="no shared database is configured"),
    case("sync-data-dir-is-a-file", "sync", "--once", "--data-dir", "{a}/plain.txt",
         code=1, message="settings.json"),
    # serve
    case("serve-listen-not-a-port", "serve", "--listen", "host:abc",
         code=2, message="argument --listen: expected host:port"),
    case("serve-config-missing", "serve", "--config", "{a}/missing.toml",
         code=2, message="no such file"),
    case("serve-tokens-add-without-a-name", "serve", "tokens", "add",
         code=2, message="the following arguments are required: NAME"),
    case("serve-tokens-add-config-missing", "serve", "tokens", "add", "zendesk",
         "--config", "{a}/missing.toml", code=2, message="no such file"),
    case("serve-tokens-list-without-a-database", "serve", "tokens", "list",
         code=2, message="database_url: required"),
    case("serve-tokens-revoke-config-not-toml", "serve", "tokens", "revoke", "zendesk",
         "--config", "{a}/plain.txt", code=2, message="unknown configuration format"),
    # notify
    case("deliveries-limit-not-a-number", "notify", "deliveries", "--limit", "many",
         code=2, message="argument --limit: 'many' is not a whole number"),
    case("deliveries-limit-negative", "notify", "deliveries", "--limit", "-5",
         code=2, message="argument --limit: give a number of 1 or more"),
    case("deliveries-data-dir-is-a-file", "notify", "deliveries", "--data-dir", "{a}/plain.txt",
         code=3, message="cannot create the data directory"),
    case("retry-unknown-id", "notify", "retry", "nope-nope", "--data-dir", "{d}",
         code=2, message="no delivery 'nope-nope'"),
    case("retry-empty-id", "notify", "retry", "", "--data-dir", "{d}",
         code=2, message="argument ID: give a value"),
    case("pd-ack-unknown-ticket", "notify", "pd-ack", "ec/NOPE-1/0123456789abcdef",
         "--data-dir", "{d}", code=2, message="no ticket 'NOPE-1' in the local store"),
    case("pd-ack-by-not-utf8", "notify", "pd-ack", "NOPE-1", "--by", NOT_UTF8,
         code=2, message="argument --by: not UTF-8 text"),
    case("test-unknown-channel", "notify", "test", "pigeon", "--data-dir", "{d}",
         code=2, message="invalid choice: 'pigeon'"),
    case("test-unconfigured-channel", "notify", "test", "slack", "--data-dir", "{d}",
         code=1, message="no slack secret in the OS keyring"),
    case("test-to-not-utf8", "notify", "test", "slack", "--to", NOT_UTF8, "--data-dir", "{d}",
         code=2, message="argument --to: not UTF-8 text"),
    case("test-data-dir-is-a-file", "notify", "test", "email", "--data-dir", "{a}/plain.txt",
         code=1, message="settings.json"),
    # people
    case("people-add-unknown-role", "people", "add", "ana", "--role", "boss",
         code=2, message="argument --role: invalid choice: 'boss'"),
    case("people-add-bad-login", "people", "add", "Ana Ng", "--role", "agent",
         "--url", "postgresql://u@127.0.0.1:1/db", code=1, message="'Ana Ng' is not a login name"),
    case("people-add-no-person-password", "people", "add", "ana", "--role", "agent",
         "--person-password-stdin", "--url", "postgresql://u@127.0.0.1:1/db",
         code=1, message="no password for ana on standard input"),
    case("people-list-unconfigured", "people", "list", "--data-dir", "{d}",
         code=1, message="no shared database is configured; give --url URL"),
    case("people-disable-not-a-url", "people", "disable", "ana", "--url", "not a url",
         code=1, message="not a database URL"),
    case("people-enable-name-not-utf8", "people", "enable", NOT_UTF8,
         code=2, message="argument NAME: not UTF-8 text"),
    case("people-grant-nothing-listening", "people", "grant", "ana", "--role", "lead",
         "--url", "postgresql://u@127.0.0.1:1/db",
         code=1, message="postgresql://u@127.0.0.1:1/db failed"),
    case("people-revoke-without-matrix-role", "people", "revoke", "ana",
         code=2, message="the following arguments are required: --matrix-role"),
    # triage
    case("triage-train-missing-events", "triage", "train", "--events", "{a}/missing.jsonl",
         "--data-dir", "{d}", code=2, message="missing.jsonl: cannot read: No such file"),
    case("triage-train-events-a-directory", "triage", "train", "--events", "{a}/dir",
         "--data-dir", "{d}", code=2, message="dir: cannot read: Is a directory"),
    case("triage-train-models-folder-under-a-file", "triage", "train", "--events", EXAMPLE,
         "--data-dir", "{a}/plain.txt", code=3,
         message="plain.txt/triage: cannot save the models: Not a directory"),
    case("triage-status-stray-option", "triage", "status", "--bogus",
         code=2, message="unrecognized arguments: --bogus"),
    case("triage-evaluate-empty-csv", "triage", "evaluate", "--data", "{a}/empty.csv",
         "--text", "body", "--label", "queue", code=1,
         message="empty.csv:1: the file is empty"),
    case("triage-evaluate-a-directory", "triage", "evaluate", "--data", "{a}/dir",
         "--text", "body", "--label", "queue", code=2, message="dir: cannot read: Is a directory"),
    case("triage-evaluate-without-label", "triage", "evaluate", "--data", "{a}/empty.csv",
         "--text", "body", code=2, message="the following arguments are required: --label"),
    case("triage-summary-unknown-ticket", "triage", "summary", "INC-404", "--data-dir", "{d}",
         code=1, message="no ticket 'INC-404'"),
    case("triage-kb-unknown-ticket", "triage", "kb", "INC-404", "--data-dir", "{d}",
         code=1, message="no ticket 'INC-404'"),
    case("triage-recurring-no-days", "triage", "recurring", "--days", "0",
         code=2, message="give a number of 1 or more"),
    case("triage-risk-backtest-missing-events", "triage", "risk-backtest", "--events",
         "{a}/missing.jsonl", code=2, message="missing.jsonl: cannot read: No such file"),
    # the top level
    case("unknown-command", "frobnicate", code=2, message="invalid choice: 'frobnicate'"),
    case("demo-of-no-tickets", "--demo", "--tickets", "0", code=2,
         message="argument --tickets: give a number of 1 or more"),
    case("stray-option", "tickets", "list", "--bogus", code=2,
         message="unrecognized arguments: --bogus"),
]


def test_the_sweep_covers_every_sub_command():
    from console.cli import _commands, _parser

    sub = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    swept = [" ".join(c.argv) for c in CASES]
    for command in _commands(sub):
        if any(isinstance(a, argparse._SubParsersAction) for a in command._actions):
            continue  # a family (matrix, db...): its actions are the commands
        words = command.prog.split(" ", 1)[1]
        assert any(words in argv for argv in swept), f"no hostile case for '{words}'"


@pytest.fixture(scope="module")
def arena(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Hostile files shared by the cases, which only read them."""
    a = tmp_path_factory.mktemp("arena")
    (a / "dir").mkdir()
    (a / "dir.jsonl").mkdir()
    (a / "plain.txt").write_text("just text\n")
    for name in ("empty.yaml", "empty.jsonl", "empty.csv"):
        (a / name).write_bytes(b"")
    for name in ("not-utf8.yaml", "not-utf8.jsonl"):
        (a / name).write_bytes(b"ab\x80cd\n")
    (a / "damaged").mkdir()
    (a / "damaged" / "console.sqlite3").write_bytes(b"this is not SQLite\n" * 10)
    return a


def run_console(argv: list[str], stdin: bytes | None = b"", stdout: int | None = subprocess.PIPE,
                env: dict[str, str] | None = None, close: int | None = None
                ) -> subprocess.CompletedProcess[bytes]:
    """Run the command; ``close`` is a standard stream (0 or 1) it starts without."""
    env = {**os.environ, "ESCALATION_CONSOLE_DEBUG": "1", **(env or {})}
    env.pop("PGPASSWORD", None)
    command = [sys.executable, "-m", "console", *argv]
    if close is not None:  # the shell closes it, as `escalation-console ... <&-` does
        command = ["sh", "-c", f'exec "$@" {close}>&-', "sh", *command]
    return subprocess.run(command, input=stdin, stdout=stdout, stderr=subprocess.PIPE,
                          env=env, cwd=ROOT, timeout=60)


def assert_clear_failure(result: subprocess.CompletedProcess[bytes], code: int,
                         message: str) -> None:
    out = (result.stdout or b"").decode("utf-8", "replace")
    err = result.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err and 'File "' not in err, err
    assert "unexpected error" not in err, err  # the last-resort guard is not the answer
    assert result.returncode == code, (result.returncode, out, err)
    assert message in out + err, (out, err)


@pytest.fixture(scope="module")
def sweep(request: pytest.FixtureRequest, arena: Path, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[dict[str, Future[subprocess.CompletedProcess[bytes]]]]:
    """The selected cases, started a few at a time as the first one is asked for: each
    is its own process with its own data dir, so they may run side by side."""
    selected = [item.callspec.params["hostile"] for item in request.session.items
                if item.module is request.module and hasattr(item, "callspec")
                and "hostile" in item.callspec.params]
    workers = min(4, len(os.sched_getaffinity(0)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {}
        for hostile in selected:
            data = tmp_path_factory.mktemp(hostile.id) / "data"
            argv = [arg.replace("{a}", str(arena)).replace("{d}", str(data))
                    for arg in hostile.argv]
            futures[hostile.id] = pool.submit(run_console, argv, hostile.stdin)
        yield futures


@pytest.mark.parametrize("hostile", CASES, ids=[c.id for c in CASES])
def test_hostile_arguments_fail_with_a_clear_message(
        hostile: Case, sweep: dict[str, Future[subprocess.CompletedProcess[bytes]]]) -> None:
    assert_clear_failure(sweep[hostile.id].result(), hostile.code, hostile.message)


@pytest.mark.parametrize("argv", [
    ["matrix", "schema"],
    ["simulate", EXAMPLE],
    ["tickets", "list"],
], ids=["matrix-schema", "simulate", "tickets-list"])
def test_a_full_standard_output_is_a_clear_error(argv: list[str], tmp_path: Path) -> None:
    with open("/dev/full", "wb") as full:
        result = run_console([*argv, "--data-dir", str(tmp_path)], stdout=full.fileno())
    assert_clear_failure(result, 2, "cannot write the output: No space left on device")


@pytest.mark.parametrize("command", [["matrix", "validate"], ["import"], ["simulate"]],
                         ids=["validate", "import", "simulate"])
def test_a_file_name_that_is_not_utf8_is_echoed_as_the_os_gave_it(command, tmp_path):
    source = (ROOT / "matrices" / "default.yaml") if command[0] == "matrix" else Path(EXAMPLE)
    name = os.fsdecode(bytes(tmp_path) + b"/caf\xe9" + source.suffix.encode())
    Path(name).write_bytes(source.read_bytes())
    env = {"PYTHONIOENCODING": "utf-8"}  # a strict stdout, as under en_US.UTF-8
    result = run_console(["--data-dir", str(tmp_path / "data"), *command, name], env=env)
    assert b"Traceback" not in result.stderr, result.stderr.decode(errors="replace")
    assert result.returncode == 0, result.stderr
    if command[0] != "simulate":  # simulate prints fires, not its file's name
        assert b"/caf\xe9" + source.suffix.encode() in result.stdout


@pytest.mark.parametrize(("argv", "code", "message"), [
    (["simulate", "-"], 1, "<stdin>: no events to replay"),
    (["import", "-", "--format", "csv"], 1, "<stdin>: the file is empty"),
    (["connect", "postgresql://u@127.0.0.1:1/db", "--password-stdin"], 1,
     "connecting to postgresql://u@127.0.0.1:1/db failed"),
], ids=["simulate", "import", "connect"])
def test_a_closed_standard_input_reads_as_empty(argv, code, message, tmp_path):
    result = run_console([*argv, "--data-dir", str(tmp_path)], stdin=None, close=0)
    assert_clear_failure(result, code, message)


@pytest.mark.parametrize("argv", [["matrix", "schema"], ["tickets", "list"]],
                         ids=["matrix-schema", "tickets-list"])
def test_a_closed_standard_output_is_a_clear_error(argv, tmp_path):
    result = run_console([*argv, "--data-dir", str(tmp_path)], close=1)
    assert_clear_failure(result, 2, "cannot write the output: standard output is closed")
