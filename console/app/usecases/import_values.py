"""Turning the cells of a helpdesk export into the values tickets carry.

Each parser takes the raw text of one cell and returns the value, or raises ValueError
with a reason worth showing next to the file's line number (docs/import.md lists the
rules)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from console.domain.matrix import Matrix
from console.store.projector import MATRIX_STREAM

MAX_TICKET_ID = 80  # the tickets table's id column

_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0", ""}
_WORKAROUNDS = {"none": "none", "no": "none", "no workaround": "none", "n/a": "none",
                "partial": "partial", "partly": "partial", "limited": "partial",
                "full": "full", "yes": "full", "complete": "full", "full workaround": "full"}
_WAITING = {"waiting_on_customer", "waiting on customer", "waiting", "pending",
            "awaiting customer"}
_NO_STATUS_EVENT = {"", "new", "open", "hold", "on-hold", "on hold", "solved", "closed",
                    "resolved"}
_OFFSET_AFTER_SPACE = re.compile(r"\s+(Z|UTC|[+-]\d{2}:?\d{2})$", re.IGNORECASE)
_FIXED_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


def resolve_timezone(name: str) -> tzinfo:
    """An IANA zone (Europe/Berlin), UTC, or a fixed offset such as +01:00."""
    fixed = _FIXED_OFFSET.match(name.strip())
    if fixed:
        sign = -1 if fixed.group(1) == "-" else 1
        return timezone(sign * timedelta(hours=int(fixed.group(2)), minutes=int(fixed.group(3))))
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"--timezone: unknown time zone {name!r}; use an IANA name such as "
                         "Europe/Berlin, UTC, or an offset such as +01:00") from None


def parse_time(raw: str, tz: tzinfo | None) -> datetime:
    text = _OFFSET_AFTER_SPACE.sub(lambda m: "+00:00" if m.group(1).upper() == "UTC"
                                   else m.group(1), raw.strip())
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{raw!r} is not an ISO-8601 time "
                         "(e.g. 2026-11-26T09:00:00+00:00)") from None
    if at.tzinfo is None:
        if tz is None:
            raise ValueError(f"{raw!r} has no UTC offset; add one (e.g. +00:00) or give "
                             "the file's time zone with --timezone")
        at = at.replace(tzinfo=tz)
    return at


def parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"expected true/false, yes/no or 1/0, got {raw!r}")


def parse_percent(raw: str) -> int | float:
    text = raw.strip().removesuffix("%").strip()
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"expected a percentage from 0 to 100, got {raw!r}") from None
    if not 0 <= value <= 100:
        raise ValueError(f"expected a percentage from 0 to 100, got {raw!r}")
    return int(value) if value.is_integer() else value


def parse_workaround(raw: str) -> str:
    value = _WORKAROUNDS.get(" ".join(raw.lower().split()))
    if value is None:
        raise ValueError(f"expected none, partial or full, got {raw!r}")
    return value


def parse_status(raw: str) -> str | None:
    value = " ".join(raw.lower().split())
    if value in _WAITING:
        return "waiting_on_customer"
    if value in _NO_STATUS_EVENT:
        return None
    raise ValueError(f"expected waiting_on_customer (or pending), open, new, hold, solved "
                     f"or closed, got {raw!r}")


def parse_severity(raw: str, matrix: Matrix) -> str:
    wanted = raw.strip().lower()
    for s in matrix.severities:
        if wanted in (s.id.lower(), s.name.lower()):
            return s.id
    known = ", ".join(f"{s.id} ({s.name})" for s in matrix.severities)
    raise ValueError(f"expected one of {known}, got {raw!r}")


def check_ticket_id(ticket: str) -> None:
    if not ticket:
        raise ValueError("the ticket id is empty")
    if ticket == MATRIX_STREAM:
        raise ValueError(f"{ticket!r} is reserved")
    if len(ticket) > MAX_TICKET_ID:
        raise ValueError(f"the ticket id is longer than {MAX_TICKET_ID} characters")


def slug(raw: str) -> str:
    return re.sub(r"[\s\-]+", "_", raw.strip().lower())


FACTS: dict[str, Callable[[str], Any]] = {
    "title": str.strip, "text": lambda v: v, "account": str.strip, "account_tier": slug,
    "users_affected_pct": parse_percent, "workaround": parse_workaround,
    "revenue_risk": parse_bool, "security_breach": parse_bool, "category": slug,
    "owner": str.strip,
}
