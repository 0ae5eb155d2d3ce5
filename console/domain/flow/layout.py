"""A deterministic, layered layout: readable without any manual placement.

Columns, left to right: decision authority, the hierarchy (tier bands from L4 at the
top down to T0, each tier above its teams), severities and triggers, notification
chains (each chain a block of steps, top to bottom), contacts. Within a column the
order comes from barycentres (Sugiyama style): each node moves towards the mean
position of its neighbours, a few sweeps; then each column is packed with minimum
gaps as close to those positions as the order allows (pool-adjacent-violators, the
least-squares fit). Nodes never overlap, and every node in a column is as wide as
the column. Saved positions win over computed ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .geometry import Curve, Rect, edge_curve, label_rect, place_labels, route_for, union
from .graph import FlowGraph, Node
from .records import UP

Point = tuple[float, float]
Size = tuple[float, float]

COLUMN_OF = {"authority": "authority", "up": "hierarchy", "tier": "hierarchy",
             "team": "hierarchy", "severity": "intake", "trigger": "intake",
             "step": "chains", "contact": "contacts"}
COLUMNS = ("authority", "hierarchy", "intake", "chains", "contacts")
TITLES = {"authority": "Decision authority", "hierarchy": "Hierarchy: tiers and teams",
          "intake": "Severities", "chains": "Notification chains", "contacts": "Contacts"}


@dataclass(frozen=True, slots=True)
class Spacing:
    row_gap: float = 12.0
    band_gap: float = 30.0
    section_gap: float = 64.0     # between the severities and the triggers
    step_gap: float = 36.0        # between the steps of one chain (the timeout label)
    chain_gap: float = 30.0
    chain_header: float = 24.0
    band_pad: float = 10.0
    gutters: tuple[float, ...] = (100.0, 170.0, 120.0, 150.0)  # between the COLUMNS
    min_width: float = 150.0
    max_width: float = 360.0


SPACING = Spacing()


@dataclass(frozen=True, slots=True)
class Group:
    kind: str                     # "tier" band, "chain" block, "section" (triggers)
    key: str
    title: str
    rect: Rect


@dataclass(slots=True)
class Layout:
    positions: dict[str, Point]
    sizes: dict[str, Size]
    columns: list[tuple[str, str, float, float]] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)

    def rect(self, nid: str) -> Rect:
        (x, y), (w, h) = self.positions[nid], self.sizes[nid]
        return Rect(x, y, w, h)

    def rects(self) -> dict[str, Rect]:
        return {nid: self.rect(nid) for nid in self.positions}


def column_of(node: Node) -> str:
    return COLUMN_OF[node.kind]


def node_sizes(graph: FlowGraph, measure: Callable[[Node], Size],
               spacing: Spacing = SPACING) -> dict[str, Size]:
    """Measured sizes, each widened to its column's widest node (within limits)."""
    measured = {nid: measure(n) for nid, n in graph.nodes.items()}
    widest: dict[str, float] = {}
    for nid, n in graph.nodes.items():
        col = column_of(n)
        widest[col] = max(widest.get(col, 0.0), measured[nid][0])
    return {nid: (min(spacing.max_width, max(spacing.min_width, widest[column_of(n)])),
                  measured[nid][1]) for nid, n in graph.nodes.items()}


def pack(desired: list[float], heights: list[float], gaps: list[float],
         low: float | None = None) -> list[float]:
    """Tops closest (least squares) to ``desired`` that keep the order and the gaps:
    ``top[i+1] >= top[i] + heights[i] + gaps[i]``; with ``low``, none starts above it."""
    offsets, total = [], 0.0
    for i, h in enumerate(heights):
        offsets.append(total)
        total += h + (gaps[i] if i < len(gaps) else 0.0)
    blocks: list[tuple[float, float, int]] = []  # (mean, weight, count)
    for d, o in zip(desired, offsets, strict=True):
        blocks.append((d - o, 1.0, 1))
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, w2, c2 = blocks.pop()
            m1, w1, c1 = blocks.pop()
            blocks.append(((m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2, c1 + c2))
    out: list[float] = []
    for mean, _, count in blocks:
        out.extend([mean] * count)
    tops = [z + o for z, o in zip(out, offsets, strict=True)]
    if low is not None:  # push down from the top, keeping the gaps
        floor = low
        for i, h in enumerate(heights):
            tops[i] = max(tops[i], floor)
            floor = tops[i] + h + (gaps[i] if i < len(gaps) else 0.0)
    return tops


class _Layered:
    def __init__(self, graph: FlowGraph, sizes: dict[str, Size], spacing: Spacing) -> None:
        self.g, self.sizes, self.sp = graph, sizes, spacing
        self.nbrs = graph.neighbours()
        self.y: dict[str, float] = {}  # node top
        by_col: dict[str, list[str]] = {c: [] for c in COLUMNS}
        for nid, n in graph.nodes.items():
            by_col[column_of(n)].append(nid)
        self.cols = by_col
        self.severities = sorted((n for n in by_col["intake"]
                                  if graph.nodes[n].kind == "severity"),
                                 key=lambda n: graph.nodes[n].rank)
        self.triggers = [n for n in by_col["intake"] if graph.nodes[n].kind == "trigger"]
        self.chains: dict[str, list[str]] = {}
        for nid in by_col["chains"]:
            self.chains.setdefault(graph.nodes[nid].group, []).append(nid)
        for steps in self.chains.values():
            steps.sort(key=lambda n: graph.nodes[n].rank)
        self.chain_order = list(self.chains)
        self.contacts = list(by_col["contacts"])
        self.bands = self._bands()

    def h(self, nid: str) -> float:
        return self.sizes[nid][1]

    def centre(self, nid: str) -> float:
        return self.y[nid] + self.h(nid) / 2

    def _bands(self) -> list[tuple[str, list[str], list[str]]]:
        """(tier id, hierarchy column nodes, authority nodes), highest tier first."""
        g, known = self.g, set(self.g.tiers)
        bands = []
        for tier in [*g.tiers, ""]:
            head = [f"tier:{tier}"] if tier else []
            teams = [n for n in self.cols["hierarchy"] if g.nodes[n].kind == "team"
                     and (g.nodes[n].group == tier or (not tier and g.nodes[n].group
                                                       not in known))]
            rows = [n for n in self.cols["authority"] if g.nodes[n].group == tier
                    or (not tier and g.nodes[n].group not in known)]
            if head or teams or rows:
                bands.append((tier, head + teams, rows))
        return bands

    # -- ordering -------------------------------------------------------------------------
    def barycentre(self, nid: str, among: set[str] | None = None) -> float | None:
        ys = [self.centre(m) for m in self.nbrs[nid] if m in self.y
              and (among is None or m in among)]
        return sum(ys) / len(ys) if ys else None

    def _sorted(self, nids: list[str], key: Callable[[str], float | None]) -> list[str]:
        current = {n: i for i, n in enumerate(nids)}
        scored = []
        for n in nids:
            value = key(n)
            scored.append((value is None, value if value is not None else 0.0, current[n], n))
        return [n for *_, n in sorted(scored)]

    def sweep(self) -> None:
        intake = set(self.cols["intake"])
        steps = set(self.cols["chains"])
        self.bands = [(tier, nodes[:1] + self._sorted(nodes[1:], lambda n: self.barycentre(
            n, intake)) if tier else self._sorted(nodes, lambda n: self.barycentre(n, intake)),
            rows) for tier, nodes, rows in self.bands]
        self.triggers = self._sorted(self.triggers, self.barycentre)
        self.chain_order = self._sorted(self.chain_order, self._chain_centre)
        self.contacts = self._sorted(self.contacts, lambda n: self.barycentre(n, steps))

    def _chain_centre(self, chain: str) -> float | None:
        members = set(self.chains[chain])
        ys = [self.centre(m) for s in self.chains[chain] for m in self.nbrs[s]
              if m in self.y and m not in members]
        return sum(ys) / len(ys) if ys else None

    # -- positions --------------------------------------------------------------------------
    def place_hierarchy(self) -> None:
        sp, y = self.sp, 0.0
        if UP in self.g.nodes:
            self.y[UP] = y
            y += self.h(UP) + sp.band_gap
        for _, nodes, rows in self.bands:
            bottom = y
            for column in (nodes, rows):
                at = y
                for n in column:
                    self.y[n] = at
                    at += self.h(n) + sp.row_gap
                bottom = max(bottom, at - sp.row_gap)
            y = bottom + sp.band_gap

    def _packed(self, nids: list[str], gaps: list[float], anchor: Callable[[str], float | None],
                start: float) -> None:
        if not nids:
            return
        heights = [self.h(n) for n in nids]
        desired, at = [], start
        for n, h, gap in zip(nids, heights, [*gaps, 0.0], strict=True):
            a = anchor(n)
            desired.append(at if a is None else a - h / 2)
            at += h + gap
        for n, top in zip(nids, pack(desired, heights, gaps, start), strict=True):
            self.y[n] = top

    def place_intake(self) -> None:
        order = self.severities + self.triggers
        gaps = [self.sp.row_gap] * (len(order) - 1)
        if self.severities and self.triggers:
            gaps[len(self.severities) - 1] = self.sp.section_gap
        others = set(self.cols["hierarchy"]) | set(self.cols["chains"])
        self._packed(order, gaps, lambda n: self.barycentre(n, others), 0.0)

    def place_chains(self) -> None:
        sp = self.sp
        blocks = self.chain_order
        heights = [sp.chain_header + sum(self.h(s) for s in self.chains[c])
                   + sp.step_gap * (len(self.chains[c]) - 1) for c in blocks]
        desired, at = [], 0.0
        for c, h in zip(blocks, heights, strict=True):
            first = self.chains[c][0]
            outside = [m for s in self.chains[c] for m in self.nbrs[s]
                       if m in self.y and self.g.nodes[m].kind != "step"
                       and self.g.nodes[m].kind != "contact"]
            if outside:
                mean = sum(self.centre(m) for m in outside) / len(outside)
                desired.append(mean - self.h(first) / 2 - sp.chain_header)
            else:
                desired.append(at)
            at += h + sp.chain_gap
        tops = pack(desired, heights, [sp.chain_gap] * (len(blocks) - 1), 0.0)
        for c, top in zip(blocks, tops, strict=True):
            y = top + sp.chain_header
            for s in self.chains[c]:
                self.y[s] = y
                y += self.h(s) + sp.step_gap

    def place_contacts(self) -> None:
        steps = set(self.cols["chains"])
        self._packed(self.contacts, [self.sp.row_gap] * (len(self.contacts) - 1),
                     lambda n: self.barycentre(n, steps), 0.0)

    def run(self, sweeps: int = 3) -> dict[str, float]:
        self.place_hierarchy()
        self.place_intake()
        self.place_chains()
        self.place_contacts()
        for _ in range(sweeps):
            self.sweep()
            self.place_hierarchy()
            self.place_intake()
            self.place_chains()
            self.place_contacts()
        return self.y


def layout_graph(graph: FlowGraph, measure: Callable[[Node], Size],
                 fixed: dict[str, Point] | None = None, spacing: Spacing = SPACING) -> Layout:
    """Positions (top-left corners) for every node; ``fixed`` positions are kept."""
    sizes = node_sizes(graph, measure, spacing)
    ys = _Layered(graph, sizes, spacing).run()
    columns, x = [], 0.0
    present = [c for c in COLUMNS if any(column_of(n) == c for n in graph.nodes.values())]
    xs: dict[str, float] = {}
    for i, col in enumerate(present):
        if i:
            x += spacing.gutters[min(COLUMNS.index(col) - 1, len(spacing.gutters) - 1)]
        width = max(sizes[n][0] for n, node in graph.nodes.items() if column_of(node) == col)
        xs[col] = x
        columns.append((col, TITLES[col], x, width))
        x += width
    positions = {nid: (xs[column_of(n)], ys[nid]) for nid, n in graph.nodes.items()}
    if fixed:
        kept = {nid: (float(p[0]), float(p[1])) for nid, p in fixed.items() if nid in positions}
        positions.update(kept)
        _clear_new_nodes(positions, sizes, set(kept), spacing.row_gap)
    layout = Layout(positions, sizes, columns)
    layout.groups = groups_for(graph, layout, spacing)
    return layout


def _clear_new_nodes(positions: dict[str, Point], sizes: dict[str, Size], kept: set[str],
                     gap: float) -> None:
    """Move computed nodes down until they clear the saved ones (and each other)."""
    placed = [Rect(*positions[n], *sizes[n]) for n in sorted(kept)]
    for nid in sorted(set(positions) - kept):
        x, y = positions[nid]
        w, h = sizes[nid]
        for _ in range(10_000):
            hit = next((r for r in placed if Rect(x, y, w, h).intersects(r, gap)), None)
            if hit is None:
                break
            y = hit.bottom + gap
        positions[nid] = (x, y)
        placed.append(Rect(x, y, w, h))


def groups_for(graph: FlowGraph, layout: Layout, spacing: Spacing = SPACING) -> list[Group]:
    """Background frames: tier bands, chain blocks, the triggers section."""
    pad, groups = spacing.band_pad, []
    rect = layout.rect
    for tier in graph.tiers:
        members = [n for n, node in graph.nodes.items() if node.group == tier
                   and node.kind in ("tier", "team", "authority")]
        box = union(rect(n) for n in members)
        if box is not None:
            groups.append(Group("tier", tier, "", box.inflated(pad)))
    for chain in graph.chains:
        steps = [n for n, node in graph.nodes.items() if node.kind == "step"
                 and node.group == chain]
        box = union(rect(n) for n in steps)
        if box is not None:
            box = Rect(box.x, box.y - spacing.chain_header, box.w, box.h + spacing.chain_header)
            about = graph.nodes[steps[0]].tooltip
            groups.append(Group("chain", chain, f"{chain} — {about}" if about else chain,
                                box.inflated(pad / 2, 2)))
    triggers = union(rect(n) for n, node in graph.nodes.items() if node.kind == "trigger")
    if triggers is not None:
        box = Rect(triggers.x, triggers.y - spacing.chain_header, triggers.w,
                   triggers.h + spacing.chain_header)
        groups.append(Group("section", "triggers", "Triggers", box.inflated(pad / 2, 2)))
    return groups


def edge_curves(graph: FlowGraph, rects: dict[str, Rect]) -> dict[str, tuple[Curve, str]]:
    out = {}
    for eid, e in graph.edges.items():
        if e.source in rects and e.target in rects:
            route = route_for(e.kind)
            out[eid] = (edge_curve(rects[e.source], rects[e.target], route), route)
    return out


def label_positions(graph: FlowGraph, layout: Layout,
                    label_size: Callable[[str], Size]) -> dict[str, float]:
    """Where (``t`` on its curve) each edge label goes, clear of nodes and labels."""
    rects = layout.rects()
    curves = {eid: c for eid, c in edge_curves(graph, rects).items() if graph.edges[eid].label}
    sizes = {eid: label_size(graph.edges[eid].label) for eid in curves}
    obstacles = list(rects.values()) + [Rect(g.rect.x, g.rect.y, g.rect.w, spacing_header(g))
                                        for g in layout.groups if g.title]
    return place_labels(curves, sizes, obstacles)


def spacing_header(group: Group) -> float:
    return SPACING.chain_header if group.kind != "tier" else 0.0


def label_rects(graph: FlowGraph, layout: Layout, ts: dict[str, float],
                label_size: Callable[[str], Size]) -> dict[str, Rect]:
    curves = edge_curves(graph, layout.rects())
    return {eid: label_rect(curves[eid][0], t, curves[eid][1], label_size(graph.edges[eid].label))
            for eid, t in ts.items() if eid in curves}
