"""The working copy against the published matrix, in words."""

from __future__ import annotations

from console.domain.flow import (
    add_team,
    connect,
    diff_records,
    move,
    remove_node,
    rename,
    set_field,
    set_target,
)

from .conftest import records_of


def test_no_change_says_nothing():
    assert diff_records(records_of(), records_of()) == []


def test_targets_and_backups_read_like_the_leads_write_them():
    old = records_of()
    new = set_target(old, "P2", "response", "45m")
    new = set_field(new, "step:p1-page/0", ("backup",), "vp-engineering")
    assert diff_records(old, new) == [
        "P2 response 1h → 45m",
        "backup for P1 (p1-page step 1) changed from On-call engineer (secondary) to "
        "VP Engineering",
    ]


def test_durations_compare_by_length():
    old = records_of()
    assert diff_records(old, set_target(old, "P2", "response", "60m")) == []


def test_added_removed_renamed_and_limits():
    old = records_of()
    new = add_team(old, "billing", "Billing", "T2")
    new = remove_node(new, "trigger:enterprise-priority")
    new = rename(new, "team:frontline", "front-line")
    new = set_field(new, "authority:refund/t1_agent", ("limit",), 150)
    lines = diff_records(old, new)
    assert "added team Billing (billing)" in lines
    assert "removed trigger enterprise-priority" in lines
    assert "renamed team frontline → front-line" in lines
    assert "refund for T1 agent limit ≤ 100 USD → ≤ 150 USD" in lines
    assert not any("intake team" in line for line in lines)  # follows the rename


def test_routes_triggers_and_layout():
    old = records_of()
    new = connect(old, "severity:P3", "team:specialists")
    new = connect(new, "trigger:enterprise-priority", "team:customer-success")
    new = move(new, {"severity:P1": (0, 0)})
    lines = diff_records(old, new)
    assert "route for P3 changed from Product Engineering to Support Specialists" in lines
    assert ("trigger enterprise-priority actions: prioritize high → prioritize high, "
            "escalate functionally to customer-success") in lines
    assert lines[-1] == "flowchart layout: 1 node position changed"


def test_severity_order_and_unknown_sections():
    old = records_of()
    new = records_of()
    new["severities"][2], new["severities"][3] = new["severities"][3], new["severities"][2]
    new["x_notes"] = {"a": 1}
    lines = diff_records(old, new)
    assert "severity order changed: P1 > P2 > P4 > P3" in lines
    assert "x notes set to {a: 1}" in lines
