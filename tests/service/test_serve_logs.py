"""The service's logs: one JSON object a line (or readable text) on stderr, with
extras, and never a secret: not in the message, the arguments, the extras or a
traceback."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from console.service.logs import LogSetup, Scrubber, setup_logging
from console.service.secrets import SecretSources
from console.store.server import SharedDatabase


@pytest.fixture
def capture() -> Iterator:  # type: ignore[type-arg]
    setups: list[LogSetup] = []

    def start(log_format: str, secrets: list[str] | None = None,
              db: SharedDatabase | None = None) -> io.StringIO:
        stream = io.StringIO()
        scrubber = Scrubber(lambda: list(secrets or []), db.scrub if db else None)
        setups.append(setup_logging(log_format, "info", scrubber, stream))
        return stream

    yield start
    for setup in setups:
        setup.close()


def _lines(stream: io.StringIO) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_logs_are_one_object_a_line_with_the_extras(capture):
    stream = capture("json")
    log = logging.getLogger("console.service.test")
    log.info("sync %s", "online", extra={"pending": 3, "role": "active"})
    log.warning("two\nlines")
    first, second = _lines(stream)
    assert first["message"] == "sync online" and first["level"] == "info"
    assert first["logger"] == "console.service.test"
    assert (first["pending"], first["role"]) == (3, "active")
    assert first["ts"].endswith("+00:00")
    assert second["message"] == "two\nlines" and second["level"] == "warning"


def test_logging_is_put_back_as_it_was_when_the_service_ends():
    root, alembic = logging.getLogger(), logging.getLogger("alembic")
    before = (root.level, alembic.level, list(root.handlers))
    setup_logging("text", "info", Scrubber(list), io.StringIO()).close()
    assert (root.level, alembic.level, list(root.handlers)) == before


def test_text_logs_are_readable_lines_with_the_extras(capture):
    stream = capture("text")
    logging.getLogger("console.service.test").info("serving", extra={"port": 8787})
    line = stream.getvalue().strip()
    assert " INFO console.service.test: serving port=8787" in line


def test_secrets_never_reach_a_log_line(capture):
    db = SharedDatabase("postgresql://svc@db.internal/escalation", "db-pass-123")
    stream = capture("json", ["R-ROUTING-KEY", "https://hooks.slack.com/T0/B0/XYZ"], db)
    log = logging.getLogger("console.service.test")
    log.error("send to %s failed", "https://hooks.slack.com/T0/B0/XYZ",
              extra={"detail": "key R-ROUTING-KEY refused"})
    log.warning("connect postgresql://svc:other-pass@db.internal/escalation failed: "
                "db-pass-123")
    try:
        raise RuntimeError("routing key R-ROUTING-KEY")
    except RuntimeError:
        log.exception("crashed")
    text = stream.getvalue()
    for secret in ("R-ROUTING-KEY", "hooks.slack.com/T0/B0/XYZ", "db-pass-123", "other-pass"):
        assert secret not in text
    entries = _lines(stream)
    assert entries[0]["message"] == "send to *** failed"
    assert entries[0]["detail"] == "key *** refused"
    assert "svc:***@db.internal" in entries[1]["message"]
    assert "RuntimeError: routing key ***" in entries[2]["traceback"]


def test_the_scrubber_masks_what_the_secret_sources_have_read():
    sources = SecretSources({"ESCALATION_SECRET_NOTIFY_EMAIL_PASSWORD": "smtp-pw"})
    stream = io.StringIO()
    setup = setup_logging("json", "info", Scrubber(sources.values), stream)
    try:
        sources.read("notify_email_password")
        logging.getLogger("console.service.test").info("auth with smtp-pw failed")
    finally:
        setup.close()
    assert _lines(stream)[0]["message"] == "auth with *** failed"
