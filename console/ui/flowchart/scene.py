"""The flowchart scene mirrors a FlowDocument.

``set_document`` builds the items and connects the document's signals;
``clear_scene`` disconnects the same set and removes the items (orange-canvas's
scene does the same with its scheme). The scene never edits: a finished drag emits
``nodesMoved`` (one undo command for the whole drag), dragging from a node's handle
to another node emits ``connectRequested``; the editor turns both into commands.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPainterPath, QPen, QTransform
from PySide6.QtWidgets import (
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
)

from console.domain.flow.layout import COLUMN_OF, TITLES, label_positions

from .document import FlowDocument, Point
from .items import EDGE_ID, Z_DRAG, EdgeItem, GroupItem, HandleItem, NodeItem
from .legend import LegendItem
from .style import BACKGROUND, SELECTED, Fonts

HEADING_GAP = 44.0
LEGEND_GAP = 80.0


class FlowScene(QGraphicsScene):
    connectRequested = Signal(str, str)  # source node id, target node id
    nodesMoved = Signal(dict, dict)      # old positions, new positions (a finished drag)

    def __init__(self, fonts: Fonts | None = None, editable: bool = False,
                 parent: Any = None) -> None:
        super().__init__(parent)
        self.fonts = fonts or Fonts()
        self.editable = editable
        self.document: FlowDocument | None = None
        self.nodes: dict[str, NodeItem] = {}
        self.edges: dict[str, EdgeItem] = {}
        self.groups: list[GroupItem] = []
        self.headings: list[QGraphicsSimpleTextItem] = []
        self.legend: LegendItem | None = None
        self._press: dict[str, Point] = {}
        self._connect_from: NodeItem | None = None
        self._rubber: QGraphicsPathItem | None = None
        self.setBackgroundBrush(QBrush(BACKGROUND))
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)

    def set_editable(self, editable: bool) -> None:
        """The person may now edit (nodes move and connect) or no longer may."""
        self.editable = editable
        for item in self.nodes.values():
            item.set_editable(editable)

    # -- mirroring the document ----------------------------------------------------------------
    def _signals(self) -> list[tuple[Any, Any]]:
        doc = self.document
        assert doc is not None
        return [(doc.graphChanged, self._rebuild), (doc.positionsChanged, self._moved),
                (doc.problemsChanged, self._show_problems)]

    def set_document(self, document: FlowDocument) -> None:
        if self.document is not None:
            self.clear_scene()
        self.document = document
        for signal, slot in self._signals():
            signal.connect(slot)
        self._rebuild()

    def clear_scene(self) -> None:
        if self.document is not None:
            for signal, slot in self._signals():
                signal.disconnect(slot)
        self.document = None
        self.clear()
        self.nodes, self.edges, self.groups, self.headings = {}, {}, [], []
        self.legend = None

    def _rebuild(self) -> None:
        """Mirror the document's graph: keep the items of unchanged nodes and edges,
        replace the rest (an edit of a large matrix touches a few)."""
        doc = self.document
        assert doc is not None
        selected = {i.nid for i in self.selectedItems() if isinstance(i, NodeItem)}
        for nid in [n for n in self.nodes if n not in doc.graph.nodes]:
            self.removeItem(self.nodes.pop(nid))
        changed: set[str] = set()
        for nid, node in doc.graph.nodes.items():
            item = self.nodes.get(nid)
            if item is None:
                item = NodeItem(node, doc.sizes[nid], self.fonts, self.editable)
                self.nodes[nid] = item
                self.addItem(item)
                changed.add(nid)
            elif item.node != node or item.size != doc.sizes[nid]:
                item.update_node(node, doc.sizes[nid])
                changed.add(nid)
            if (item.x(), item.y()) != doc.positions[nid]:
                item.setPos(*doc.positions[nid])
            item.setSelected(nid in selected)
        for eid in list(self.edges):
            old = self.edges[eid]
            edge = doc.graph.edges.get(eid)
            if edge is None or edge != old.edge or {edge.source, edge.target} & changed:
                self._drop_edge(self.edges.pop(eid))
        ts = label_positions(doc.graph, doc.layout(), self.fonts.label_size)
        for eid, edge in doc.graph.edges.items():
            line = self.edges.get(eid)
            if line is None:
                line = EdgeItem(edge, self.nodes[edge.source], self.nodes[edge.target],
                                self.fonts, ts.get(eid, 0.5))
                self.edges[eid] = line
                for part in line.scene_items():
                    self.addItem(part)
            elif ts.get(eid, 0.5) != line.t:
                line.t = ts.get(eid, 0.5)
                line.adjust()
        self._show_problems(doc.problems)
        self._decorate()

    def _drop_edge(self, item: EdgeItem) -> None:
        for node in (item.source, item.target):
            if node is not None and item in node.edges:
                node.edges.remove(item)
        for part in item.scene_items():
            self.removeItem(part)

    def _moved(self, moved: dict[str, Point]) -> None:
        for nid, (x, y) in moved.items():
            item = self.nodes.get(nid)
            if item is not None and (item.x(), item.y()) != (x, y):
                item.setPos(x, y)
        self._decorate()

    def _show_problems(self, problems: list[Any]) -> None:
        by_node: dict[str, list[str]] = {}
        bad_edges = set()
        for p in problems:
            if p.node:
                by_node.setdefault(p.node, []).append(str(p))
            if p.edge:
                bad_edges.add(p.edge)
        for nid, item in self.nodes.items():
            if item.problems != by_node.get(nid, []):
                item.set_problems(by_node.get(nid, []))
        for eid, line in self.edges.items():
            if line.problem != (eid in bad_edges):
                line.set_problem(eid in bad_edges)

    # -- decorations: frames, headings, legend --------------------------------------------------
    def _decorate(self) -> None:
        doc = self.document
        assert doc is not None
        for item in [*self.groups, *self.headings] + ([self.legend] if self.legend else []):
            self.removeItem(item)
        self.groups, self.headings = [], []
        layout = doc.layout()
        for g in layout.groups:
            item = GroupItem(g.kind, g.key, g.title, g.rect, self.fonts)
            self.groups.append(item)
            self.addItem(item)
        columns: dict[str, QRectF] = {}
        for nid, node in doc.graph.nodes.items():
            r = self.nodes[nid].rect()
            rect = QRectF(r.x, r.y, r.w, r.h)
            col = COLUMN_OF[node.kind]
            columns[col] = columns[col].united(rect) if col in columns else rect
        top = min((r.y() for r in columns.values()), default=0.0)
        top = min([top, *(g.rect.y for g in layout.groups)]) - HEADING_GAP
        for col, rect in columns.items():
            heading = QGraphicsSimpleTextItem(TITLES[col])
            heading.setFont(self.fonts.heading)
            heading.setBrush(QBrush(QColor("#24292f")))
            heading.setPos(rect.x(), top)
            self.headings.append(heading)
            self.addItem(heading)
        self._place_legend(columns)
        self.setSceneRect(self.content_rect().adjusted(-60, -60, 60, 60))

    def _place_legend(self, columns: dict[str, QRectF]) -> None:
        """Put the legend where the whole chart fits a 16:9 screen largest: right of
        the chart, or in the empty space under the severities and chains."""
        doc = self.document
        assert doc is not None
        colors = [n.color for n in doc.graph.nodes.values() if n.kind == "severity"]
        content = self.content_rect(include_legend=False)
        taken = [item.sceneBoundingRect() for item in [*self.nodes.values(), *self.groups]]
        candidates: list[tuple[int, QPointF]] = [
            (1, QPointF(content.right() + LEGEND_GAP, content.top()))]
        if "intake" in columns:
            left = columns["intake"].left()
            right = columns["contacts"].left() if "contacts" in columns else content.right()
            above = [r.bottom() for r in taken if r.right() > left and r.left() < right]
            candidates.append((2, QPointF(left, max(above, default=content.top()) + 50)))
            candidates.append((2, QPointF(left, content.bottom() + 50)))
        best: tuple[float, LegendItem] | None = None
        for count, at in candidates:
            legend = LegendItem(self.fonts, colors, count)
            box = legend.rect().translated(at)
            if any(box.adjusted(-20, -20, 20, 20).intersects(r) for r in taken):
                continue
            whole = content.united(box)
            scale = min(1920 / whole.width(), 1080 / whole.height())
            if best is None or scale > best[0] + 1e-9:
                legend.setPos(at)
                best = (scale, legend)
        assert best is not None
        self.legend = best[1]
        self.addItem(self.legend)

    def content_rect(self, include_legend: bool = True) -> QRectF:
        rect = self.itemsBoundingRect()
        if not include_legend and self.legend is not None and self.legend.scene() is self:
            self.removeItem(self.legend)
            rect = self.itemsBoundingRect()
            self.addItem(self.legend)
        return rect

    # -- dragging: moves and connections ------------------------------------------------------
    def _node_at(self, pos: QPointF, skip: NodeItem | None = None) -> NodeItem | None:
        for item in self.items(pos):
            while item is not None and not isinstance(item, NodeItem):
                item = item.parentItem()
            if isinstance(item, NodeItem) and item is not skip:
                return item
        return None

    def _edge_at(self, pos: QPointF) -> EdgeItem | None:
        for item in self.items(pos):
            if isinstance(item, EdgeItem):
                return item
            if (eid := item.data(EDGE_ID)) is not None and eid in self.edges:
                return self.edges[eid]  # the edge's label
            if isinstance(item, NodeItem) or (item.parentItem() is not None
                                              and isinstance(item.parentItem(), NodeItem)):
                return None
        return None

    def select_edge(self, eid: str, add: bool = False) -> None:
        if not add:
            self.clearSelection()
        for key, item in self.edges.items():
            if key == eid:
                item.set_selected(True)
            elif not add:
                item.set_selected(False)
        self.selectionChanged.emit()

    def clear_edge_selection(self) -> None:
        for item in self.edges.values():
            item.set_selected(False)

    def mousePressEvent(self, event: Any) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            edge = self._edge_at(event.scenePos())
            add = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
            if edge is not None:
                self.select_edge(edge.edge.id, add)
                event.accept()
                return
            if not add:
                self.clear_edge_selection()
        if self.editable and event.button() == Qt.MouseButton.LeftButton:
            hit = self.itemAt(event.scenePos(), QTransform())
            if isinstance(hit, HandleItem):
                self._connect_from = hit.node_ref()
                self._rubber = QGraphicsPathItem()
                self._rubber.setPen(QPen(SELECTED, 2, Qt.PenStyle.DashLine))
                self._rubber.setZValue(Z_DRAG)
                self.addItem(self._rubber)
                event.accept()
                return
        super().mousePressEvent(event)
        if self.editable and event.button() == Qt.MouseButton.LeftButton:
            self._press = {i.nid: (i.x(), i.y()) for i in self.selectedItems()
                           if isinstance(i, NodeItem)}

    def mouseMoveEvent(self, event: Any) -> None:
        if self._connect_from is not None and self._rubber is not None:
            start = self._connect_from.handle.scenePos() if self._connect_from.handle else (
                self._connect_from.scenePos())
            path = QPainterPath(start)
            path.lineTo(event.scenePos())
            self._rubber.setPath(path)
            event.accept()
            return
        super().mouseMoveEvent(event)

    @property
    def dragging(self) -> bool:
        """A node drag is in progress (the view lowers quality meanwhile)."""
        return bool(self._press)

    def mouseReleaseEvent(self, event: Any) -> None:
        if self._connect_from is not None:
            source, self._connect_from = self._connect_from, None
            if self._rubber is not None:
                self.removeItem(self._rubber)
                self._rubber = None
            target = self._node_at(event.scenePos(), skip=source)
            if target is not None:
                self.connectRequested.emit(source.nid, target.nid)
            event.accept()
            return
        super().mouseReleaseEvent(event)
        if self._press:
            old, self._press = self._press, {}
            new = {nid: (self.nodes[nid].x(), self.nodes[nid].y()) for nid in old
                   if nid in self.nodes}
            changed = [nid for nid in new if new[nid] != old[nid]]
            if changed:
                self.nodesMoved.emit({n: old[n] for n in changed}, {n: new[n] for n in changed})

    def select_node(self, nid: str) -> NodeItem | None:
        self.clearSelection()
        self.clear_edge_selection()
        item = self.nodes.get(nid)
        if item is not None:
            item.setSelected(True)
        return item

    def selected_ids(self) -> tuple[list[str], list[str]]:
        """(node ids, edge ids) selected."""
        nodes = [i.nid for i in self.selectedItems() if isinstance(i, NodeItem)]
        edges = [eid for eid, item in self.edges.items() if item.selected]
        return nodes, edges

