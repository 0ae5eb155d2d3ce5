"""The flowchart graph: every record a node, every reference an edge."""

from __future__ import annotations

from console.domain.flow import UP, build_graph

from .conftest import records_of


def test_every_record_of_the_default_matrix_becomes_a_node(records):
    g = build_graph(records)
    kinds = [n.kind for n in g.nodes.values()]
    steps = sum(len(c["steps"]) for c in records["chains"].values())
    assert kinds.count("severity") == len(records["severities"])
    assert kinds.count("trigger") == len(records["triggers"])
    assert kinds.count("tier") == len(records["tiers"])
    assert kinds.count("team") == len(records["teams"])
    assert kinds.count("contact") == len(records["contacts"])
    assert kinds.count("authority") == len(records["authority"])
    assert kinds.count("step") == steps
    assert kinds.count("up") == 1


def test_severities_are_drawn_in_the_matrix_colours_with_their_targets(records):
    p1 = build_graph(records).nodes["severity:P1"]
    assert p1.color == "#d32f2f"
    assert p1.title == "P1 · Critical"
    assert p1.lines[:2] == ("respond 15m · update 30m", "resolve 2h · 24x7")
    assert [build_graph(records).nodes[f"severity:P{i}"].rank for i in (1, 2, 3, 4)] == [0, 1, 2, 3]


def test_a_chain_runs_primary_then_backup_then_the_next_step_with_timeouts_on_the_edges(records):
    g = build_graph(records)
    assert g.edges["primary:p1-page/0"].target == "contact:oncall-primary"
    assert g.edges["backup:p1-page/0"].target == "contact:oncall-secondary"
    assert g.edges["backup:p1-page/0"].label == "after 5m"
    # the primary waits 5m, then the backup 5m: the next step starts after 10m
    assert g.edges["next:p1-page/0"].label == "after 10m"
    assert g.edges["next:p1-page/0"].target == "step:p1-page/1"
    assert g.edges["cc:p1-page/0/0"].target == "contact:cto"
    assert g.edges["notify:P1"].target == "step:p1-page/0"


def test_functional_and_hierarchical_escalations_are_different_edge_kinds(records):
    g = build_graph(records)
    functional = g.edges["action:payment-bug/0"]
    assert (functional.kind, functional.target) == ("functional", "team:payments-engineering")
    to_l4 = g.edges["action:p1-resolution-at-risk/0"]
    assert (to_l4.kind, to_l4.target) == ("hierarchical", "tier:L4")
    up = g.edges["action:unresolved-24h/0"]
    assert (up.kind, up.target) == ("hierarchical", UP)
    assert g.edges["when:p1-resolution-at-risk/P1"].source == "severity:P1"


def test_the_tier_ladder_climbs_from_t0_to_l4(records):
    g = build_graph(records)
    ladder = [(e.source, e.target) for e in g.edges.values() if e.kind == "ladder"]
    assert ladder == [("tier:T0", "tier:T1"), ("tier:T1", "tier:T2"), ("tier:T2", "tier:T3"),
                      ("tier:T3", "tier:L4")]
    assert g.tiers == ["L4", "T3", "T2", "T1", "T0"]


def test_a_reference_to_a_missing_record_draws_no_edge(records):
    records["severities"][0]["route_to"] = "nobody"
    assert "route:P1" not in build_graph(records).edges


def test_malformed_records_still_draw(records):
    records["teams"].append("not a mapping")
    records["triggers"][0]["then"] = "escalate"
    records["chains"]["p1-page"]["steps"][0]["cc"] = "cto"
    records["severities"][1]["targets"] = None
    g = build_graph(records)
    assert "severity:P2" in g.nodes
    assert g.nodes["severity:P2"].lines[0] == "no targets"


def test_the_business_hours_matrix_draws_too():
    g = build_graph(records_of("business-hours"))
    assert "P3" in g.nodes["severity:P3"].title
    assert "berlin-business" in g.nodes["severity:P3"].lines[1]
