"""Queue rows keep one copy of what thousands of rows have in common: the console holds
every open ticket's row (50,000 of them), each decoded from its own columns and JSON."""

from __future__ import annotations

import json
from types import SimpleNamespace

from console.app.runtime.rows import QueueRow

CLOCKS = [{"name": "response", "severity": "P3", "target_seconds": 86400,
           "due": "2026-11-27T09:00:00+00:00", "pre_breach_at": None, "stopped_at": None,
           "paused_since": None, "business": False, "calendar": "24x7",
           "remaining_when_paused": None}]
DETAIL = {"suggested": "P3", "reasons": ["no criteria matched; the matrix default"],
          "text": "Export fails for the finance team. " * 8, "users_affected_pct": 5.0,
          "workaround": "full", "revenue_risk": False, "security_breach": False,
          "handoffs": 1, "latest_handoff": {"summary": "tried a re-sync", "urgency": "normal"}}
WORDS = ("account", "account_tier", "severity", "severity_source", "status", "tier",
         "team", "owner", "priority", "category")


def _record(ticket: str) -> SimpleNamespace:
    # every string decoded on its own, as each row is read from the store
    columns = json.loads(json.dumps({
        "id": ticket, "title": "Export fails", "account": "Globex",
        "account_tier": "enterprise", "severity": "P3", "severity_source": "support",
        "confirmed": True, "status": "open", "tier": "L1", "team": "frontline",
        "owner": "ana", "priority": "normal", "category": "bug",
        "opened_at": "2026-11-26T09:00:00+00:00", "next_due": "2026-11-27T09:00:00+00:00"}))
    return SimpleNamespace(**columns, clocks=json.dumps(CLOCKS), detail=json.dumps(DETAIL))


def test_rows_decoded_apart_share_their_words_keys_and_clock_names():
    a, b = QueueRow.from_record(_record("T1")), QueueRow.from_record(_record("T2"))
    for name in WORDS:
        assert getattr(a, name) is getattr(b, name), name
    for x, y in zip(a.clocks, b.clocks, strict=True):
        assert (x.name, x.severity, x.calendar) == (y.name, y.severity, y.calendar)
        assert x.name is y.name and x.severity is y.severity and x.calendar is y.calendar
    assert a.detail == b.detail == DETAIL
    for key_a, key_b in zip(a.detail, b.detail, strict=True):
        assert key_a is key_b
    assert a.detail["reasons"][0] is b.detail["reasons"][0]
    assert next(iter(a.detail["latest_handoff"])) is next(iter(b.detail["latest_handoff"]))
