"""Email over SMTP with STARTTLS (smtplib).

The connection is upgraded with STARTTLS before anything else is said (a server that
does not offer it is refused, unless the settings say ``starttls: false`` for a
trusted local relay), then authenticates with the password from the keyring. SMTP
replies decide what happens next: a 4xx reply (greylisting, mailbox busy, "try again
later") is retried with backoff; a 5xx reply is final. Every message carries a
Message-ID derived from the delivery key, the same on every retry and console.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from ..message import email_parts
from .base import DeliveryResult, Target


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str = ""
    port: int = 587
    username: str = ""
    sender: str = ""
    starttls: bool = True
    cafile: str = ""       # a CA bundle to trust (e.g. a company CA); default: system
    timeout: float = 15.0

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SmtpSettings:
        return cls(str(d.get("host") or ""), int(d.get("port") or 587),
                   str(d.get("username") or ""), str(d.get("sender") or ""),
                   bool(d.get("starttls", True)), str(d.get("cafile") or ""),
                   float(d.get("timeout") or 15.0))


def _code_result(code: int, text: str) -> DeliveryResult:
    error = f"SMTP {code}: {text}"
    if 400 <= code < 500:
        return DeliveryResult.retry(error, status=code)
    return DeliveryResult.fail(error, status=code)


def _reply_text(raw: Any) -> str:
    return raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)


class EmailChannel:
    name = "email"
    cluster_wide = True
    idempotent = False
    max_batch = 1
    min_interval = 0.0

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.settings.cafile or None)

    def build(self, message: dict[str, Any], target: Target) -> EmailMessage:
        subject, body = email_parts(message)
        mail = EmailMessage()
        mail["From"] = self.settings.sender or self.settings.username
        mail["To"] = target.address
        mail["Subject"] = subject
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = f"<{message.get('ref', 'test')}.{message.get('ticket', 'x')}" \
                             "@escalation-console>"
        mail["X-Escalation-Ticket"] = str(message.get("ticket", ""))
        mail.set_content(body)
        return mail

    def send(self, message: dict[str, Any], target: Target, secret: str | None
             ) -> DeliveryResult:
        s = self.settings
        if not s.host:
            return DeliveryResult.fail("no SMTP server configured; set it in "
                                       "Notifications > Channels > Email")
        if not (s.sender or s.username):
            return DeliveryResult.fail("no sender address configured for email")
        try:
            mail = self.build(message, target)
        except (ValueError, TypeError) as exc:
            return DeliveryResult.fail(f"cannot build the email: {exc}")
        try:
            with smtplib.SMTP(s.host, s.port, timeout=s.timeout) as smtp:
                smtp.ehlo()
                if s.starttls:
                    if not smtp.has_extn("starttls"):
                        return DeliveryResult.fail(f"{s.host}:{s.port} does not offer STARTTLS; "
                                                   "refusing to send in clear text")
                    smtp.starttls(context=self._context())
                    smtp.ehlo()
                if s.username:
                    if secret is None:
                        return DeliveryResult(False, final=True, missing_secret=True,
                                              error="no SMTP password in the OS keyring")
                    smtp.login(s.username, secret)
                refused = smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            text = "; ".join(f"{r}: {c} {_reply_text(m)}" for r, (c, m) in exc.recipients.items())
            if codes and all(400 <= c < 500 for c in codes):
                return DeliveryResult.retry(f"SMTP recipient deferred: {text}", status=codes[0])
            return DeliveryResult.fail(f"SMTP recipient refused: {text}",
                                       status=max(codes) if codes else None)
        except smtplib.SMTPResponseException as exc:  # sender refused, data error, auth...
            return _code_result(exc.smtp_code, _reply_text(exc.smtp_error))
        except smtplib.SMTPNotSupportedError as exc:
            return DeliveryResult.fail(f"SMTP: {exc}")
        except ssl.SSLCertVerificationError as exc:
            return DeliveryResult.fail(f"SMTP TLS certificate rejected: {exc.verify_message}")
        except (smtplib.SMTPException, OSError) as exc:  # disconnects, timeouts, refused
            return DeliveryResult.retry(f"SMTP {s.host}:{s.port} unreachable: "
                                        f"{type(exc).__name__}: {exc}")
        if refused:
            return DeliveryResult.fail(f"SMTP refused some recipients: {refused}")
        return DeliveryResult.sent(str(mail["Message-ID"]))
