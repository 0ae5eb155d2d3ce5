"""A large, valid matrix grown from the default one: exactly ``nodes`` flowchart nodes
and ``edges`` edges (tiers, teams, triggers, chains with backups, contacts, authority)."""

from __future__ import annotations

import copy
import random
from typing import Any

import yaml

from console.domain.flow import build_graph, validate_records
from console.paths import default_matrix_path

FUNCTIONS = ("support", "customer_success", "engineering", "product", "executive")
CHANNELS = ("slack", "email", "pagerduty", "teams")


def default_records() -> dict[str, Any]:
    return yaml.safe_load(default_matrix_path().read_text(encoding="utf-8"))


def generate_records(nodes: int = 500, edges: int = 1000, seed: int = 7) -> dict[str, Any]:
    """A valid matrix whose flowchart has ``nodes`` nodes and ``edges`` edges."""
    rnd = random.Random(seed)
    r = copy.deepcopy(default_records())
    r["name"] = f"Generated matrix ({nodes} nodes)"
    r.pop("layout", None)
    levels = {t["level"] for t in r["tiers"]}
    for level in range(10):
        if level not in levels:
            r["tiers"].append({"id": f"L{level}", "name": f"Level {level}", "level": level})
    tiers = [t["id"] for t in r["tiers"]]
    roles = [x["id"] for x in r["roles"]]
    budget = nodes - len(build_graph(r).nodes)
    teams = triggers = authority = max(1, budget // 8)
    chains = max(1, budget // 10)
    contacts = budget - teams - triggers - authority - 3 * chains
    if contacts < 2:
        raise ValueError(f"{nodes} nodes are too few for a generated matrix")
    for i in range(teams):
        r["teams"].append({"id": f"team-{i}", "name": f"Team {i}", "tier": rnd.choice(tiers),
                           "function": rnd.choice(FUNCTIONS)})
    new_contacts = [f"person-{i}" for i in range(contacts)]
    for cid in new_contacts:
        r["contacts"].append({"id": cid, "name": f"Person {cid[7:]}",
                              "email": f"{cid}@example.com"})
    for i in range(chains):
        steps = []
        for _ in range(3):
            primary, backup = rnd.sample(new_contacts, 2)
            steps.append({"primary": primary, "backup": backup,
                          "channel": rnd.choice(CHANNELS), "ack_timeout": f"{rnd.randint(2, 30)}m"})
        r["chains"][f"chain-{i}"] = {"description": f"Generated chain {i}", "steps": steps}
    team_ids = [t["id"] for t in r["teams"]]
    chain_ids = list(r["chains"])
    severities = [s["id"] for s in r["severities"]]
    for i in range(triggers):
        kind = rnd.choice(("functional", "hierarchical"))
        escalate = ({"kind": "functional", "team": rnd.choice(team_ids)} if kind == "functional"
                    else {"kind": "hierarchical", "to": rnd.choice([*tiers, "up"])})
        r["triggers"].append({
            "id": f"trigger-{i}", "description": f"Generated trigger {i}",
            "when": {"unresolved_for": f"{rnd.randint(1, 72)}h",
                     "severity": rnd.sample(severities, rnd.randint(1, 2))},
            "then": [{"escalate": escalate}, {"notify": rnd.choice(chain_ids)}]})
    for i in range(authority):
        r["authority"].append({"action": f"approve-{i}", "role": rnd.choice(roles),
                               "limit": rnd.randint(1, 100) * 100, "unit": "USD"})
    _fill_edges(r, edges, rnd)
    graph = build_graph(r)
    problems = validate_records(r)
    if problems or len(graph.nodes) != nodes or len(graph.edges) != edges:
        raise AssertionError(f"generated {len(graph.nodes)} nodes, {len(graph.edges)} edges, "
                             f"problems: {problems[:3]}")
    return r


def _fill_edges(r: dict[str, Any], edges: int, rnd: random.Random) -> None:
    """Add cc contacts (one edge each) until the graph has ``edges`` edges."""
    missing = edges - len(build_graph(r).edges)
    if missing < 0:
        raise ValueError(f"the generated matrix already has {edges - missing} edges")
    people = [c["id"] for c in r["contacts"] if c["id"].startswith("person-")]
    steps = [s for cid, c in r["chains"].items() if cid.startswith("chain-") for s in c["steps"]]
    while missing:
        step = steps[missing % len(steps)]
        taken = {step["primary"], step["backup"], *step.get("cc", [])}
        choice = rnd.choice([p for p in people if p not in taken])
        step.setdefault("cc", []).append(choice)
        missing -= 1
