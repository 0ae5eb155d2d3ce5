"""The default layout: deterministic, tiers stacked upward, nothing overlapping."""

from __future__ import annotations

import pytest

from benchmarks.flowchart.generate import generate_records
from console.domain.flow import build_graph, layout_graph
from console.domain.flow.layout import label_positions, label_rects, pack

from .conftest import records_of


def measure(node) -> tuple[float, float]:
    longest = max([len(node.title), *(len(line) for line in node.lines)])
    return longest * 7.0 + 24, 24.0 + 17 * len(node.lines)


def label_size(text: str) -> tuple[float, float]:
    return len(text) * 6.5 + 10, 17.0


def overlaps(rects: dict) -> list[tuple[str, str]]:
    keys = sorted(rects)
    return [(a, b) for i, a in enumerate(keys) for b in keys[i + 1:]
            if rects[a].intersects(rects[b])]


@pytest.fixture(scope="module")
def large():
    return generate_records(500, 1000)


@pytest.mark.parametrize("name", ["default", "business-hours", "large"])
def test_no_nodes_or_labels_overlap(name, request):
    records = request.getfixturevalue("large") if name == "large" else records_of(name)
    g = build_graph(records)
    layout = layout_graph(g, measure)
    assert overlaps(layout.rects()) == []
    labels = label_rects(g, layout, label_positions(g, layout, label_size), label_size)
    assert len(labels) == sum(1 for e in g.edges.values() if e.label)
    if name != "large":  # the large one is too dense for a promise; it is still placed
        assert overlaps({**layout.rects(), **labels}) == []


def test_the_layout_is_deterministic():
    g = build_graph(records_of())
    assert layout_graph(g, measure).positions == layout_graph(build_graph(records_of()),
                                                              measure).positions


def test_tiers_run_from_l4_at_the_top_to_t0_at_the_bottom_with_their_teams_below():
    layout = layout_graph(build_graph(records_of()), measure)
    y = {nid: p[1] for nid, p in layout.positions.items()}
    assert y["tier:L4"] < y["tier:T3"] < y["tier:T2"] < y["tier:T1"] < y["tier:T0"]
    assert y["tier:T3"] < y["team:incident-response"] < y["tier:T2"]
    assert y["severity:P1"] < y["severity:P2"] < y["severity:P3"] < y["severity:P4"]
    assert y["step:p1-page/0"] < y["step:p1-page/1"]
    x = {nid: p[0] for nid, p in layout.positions.items()}
    assert x["authority:refund/t1_agent"] < x["team:frontline"] < x["severity:P1"] \
        < x["step:p1-page/0"] < x["contact:cto"]


def test_every_node_in_a_column_has_the_column_width():
    layout = layout_graph(build_graph(records_of()), measure)
    for _, _, x, width in layout.columns:
        widths = {layout.sizes[n][0] for n, p in layout.positions.items() if p[0] == x}
        assert widths == {width}


def test_saved_positions_win_and_new_nodes_keep_clear_of_them():
    g = build_graph(records_of())
    auto = layout_graph(g, measure)
    fixed = {nid: auto.positions[nid] for nid in list(auto.positions)[:-3]}
    target = auto.positions["team:frontline"]
    fixed["team:specialists"] = target  # dropped onto the place another node will compute
    del fixed["team:frontline"]
    layout = layout_graph(g, measure, fixed)
    assert layout.positions["team:specialists"] == target
    assert layout.positions["team:frontline"] != target
    assert overlaps(layout.rects()) == []


def test_groups_frame_tier_bands_chain_blocks_and_triggers():
    layout = layout_graph(build_graph(records_of()), measure)
    kinds = {(g.kind, g.key) for g in layout.groups}
    assert ("tier", "T3") in kinds
    assert ("chain", "p1-page") in kinds
    assert ("section", "triggers") in kinds
    band = next(g for g in layout.groups if g.key == "T3").rect
    team = layout.rect("team:incident-response")
    assert band.x <= team.x and team.right <= band.right


def test_pack_keeps_order_and_gaps_as_close_as_possible():
    assert pack([0, 0, 0], [10, 10, 10], [5, 5]) == [-15.0, 0.0, 15.0]
    assert pack([0, 100], [10, 10], [5]) == [0, 100]
    tops = pack([50, 10], [20, 20], [10])
    assert tops[1] - tops[0] == 30
