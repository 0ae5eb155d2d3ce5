"""The matrix as a graph: one node per record, one edge per reference.

Nodes: severities (in the matrix colours, with their targets), triggers, tiers,
teams, notification-chain steps, contacts, decision authority, and the "one tier up"
target of hierarchical escalation. Edges: a severity's routing and chain, a
trigger's actions (functional or hierarchical escalation, notify, bump), the chain
order (primary, backup after the ack timeout, then the next step), and the tier
ladder. Built from plain records, so a half-edited, invalid matrix still draws:
references to missing records simply have no edge (validation reports them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from ..durations import format_duration, parse_duration
from . import describe as say
from .records import (
    UP,
    Records,
    authority_key,
    items,
    mapping,
    node_id,
    step_key,
)


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    kind: str
    key: str                      # the record id (step: "chain/index")
    title: str
    lines: tuple[str, ...] = ()
    color: str = ""               # severities: the matrix colour
    group: str = ""               # tier id (tiers, teams, authority) or chain id (steps)
    rank: int = 0                 # order hint: severity rank, tier level, step index
    tooltip: str = ""


@dataclass(frozen=True, slots=True)
class Edge:
    id: str
    kind: str
    source: str
    target: str
    label: str = ""
    ref: tuple[Any, ...] = ()     # (section, record id, *path) of the reference drawn


@dataclass(slots=True)
class FlowGraph:
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: dict[str, Edge] = field(default_factory=dict)
    tiers: list[str] = field(default_factory=list)     # tier ids, highest level first
    chains: list[str] = field(default_factory=list)    # chain ids, file order
    pending: list[Edge] = field(default_factory=list, repr=False)

    def add_node(self, node: Node) -> None:
        self.nodes.setdefault(node.id, node)  # a duplicate id keeps the first record

    def add_edge(self, edge: Edge) -> None:
        """Collect an edge; ``finish`` keeps those whose two nodes exist."""
        self.pending.append(edge)

    def finish(self) -> FlowGraph:
        for edge in self.pending:
            if edge.source in self.nodes and edge.target in self.nodes:
                self.edges.setdefault(edge.id, edge)
        self.pending = []
        return self

    def neighbours(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {n: [] for n in self.nodes}
        for e in self.edges.values():
            out[e.source].append(e.target)
            out[e.target].append(e.source)
        return out


def _dicts(records: Records, section: str) -> list[dict[str, Any]]:
    return [r for r in items(records, section) if isinstance(r, dict)]


def _sid(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def build_graph(records: Records) -> FlowGraph:
    """The flowchart graph of a matrix's plain records (valid or not)."""
    g = FlowGraph()
    _tiers(g, records)
    _teams_and_authority(g, records)
    _severities(g, records)
    _chains(g, records)
    _contacts(g, records)
    _triggers(g, records)
    _chain_edges(g, records)
    return g.finish()


def _tiers(g: FlowGraph, records: Records) -> None:
    tiers = [t for t in _dicts(records, "tiers") if isinstance(t.get("id"), str)]
    by_level = sorted(tiers, key=lambda t: -t["level"] if isinstance(t.get("level"), int)
                      else 0)
    g.add_node(Node(UP, "up", "up", "⇑ One tier up",
                    ("hierarchical escalation", "from the ticket's tier"),
                    tooltip="Hierarchical escalation `to: up` moves a ticket to the "
                            "next tier above its current one."))
    for t in by_level:
        level = t.get("level")
        g.add_node(Node(node_id("tier", t["id"]), "tier", t["id"],
                        f"{t['id']} · {t.get('name', '')}", (f"tier level {level}",),
                        group=t["id"], rank=level if isinstance(level, int) else 0))
        g.tiers.append(t["id"])
    ladder = [t["id"] for t in reversed(by_level)]
    for low, high in pairwise(ladder):
        g.add_edge(Edge(f"ladder:{low}", "ladder", node_id("tier", low),
                        node_id("tier", high), "", ("tiers", low, "level")))


def _teams_and_authority(g: FlowGraph, records: Records) -> None:
    for t in _dicts(records, "teams"):
        if not isinstance(t.get("id"), str):
            continue
        g.add_node(Node(node_id("team", t["id"]), "team", t["id"], str(t.get("name", t["id"])),
                        (f"{t['id']} · {str(t.get('function', '?')).replace('_', ' ')}",),
                        group=_sid(t.get("tier", ""))))
    role_tier = {r["id"]: r.get("tier") for r in _dicts(records, "roles")
                 if isinstance(r.get("id"), str)}
    role_name = {r["id"]: r.get("name", r["id"]) for r in _dicts(records, "roles")
                 if isinstance(r.get("id"), str)}
    for row in _dicts(records, "authority"):
        key = authority_key(row)
        role = row.get("role")
        limit = row.get("limit")
        title = f"⚖ {row.get('action')}" + (
            f" {say.amount(limit, row.get('unit'))}" if limit is not None else "")
        line = str(role_name.get(role, role))
        if row.get("severities"):
            line += " · " + say.join_words(say.listed(row["severities"]), 4)
        g.add_node(Node(node_id("authority", key), "authority", key, title, (line,),
                        group=_sid(role_tier.get(role) or ""),
                        tooltip=f"{role_name.get(role, role)} may approve {row.get('action')}"
                                + (f" up to {say.amount(limit, row.get('unit'))[2:]}"
                                   if limit is not None else " without a limit")))


def _severities(g: FlowGraph, records: Records) -> None:
    for rank, s in enumerate(_dicts(records, "severities")):
        if not isinstance(s.get("id"), str):
            continue
        lines = say.targets(s.get("targets"))
        two = s.get("two_stage")
        if isinstance(two, dict):
            lines.append(f"two-stage {say.dur(two.get('initial'))} + "
                         f"{say.dur(two.get('confirm'))}")
        tip = [str(s.get("issue", ""))] if s.get("issue") else []
        tip += [f"criterion: {c.get('reason') or ', '.join(say.conditions(c.get('when')))}"
                for c in s.get("criteria") or [] if isinstance(c, dict)]
        g.add_node(Node(node_id("severity", s["id"]), "severity", s["id"],
                        f"{s['id']} · {s.get('name', '')}", tuple(lines),
                        color=str(s.get("color", "")), rank=rank, tooltip="\n".join(tip)))
        sev = node_id("severity", s["id"])
        if isinstance(s.get("route_to"), str):
            g.add_edge(Edge(f"route:{s['id']}", "route", sev, node_id("team", s["route_to"]),
                            "", ("severities", s["id"], "route_to")))
        if isinstance(s.get("notify"), str):
            g.add_edge(Edge(f"notify:{s['id']}", "notify", sev,
                            node_id("step", step_key(s["notify"], 0)), "",
                            ("severities", s["id"], "notify")))


def _chains(g: FlowGraph, records: Records) -> None:
    for cid, chain in mapping(records, "chains").items():
        if not isinstance(chain, dict):
            continue
        g.chains.append(cid)
        steps = [s for s in chain.get("steps") or [] if isinstance(s, dict)]
        repeat = chain.get("repeat", 1)
        for j, step in enumerate(steps):
            ack = step.get("ack_timeout")
            lines = [f"ack within {say.dur(ack)}" if ack else "waits for an acknowledgement"]
            if j == len(steps) - 1 and isinstance(repeat, int) and repeat > 1:
                lines.append(f"then repeat: {repeat} rounds in all")
            g.add_node(Node(node_id("step", step_key(cid, j)), "step", step_key(cid, j),
                            f"Step {j + 1} · {step.get('channel', '?')}", tuple(lines),
                            group=cid, rank=j, tooltip=str(chain.get("description", ""))))


def _contacts(g: FlowGraph, records: Records) -> None:
    for c in _dicts(records, "contacts"):
        if not isinstance(c.get("id"), str):
            continue
        lines = []
        for channel in ("pagerduty", "slack", "email", "teams", "webhook"):
            if c.get(channel):
                lines.append(f"{channel}: {c[channel]}")
                break
        if c.get("on_call"):
            lines.append(f"on call: {c['on_call']}" + (" (next)" if c.get("on_call_offset")
                                                       else ""))
        elif c.get("team") or c.get("role"):
            lines.append(f"{'team' if c.get('team') else 'role'}: "
                         f"{c.get('team') or c.get('role')}")
        g.add_node(Node(node_id("contact", c["id"]), "contact", c["id"],
                        str(c.get("name", c["id"])), tuple(say.clip(x) for x in lines)))


def _triggers(g: FlowGraph, records: Records) -> None:
    for t in _dicts(records, "triggers"):
        tid = t.get("id")
        if not isinstance(tid, str):
            continue
        src = node_id("trigger", tid)
        written = t.get("when")
        when = written if isinstance(written, dict) else {}
        lines = ["when " + say.clip(" and ".join(say.conditions(when)) or "always", 35)]
        edged = ("escalate", "notify")
        rest = [say.action(a) for a in t.get("then") or []
                if not (isinstance(a, dict) and set(a) & set(edged))
                and not (isinstance(a, dict) and isinstance(a.get("bump_severity"), str))]
        if rest:
            lines.append("then " + say.clip(", ".join(rest), 35))
        g.add_node(Node(src, "trigger", tid, f"⚡ {tid}", tuple(lines),
                        tooltip=str(t.get("description", ""))))
        for sid in say.listed(when.get("severity")):
            g.add_edge(Edge(f"when:{tid}/{sid}", "when", node_id("severity", _sid(sid)), src,
                            "", ("triggers", tid, "when", "severity")))
        for j, a in enumerate(t.get("then") or []):
            _action_edge(g, tid, src, j, a)


def _action_edge(g: FlowGraph, tid: str, src: str, j: int, a: Any) -> None:
    if not isinstance(a, dict) or len(a) != 1:
        return
    (kind, value), = a.items()
    ref = ("triggers", tid, "then", j)
    eid = f"action:{tid}/{j}"
    if kind == "escalate" and isinstance(value, dict):
        how = value.get("kind")
        if value.get("team"):
            target = node_id("team", _sid(value["team"]))
        elif value.get("to") == "up":
            target = UP
        else:
            target = node_id("tier", _sid(value.get("to")))
        if how == "functional":
            g.add_edge(Edge(eid, "functional", src, target, "⇆ functional", ref))
        elif how == "hierarchical":
            g.add_edge(Edge(eid, "hierarchical", src, target, "⇑ hierarchical", ref))
    elif kind == "notify" and isinstance(value, str):
        g.add_edge(Edge(eid, "notify", src, node_id("step", step_key(value, 0)), "", ref))
    elif kind == "bump_severity" and isinstance(value, str):
        g.add_edge(Edge(eid, "bump", src, node_id("severity", value), "bump", ref))


def _chain_edges(g: FlowGraph, records: Records) -> None:
    for cid, chain in mapping(records, "chains").items():
        if not isinstance(chain, dict):
            continue
        steps = [s for s in chain.get("steps") or [] if isinstance(s, dict)]
        for j, step in enumerate(steps):
            here = node_id("step", step_key(cid, j))
            ack = step.get("ack_timeout")
            base = ("chains", cid, "steps", j)
            if isinstance(step.get("primary"), str):
                g.add_edge(Edge(f"primary:{cid}/{j}", "primary", here,
                                node_id("contact", step["primary"]), "", (*base, "primary")))
            if isinstance(step.get("backup"), str):
                label = f"after {say.dur(ack)}" if ack else "backup"
                g.add_edge(Edge(f"backup:{cid}/{j}", "backup", here,
                                node_id("contact", step["backup"]), label, (*base, "backup")))
            for k, cc in enumerate(say.listed(step.get("cc"))):
                g.add_edge(Edge(f"cc:{cid}/{j}/{k}", "cc", here, node_id("contact", _sid(cc)),
                                "", (*base, "cc", k)))
            if j + 1 < len(steps):
                g.add_edge(Edge(f"next:{cid}/{j}", "next", here,
                                node_id("step", step_key(cid, j + 1)),
                                _wait_label(step), ("chains", cid, "steps", j + 1)))
        nxt = chain.get("next")
        if isinstance(nxt, str) and steps:
            repeat = chain.get("repeat", 1)
            label = "then" if not isinstance(repeat, int) or repeat <= 1 else (
                f"after {repeat} rounds")
            g.add_edge(Edge(f"chain_next:{cid}", "chain_next",
                            node_id("step", step_key(cid, len(steps) - 1)),
                            node_id("step", step_key(nxt, 0)), label, ("chains", cid, "next")))


def _wait_label(step: dict[str, Any]) -> str:
    """How long the chain stays on a step: the primary's ack timeout, then the backup's."""
    ack = step.get("ack_timeout")
    if not ack:
        return "no timeout"
    if not step.get("backup"):
        return f"after {say.dur(ack)}"
    try:
        return f"after {format_duration(parse_duration(ack) * 2)}"
    except ValueError:
        return f"after 2 × {ack}"
