"""What-if (issue 16): a draft matrix's effect on real tickets, against the version in
force. The tickets are hand-made event files, the examples and the demo store's."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from console.app.matrices import load_matrix_file
from console.app.usecases import whatif
from console.app.usecases.demo.scenarios import demo_events
from console.app.usecases.simulate import read_events, simulate
from console.app.usecases.whatif import impact, replay
from console.app.usecases.whatif import parallel as parallel_module
from console.cli import main
from console.domain.matrix import Matrix, parse_matrix_text
from console.domain.tickets import TicketEvent

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "matrices" / "default.yaml"
EXAMPLES = ROOT / "examples"
DAY = datetime(2026, 11, 26, tzinfo=UTC)


def at(hhmm: str, day: datetime = DAY) -> datetime:
    h, m = hhmm.split(":")
    return day + timedelta(hours=int(h), minutes=int(m))


def variant(old: str, new: str) -> tuple[str, Matrix]:
    text = DEFAULT.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    changed = text.replace(old, new)
    return changed, parse_matrix_text(changed)


def opened(ticket: str, when: str, severity: str) -> dict[str, object]:
    return {"at": at(when).isoformat(), "ticket": ticket, "type": "opened",
            "title": "Exports fail for some users", "text": "The CSV export fails.",
            "account": "Initech", "account_tier": "standard", "users_affected_pct": 5,
            "workaround": "partial", "revenue_risk": False, "category": "bug",
            "severity": severity}


def line(ticket: str, when: str, kind: str, **fields: object) -> dict[str, object]:
    return {"at": at(when).isoformat(), "ticket": ticket, "type": kind, **fields}


def events_of(lines: list[dict[str, object]], matrix: Matrix) -> list[TicketEvent]:
    return read_events([json.dumps(x) for x in lines], matrix, strict=True)


# P2 tickets under a 1h response target, and under the draft's 45m
P2_TICKETS = [
    opened("A", "09:00", "P2"), line("A", "09:50", "responded"),   # met at 1h, late at 45m
    opened("B", "10:00", "P2"), line("B", "10:30", "responded"),   # met under both
    opened("C", "11:00", "P2"), line("C", "12:10", "responded"),   # late under both
    opened("D", "13:00", "P2"), line("D", "13:40", "responded"),   # met under both
    opened("E", "14:00", "P2"), line("E", "14:59", "responded"),   # met at 1h, late at 45m
    line("E", "20:00", "resolved"),
]


def p2_files(tmp_path: Path) -> tuple[Path, Path]:
    """In ``tmp_path``: P2_TICKETS as an event file, and a draft whose P2 response is 45m
    instead of 1h (``events.jsonl``, ``draft.yaml``)."""
    events = tmp_path / "events.jsonl"
    events.write_text("".join(json.dumps(x) + "\n" for x in P2_TICKETS), encoding="utf-8")
    text, _ = variant("response: 1h, update: 1h, resolution: 8h",
                      "response: 45m, update: 1h, resolution: 8h")
    draft = tmp_path / "draft.yaml"
    draft.write_text(text, encoding="utf-8")
    return events, draft


def test_a_draft_equal_to_the_version_in_force_changes_nothing():
    matrix = load_matrix_file(DEFAULT)
    events = events_of(P2_TICKETS, matrix)
    outcome = replay(matrix, events, DAY, DAY + timedelta(days=1))
    result = impact(outcome, outcome)
    assert result.figures and all(f.delta == 0 and not f.changed for f in result.figures)
    assert result.unchanged
    assert result.headlines == ("With this draft, nothing would have changed in the last "
                                "day.",)
    assert all(d == a for d, a in result.rates.values())


def test_the_command_replays_once_when_the_draft_is_the_version_in_force(
        tmp_path, monkeypatch, capsys):
    calls: list[tuple[Matrix, ...]] = []
    real = parallel_module._replay_all

    def counting(matrices: tuple[Matrix, ...], *args: object) -> tuple[whatif.Outcome, ...]:
        calls.append(tuple(matrices))
        return real(matrices, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(parallel_module, "_replay_all", counting)
    events, _ = p2_files(tmp_path)
    code = main(["whatif", "--matrix", str(DEFAULT), "--against", str(DEFAULT), "--events",
                 str(events), "--format", "json", "--workers", "1", "--data-dir",
                 str(tmp_path / "data")])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and [len(c) for c in calls] == [1]  # one matrix, replayed once
    assert out["unchanged"] is True
    assert all(f["delta"] == 0 and f["changed"] == [] for f in out["figures"])


def test_a_shorter_p2_response_target_breaches_the_late_responses_ticket_by_ticket():
    active = load_matrix_file(DEFAULT)
    _, draft = variant("response: 1h, update: 1h, resolution: 8h",
                       "response: 45m, update: 1h, resolution: 8h")
    events = events_of(P2_TICKETS, active)
    window = (DAY, DAY + timedelta(days=1))
    result = impact(replay(draft, events, *window), replay(active, events, *window))
    row = next(f for f in result.figures if f.row == ("breach", "P2", "response"))
    assert (row.active, row.draft, row.delta) == (1, 3, 2)
    changed = {c.ticket: (c.draft, c.active) for c in row.changed}
    assert changed == {
        "A": ((at("09:45"),), ()),               # a new breach at the 45m due instant
        "C": ((at("11:45"),), (at("12:00"),)),   # breached under both, 15 minutes sooner
        "E": ((at("14:45"),), ()),
    }
    assert result.headlines[0] == ("With this draft, 2 more P2 response breaches in the "
                                   "last day (1 → 3).")
    [(day, draft_breaches, active_breaches)] = result.daily_breaches
    assert day == DAY and draft_breaches - active_breaches == 2


def test_a_backup_step_pages_the_backup_at_the_right_time_and_counts_it_at_night():
    active = load_matrix_file(DEFAULT)
    _, draft = variant("- {primary: product-design-inbox, channel: email}",
                       "- {primary: product-design-inbox, backup: product-manager, "
                       "channel: email, ack_timeout: 30m}")
    events = events_of([opened("N", "23:00", "P4"), line("N", "23:10", "message", text="hi"),
                        opened("M", "12:00", "P4"),
                        line("M", "12:10", "acknowledged", by="product-design-inbox")],
                       active)
    window = (DAY, DAY + timedelta(days=1))
    result = impact(replay(draft, events, *window), replay(active, events, *window))
    figures = {f.row: f for f in result.figures}
    page = figures[("page", "Product Manager", "email")]
    assert (page.active, page.draft) == (0, 1)
    assert [(c.ticket, c.draft, c.active) for c in page.changed] == [
        ("N", (at("23:30"),), ())]
    night = figures[("night_page", "Product Manager")]
    assert (night.active, night.draft) == (0, 1)
    assert result.pages_per_week["Product Manager"] == (7.0, 0.0)  # once in a 1-day window
    assert "Product Manager would have been paged once more" in " ".join(result.headlines)
    # M was acknowledged before the backup's turn: no page for it under either version
    assert all(c.ticket != "M" for f in result.figures for c in f.changed)


KINDS = {"breach": "breach", "pre_breach": "pre_breach", "escalate": "escalation",
         "notify": "page", "chain_exhausted": "chain_exhausted"}


def assert_counts_equal_simulate(matrix: Matrix, events: list[TicketEvent]) -> None:
    start, end = events[0].at, events[-1].at + timedelta(seconds=1)
    expected = Counter(KINDS[f.kind] for f in simulate(matrix, events, end)
                       if f.kind in KINDS)
    outcome = replay(matrix, events, start, end)
    got: Counter[str] = Counter()
    for row, n in outcome.totals.items():
        if row[0] != "night_page":
            got[row[0]] += n
    assert got == expected and sum(expected.values()) > 0


@pytest.mark.parametrize(("example", "matrix"), [
    ("p1-outage.jsonl", "default.yaml"), ("waiting-on-customer.jsonl", "default.yaml"),
    ("whole-log.jsonl", "default.yaml"), ("business-hours.jsonl", "business-hours.yaml")])
def test_counts_equal_simulate_on_the_examples(example, matrix):
    m = load_matrix_file(ROOT / "matrices" / matrix)
    with open(EXAMPLES / example, encoding="utf-8") as handle:
        events = read_events(handle, m, strict=True)
    assert_counts_equal_simulate(m, events)


def test_counts_equal_simulate_on_the_demo_store():
    matrix = load_matrix_file(DEFAULT)
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    events = [TicketEvent(e.at, e.ticket, e.kind, e.payload, e.author)
              for e in demo_events(matrix, now, tickets=40, history=60)]
    events.sort(key=lambda e: e.at)
    assert_counts_equal_simulate(matrix, events)


def test_the_command_replays_the_local_stores_tickets_and_prints_a_table(tmp_path, capsys):
    data = str(tmp_path / "data")
    events, _ = p2_files(tmp_path)
    assert main(["import", str(events), "--data-dir", data]) == 0
    capsys.readouterr()
    code = main(["whatif", "--matrix", str(tmp_path / "draft.yaml"), "--from", "2026-11-26",
                 "--to", "2026-11-27", "--data-dir", data])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("With this draft, 2 more P2 response breaches in the last day "
                          "(1 → 3).\n")
    row = next(x for x in out.splitlines() if x.startswith("breach") and "P2 response" in x)
    assert row.split()[-4:] == ["1", "3", "+2", "3"]  # in force, draft, change, tickets


def test_events_naming_what_the_draft_does_not_have_are_noted(tmp_path, capsys):
    events, _ = p2_files(tmp_path)
    text = (DEFAULT.read_text(encoding="utf-8").replace("  - id: P2\n", "  - id: P2b\n")
            .replace("severities: [P2]}", "severities: [P2b]}"))
    (tmp_path / "draft.yaml").write_text(text, encoding="utf-8")
    code = main(["whatif", "--matrix", str(tmp_path / "draft.yaml"), "--events", str(events),
                 "--data-dir", str(tmp_path / "data")])
    err = capsys.readouterr().err
    assert code == 0
    assert err.startswith("note: 5 event(s) name what the draft does not have; they are "
                          "replayed as recorded. First: A opened at "
                          "2026-11-26T09:00:00+00:00: severity: expected one of P1, P2b, P3, "
                          "P4, got 'P2' (and 4 more)")


@pytest.mark.parametrize(("zone", "at_night"), [("America/Los_Angeles", False),
                                                ("Europe/Berlin", True)])
def test_a_page_is_at_night_outside_the_persons_working_hours(zone, at_night):
    text, _ = variant("- {primary: product-design-inbox, channel: email}",
                      "- {primary: product-design-inbox, backup: product-manager, "
                      "channel: email, ack_timeout: 30m}")
    text = text.replace("calendars:\n", "calendars:\n  pm-hours:\n    timezone: " + zone
                        + "\n    hours: {" + ", ".join(f"{d}: '09:00-17:00'"
                                                 for d in ("mon", "tue", "wed", "thu", "fri"))
                        + "}\n", 1)
    text = text.replace("role: product_manager, email: pm@example.com}",
                        "role: product_manager, email: pm@example.com, hours: pm-hours}")
    matrix = parse_matrix_text(text)
    assert matrix.contacts[[c.id for c in matrix.contacts].index("product-manager")].hours
    events = events_of([opened("N", "23:00", "P4"), line("N", "23:10", "message", text="hi")],
                       matrix)
    # the backup's page at 23:30 UTC on a Thursday: 15:30 in Los Angeles, 00:30 in Berlin
    outcome = replay(matrix, events, DAY, DAY + timedelta(days=1))
    assert outcome.totals[("page", "Product Manager", "email")] == 1
    assert outcome.totals.get(("night_page", "Product Manager"), 0) == int(at_night)


def test_working_hours_that_name_no_calendar_are_refused_with_the_field():
    text = DEFAULT.read_text(encoding="utf-8").replace(
        "role: product_manager, email: pm@example.com}",
        "role: product_manager, email: pm@example.com, hours: office}")
    with pytest.raises(Exception, match=r"contacts.*hours.*office"):
        parse_matrix_text(text)


def test_on_the_store_the_published_version_is_in_force_unless_against_names_a_file(
        tmp_path, capsys):
    data = str(tmp_path / "data")
    events, _ = p2_files(tmp_path)
    assert main(["import", str(events), "--data-dir", data]) == 0
    assert main(["matrix", "publish", str(tmp_path / "draft.yaml"), "--comment", "faster P2",
                 "--data-dir", data]) == 0
    window = ["--from", "2026-11-26", "--to", "2026-11-27", "--format", "json", "--workers",
              "1", "--data-dir", data]
    capsys.readouterr()
    assert main(["whatif", "--matrix", str(tmp_path / "draft.yaml"), *window]) == 0
    assert json.loads(capsys.readouterr().out)["unchanged"] is True  # the draft is in force
    assert main(["whatif", "--matrix", str(tmp_path / "draft.yaml"), "--against",
                 str(DEFAULT), *window]) == 0
    assert json.loads(capsys.readouterr().out)["unchanged"] is False  # the file wins


def test_the_share_behind_provisional_figures_never_reads_zero():
    from console.app.usecases.whatif import share

    assert share(2_400, 424_999) == "0.6%"
    assert share(1, 424_999) == "0.0%" != "0%"  # a sliver, said as such
    assert share(125, 1_998) == "6.3%"
    assert share(250, 1_998) == "12%"  # whole percent from a tenth on, as the bar
    assert share(1_997, 1_998) == "99%"
