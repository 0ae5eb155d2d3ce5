"""The wall's ranking, alone: what must someone act on in the next minutes?"""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
from builders import NOW, queue_row
from builders import clock_in as clock

from console.app.runtime.rows import QueueRow
from console.app.runtime.wall_ranking import (
    AT_RISK,
    BREACHED,
    ON_TRACK,
    URGENT,
    lead_clock,
    plan_wall,
    urgent_severities,
)
from console.domain.projection import ClockView

RANKS = {"P1": 0, "P2": 1, "P3": 2, "P4": 3}
MIN = timedelta(minutes=1)


def row(ticket: str, severity: str, *clocks: ClockView, status: str = "open") -> QueueRow:
    return queue_row(ticket, *clocks, severity=severity, status=status)


def plan(rows, *, per_page: int = 6, max_pages: int = 3, pin_within: float = 54, **kw):
    return plan_wall(rows, NOW, ranks=RANKS, rows_per_page=per_page, max_pages=max_pages,
                     pin_within=timedelta(seconds=pin_within), **kw)


def ids(entries) -> list[str]:
    return [e.row.id for e in entries]


def breached_tail(n: int = 40) -> list[QueueRow]:
    """``n`` P3/P4 tickets breached hours to days ago."""
    return [row(f"OLD-{i:02d}", ("P3", "P4")[i % 2], clock("resolution", -60 * (i + 1)))
            for i in range(n)]


def test_a_p1_due_in_a_minute_leads_forty_breached_p3_and_p4_tickets():
    p = plan([*breached_tail(), row("P1-SOON", "P1", clock("response", 1))])
    assert ids(p.pages[0])[0] == "P1-SOON"
    assert p.pages[0][0].lane == URGENT


def test_a_p1_or_p2_that_needs_action_is_never_below_a_breached_p3_or_p4():
    rows = [*breached_tail(12),
            row("P2-WARN", "P2", clock("resolution", 40, lead=60)),      # inside its lead
            row("P1-LATE", "P1", clock("update", -300)),                 # long breached
            row("P2-OK", "P2", clock("response", 600, lead=15))]         # on track
    order = ids(plan(rows, per_page=30).entries())
    first_tail = min(order.index(r.id) for r in breached_tail(12))
    assert order.index("P1-LATE") < first_tail
    assert order.index("P2-WARN") < first_tail
    assert order.index("P2-OK") > first_tail   # not yet needing action: after the tail


def test_urgent_tickets_go_most_severe_first_then_least_time_left():
    rows = [row("P2-LATE", "P2", clock("response", -90)),
            row("P1-WARN", "P1", clock("response", 5)),
            row("P1-LATE", "P1", clock("response", -1))]
    assert ids(plan(rows).entries()) == ["P1-LATE", "P1-WARN", "P2-LATE"]


def test_tickets_that_can_still_be_saved_come_before_the_breached_tail():
    rows = [row("P3-WARN", "P3", clock("response", 10)),   # inside its 15-minute lead
            row("P4-DUE", "P4", clock("response", 100)),   # due within two hours
            row("P3-LATE", "P3", clock("response", -5))]
    p = plan(rows)
    assert [(e.row.id, e.lane) for e in p.entries()] == [
        ("P3-WARN", AT_RISK), ("P4-DUE", AT_RISK), ("P3-LATE", BREACHED)]


def test_the_breached_tail_shows_fresh_breaches_first():
    rows = [row("OLD", "P3", clock("response", -3000)), row("NEW", "P3", clock("response", -2)),
            row("P4", "P4", clock("response", -1))]
    assert ids(plan(rows).entries()) == ["NEW", "OLD", "P4"]


def test_a_long_tail_is_summarised_not_paged_through():
    p = plan([*breached_tail(), row("P1-SOON", "P1", clock("response", 1))])
    assert len(p.pages) == 1                       # only the urgent lane earns pages
    assert len(p.pages[0]) == 6
    assert p.summary == "+35 breached P3/P4"
    assert p.at_risk == 41 and p.total_open == 41


def test_pages_stop_at_the_maximum_and_the_rest_is_counted():
    rows = [row(f"P2-{i:02d}", "P2", clock("response", -i - 1)) for i in range(20)]
    rows += [row(f"Q-{i:02d}", "P4", clock("response", 600 + i)) for i in range(5)]
    p = plan(rows, per_page=6, max_pages=3)
    assert [len(page) for page in p.pages] == [6, 6, 6]
    assert p.summary == "+2 P2 needing action · +5 on track"


def test_the_summary_says_due_within_two_hours_only_when_that_is_true():
    urgent = [row(f"P1-{i}", "P1", clock("response", -i - 1)) for i in range(6)]
    soon = row("P3-SOON", "P3", clock("response", 90))
    long_lead = row("P3-LEAD", "P3", clock("resolution", 150, lead=180))  # warned early
    assert plan([*urgent, soon], max_pages=1).summary == "+1 due within 2 h"
    assert plan([*urgent, soon, long_lead], max_pages=1).summary == "+2 more at risk"


def test_a_quiet_queue_fills_one_page_with_the_next_due():
    rows = [row(f"Q-{i}", "P3", clock("response", 600 - i)) for i in range(8)]
    rows.append(row("WAITING", "P4", clock("resolution", None, paused_left=600)))
    p = plan(rows)
    assert ids(p.pages[0]) == [f"Q-{i}" for i in range(7, 1, -1)]
    assert all(e.lane == ON_TRACK for e in p.entries())
    assert p.summary == "+3 on track"
    assert p.at_risk == 0


def test_a_deadline_within_a_paging_cycle_is_pinned_above_every_page():
    urgent = [row(f"P1-{i:02d}", "P1", clock("response", -i - 1)) for i in range(20)]
    soon = row("P4-SOON", "P4", clock("update", 0.5))            # due in 30 s
    later = row("P4-LATER", "P4", clock("update", 2))           # after the cycle: not pinned
    p = plan([*urgent, soon, later], per_page=6, pin_within=54)
    assert ids(p.pinned) == ["P4-SOON"]
    assert p.pinned[0].pinned
    assert "P4-SOON" not in ids(e for page in p.pages for e in page)
    assert [len(page) for page in p.pages] == [5, 5, 5]         # the pin takes a row
    # three pages of breached P1s come first; the later P4 waits in the summary until
    # its deadline comes within the cycle, and then it is pinned
    assert p.summary == "+5 P1 needing action · +1 due within 2 h"
    p = plan([*urgent, later], per_page=6, pin_within=54 + 90)
    assert ids(p.pinned) == ["P4-LATER"]


def test_a_breached_ticket_about_to_breach_another_clock_is_pinned_with_that_clock():
    urgent = [row(f"P1-{i:02d}", "P1", clock("response", -i - 1)) for i in range(20)]
    twice = row("P3-TWICE", "P3", clock("response", -300), clock("update", 0.5))
    p = plan([*urgent, twice])
    assert [(e.row.id, e.clock, e.left) for e in p.pinned] == [("P3-TWICE", "update", 30)]
    assert "P3-TWICE" not in ids(e for page in p.pages for e in page)


def test_pins_never_take_the_whole_page():
    soon = [row(f"S-{i}", "P3", clock("response", (i + 1) / 10)) for i in range(8)]
    p = plan(soon, per_page=4)
    assert ids(p.pinned) == ["S-0", "S-1", "S-2"]
    assert ids(p.pages[0])[0] == "S-3"


def test_the_five_clocks_all_rank_a_breached_confirmation_clock_leads():
    quiet_cells = row("INC-10198", "P1", clock("response", -600, stopped_in=-610),
                      clock("update", 55), clock("resolution", 468),
                      clock("confirmation", -2))
    other = row("INC-2", "P1", clock("response", 20))
    p = plan([other, quiet_cells])
    assert [(e.row.id, e.clock) for e in p.entries()] == [("INC-10198", "confirmation"),
                                                          ("INC-2", "response")]


def test_a_confirmation_clock_inside_its_lead_makes_a_ticket_urgent():
    r = row("INC-10198", "P2", clock("resolution", 400), clock("confirmation", 4, lead=5))
    entry = plan([r]).entries()[0]
    assert (entry.lane, entry.clock) == (URGENT, "confirmation")


def test_the_lead_clock_ignores_missed_clocks_and_falls_back_to_a_paused_one():
    missed = clock("response", -60, stopped_in=-30)
    paused = clock("resolution", None, paused_left=600)
    lead, left, warned = lead_clock(row("A", "P3", missed, paused), NOW)
    assert (lead, left, warned) == (paused, float("inf"), False)
    assert lead_clock(row("B", "P3"), NOW) == (None, float("inf"), False)


def test_resolved_rows_are_not_on_the_wall():
    p = plan([row("DONE", "P1", clock("response", -5), status="resolved")])
    assert p.entries() == [] and p.pages == ((),) and p.total_open == 0


def test_urgent_severities_are_the_two_most_severe_of_the_matrix():
    assert urgent_severities({"SEV3": 2, "SEV1": 0, "SEV2": 1}) == {"SEV1", "SEV2"}


def test_a_page_must_hold_a_row():
    with pytest.raises(ValueError, match="at least one row"):
        plan([], per_page=0)


def test_the_ranking_module_needs_no_qt():
    code = ("import sys, console.app.runtime.wall_ranking; "
            "sys.exit(any(m.startswith('PySide6') for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
