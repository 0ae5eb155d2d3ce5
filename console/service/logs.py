"""Structured logs to stderr: readable text, or one JSON object a line
(``--log-format json``) with ``ts``, ``level``, ``logger``, ``message`` and any
extras passed as ``log.info(..., extra={...})``.

Never a secret: every record goes through :class:`Scrubber` first, which masks each
secret value the service has read (``SecretSources.values``), the shared database's
password and raw URL (``SharedDatabase.scrub``), and any ``user:password@`` in a URL.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TextIO

# the attributes every LogRecord has; anything else came in through ``extra``
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "taskName"}
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*):[^@\s]*@")


class Scrubber(logging.Filter):
    """Masks secrets in a record's message, arguments, extras and traceback."""

    def __init__(self, secrets: Callable[[], list[str]],
                 extra: Callable[[str], str] | None = None) -> None:
        super().__init__()
        self.secrets = secrets
        self.extra = extra

    def clean(self, text: str) -> str:
        for value in self.secrets():
            text = text.replace(value, "***")
        if self.extra is not None:
            text = self.extra(text)
        return _URL_PASSWORD.sub(r"\1:***@", text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.clean(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = self.clean("".join(traceback.format_exception(
                *record.exc_info)).rstrip())
            record.exc_info = None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, self.clean(value))
        return True


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD}


def _timestamp(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


class JsonFormatter(logging.Formatter):
    """One JSON object a line; a value JSON cannot hold is written as its text."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {"ts": _timestamp(record), "level": record.levelname.lower(),
                                 "logger": record.name, "message": record.getMessage()}
        for key, value in _extras(record).items():
            entry.setdefault(key, value)
        if record.exc_text:
            entry["traceback"] = record.exc_text
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``2026-12-03T11:24:07.512+00:00 INFO console.service.main: message key=value``."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_timestamp(record)} {record.levelname} {record.name}: {record.getMessage()}"
        extras = " ".join(f"{k}={v}" for k, v in _extras(record).items())
        if extras:
            line += f" {extras}"
        if record.exc_text:
            line += "\n" + record.exc_text
        return line


class LogSetup:
    """The handler ``setup_logging`` installed and the levels it changed."""

    def __init__(self, handler: logging.Handler, levels: dict[str, int]) -> None:
        self.handler = handler
        self.levels = levels

    def close(self) -> None:
        """Remove the handler and put the levels back (tests run serve in-process)."""
        logging.getLogger().removeHandler(self.handler)
        self.handler.close()
        for name, level in self.levels.items():
            logging.getLogger(name or None).setLevel(level)


def setup_logging(log_format: str, level: str, scrubber: Scrubber,
                  stream: TextIO | None = None) -> LogSetup:
    """Route every logger to one scrubbed handler on stderr."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(scrubber)
    root = logging.getLogger()
    # third-party chatter below warning stays out unless debugging
    noisy = ("aiohttp.access", "apscheduler", "alembic")
    levels = {name: logging.getLogger(name or None).level for name in ("", *noisy)}
    root.addHandler(handler)
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    for name in noisy:
        logging.getLogger(name).setLevel(logging.DEBUG if level == "debug" else
                                         logging.WARNING)
    return LogSetup(handler, levels)
