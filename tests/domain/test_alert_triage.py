"""The pure rules that keep alerts from flooding: triage and summary wording."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from console.domain.alerts import (
    Alert,
    attention,
    backlog_headline,
    by_severity,
    catch_up_headline,
    triage,
)

SINCE = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)   # the console's first start
STARTED = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # this run
NOW = STARTED + timedelta(seconds=5)
LATE = timedelta(seconds=60)


def alert(ticket: str, threshold: str, at: datetime, severity: str = "P1",
          clock: str = "response") -> Alert:
    due = at if threshold == "breach" else at + timedelta(minutes=5)
    return Alert(ticket, clock, threshold, at, due, severity)


def test_deadlines_before_the_first_start_are_backlog_not_alerts():
    old = alert("INC-1", "breach", SINCE - timedelta(days=3))
    t = triage([old], now=NOW, since=SINCE, started=STARTED, late_after=LATE)
    assert t.backlog == (old,) and t.live == t.late == ()


def test_deadlines_while_closed_are_late_and_fresh_ones_live():
    closed = alert("INC-1", "breach", STARTED - timedelta(hours=2))
    fresh = alert("INC-2", "pre_breach", NOW - timedelta(seconds=1))
    stale = alert("INC-3", "pre_breach", NOW + timedelta(minutes=1))
    t = triage([closed, fresh], now=NOW, since=SINCE, started=STARTED, late_after=LATE)
    assert t.late == (closed,) and t.live == (fresh,)
    later = NOW + timedelta(hours=1)
    t = triage([stale], now=later, since=SINCE, started=STARTED, late_after=LATE)
    assert t.late == (stale,)  # arrived long after it fell due (pulled late)


def test_a_pre_breach_is_moot_when_its_breach_is_in_the_same_batch():
    pre = alert("INC-1", "pre_breach", STARTED - timedelta(hours=1))
    breach = Alert("INC-1", "response", "breach", pre.due, pre.due, "P1")
    other = alert("INC-2", "pre_breach", STARTED - timedelta(hours=1))
    t = triage([pre, breach, other], now=NOW, since=SINCE, started=STARTED, late_after=LATE)
    assert t.silent == (pre,) and t.late == (breach, other)


def test_attention_keeps_each_tickets_most_pressing_clock_most_urgent_first():
    items = attention([
        alert("INC-3", "pre_breach", SINCE, "P1"),
        alert("INC-2", "breach", SINCE, "P3"),
        alert("INC-2", "pre_breach", SINCE, "P3", clock="update"),
        alert("INC-1", "breach", SINCE, "P2"),
    ], {"INC-1": "Checkout down"})
    assert [(i.ticket, i.state) for i in items] == [
        ("INC-1", "breached"), ("INC-2", "breached"), ("INC-3", "pre_breach")]
    assert items[0].title == "Checkout down"
    grown = attention([alert("INC-4", "breach", SINCE, "P1")], earlier=items)
    assert [i.ticket for i in grown] == ["INC-4", "INC-1", "INC-2", "INC-3"]


def test_the_wording_counts_by_severity():
    assert by_severity(["P2", "P1", "P2", "P4"]) == "1 P1, 2 P2, 1 P4"
    items = attention([alert("INC-1", "breach", SINCE, "P1"),
                       alert("INC-2", "breach", SINCE, "P3"),
                       alert("INC-3", "pre_breach", SINCE, "P2")])
    assert backlog_headline(items) == \
        "3 tickets need action: 2 breached (1 P1, 1 P3), 1 about to breach (1 P2)"
    assert backlog_headline(items[:1]) == "1 ticket needs action: 1 breached (1 P1)"
    alerts = [alert(f"INC-{i}", "breach", SINCE, f"P{i % 3 + 1}") for i in range(12)]
    assert catch_up_headline(alerts, while_closed=True) == \
        "12 alerts while closed: 4 P1, 4 P2, 4 P3"
    assert catch_up_headline(alerts[:1], while_closed=False) == "1 late alert: 1 P1"
