"""The weekly report email of ``serve``: at the matrix's weekday and time in its time
zone, the past week's report PDF goes to the ``reports:`` recipients, through a real
SMTP server (aiosmtpd with STARTTLS and a login); once per week across a restart and a
failover (the shared claims on a real PostgreSQL), never by a standby, and not at all
without recipients. The clock is injected."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from benchmarks.notify.fakes import FakeSmtp, wait_for
from console.app.matrices import load_matrix_file
from console.domain.matrix.model import ReportSchedule
from console.paths import default_matrix_path
from console.service.weekly_report import GRACE, WeeklyReport, last_due, mail_text
from console.service.weekly_report import week_key as key_to
from console.store.deliveries import SharedClaims
from console.store.lease import LeaderLease
from console.store.local import LocalStore
from console.store.server import SharedDatabase

pytestmark = pytest.mark.filterwarnings("ignore:Session.login_data")

BERLIN = ReportSchedule(recipients=("support-lead@example.com", "cs-lead@example.com"),
                        weekday=0, send_at=time(8, 0), timezone="Europe/Berlin")
# Monday 2026-11-23 08:00 in Berlin (winter: UTC+1) is 07:00 UTC
DUE = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


def week_key(due: datetime) -> list[str]:
    """The keys of the week's mails to BERLIN's recipients, as tick() returns them."""
    return [key_to(due, to) for to in BERLIN.recipients]


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[FakeSmtp]:
    (tmp_path / "smtp").mkdir()
    with FakeSmtp(tmp_path / "smtp") as server:
        yield server


@pytest.fixture
def make(tmp_path: Path, smtp: FakeSmtp, pg: Any) -> Iterator[Callable[..., WeeklyReport]]:
    """``make(name, clock, schedule=, may_send=, lease=)``: a WeeklyReport over a store
    in tmp_path/name (the same name: the same device, as after a restart) with its own
    connection to the shared claims."""
    opened: list[Any] = []
    base = load_matrix_file(default_matrix_path())

    def build(name: str, clock: Clock, *, schedule: ReportSchedule = BERLIN,
              may_send: Callable[[], bool] = lambda: True,
              lease: LeaderLease | None = None) -> WeeklyReport:
        matrix = dataclasses.replace(base, reports=schedule)
        store = LocalStore(tmp_path / name, matrix, clock=clock).open()
        db = SharedDatabase(pg.url)
        opened.extend([store, db])
        fence = (lambda: lease.epoch) if lease is not None else None
        claims = SharedClaims(db, store.device, 120.0, fence=fence)
        return WeeklyReport(store, claims, email=smtp.settings(),
                            password=lambda: FakeSmtp.PASSWORD, may_send=may_send,
                            clock=clock)

    yield build
    for thing in reversed(opened):
        thing.close()


def _a_week_of_tickets(report: WeeklyReport) -> None:
    for n, sev in enumerate(("P2", "P3", "P3")):
        at = DUE - timedelta(days=3, hours=n)
        report.store.append(f"INC-{n}", "opened", {"title": f"ticket {n}", "severity": sev,
                                                   "by": "support"}, "ana", at)
        report.store.append(f"INC-{n}", "resolved", {}, "ana", at + timedelta(hours=2))


def test_the_mail_goes_at_the_set_time_with_the_pdf_attached(make, smtp, pg) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(DUE - timedelta(seconds=30))  # 07:59:30 in Berlin
    weekly = make("host-a", clock)
    _a_week_of_tickets(weekly)
    assert weekly.tick() == []
    assert smtp.messages == []
    clock.at = DUE + timedelta(seconds=20)
    assert weekly.tick() == week_key(DUE)
    assert [m["to"] for m in smtp.messages] == [["support-lead@example.com"],
                                                ["cs-lead@example.com"]]
    got = smtp.messages[0]
    assert got["tls"] and got["auth"]
    mail = got["msg"]
    assert mail["Subject"].startswith("Escalation report, week to 2026-11-23")
    body, attachment = [p for p in mail.walk() if not p.is_multipart()]
    assert "Tickets opened: 3; resolved: 3" in body.get_payload(decode=True).decode()
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "escalation-report-2026-11-23.pdf"
    assert attachment.get_payload(decode=True).startswith(b"%PDF")
    assert sorted(pg.query("SELECT key, status FROM notification_claims")) == sorted(
        (key, "sent") for key in week_key(DUE))
    clock.at = DUE + timedelta(hours=1)
    assert weekly.tick() == []  # once a week
    assert len(smtp.messages) == 2


def test_a_restart_does_not_send_the_week_again(make, smtp) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(DUE + timedelta(minutes=1))
    first = make("host-a", clock)
    assert first.tick() == week_key(DUE)
    first.store.close()  # the service stops
    clock.at = DUE + timedelta(minutes=2)
    again = make("host-a", clock)  # the same state dir: the same device
    assert again.tick() == []
    assert len(smtp.messages) == 2
    clock.at = DUE + timedelta(days=7, minutes=1)  # the next week goes
    assert again.tick() == week_key(DUE + timedelta(days=7))
    assert len(smtp.messages) == 4


def test_a_standby_never_sends_and_the_next_leader_does_not_repeat_it(  # type: ignore[no-untyped-def]
        make, smtp, pg) -> None:
    clock = Clock(DUE + timedelta(minutes=1))
    leases = [LeaderLease(SharedDatabase(pg.url), f"host-{n}:1", host=f"host-{n}", ttl=3)
              for n in "ab"]
    try:
        a, b = (make(f"host-{n}", clock, lease=lease, may_send=lambda lease=lease: lease.active)
                for n, lease in zip("ab", leases, strict=True))
        assert leases[0].tick() and not leases[1].tick()
        assert b.tick() == []  # the standby
        assert smtp.messages == []
        assert pg.query("SELECT count(*) FROM notification_claims") == [(0,)]
        assert a.tick() == week_key(DUE)
        leases[0].release()  # a failover: b leads now
        assert leases[1].tick() and not leases[0].active
        clock.at = DUE + timedelta(minutes=5)
        assert b.tick() == [] and a.tick() == []
        assert len(smtp.messages) == 2
    finally:
        for lease in leases:
            lease.db.close()


def test_nothing_is_sent_without_recipients(make, smtp, pg) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(DUE + timedelta(minutes=1))
    weekly = make("host-a", clock, schedule=ReportSchedule())
    for minutes in (1, 60, 24 * 60 * 7 + 1):
        clock.at = DUE + timedelta(minutes=minutes)
        assert weekly.tick() == []
    assert smtp.messages == []
    assert pg.query("SELECT count(*) FROM notification_claims") == [(0,)]


def test_a_week_missed_by_more_than_the_grace_is_not_sent_late(make, smtp, caplog) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(DUE + GRACE + timedelta(minutes=1))
    assert make("host-a", clock).tick() == []
    assert smtp.messages == []
    assert "was not sent" in caplog.text


def test_the_instant_follows_the_time_zone_and_summer_time() -> None:
    # Monday 08:00 Berlin: 07:00 UTC in winter, 06:00 UTC in summer
    assert last_due(BERLIN, DUE) == DUE
    assert last_due(BERLIN, DUE - timedelta(seconds=1)) == DUE - timedelta(days=7)
    summer = datetime(2026, 6, 29, 6, 0, tzinfo=UTC)
    assert last_due(BERLIN, summer + timedelta(days=3)) == summer
    # the week across the change to winter time (Sunday 2026-10-25) is 7 days and 1 hour
    assert last_due(BERLIN, datetime(2026, 10, 26, 7, 0, tzinfo=UTC)) == \
        datetime(2026, 10, 26, 7, 0, tzinfo=UTC)
    assert last_due(BERLIN, datetime(2026, 10, 26, 6, 59, tzinfo=UTC)) == \
        datetime(2026, 10, 19, 6, 0, tzinfo=UTC)
    tokyo = dataclasses.replace(BERLIN, weekday=4, send_at=time(17, 30), timezone="Asia/Tokyo")
    assert last_due(tokyo, DUE) == datetime(2026, 11, 20, 8, 30, tzinfo=UTC)


def test_serve_mails_the_matrix_recipients_the_weekly_report(tmp_path, smtp, pg) -> None:  # type: ignore[no-untyped-def]
    """The running service (in process, on the injected clock): its active instance
    mails the week to the recipients of the matrix in force."""
    from console.service.composition import Service
    from console.service.config import load_config
    from console.service.secrets import SecretSources, ServerSecrets

    state = tmp_path / "state"
    text = default_matrix_path().read_text(encoding="utf-8") + (
        '\nreports:\n  recipients: [lead@example.com]\n  weekday: mon\n  time: "08:00"\n'
        "  timezone: Europe/Berlin\n")
    with LocalStore(state, load_matrix_file(default_matrix_path())) as store:
        store.publish_matrix(text, "with the weekly report", "lee")
    env = {"ESCALATION_SERVICE_DATABASE_URL": pg.url,
           "ESCALATION_SERVICE_STATE_DIR": str(state),
           "ESCALATION_SERVICE_LISTEN": "127.0.0.1:0",
           **{f"ESCALATION_SERVICE_NOTIFY_EMAIL_{k.upper()}": str(v)
              for k, v in smtp.settings().items() if k != "timeout"}}
    secrets = ServerSecrets(SecretSources({"ESCALATION_SECRET_NOTIFY_EMAIL_PASSWORD":
                                           FakeSmtp.PASSWORD}))
    service = Service(load_config(None, env), None, secrets,
                      clock=lambda: DUE + timedelta(minutes=3))
    try:
        service.start()
        assert wait_for(lambda: len(smtp.messages) == 1, 30)
    finally:
        assert service.stop(budget=5) == []
    assert smtp.messages[0]["to"] == ["lead@example.com"]
    claims = pg.query("SELECT key, status FROM notification_claims")
    assert [c for c in claims if c[0].startswith("report|")] == [
        (key_to(DUE, "lead@example.com"), "sent")]


def test_a_greylisted_mail_is_tried_again_later_and_sent_once(make, smtp, pg) -> None:  # type: ignore[no-untyped-def]
    smtp.rcpt_rules["cs-lead@example.com"] = ["451 4.7.1 greylisted, try again later"]
    clock = Clock(DUE + timedelta(minutes=1))
    weekly = make("host-a", clock)
    support, cs = week_key(DUE)
    assert weekly.tick() == [support]  # the other recipient's mail is deferred
    assert [m["to"] for m in smtp.messages] == [["support-lead@example.com"]]
    assert sorted(pg.query("SELECT key, status FROM notification_claims")) == [
        (cs, "claimed"), (support, "sent")]
    clock.at = DUE + timedelta(minutes=3)
    assert weekly.tick() == []  # not before the retry
    clock.at = DUE + timedelta(minutes=7)
    assert weekly.tick() == [cs]
    assert [m["to"] for m in smtp.messages] == [["support-lead@example.com"],
                                                ["cs-lead@example.com"]]


def test_the_mail_names_a_flagged_team_as_the_matrix_names_it() -> None:
    from console.domain.reports import report
    from tests.app.report_data import START, facts_of, generated

    matrix = load_matrix_file(default_matrix_path())
    flagged = report(facts_of(generated(), matrix), START, START + timedelta(days=28),
                     matrix.kpis)
    subject, body = mail_text(flagged, START + timedelta(days=28), matrix)
    assert "- Team Frontline Support: 19%, above the threshold of 15%" in body
    assert "frontline" not in body  # the id is for machines
    assert subject.endswith(": 3 flags")
