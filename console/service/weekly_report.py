"""The weekly report email: the report PDF of the past week, mailed to the matrix's
``reports:`` recipients on its weekday and time, in its time zone (docs/reports.md).

Only the active instance sends it, and once per week even across a restart or a
failover: each recipient's mail of the week has a key (``report|weekly|<the scheduled
instant>|<recipient>``), claimed in the shared ``notification_claims`` like a
notification step (fenced by the lease's epoch in the service) and finished ``sent``
once the SMTP server took the mail; a recipient the server defers is retried alone. An
instance that finds a key sent, or held by another, does nothing. A send that a crash cut off
after the server took the mail but before ``sent`` was recorded goes again at the next
start (the same Message-ID, so a mail client shows it once): at least once, like every
email of the outbox.

The SMTP server, sender and password are the email channel's (``notify.email`` and the
secret ``email:password``). A week whose instant passed more than ``GRACE`` ago (the
service was down) is not sent late; it is logged.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from console.app.report_words import filters_text, flag_lines, window_text
from console.app.usecases.reports import load_report
from console.domain.matrix.model import Matrix, ReportSchedule
from console.domain.reports import Report
from console.notify.channels.base import DeliveryResult, Target
from console.notify.channels.email import EmailChannel, SmtpSettings
from console.store.local import LocalStore

log = logging.getLogger(__name__)

WEEK = timedelta(days=7)
GRACE = timedelta(hours=12)       # a week's mail still goes this late after its instant
RETRY = timedelta(minutes=5)      # after an SMTP failure that may pass
# how often the part looks at the clock and the lease: a tick that finds nothing due
# is a few comparisons, and an instance that becomes active at the mail's minute (a
# start, a takeover) must not wait a long poll to send it
POLL_SECONDS = 5.0
SENT_STATES = ("sent", "dead")    # some instance finished the week
MINE_STATES = ("won", "mine", "taken")

Render = Callable[[Report, Matrix, Path, datetime], Any]


class Claims(Protocol):
    """What the mail needs of ``console.store.deliveries.SharedClaims``."""

    def claim(self, keys: list[str], now: datetime) -> dict[str, tuple[str, str, str]]: ...

    def finish(self, keys: list[str], status: str, now: datetime) -> None: ...

    def release(self, keys: list[str]) -> None: ...


def _local(schedule: ReportSchedule, day: date) -> datetime:
    return datetime.combine(day, schedule.send_at, tzinfo=ZoneInfo(schedule.timezone))


def last_due(schedule: ReportSchedule, now: datetime) -> datetime:
    """The latest scheduled instant at or before ``now`` (UTC): the weekday and time
    in the schedule's time zone (its offset on that day, summer time included)."""
    local = now.astimezone(ZoneInfo(schedule.timezone))
    day = local.date() - timedelta(days=(local.weekday() - schedule.weekday) % 7)
    at = _local(schedule, day)
    if at > now:
        at = _local(schedule, day - WEEK)
    return at.astimezone(UTC)


def week_key(due: datetime, recipient: str) -> str:
    """The claim key of the mail due at ``due`` to ``recipient``."""
    return f"report|weekly|{due.astimezone(UTC).isoformat()}|{recipient}"


def render_pdf(report: Report, matrix: Matrix, path: Path, generated_at: datetime) -> Any:
    """The report PDF (console.app.report_pdf; matplotlib is loaded at the first mail)."""
    from console.app.report_pdf import write_pdf

    return write_pdf(report, matrix, path, generated_at=generated_at)


class _ReportMail(EmailChannel):
    """The email channel's SMTP handling (STARTTLS, login, 4xx retry, 5xx final) with a
    message of its own: the summary in the body, the PDF attached."""

    def __init__(self, settings: SmtpSettings, subject: str, body: str, pdf: bytes,
                 filename: str, message_id: str) -> None:
        super().__init__(settings)
        self.subject, self.body, self.pdf = subject, body, pdf
        self.filename, self.message_id = filename, message_id

    def build(self, message: dict[str, Any], target: Target) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.settings.sender or self.settings.username
        mail["To"] = target.address
        mail["Subject"] = self.subject
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = self.message_id
        mail.set_content(self.body)
        mail.add_attachment(self.pdf, maintype="application", subtype="pdf",
                            filename=self.filename)
        return mail


def mail_text(report: Report, due: datetime, matrix: Matrix | None = None) -> tuple[str, str]:
    """The subject and body of a week's mail (teams by their names in ``matrix``)."""
    flags = flag_lines(report, matrix)
    rate = report.escalation_rate.value
    subject = (f"Escalation report, week to {due.date().isoformat()}: "
               f"{len(flags)} flag{'s' if len(flags) != 1 else ''}")
    lines = [f"The escalation report for {window_text(report)} "
             f"({filters_text(report, matrix)}) "
             "is attached as a PDF.", "",
             f"Tickets opened: {report.opened}; resolved: {report.resolved}; "
             f"escalated: {report.escalated}"
             + (f" ({rate:.0%})." if rate is not None else "."), ""]
    lines += (["Flagged:", *(f"- {line}" for line in flags)] if flags
              else ["Nothing is flagged."])
    lines += ["", "Definitions: docs/reports.md. Sent by the escalation service."]
    return subject, "\n".join(lines) + "\n"


class WeeklyReport:
    """The part of ``serve`` that mails the weekly report. ``tick()`` does what is due
    now (the tests call it with their clock); ``run(stop)`` calls it until stopped."""

    def __init__(self, store: LocalStore, claims: Claims, *, email: dict[str, Any],
                 password: Callable[[], str | None], may_send: Callable[[], bool],
                 clock: Callable[[], datetime], render: Render = render_pdf) -> None:
        self.store, self.claims, self.may_send, self.clock = store, claims, may_send, clock
        self.settings = SmtpSettings.from_dict(email)
        self.password, self.render = password, render
        self._done: set[str] = set()
        self._retry_at: datetime | None = None
        self._missed: set[datetime] = set()

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.tick()
            except Exception:  # the database away, a report that failed: never the pager
                log.exception("the weekly report failed; retried in %s", RETRY)
                self._retry_at = self.clock() + RETRY
            stop.wait(POLL_SECONDS)

    def tick(self) -> list[str]:
        """Mail the week's report to each recipient it is due to, if this instance may
        send and no instance sent it to them; returns the keys this call sent."""
        schedule = self.store.matrix.reports
        if not schedule.recipients:
            return []
        now = self.clock()
        due = last_due(schedule, now)
        keys = {week_key(due, to): to for to in schedule.recipients}
        keys = {k: to for k, to in keys.items() if k not in self._done}
        if not keys or (self._retry_at is not None and now < self._retry_at):
            return []
        if now - due > GRACE:
            if due not in self._missed:
                self._missed.add(due)
                log.warning("the weekly report due at %s was not sent: the service was "
                            "not running then (it is not sent late)", due.isoformat())
            return []
        if not self.may_send():
            return []
        states = self.claims.claim(list(keys), now)
        self._done.update(k for k, (state, _, _) in states.items() if state in SENT_STATES)
        mine = {k: keys[k] for k, (state, _, _) in states.items() if state in MINE_STATES}
        # held by another instance, or this one lost the lease: nothing to do
        return self._send(due, mine, now) if mine else []

    def _send(self, due: datetime, to: dict[str, str], now: datetime) -> list[str]:
        report = load_report(self.store, due - WEEK, due, now=now)
        with tempfile.TemporaryDirectory(prefix="weekly-report-") as tmp:
            path = Path(tmp) / "report.pdf"
            self.render(report, self.store.matrix, path, now)
            pdf = path.read_bytes()
        if not self.may_send():  # the lease went while the PDF was drawn
            self.claims.release(list(to))
            return []
        subject, body = mail_text(report, due, self.store.matrix)
        sent: list[str] = []
        for key, address in to.items():
            # one mail per recipient, like every delivery: a recipient the server defers
            # is tried again alone, and the others' mail is not sent twice
            mail = _ReportMail(self.settings, subject, body, pdf,
                               f"escalation-report-{due.date().isoformat()}.pdf",
                               f"<{key.replace('|', '.')}@escalation-console>")
            result: DeliveryResult = mail.send({}, Target("email", address), self.password())
            if result.ok:
                self.claims.finish([key], "sent", self.clock())
                self._done.add(key)
                sent.append(key)
                log.info("weekly report mailed to %s", address, extra={"ref": key})
            elif result.final:
                self.claims.finish([key], "dead", self.clock())
                self._done.add(key)
                log.error("the weekly report could not be mailed to %s: %s", address,
                          result.error, extra={"ref": key})
            else:
                self._retry_at = now + RETRY
                log.warning("the weekly report could not be mailed to %s yet (retried in "
                            "%s): %s", address, RETRY, result.error, extra={"ref": key})
        return sent
