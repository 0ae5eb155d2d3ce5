"""The editor's matrix model: plain records plus what is derived from them.

The document holds the working copy's records (never changed in place: edits make
new records, see console.domain.flow), the graph built from them, their problems
(the checks of ``matrix validate``), and every node's position: the saved one from
the ``layout`` section, else one the layered layout computed when the node first
appeared (kept, so nodes do not jump when others are added). The scene mirrors the
document through its signals.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from console.domain.flow import (
    FlowGraph,
    Node,
    Records,
    build_graph,
    checked_records,
    layout_graph,
    move,
)
from console.domain.flow.layout import Layout, groups_for, node_sizes
from console.domain.matrix import Matrix

Point = tuple[float, float]
Size = tuple[float, float]


def _meaning(records: Records) -> Records:
    return {k: v for k, v in records.items() if k != "layout"}


class FlowDocument(QObject):
    graphChanged = Signal()          # nodes or edges changed: the scene rebuilds
    positionsChanged = Signal(dict)  # node id -> (x, y) of nodes that moved
    problemsChanged = Signal(list)   # [FlowProblem]
    recordsChanged = Signal()        # any change (the property panel refreshes)

    def __init__(self, records: Records, measure: Callable[[Node], Size],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._measure = measure
        self._records: Records = records
        self._auto: dict[str, Point] = {}
        self.graph: FlowGraph = build_graph(records)
        # the working copy as a matrix (None while it has problems), from the same check
        self.matrix: Matrix | None
        self.matrix, self.problems = checked_records(records)
        self.sizes: dict[str, Size] = {}
        self.positions: dict[str, Point] = {}
        self._place()

    # -- reading ----------------------------------------------------------------------------
    @property
    def records(self) -> Records:
        """The working copy. Treat it as read-only: edits go through commands."""
        return self._records

    @property
    def valid(self) -> bool:
        return not self.problems

    def layout(self) -> Layout:
        layout = Layout(dict(self.positions), dict(self.sizes))
        layout.groups = groups_for(self.graph, layout)
        return layout

    def records_for_save(self) -> Records:
        """The records with every node's current position in the ``layout`` section."""
        return move(self._records, {n: self.positions[n] for n in self.graph.nodes})

    # -- changing ---------------------------------------------------------------------------
    def set_records(self, records: Records) -> None:
        """Adopt new records (from a command): move nodes, or rebuild and re-validate."""
        old = self._records
        self._records = records
        if _meaning(old) == _meaning(records):
            moved = self._apply_saved_positions()
            if moved:
                self.positionsChanged.emit(moved)
        else:
            self.graph = build_graph(records)
            self._place()
            self.matrix, self.problems = checked_records(records)
            self.graphChanged.emit()
            self.problemsChanged.emit(self.problems)
        self.recordsChanged.emit()

    def relayout(self) -> dict[str, Point]:
        """Fresh automatic positions for every node (not applied)."""
        return dict(layout_graph(self.graph, self._measure).positions)

    # -- positions ----------------------------------------------------------------------------
    def _saved(self) -> dict[str, Point]:
        layout = self._records.get("layout")
        out: dict[str, Point] = {}
        if isinstance(layout, dict):
            for nid, p in layout.items():
                if nid in self.graph.nodes and isinstance(p, dict):
                    x, y = p.get("x"), p.get("y")
                    if isinstance(x, int | float) and isinstance(y, int | float):
                        out[nid] = (float(x), float(y))
        return out

    def _apply_saved_positions(self) -> dict[str, Point]:
        moved, saved = {}, self._saved()
        for nid in self.graph.nodes:
            new = saved.get(nid, self._auto.get(nid))
            if new is not None and new != self.positions.get(nid):
                self.positions[nid] = new
                moved[nid] = new
        return moved

    def _place(self) -> None:
        """Positions for the current graph: saved, else remembered, else computed now
        (clear of the others)."""
        self.sizes = node_sizes(self.graph, self._measure)
        fixed = {n: p for n, p in self._auto.items() if n in self.graph.nodes}
        fixed.update(self._saved())
        missing = [n for n in self.graph.nodes if n not in fixed]
        if missing:
            computed = layout_graph(self.graph, self._measure, fixed or None)
            for nid in missing:
                self._auto[nid] = computed.positions[nid]
                fixed[nid] = computed.positions[nid]
        self.positions = {n: fixed[n] for n in self.graph.nodes}
