"""Live validation is `matrix validate`: the same problems, placed on nodes and edges."""

from __future__ import annotations

import pytest

from console.domain.flow import dump_records, validate_records
from console.domain.matrix import check_matrix_text

from .conftest import records_of


def broken(records: dict, case: str) -> dict:
    sev, chain, trig = records["severities"], records["chains"], records["triggers"]
    if case == "unknown route":
        sev[0]["route_to"] = "incident-respons"
    elif case == "backup is primary":
        chain["p1-page"]["steps"][1]["backup"] = "cto"
    elif case == "no backup on a P2 chain":
        del chain["p2-slack"]["steps"][1]["backup"]
    elif case == "duplicate tier level":
        records["tiers"][4]["level"] = 3
    elif case == "functional escalation without a team":
        trig[2]["then"][0] = {"escalate": {"kind": "functional"}}
    elif case == "resolution before response":
        sev[1]["targets"]["resolution"] = "30m"
    elif case == "malformed duration":
        sev[2]["targets"]["response"] = "soon"
    elif case == "unknown key":
        records["teams"][0]["colour"] = "red"
    elif case == "chain cycle":
        chain["p3-routing"]["next"] = "p4-email"
        chain["p4-email"]["next"] = "p3-routing"
    elif case == "unknown cc":
        chain["p1-page"]["steps"][0]["cc"] = ["ceo"]
    elif case == "bad layout":
        records["layout"] = {"severity:P1": {"x": 1}}
    return records


CASES = ["unknown route", "backup is primary", "no backup on a P2 chain",
         "duplicate tier level", "functional escalation without a team",
         "resolution before response", "malformed duration", "unknown key", "chain cycle",
         "unknown cc", "bad layout"]


def test_the_default_matrix_has_no_problems():
    assert validate_records(records_of()) == []
    assert validate_records(records_of("business-hours")) == []


@pytest.mark.parametrize("case", CASES)
def test_the_editor_finds_exactly_what_matrix_validate_finds(case):
    records = broken(records_of(), case)
    live = {(p.path, p.message) for p in validate_records(records)}
    _, cli = check_matrix_text(dump_records(records), "matrix.yaml")
    assert live == {(p.path, p.message) for p in cli}
    assert live  # every case is broken


@pytest.mark.parametrize(("case", "node", "edge"), [
    ("unknown route", "severity:P1", "route:P1"),
    ("backup is primary", "step:p1-page/1", "backup:p1-page/1"),
    ("no backup on a P2 chain", "step:p2-slack/1", None),
    ("duplicate tier level", "tier:L4", None),
    ("functional escalation without a team", "trigger:payment-bug", "action:payment-bug/0"),
    ("resolution before response", "severity:P2", None),
    ("unknown cc", "step:p1-page/0", "cc:p1-page/0/0"),
    ("chain cycle", "step:p3-routing/0", "chain_next:p3-routing"),
    ("bad layout", "severity:P1", None),
])
def test_each_problem_is_placed_on_the_node_and_edge_it_concerns(case, node, edge):
    problems = validate_records(broken(records_of(), case))
    assert (node, edge) in {(p.node, p.edge) for p in problems}


def test_matrix_level_problems_have_no_node():
    records = records_of()
    records["schema_version"] = 2
    [problem] = validate_records(records)
    assert (problem.node, problem.edge, problem.path) == (None, None, "schema_version")
    assert str(problem).startswith("schema_version: this build reads schema_version 1")
