"""Each flowchart edit on the plain records: new records out, the input untouched, and
a matrix that still validates (or whose problem is the expected one)."""

from __future__ import annotations

import copy

import pytest

from console.domain.flow import (
    UP,
    DuplicateId,
    FlowEditError,
    InvalidConnection,
    InvalidId,
    UnknownNode,
    add_authority,
    add_chain,
    add_contact,
    add_severity,
    add_step,
    add_team,
    add_tier,
    add_trigger,
    build_graph,
    connect,
    disconnect,
    move,
    remove_node,
    rename,
    rename_calendar,
    set_field,
    set_layout,
    set_path,
    set_target,
    validate_records,
)


def problems(records: dict) -> list[str]:
    return [str(p) for p in validate_records(records)]


def severity(records: dict, sid: str) -> dict:
    return next(s for s in records["severities"] if s["id"] == sid)


def trigger(records: dict, tid: str) -> dict:
    return next(t for t in records["triggers"] if t["id"] == tid)


# -- setting values ------------------------------------------------------------------------
def test_set_target_changes_the_target_and_leaves_the_input_alone(records):
    before = copy.deepcopy(records)
    out = set_target(records, "P2", "response", "45m")
    assert severity(out, "P2")["targets"]["response"] == "45m"
    assert records == before
    assert problems(out) == []


def test_removing_a_required_target_is_reported_by_validation(records):
    out = set_target(records, "P2", "response", None)
    assert problems(out) == ["severities[1].targets: a severity needs a response target"]


def test_set_target_refuses_an_unknown_clock(records):
    with pytest.raises(FlowEditError):
        set_target(records, "P2", "lunch", "1h")


def test_set_field_sets_nested_values_and_none_deletes(records):
    out = set_field(records, "severity:P1", ("pre_breach", "response"), "3m")
    assert severity(out, "P1")["pre_breach"]["response"] == "3m"
    out = set_field(out, "step:p1-page/0", ("backup",), None)
    assert "backup" not in out["chains"]["p1-page"]["steps"][0]
    assert any("needs a backup on every step" in p for p in problems(out))


def test_set_field_refuses_to_change_an_id(records):
    with pytest.raises(FlowEditError, match="rename"):
        set_field(records, "team:frontline", ("id",), "x")


def test_changing_an_authority_action_moves_its_saved_position(records):
    records = move(records, {"authority:refund/t1_agent": (5, 6)})
    out = set_field(records, "authority:refund/t1_agent", ("action",), "refund_small")
    assert out["layout"]["authority:refund_small/t1_agent"] == {"x": 5.0, "y": 6.0}
    assert "authority:refund/t1_agent" not in out["layout"]


def test_set_path_edits_matrix_level_values_like_calendars(records):
    out = set_path(records, ("calendars", "24x7", "timezone"), "Europe/Berlin")
    assert out["calendars"]["24x7"]["timezone"] == "Europe/Berlin"
    assert problems(set_path(records, ("calendars", "24x7", "timezone"), "Mars/Olympus")) == [
        "calendars.24x7.timezone: unknown time zone 'Mars/Olympus'"]


# -- adding --------------------------------------------------------------------------------
def test_add_each_kind_of_node(records):
    out = add_tier(records, "T4", "Principal engineers", 5, at=(1, 2))
    out = add_team(out, "billing", "Billing", "T2", "support")
    out = add_contact(out, "billing-lead", "Billing lead", email="billing@example.com")
    out = add_chain(out, "billing-chain", "billing-lead", "email", "30m")
    out = add_step(out, "billing-chain", "cs-lead", "slack", "1h", backup="support-lead")
    out = add_trigger(out, "refund-dispute", {"category": ["billing"]},
                      [{"escalate": {"kind": "functional", "team": "billing"}}])
    out = add_severity(out, "P5", "Trivial", "#9e9e9e", "7d")
    out = add_authority(out, "refund", "cs_lead", 250, "USD")
    assert problems(out) == []
    nodes = build_graph(out).nodes
    for nid in ("tier:T4", "team:billing", "contact:billing-lead", "step:billing-chain/0",
                "step:billing-chain/1", "trigger:refund-dispute", "severity:P5",
                "authority:refund/cs_lead"):
        assert nid in nodes
    assert out["layout"] == {"tier:T4": {"x": 1.0, "y": 2.0}}
    assert list(records) == list(out)[:len(records)]  # layout goes at the end


def test_adding_a_section_that_is_missing_puts_it_in_the_format_order():
    minimal = {"schema_version": 1, "name": "m", "calendars": {"c": {"timezone": "UTC",
                                                                     "hours": "always"}},
               "tiers": [{"id": "T1", "name": "t", "level": 1}],
               "teams": [{"id": "a", "name": "A", "tier": "T1", "function": "support"}],
               "severities": [{"id": "P1", "name": "x", "color": "#000000",
                               "targets": {"calendar": "c", "response": "1h"}}]}
    out = add_contact(minimal, "bob", "Bob")
    assert list(out) == ["schema_version", "name", "calendars", "tiers", "teams", "contacts",
                         "severities"]


def test_adding_a_duplicate_or_invalid_id_is_refused(records):
    with pytest.raises(DuplicateId):
        add_team(records, "frontline", "Again", "T1")
    with pytest.raises(DuplicateId):
        add_chain(records, "p1-page", "cto")
    with pytest.raises(DuplicateId):
        add_authority(records, "refund", "t1_agent")
    with pytest.raises(InvalidId):
        add_contact(records, "has space", "X")


def test_add_step_in_the_middle_shifts_the_saved_positions_of_later_steps(records):
    records = move(records, {"step:p1-page/0": (0, 0), "step:p1-page/1": (0, 100)})
    out = add_step(records, "p1-page", "cs-lead", "slack", "5m", backup="support-lead", index=1)
    assert out["chains"]["p1-page"]["steps"][1]["primary"] == "cs-lead"
    assert out["layout"]["step:p1-page/2"] == {"x": 0.0, "y": 100.0}
    assert "step:p1-page/1" not in out["layout"]


# -- removing ------------------------------------------------------------------------------
def test_removing_a_team_removes_the_routes_and_escalations_to_it(records):
    out = remove_node(records, "team:payments-engineering")
    assert not any(t["id"] == "payments-engineering" for t in out["teams"])
    assert trigger(out, "payment-bug")["then"] == [{"require_handoff": True}]
    out = remove_node(records, "team:incident-response")
    assert "route_to" not in severity(out, "P1")
    assert problems(out) == []


def test_removing_a_severity_cleans_conditions_bumps_and_authority(records):
    out = remove_node(records, "severity:P1")
    assert "severity" not in trigger(out, "p1-resolution-at-risk")["when"]
    declare = next(a for a in out["authority"] if a["action"] == "declare_incident")
    assert "severities" not in declare
    out = remove_node(connect(records, "trigger:payment-bug", "severity:P4"), "severity:P4")
    assert out["authority"][6]["severities"] == ["P3"]
    assert {"bump_severity": "P4"} not in trigger(out, "payment-bug")["then"]
    assert problems(out) == []


def test_removing_a_contact_used_as_primary_is_reported_on_the_step(records):
    out = remove_node(records, "contact:oncall-secondary")
    assert "backup" not in out["chains"]["p1-page"]["steps"][0]
    out = remove_node(records, "contact:product-design-inbox")
    [problem] = validate_records(out)
    assert problem.node == "step:p4-email/0"
    assert problem.edge == "primary:p4-email/0"
    assert "unknown contact 'product-design-inbox'" in problem.message


def test_removing_a_contact_also_leaves_its_rotation(records):
    if "rotations" not in records:
        pytest.skip("this matrix has no rotations")
    out = remove_node(records, "contact:dana-eng")
    assert all("dana-eng" not in r.get("members", []) for r in out["rotations"].values())


def test_removing_the_last_step_removes_the_chain_and_its_uses(records):
    out = remove_node(records, "step:sentiment-watch/0")
    assert "sentiment-watch" not in out["chains"]
    assert {"notify": "sentiment-watch"} not in trigger(out, "negative-sentiment")["then"]
    out = remove_node(records, "step:p4-email/0")
    assert "notify" not in severity(out, "P4")
    assert problems(out) == []


def test_removing_a_step_renumbers_the_saved_positions(records):
    records = move(records, {"step:p1-page/0": (0, 0), "step:p1-page/1": (0, 100)})
    out = remove_node(records, "step:p1-page/0")
    assert out["layout"] == {"step:p1-page/0": {"x": 0.0, "y": 100.0}}


def test_remove_tier_trigger_and_authority(records):
    out = remove_node(records, "trigger:enterprise-priority")
    assert len(out["triggers"]) == len(records["triggers"]) - 1
    out = remove_node(records, "authority:publish_matrix/lead")
    assert len(out["authority"]) == len(records["authority"]) - 1
    out = remove_node(records, "tier:L4")
    assert trigger(out, "p1-resolution-at-risk")["then"] == [{"notify": "executive-escalation"}]
    assert any("unknown tier 'L4'" in p for p in problems(out))  # executives' tier


def test_the_one_tier_up_node_and_unknown_nodes_cannot_be_removed(records):
    with pytest.raises(FlowEditError):
        remove_node(records, UP)
    with pytest.raises(UnknownNode):
        remove_node(records, "team:nobody")


# -- renaming ------------------------------------------------------------------------------
@pytest.mark.parametrize(("nid", "new"), [
    ("severity:P1", "SEV1"), ("tier:T3", "T3x"), ("team:frontline", "front-line"),
    ("contact:cto", "chief"), ("trigger:payment-bug", "payments"), ("step:p1-page/1", "page"),
    ("authority:refund/t1_agent", "refund_small"),
])
def test_renaming_updates_every_reference_and_the_matrix_stays_valid(records, nid, new):
    out = rename(records, nid, new)
    assert problems(out) == []
    assert len(build_graph(out).edges) == len(build_graph(records).edges)  # none dangles


def test_renaming_a_team_updates_routes_contacts_intake_and_escalations(records):
    records = move(records, {"team:payments-engineering": (1, 1)})
    out = rename(records, "team:payments-engineering", "payments")
    assert trigger(out, "payment-bug")["then"][0]["escalate"]["team"] == "payments"
    assert out["layout"] == {"team:payments": {"x": 1.0, "y": 1.0}}
    out = rename(records, "team:frontline", "intake")
    assert out["intake_team"] == "intake"


def test_renaming_a_chain_renames_its_steps_and_uses(records):
    out = rename(records, "step:p2-slack/0", "p2-chat")
    assert list(out["chains"]).index("p2-chat") == list(records["chains"]).index("p2-slack")
    assert severity(out, "P2")["notify"] == "p2-chat"


def test_rename_refuses_a_taken_or_invalid_id(records):
    with pytest.raises(DuplicateId):
        rename(records, "team:frontline", "specialists")
    with pytest.raises(InvalidId):
        rename(records, "team:frontline", "front line")
    with pytest.raises(FlowEditError):
        rename(records, UP, "x")


def test_rename_calendar_updates_the_severities(records):
    out = rename_calendar(records, "24x7", "always-open")
    assert {s["targets"]["calendar"] for s in out["severities"]} == {"always-open"}
    assert problems(out) == []


# -- connecting ----------------------------------------------------------------------------
# the reverse drag means something else for these
ONE_WAY = {("severity:P2", "trigger:unresolved-24h"),
           ("trigger:enterprise-priority", "severity:P2"),
           ("step:p3-routing/0", "step:p4-email/0")}


@pytest.mark.parametrize(("source", "target", "check"), [
    ("severity:P3", "team:specialists", lambda r: severity(r, "P3")["route_to"] == "specialists"),
    ("severity:P3", "step:p2-slack/1", lambda r: severity(r, "P3")["notify"] == "p2-slack"),
    ("severity:P2", "trigger:unresolved-24h",
     lambda r: trigger(r, "unresolved-24h")["when"]["severity"] == ["P2"]),
    ("trigger:enterprise-priority", "team:customer-success",
     lambda r: {"escalate": {"kind": "functional", "team": "customer-success"}}
     in trigger(r, "enterprise-priority")["then"]),
    ("trigger:enterprise-priority", "tier:T2",
     lambda r: {"escalate": {"kind": "hierarchical", "to": "T2"}}
     in trigger(r, "enterprise-priority")["then"]),
    ("trigger:enterprise-priority", UP,
     lambda r: {"escalate": {"kind": "hierarchical", "to": "up"}}
     in trigger(r, "enterprise-priority")["then"]),
    ("trigger:enterprise-priority", "step:sentiment-watch/0",
     lambda r: {"notify": "sentiment-watch"} in trigger(r, "enterprise-priority")["then"]),
    ("trigger:enterprise-priority", "severity:P2",
     lambda r: {"bump_severity": "P2"} in trigger(r, "enterprise-priority")["then"]),
    ("step:p4-email/0", "contact:product-manager",
     lambda r: r["chains"]["p4-email"]["steps"][0]["backup"] == "product-manager"),
    ("step:p3-routing/0", "step:p4-email/0",
     lambda r: r["chains"]["p3-routing"]["next"] == "p4-email"),
    ("team:specialists", "tier:T1", lambda r: r["teams"][2]["tier"] == "T1"),
    ("contact:cto", "team:executives", lambda r: r["contacts"][5]["team"] == "executives"),
    ("authority:refund/t2_manager", "severity:P2",
     lambda r: r["authority"][1]["severities"] == ["P2"]),
])
def test_connecting_two_nodes_sets_the_reference_between_them(records, source, target, check):
    drags = [(source, target)] + ([] if (source, target) in ONE_WAY else [(target, source)])
    for a, b in drags:  # either drag direction works, unless the reverse means more
        out = connect(records, a, b)
        assert check(out)
        assert problems(out) == []


def test_a_step_and_a_contact_connect_as_primary_backup_or_cc(records):
    out = connect(records, "step:p1-page/1", "contact:support-lead")
    assert out["chains"]["p1-page"]["steps"][1]["cc"] == ["support-lead"]  # both taken
    out = connect(records, "step:p1-page/1", "contact:support-lead", role="primary")
    assert out["chains"]["p1-page"]["steps"][1]["primary"] == "support-lead"
    with pytest.raises(InvalidConnection, match="differ"):
        connect(records, "step:p1-page/1", "contact:cto", role="backup")


def test_nodes_that_no_reference_links_cannot_connect(records):
    with pytest.raises(InvalidConnection):
        connect(records, "team:frontline", "contact:cto".replace("contact", "authority"))
    with pytest.raises(InvalidConnection):
        connect(records, "tier:T1", "tier:T2")
    with pytest.raises(InvalidConnection):
        connect(records, "step:p1-page/0", "step:p1-page/1")
    with pytest.raises(InvalidConnection):
        connect(records, "trigger:payment-bug", "team:payments-engineering")  # already so


# -- disconnecting -------------------------------------------------------------------------
def test_disconnecting_clears_the_reference_each_edge_draws(records):
    edges = build_graph(records).edges
    out = disconnect(records, edges["route:P1"])
    assert "route_to" not in severity(out, "P1")
    out = disconnect(records, edges["notify:P3"])
    assert "notify" not in severity(out, "P3")
    out = disconnect(records, edges["action:negative-sentiment/1"])
    assert trigger(out, "negative-sentiment")["then"] == [
        {"escalate": {"kind": "hierarchical", "to": "up"}}]
    out = disconnect(records, edges["when:p1-resolution-at-risk/P1"])
    assert "severity" not in trigger(out, "p1-resolution-at-risk")["when"]
    out = disconnect(records, edges["backup:sentiment-watch/0"])
    assert "backup" not in out["chains"]["sentiment-watch"]["steps"][0]
    out = disconnect(records, edges["cc:p1-page/0/0"])
    assert "cc" not in out["chains"]["p1-page"]["steps"][0]


def test_disconnecting_a_chain_next_link(records):
    linked = connect(records, "step:p3-routing/0", "step:p4-email/0")
    out = disconnect(linked, build_graph(linked).edges["chain_next:p3-routing"])
    assert "next" not in out["chains"]["p3-routing"]


@pytest.mark.parametrize("eid", ["primary:p1-page/0", "next:p1-page/0", "ladder:T0"])
def test_structural_edges_cannot_be_disconnected(records, eid):
    with pytest.raises(InvalidConnection):
        disconnect(records, build_graph(records).edges[eid])


# -- positions -----------------------------------------------------------------------------
def test_move_writes_rounded_positions_in_the_layout_section(records):
    out = move(records, {"severity:P1": (10.04, -3.333)})
    assert out["layout"] == {"severity:P1": {"x": 10.0, "y": -3.3}}
    assert "layout" not in records
    assert problems(out) == []
    assert "layout" not in set_layout(out, None)
    assert set_layout(out, {"team:frontline": (1, 2)})["layout"] == {
        "team:frontline": {"x": 1.0, "y": 2.0}}
