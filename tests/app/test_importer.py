"""Importing tickets: CSV exports and JSONL events into a real SQLite store."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from builders import FakeClock

from console.app.matrices import load_matrix_file
from console.app.usecases import importer as imp
from console.app.usecases.import_values import (
    parse_bool,
    parse_percent,
    parse_time,
    parse_workaround,
    resolve_timezone,
)
from console.app.usecases.progress import Progress
from console.paths import default_matrix_path
from console.store.local import LocalStore

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
MATRIX = load_matrix_file(default_matrix_path())
HEADER = ("id,title,text,account,account_tier,users_affected_pct,workaround,revenue_risk,"
          "security_breach,category,severity,opened_at,responded_at,resolved_at,status,owner")
T = "2026-11-26T09:00:00+00:00"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture
def store(tmp_path):
    s = LocalStore(tmp_path / "data", MATRIX, lock=True).open()
    yield s
    s.close()


def plan(text: str, *, preset=None, mapping=(), tz=None, name="t.csv", matrix=MATRIX):
    columns, explicit = imp.columns_for(preset, imp.parse_mapping(mapping))
    return imp.plan_csv(text, name, matrix, columns=columns, explicit=explicit, tz=tz)


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\n".join((header, *rows)) + "\n"


OUTAGE = ("INC-1,Checkout down,Card payments fail,Globex,enterprise,60%,none,yes,no,bug,,"
          "2026-11-26T09:00:00+00:00,2026-11-26T09:11:00+00:00,2026-11-26T10:40:00+00:00,,priya")
WAITING = ("CS-2,Export slow,Exports time out,Initech,business,8,Partial,no,no,performance,,"
           "2026-11-26T13:00:00+00:00,2026-11-26T13:40:00+00:00,,pending,sam")


# -- CSV ------------------------------------------------------------------------------
def test_csv_with_default_columns_imports_tickets_into_the_projection(store):
    p = plan(csv_text(OUTAGE, WAITING))
    assert p.bad == [] and p.notes == [] and p.rows == 2
    result = imp.apply_plan(store, p)
    assert (result.tickets, result.events, result.duplicates) == (2, 6, 0)
    outage, waiting = store.ticket("INC-1"), store.ticket("CS-2")
    # severity scored from the facts, nobody set one
    assert (outage.severity, outage.severity_source) == ("P1", "suggested")
    assert outage.resolved_at == "2026-11-26T10:40:00+00:00"
    assert outage.status == "resolved" and outage.owner == "priya"
    clocks = {c["name"]: c for c in json.loads(outage.clocks)}
    assert clocks["response"]["stopped_at"] == "2026-11-26T09:11:00+00:00"
    assert clocks["resolution"]["stopped_at"] == "2026-11-26T10:40:00+00:00"
    assert waiting.severity == "P2" and waiting.status == "waiting_on_customer"
    clocks = {c["name"]: c for c in json.loads(waiting.clocks)}
    assert clocks["response"]["stopped_at"] == "2026-11-26T13:40:00+00:00"
    assert clocks["resolution"]["paused_since"] == "2026-11-26T13:00:00+00:00"
    kinds = [(e.kind, e.at.isoformat(), e.author) for e in store.history("CS-2")]
    assert kinds == [("opened", "2026-11-26T13:00:00+00:00", "import"),
                     ("status", "2026-11-26T13:00:00+00:00", "import"),
                     ("responded", "2026-11-26T13:40:00+00:00", "import")]


def test_values_are_normalised_into_the_opened_payload(store):
    row = ("A-1, Title ,keep  this ,Acme,Enterprise,12.5 %,No Workaround,TRUE,0,"
           "Feature request,critical,2026-11-26 09:00:00 +0100,,,,")
    imp.apply_plan(store, plan(csv_text(row)))
    opened = store.history("A-1")[0]
    assert opened.payload == {
        "title": "Title", "text": "keep  this ", "account": "Acme",
        "account_tier": "enterprise", "users_affected_pct": 12.5, "workaround": "none",
        "revenue_risk": True, "security_breach": False, "category": "feature_request",
        "severity": "P1"}
    assert opened.at == datetime(2026, 11, 26, 8, tzinfo=UTC)
    ticket = store.ticket("A-1")
    assert (ticket.severity, ticket.severity_source) == ("P1", "support")


def test_updated_at_times_the_waiting_status_event(store):
    header = HEADER + ",updated_at"
    row = ("W-1,t,x,a,business,5,partial,no,no,bug,,2026-11-26T09:00:00Z,,,Waiting,,"
           "2026-11-26T10:00Z")
    imp.apply_plan(store, plan(csv_text(row, header=header)))
    status = [e for e in store.history("W-1") if e.kind == "status"]
    assert status[0].at == datetime(2026, 11, 26, 10, tzinfo=UTC)
    assert status[0].payload == {"status": "waiting_on_customer"}


def test_map_reads_a_zendesk_style_export(store):
    text = ('"Ticket ID",Subject,Description,Organization,Created at,Solved at,Type\n'
            '77,Login broken,"nobody, anywhere",Globex,2026-11-26T09:00:00Z,'
            '2026-11-26T12:00:00Z,Question\n')
    p = plan(text, mapping=['id="Ticket ID",title=Subject,text=Description,account=Organization',
                            'opened_at=Created at,resolved_at=Solved at,category=Type'])
    assert p.bad == []
    assert "no column for" in p.notes[0] and "users_affected_pct" in p.notes[0]
    imp.apply_plan(store, p)
    ticket = store.ticket("77")
    assert (ticket.title, ticket.account, ticket.category) == ("Login broken", "Globex",
                                                               "question")
    assert ticket.severity == "P4" and ticket.resolved_at == "2026-11-26T12:00:00+00:00"


def test_a_mapped_column_missing_from_the_header_stops_the_import():
    with pytest.raises(imp.ImportFailure, match=r"t.csv:1: header: no column 'Subjekt' "
                                                r"\(for title\)"):
        plan(csv_text(OUTAGE), mapping=["title=Subjekt"])
    with pytest.raises(ValueError, match="unknown field 'tilte'; did you mean 'title'"):
        imp.parse_mapping(["tilte=Subject"])


def test_the_zendesk_preset_imports_the_example_export(store):
    text = (EXAMPLES / "helpdesk-export.csv").read_text(encoding="utf-8")
    p = plan(text, preset="zendesk", name="helpdesk-export.csv")
    assert p.bad == [] and p.notes == [] and p.rows == 12
    result = imp.apply_plan(store, p)
    assert result.tickets == 12
    tickets = {t.id: t for t in store.tickets()}
    assert len(tickets) == 12
    assert tickets["48211"].severity == "P1" and tickets["48211"].status == "resolved"
    assert tickets["48211"].owner == "Priya Natarajan"
    assert tickets["48213"].severity == "P1"  # security breach
    assert tickets["48214"].severity == "P4"  # a question
    # pending in Zendesk = waiting on the customer, from "Updated at"
    assert tickets["48212"].status == "waiting_on_customer"
    paused = next(e for e in store.history("48212") if e.kind == "status")
    assert paused.at == datetime(2026, 11, 26, 10, 5, 40, tzinfo=UTC)
    # a description spanning two lines survives
    assert "\nAffects all storefronts" in store.history("48211")[0].payload["text"]


def test_bad_rows_are_reported_with_line_and_field_and_nothing_is_imported(store):
    text = (EXAMPLES / "broken-import.csv").read_text(encoding="utf-8")
    p = plan(text, name="broken-import.csv")
    assert p.bad_rows == 3 and p.rows == 5
    assert imp.describe_bad(p, "broken-import.csv") == [
        "broken-import.csv:3: workaround: expected none, partial or full, got 'sometimes'",
        "broken-import.csv:4: opened_at: '2026-11-26 14:00' has no UTC offset; add one "
        "(e.g. +00:00) or give the file's time zone with --timezone",
        "broken-import.csv:4: users_affected_pct: expected a percentage from 0 to 100, "
        "got '140%'",
        "broken-import.csv:5: responded_at: '2026-11-26T14:30:00+00:00' is before "
        "opened_at '2026-11-26T15:00:00+00:00'",
    ]
    result = imp.apply_plan(store, p)
    assert (result.tickets, result.events, result.bad_rows) == (0, 0, 3)
    assert store.all_events() == [] and store.tickets() == []


def test_skip_bad_imports_the_good_rows(store):
    p = plan((EXAMPLES / "broken-import.csv").read_text(encoding="utf-8"))
    result = imp.apply_plan(store, p, skip_bad=True)
    assert (result.tickets, result.bad_rows) == (2, 3)
    assert sorted(t.id for t in store.tickets()) == ["INC-3001", "INC-3005"]


def test_line_numbers_are_physical_lines_and_every_kind_of_bad_row_is_caught():
    text = csv_text(
        'M-1,t,"line one\nline two\nline three",a,b,1,none,no,no,bug,,' + T + ",,,,",  # 2-4
        "",                                                                           # 5
        "M-2,t,x,a,b,1,none,no,no,bug,P9," + T + ",,,,",                              # 6
        "M-1,t,x,a,b,1,none,no,no,bug,," + T + ",,,,",                                # 7
        "M-3,t,x,a,b,1,none,no,no,bug,," + T + ",,,",                                 # 8
        "M-4,t,x,a,b,1,none,maybe,no,bug,," + T + ",,,on fire,",                      # 9
        ",t,x,a,b,1,none,no,no,bug,,,,,,",                                            # 10
        "_matrix,t,x,a,b,1,none,no,no,bug,,26/11/2026 09:00,,,,",                     # 11
    )
    got = [(b.line, b.field, b.reason.split(";")[0].split(",")[0]) for b in plan(text).bad]
    assert got == [
        (6, "severity", "expected one of P1 (Critical)"),
        (7, "id", "ticket 'M-1' already appears on line 2"),
        (8, "row", "has 15 fields"),
        (9, "revenue_risk", "expected true/false"),
        (9, "status", "expected waiting_on_customer (or pending)"),
        (10, "id", "the ticket id is empty"),
        (10, "opened_at", "the time the ticket was opened is empty"),
        (11, "id", "'_matrix' is reserved"),
        (11, "opened_at",
         "'26/11/2026 09:00' is not an ISO-8601 time (e.g. 2026-11-26T09:00:00+00:00)"),
    ]


def test_naive_times_are_refused_naming_the_column_unless_a_timezone_is_given(store):
    text = '"Ticket ID",Created at\nZ-1,2026-11-26 09:00\n'
    p = plan(text, mapping=['id=Ticket ID,opened_at=Created at'])
    assert [b.describe("t.csv") for b in p.bad] == [
        "t.csv:2: opened_at: '2026-11-26 09:00' has no UTC offset; add one (e.g. +00:00) "
        "or give the file's time zone with --timezone (column 'Created at')"]
    p = plan(text, mapping=['id=Ticket ID,opened_at=Created at'],
             tz=resolve_timezone("Europe/Berlin"))
    assert p.bad == []
    imp.apply_plan(store, p)
    assert store.ticket("Z-1").opened_at == "2026-11-26T08:00:00+00:00"


def test_importing_the_same_file_twice_adds_nothing(store):
    text = csv_text(OUTAGE, WAITING)
    first = imp.apply_plan(store, plan(text))
    before = store.projection_fingerprint()
    second = imp.apply_plan(store, plan(text))
    assert (second.tickets, second.events, second.duplicates) == (0, 0, first.events)
    assert len(store.all_events()) == first.events == 6
    assert store.projection_fingerprint() == before
    assert imp.summary(second, "t.csv") == ("imported 0 tickets (0 events) from t.csv; "
                                            "6 duplicates skipped")
    # the author is not part of the identity
    again = imp.plan_csv(text, "t.csv", MATRIX, columns=imp.columns_for(None, {})[0],
                         author="someone-else")
    assert imp.apply_plan(store, again).events == 0


def test_an_edited_row_adds_only_its_changed_events(store):
    imp.apply_plan(store, plan(csv_text(WAITING)))
    resolved = WAITING.replace(",,pending,", ",2026-11-26T18:00:00+00:00,pending,")
    result = imp.apply_plan(store, plan(csv_text(resolved)))
    assert (result.events, result.duplicates) == (1, 3)
    assert store.history("CS-2")[-1].kind == "resolved"
    assert store.ticket("CS-2").status == "resolved"


# -- JSONL ----------------------------------------------------------------------------
def test_jsonl_import_stores_the_events_with_their_kinds_and_times(store):
    text = (EXAMPLES / "p1-outage.jsonl").read_text(encoding="utf-8")
    p = imp.plan_jsonl(text, "p1-outage.jsonl", store.matrix, author="ops")
    assert p.bad == [] and p.rows == 8
    result = imp.apply_plan(store, p)
    assert (result.tickets, result.events) == (1, 8)
    expected = [json.loads(line) for line in text.splitlines()
                if line.strip() and not line.startswith("#")]
    history = store.history("INC-1001")
    assert [(e.kind, e.at) for e in history] == [(x["type"], at(x["at"])) for x in expected]
    assert {e.author for e in history} == {"ops"}
    assert history[1].payload == {"severity": "P1", "by": "support"}
    ticket = store.ticket("INC-1001")
    assert ticket.severity == "P1" and ticket.confirmed and ticket.status == "resolved"
    again = imp.apply_plan(store, imp.plan_jsonl(text, "x", store.matrix))
    assert (again.events, again.duplicates) == (0, 8)


def test_jsonl_bad_lines_stop_the_import_and_the_timezone_applies(store):
    text = (EXAMPLES / "bad-lines.jsonl").read_text(encoding="utf-8")
    p = imp.plan_jsonl(text, "bad-lines.jsonl", store.matrix)
    assert [b.line for b in p.bad] == [2, 3, 4]
    assert imp.describe_bad(p, "bad-lines.jsonl")[0] == (
        "bad-lines.jsonl:2: at: '2026-11-26T09:05:00' has no UTC offset; add one, e.g. +00:00")
    assert imp.apply_plan(store, p).events == 0 and store.all_events() == []
    naive = '{"at": "2026-11-26T09:05:00", "ticket": "N-1", "type": "opened"}\n'
    p = imp.plan_jsonl(naive, "n.jsonl", store.matrix, tz=resolve_timezone("+02:00"))
    assert p.bad == [] and p.events[0].at == datetime(2026, 11, 26, 7, 5, tzinfo=UTC)


# -- values and broken files ---------------------------------------------------------
@pytest.mark.parametrize(("raw", "value"), [("yes", True), ("No", False), ("1", True),
                                            ("0", False), ("TRUE", True), ("", False)])
def test_booleans(raw, value):
    assert parse_bool(raw) is value


def test_percentages_workarounds_and_times():
    assert parse_percent("40%") == 40 and parse_percent(" 7.5 % ") == 7.5
    with pytest.raises(ValueError, match="from 0 to 100"):
        parse_percent("lots")
    assert [parse_workaround(w) for w in ("NONE", "Partial", "full ")] == [
        "none", "partial", "full"]
    with pytest.raises(ValueError, match="none, partial or full"):
        parse_workaround("sometimes")
    utc = datetime(2026, 11, 26, 9, tzinfo=UTC)
    for raw in ("2026-11-26T09:00:00Z", "2026-11-26 10:00:00 +0100", "2026-11-26 09:00 UTC",
                "2026-11-26T04:00:00-05:00"):
        assert parse_time(raw, None) == utc
    assert parse_time("2026-11-26 10:00", timezone(timedelta(hours=1))) == utc
    with pytest.raises(ValueError, match="--timezone: unknown time zone 'Mars/Base'"):
        resolve_timezone("Mars/Base")


@pytest.mark.parametrize(("data", "message"), [
    (b"id,opened_at\nX-1,caf\xe9\n", r"t.csv:2: not UTF-8 text \(byte 0xe9\)"),
    (b"\xff\xfei\x00d\x00", "UTF-16 text"),
    (b"", "the file is empty"),
    (b"  \n\n", "the file is empty"),
])
def test_undecodable_or_empty_files_are_refused(data, message):
    with pytest.raises(imp.ImportFailure, match=message):
        imp.decode(data, "t.csv")


def test_a_file_without_a_header_is_refused():
    text = OUTAGE + "\n" + WAITING + "\n"
    with pytest.raises(imp.ImportFailure, match=r"t.csv:1: header: no column 'id' \(for id\), "
                                                r"'opened_at' \(for opened_at\)"):
        plan(text)


def test_a_header_alone_imports_nothing_and_bom_and_semicolons_are_fine(store):
    assert plan(HEADER + "\n").rows == 0
    text = imp.decode(("\ufeff" + csv_text(OUTAGE).replace(",", ";")).encode(), "t.csv")
    p = plan(text)
    assert p.bad == [] and imp.apply_plan(store, p).tickets == 1


def test_format_is_inferred_from_the_extension():
    assert [imp.infer_format(n) for n in ("a.CSV", "b.jsonl", "c.ndjson")] == [
        "csv", "jsonl", "jsonl"]
    with pytest.raises(ValueError, match="add --format csv or --format jsonl"):
        imp.infer_format("export.txt")


# -- progress -------------------------------------------------------------------------
def test_progress_draws_when_forced_and_at_most_ten_times_a_second():
    out, clock = io.StringIO(), FakeClock(0.0)
    bar = Progress(10_000, stream=out, force=True, clock=clock)
    bar.update(4_800)
    bar.update(4_900)          # too soon: not drawn
    clock.now = 0.2
    bar.update(5_000)
    bar.update(10_000)         # the end is always drawn
    frames = [f.removeprefix("\x1b[K") for f in out.getvalue().split("\r") if f]
    assert frames == ["importing  48% [#########           ] 4,800/10,000 rows",
                      "importing  50% [##########          ] 5,000/10,000 rows",
                      "importing 100% [####################] 10,000/10,000 rows"]


def test_progress_is_silent_when_stderr_is_not_a_terminal():
    out = io.StringIO()
    bar = Progress(10, stream=out)
    bar.update(5)
    bar.finish()
    assert not bar.enabled and out.getvalue() == ""

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert Progress(10, stream=Tty()).enabled


def test_a_forced_progress_follows_the_csv_read_and_the_store_write(store):
    out = io.StringIO()
    columns = imp.columns_for(None, {})[0]
    p = imp.plan_csv(csv_text(OUTAGE, WAITING), "t.csv", MATRIX, columns=columns,
                     progress=lambda n: Progress(n, stream=out, force=True, interval=0))
    imp.apply_plan(store, p, progress=Progress(len(p.events), stream=out, force=True,
                                               unit="tickets", interval=0))
    text = out.getvalue()
    assert "2/2 rows" in text and "writing 6 events" in text and "2/2 tickets" in text
    assert text.endswith("\r\x1b[K")  # the bar is cleared before the summary
    assert store.projector.__class__.__name__ == "Projector"  # restored


# -- the command line -----------------------------------------------------------------
def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "console", "--data-dir", str(data_dir),
                           "import", *args], capture_output=True, text=True, timeout=120,
                          cwd=ROOT)


def test_cli_imports_reports_duplicates_and_draws_no_bar_off_a_terminal(tmp_path):
    export = str(EXAMPLES / "helpdesk-export.csv")
    first = cli(tmp_path / "d", export, "--preset", "zendesk")
    assert first.returncode == 0, first.stderr
    assert first.stdout == (f"imported 12 tickets (27 events) from {export}; "
                            "0 duplicates skipped\n")
    assert first.stderr == ""
    again = cli(tmp_path / "d", export, "--preset", "zendesk")
    assert again.returncode == 0
    assert again.stdout.strip().endswith("from " + export + "; 27 duplicates skipped")


def test_cli_bad_rows_exit_1_and_skip_bad_exits_0(tmp_path):
    broken = str(EXAMPLES / "broken-import.csv")
    result = cli(tmp_path / "d", broken)
    assert result.returncode == 1 and result.stdout == ""
    assert f"{broken}:3: workaround:" in result.stderr
    assert "nothing imported: 3 bad row(s)" in result.stderr
    skipped = cli(tmp_path / "d", broken, "--skip-bad", "--author", "migration")
    assert skipped.returncode == 0
    assert skipped.stdout.startswith("imported 2 tickets (5 events)")
    assert "warning: 3 bad row(s) skipped (--skip-bad)" in skipped.stderr
    jsonl = cli(tmp_path / "d", str(EXAMPLES / "p1-outage.jsonl"))
    assert jsonl.returncode == 0 and "imported 1 ticket (8 events)" in jsonl.stdout


def test_cli_usage_and_file_errors(tmp_path):
    (tmp_path / "x.txt").write_text("id\n")
    (tmp_path / "bad.csv").write_bytes(b"id,opened_at\n\xff\n")
    cases = [
        (("x.txt",), 2, "add --format csv or --format jsonl"),
        (("missing.csv",), 2, "cannot read"),
        (("x.csv", "--map", "nope=1"), 2, "unknown field 'nope'"),
        (("x.csv", "--timezone", "Nowhere/Town"), 2, "unknown time zone"),
        (("bad.csv",), 1, "bad.csv:2: not UTF-8 text"),
        (("x.txt", "--format", "csv"), 1, "header: no column 'opened_at'"),
    ]
    for args, code, message in cases:
        result = subprocess.run(
            [sys.executable, "-m", "console", "--data-dir", str(tmp_path / "d"), "import",
             *args], capture_output=True, text=True, timeout=60, cwd=tmp_path)
        assert result.returncode == code, (args, result.stderr)
        assert message in result.stderr, (args, result.stderr)


def test_cli_exits_3_when_another_console_holds_the_store(tmp_path):
    holder = LocalStore(tmp_path / "d", MATRIX, lock=True).open()
    try:
        result = cli(tmp_path / "d", str(EXAMPLES / "p1-outage.jsonl"))
    finally:
        holder.close()
    assert result.returncode == 3
    assert "already using" in result.stderr
