"""What a notification says, and who "on call" is (matrix rotation or iCalendar)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from console.domain.matrix.model import Rotation
from console.notify.message import (
    TicketInfo,
    build_message,
    pd_dedup_key,
    text_body,
    ticket_from_dedup_key,
)
from console.notify.oncall import OnCall

from .helpers import T0, open_ticket


def test_message_carries_the_context_the_next_person_needs(make_console, world):
    c = make_console()
    c.store.append("INC-7", "opened", {
        "title": "Checkout fails", "account": "Globex", "account_tier": "enterprise",
        "users_affected_pct": 40, "workaround": "none", "revenue_risk": True}, "ana")
    c.store.append("INC-7", "handoff_submitted", {
        "summary": "Payments API 502s since the 09:40 deploy",
        "steps_tried": ["rolled back web", "flushed CDN"]}, "ana")
    world.advance(600)
    info = TicketInfo.from_row(c.store.ticket("INC-7"))
    m = build_message(info, world.now, reason="P1 notification chain", key="k",
                      extra={"chain": "p1-page", "step": 1, "round": 1, "role": "primary",
                             "ack_timeout": "5m"},
                      recipient="On-call engineer", on_call="Lena (Engineering)", rank=0)
    text = text_body(m)
    for part in ("[P1] INC-7: Checkout fails",
                 "revenue at risk",                             # why P1
                 "Customer: Globex (enterprise)",
                 "response: pre-breach, 5m left (due 10:15 UTC)",  # SLA state, time left
                 "Handoff: Payments API 502s since the 09:40 deploy",
                 "Steps tried: rolled back web; flushed CDN",
                 "on call now: Lena (Engineering)", "ack within 5m",
                 "escalation-console://ticket/INC-7", "escalation-console tickets show INC-7"):
        assert part in text, part


def test_breached_and_paused_clocks_read_naturally(make_console, world):
    c = make_console()
    open_ticket(c.store, "INC-8")
    world.advance(20 * 60)
    c.store.append("INC-8", "status", {"status": "waiting_on_customer"}, "ana")
    info = TicketInfo.from_row(c.store.ticket("INC-8"))
    summary = build_message(info, world.now, reason="r", key="k")["sla_summary"]
    assert "response: BREACHED 5m ago" in summary
    assert "resolution: paused with 1h 40m left" in summary


def test_dedup_key_names_the_ticket():
    key = pd_dedup_key("INC/42", "notify|INC/42|p1-page|r1|s1|primary|x")
    assert key.startswith("ec/INC/42/") and ticket_from_dedup_key(key) == "INC/42"
    assert ticket_from_dedup_key("INC-1") is None


ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//oncall//EN
BEGIN:VEVENT
UID:dana@test
DTSTART:20260105T080000Z
DTEND:20260112T080000Z
RRULE:FREQ=WEEKLY;INTERVAL=2
SUMMARY:dana-eng
END:VEVENT
BEGIN:VEVENT
UID:omar@test
DTSTART:20260112T080000Z
DTEND:20260119T080000Z
RRULE:FREQ=WEEKLY;INTERVAL=2
EXDATE:20260223T080000Z
ATTENDEE;CN=Omar:mailto:omar@example.com
SUMMARY:Secondary week
END:VEVENT
BEGIN:VEVENT
UID:lena@test
DTSTART:20260223T080000Z
DTEND:20260302T080000Z
SUMMARY:Lena (Engineering)
END:VEVENT
END:VCALENDAR
"""


def test_ical_rotation_decides_who_is_on_call(matrix, tmp_path):
    (tmp_path / "oncall.ics").write_text(ICS)
    rotations = {**matrix.rotations, "engineering-weekly":
                 Rotation("engineering-weekly", ical="oncall.ics")}
    m = dataclasses.replace(matrix, rotations=rotations)
    oncall = OnCall(m, base_dir=tmp_path)
    at = datetime(2026, 2, 4, 12, tzinfo=UTC)     # week of Feb 2: dana's (biweekly)
    assert oncall.member("engineering-weekly", at) == "dana-eng"
    assert oncall.member("engineering-weekly", at, 1) == "omar-eng"  # next shift
    assert oncall.member("engineering-weekly", at + timedelta(days=7)) == "omar-eng"
    # Feb 23 is an EXDATE for Omar: Lena covers that week
    assert oncall.member("engineering-weekly", datetime(2026, 2, 25, tzinfo=UTC)) == "lena-eng"
    addresses, _, person = oncall.addresses("oncall-primary", at)
    assert person == "Dana (Engineering)" and addresses["slack"] == "@dana"
    assert addresses["pagerduty"] == "engineering-oncall"  # the role's own service stays
    assert oncall.member("engineering-weekly", datetime(2025, 1, 1, tzinfo=UTC)) is None


def test_member_rotation_follows_the_matrix(matrix):
    oncall = OnCall(matrix)
    start = matrix.rotations["engineering-weekly"].start
    people = [oncall.member("engineering-weekly", start + timedelta(days=7 * n, hours=1))
              for n in range(4)]
    assert people == ["dana-eng", "omar-eng", "lena-eng", "dana-eng"]
    _, _, person = oncall.addresses("oncall-secondary", T0)
    assert person == "Dana (Engineering)"
