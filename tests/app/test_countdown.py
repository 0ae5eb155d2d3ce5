"""Countdown text and the SLA pill's label: what the queue and the wall read out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from builders import NOW, clock, queue_row

from console.app.runtime.countdown import countdown, sla_label
from console.app.runtime.rows import QueueRow
from console.domain.projection import ClockView

S = timedelta(seconds=1)
MIN = timedelta(minutes=1)


def row(*clocks: ClockView) -> QueueRow:
    return queue_row("INC-1", *clocks, severity="P1")


@pytest.mark.parametrize("after", [timedelta(0), 0.2 * S, 0.999 * S])
def test_a_clock_that_has_just_breached_never_reads_minus_zero(after):
    cd = countdown(clock("response", NOW), NOW + after, {})
    assert cd.state == "breached"
    assert cd.text == "-1s"


def test_a_breached_clock_counts_whole_seconds_up_from_one():
    due = clock("response", NOW)
    assert [countdown(due, NOW + n * S + 0.5 * S, {}).text for n in range(3)] == [
        "-1s", "-2s", "-3s"]
    assert countdown(due, NOW + 5 * MIN, {}).text == "-5m 00s"


def test_a_running_clock_never_reads_zero_before_its_deadline():
    due = clock("response", NOW + S)
    assert countdown(due, NOW + 0.7 * S, {}).text == "1s"
    assert countdown(due, NOW, {}).text == "1s"
    assert countdown(clock("response", NOW + 90 * S), NOW, {}).text == "1m 30s"


def test_a_clock_stopped_a_moment_after_its_deadline_says_it_was_missed_by_a_second():
    late = clock("response", NOW, stopped=NOW + 0.3 * S)
    assert countdown(late, NOW + MIN, {}).text == "missed by 1s"


def test_the_sla_label_names_a_breached_severity_clock_behind_healthy_cells():
    r = row(clock("response", NOW - MIN, stopped=NOW - 2 * MIN),   # met
            clock("update", NOW + 55 * MIN, pre=NOW + 40 * MIN),
            clock("resolution", NOW + 7 * 60 * MIN, pre=NOW + 6 * 60 * MIN),
            clock("initial_severity", NOW - 20 * MIN, stopped=NOW - 30 * MIN),  # met
            clock("confirmation", NOW - 3 * MIN, pre=NOW - 8 * MIN))
    assert sla_label(r, NOW, {}) == ("breached", "CONFIRMATION BREACHED")


def test_the_sla_label_names_the_initial_severity_clock_shortly():
    r = row(clock("response", NOW + 30 * MIN), clock("initial_severity", NOW - MIN))
    assert sla_label(r, NOW, {}) == ("breached", "SEVERITY BREACHED")


def test_the_sla_label_counts_down_the_clock_inside_its_pre_breach_lead():
    r = row(clock("response", NOW + 2 * MIN, pre=NOW - MIN),
            clock("resolution", NOW + 90 * MIN, pre=NOW + 75 * MIN))
    assert sla_label(r, NOW, {}) == ("pre_breach", "RESPONSE 2m")
    assert sla_label(r, NOW + 61 * S, {}) == ("pre_breach", "RESPONSE 59s")
    long_lead = row(clock("resolution", NOW + 61 * MIN, pre=NOW - MIN))
    assert sla_label(long_lead, NOW, {}) == ("pre_breach", "RESOLUTION 1h 01m")


def test_a_running_breach_is_named_before_a_missed_one():
    r = row(clock("response", NOW - 50 * MIN, stopped=NOW - 40 * MIN),  # missed, history
            clock("update", NOW - MIN))
    assert sla_label(r, NOW, {}) == ("breached", "UPDATE BREACHED")


def test_healthy_paused_and_met_rows_keep_their_one_word_labels():
    assert sla_label(row(clock("response", NOW + 50 * MIN, pre=NOW + 40 * MIN)), NOW,
                     {}) == ("ok", "OK")
    paused = clock("resolution", None, paused_since=NOW - MIN, remaining=600)
    assert sla_label(row(paused), NOW, {}) == ("paused", "PAUSED")
    assert sla_label(row(clock("response", NOW, stopped=NOW - MIN)), NOW, {}) == (
        "met", "MET")
