"""Graphics items of the flowchart: nodes, edges, group frames and the connect handle.

Every item paints through Qt's own C++ items (paths, rectangles, simple text): no
Python ``paint()`` runs per frame, which keeps dragging fast. A node sends geometry
changes; its edges hold weak references to both their nodes and follow them.
"""

from __future__ import annotations

import weakref
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFontMetricsF,
    QPainterPath,
    QPainterPathStroker,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsPolygonItem,
    QGraphicsRectItem,
    QGraphicsSimpleTextItem,
    QStyle,
)

from console.domain.flow import Edge, Node
from console.domain.flow.geometry import Rect, edge_curve, label_rect, route_for

from .style import (
    EDGE_STYLES,
    NODE_STYLES,
    PAD_X,
    PAD_Y,
    PROBLEM,
    SELECTED,
    Fonts,
    edge_pen,
    node_colors,
)

ARROW = 9.0
EDGE_ID = 0  # an edge label's data key: the id of the edge it names (the scene's pick)
GROUP_COLORS = {"tier": ("#f4f6f8", "#cfd8dc"), "chain": ("#f1f8f1", "#c8e6c9"),
                "section": ("#f7f8fa", "#dfe3e8")}
Z_GROUP, Z_EDGE, Z_NODE, Z_LABEL, Z_DRAG = -10.0, 0.0, 10.0, 20.0, 30.0


class HandleItem(QGraphicsEllipseItem):
    """The dot on a node's right edge: drag from it to another node to connect them."""

    def __init__(self, node: NodeItem) -> None:
        super().__init__(-6, -6, 12, 12, node)
        self.node_ref = weakref.ref(node)
        self.setBrush(QBrush(QColor("#ffffff")))
        self.setPen(QPen(SELECTED, 2))
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Drag to another node to connect")
        self.setVisible(False)


class NodeItem(QGraphicsPathItem):
    def __init__(self, node: Node, size: tuple[float, float], fonts: Fonts,
                 editable: bool) -> None:
        super().__init__()
        self.node = node
        self.edges: list[EdgeItem] = []
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable, editable)
        self.setAcceptHoverEvents(editable)
        self.setZValue(Z_NODE)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.title = QGraphicsSimpleTextItem(self)
        self.title.setFont(fonts.title)
        self.body = QGraphicsSimpleTextItem(self)
        self.body.setFont(fonts.body)
        for text in (self.title, self.body):  # text is the slowest thing to paint
            text.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.badge = QGraphicsEllipseItem(-9, -9, 18, 18, self)
        self.badge.setBrush(QBrush(PROBLEM))
        self.badge.setPen(QPen(QColor("#ffffff"), 1.5))
        mark = QGraphicsSimpleTextItem("!", self.badge)
        mark.setFont(fonts.title)
        mark.setBrush(QBrush(QColor("#ffffff")))
        mark.setPos(-mark.boundingRect().width() / 2, -mark.boundingRect().height() / 2)
        self.badge.setVisible(False)
        self.handle = HandleItem(self) if editable else None
        self.fonts = fonts
        self.problems: list[str] = []
        self.update_node(node, size)

    @property
    def nid(self) -> str:
        return self.node.id

    def rect(self) -> Rect:
        r = self.path().boundingRect()
        return Rect(self.x() + r.x(), self.y() + r.y(), r.width(), r.height())

    def update_node(self, node: Node, size: tuple[float, float]) -> None:
        self.node = node
        self.size = size
        w, h = size
        path = QPainterPath()
        radius = 10.0 if node.kind in ("severity", "trigger") else 5.0
        path.addRoundedRect(QRectF(0, 0, w, h), radius, radius)
        self.setPath(path)
        fill, border, text = node_colors(node)
        self._fill, self._border = fill, border
        self.setBrush(QBrush(fill))
        room = w - 2 * PAD_X - 4
        elide = Qt.TextElideMode.ElideRight
        self.title.setText(QFontMetricsF(self.fonts.title).elidedText(node.title, elide, room))
        self.title.setBrush(QBrush(text))
        self.title.setPos(PAD_X, PAD_Y)
        body = QFontMetricsF(self.fonts.body)
        self.body.setText("\n".join(body.elidedText(line, elide, room) for line in node.lines))
        self.body.setBrush(QBrush(text))
        self.body.setPos(PAD_X, PAD_Y + self.fonts.title_height())
        self.badge.setPos(w - 4, 4)
        if self.handle is not None:
            self.handle.setPos(w, h / 2)
        self.setToolTip(self._tooltip())
        self._restyle()

    def set_problems(self, messages: list[str]) -> None:
        self.problems = messages
        self.badge.setVisible(bool(messages))
        self.setToolTip(self._tooltip())
        self._restyle()

    def _tooltip(self) -> str:
        parts = [self.node.title, *self.node.lines]
        if self.node.tooltip:
            parts.append(self.node.tooltip)
        parts += [f"⚠ {m}" for m in self.problems]
        return "\n".join(parts)

    def _restyle(self) -> None:
        if self.problems:
            pen = QPen(PROBLEM, 3.0)
        elif self.isSelected():
            pen = QPen(SELECTED, 3.0)
        else:
            pen = QPen(self._border, 1.4)
            if NODE_STYLES[self.node.kind].dashed:
                pen.setStyle(Qt.PenStyle.DashLine)
        self.setPen(pen)

    def paint(self, painter: Any, option: Any, widget: Any = None) -> None:
        option.state &= ~QStyle.StateFlag.State_Selected  # the border shows selection
        super().paint(painter, option, widget)

    def show_handle(self, on: bool) -> None:
        if self.handle is not None:
            self.handle.setVisible(on)

    def set_editable(self, editable: bool) -> None:
        """Movable with a connect handle (a lead's), or fixed (a reader's)."""
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable, editable)
        self.setAcceptHoverEvents(editable)
        if editable and self.handle is None:
            self.handle = HandleItem(self)
            self.handle.setPos(self.size[0], self.size[1] / 2)
            self.show_handle(self.isSelected())
        elif not editable and self.handle is not None:
            handle, self.handle = self.handle, None
            handle.setVisible(False)
            scene = self.scene()
            if scene is not None:
                scene.removeItem(handle)  # and from this node's children

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            for edge in self.edges:
                edge.adjust()
        elif change == QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged:
            self._restyle()
            self.show_handle(bool(value))
        return super().itemChange(change, value)

    def hoverEnterEvent(self, event: Any) -> None:
        self.show_handle(True)
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event: Any) -> None:
        self.show_handle(self.isSelected())
        super().hoverLeaveEvent(event)


class EdgeItem(QGraphicsPathItem):
    def __init__(self, edge: Edge, source: NodeItem, target: NodeItem, fonts: Fonts,
                 t: float = 0.5) -> None:
        super().__init__()
        self.edge = edge
        self.route = route_for(edge.kind)
        self._source = weakref.ref(source)
        self._target = weakref.ref(target)
        self.t = t
        self.problem = False
        self.selected = False  # not Qt's selection: no per-paint Python to hide its frame
        self._shape = QPainterPath()
        self.setZValue(Z_EDGE)
        self.arrow = QGraphicsPolygonItem(self)
        self.label_box: QGraphicsRectItem | None = None
        self.label_text: QGraphicsSimpleTextItem | None = None
        if edge.label:  # top-level, so no later edge paints over it (see scene_items)
            self.label_box = QGraphicsRectItem()
            self.label_box.setZValue(Z_LABEL)
            self.label_box.setToolTip(EDGE_STYLES[edge.kind].label)
            self.label_text = QGraphicsSimpleTextItem(edge.label, self.label_box)
            self.label_text.setFont(fonts.label)
            self.label_text.setPos(5, 2)
            size = self.label_text.boundingRect()
            self.label_box.setRect(0, 0, size.width() + 10, size.height() + 4)
            self.label_box.setBrush(QBrush(QColor("#ffffff")))
            self.label_box.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            self.label_box.setData(EDGE_ID, edge.id)
        source.edges.append(self)
        target.edges.append(self)
        self.setToolTip(EDGE_STYLES[edge.kind].label)
        self.restyle()
        self.adjust()

    def scene_items(self) -> list[QGraphicsItem]:
        """This edge and its label: the scene adds and removes them together."""
        return [self] if self.label_box is None else [self, self.label_box]

    def set_selected(self, on: bool) -> None:
        if on != self.selected:
            self.selected = on
            self.restyle()

    @property
    def source(self) -> NodeItem | None:
        return self._source()

    @property
    def target(self) -> NodeItem | None:
        return self._target()

    def restyle(self) -> None:
        pen = edge_pen(self.edge.kind, self.problem)
        if self.selected:
            pen.setColor(SELECTED)
            pen.setWidthF(pen.widthF() + 1.5)
        self.setPen(pen)
        self.arrow.setPen(QPen(pen.color(), 1))
        self.arrow.setBrush(QBrush(pen.color()))
        if self.label_box is not None and self.label_text is not None:
            self.label_box.setPen(QPen(pen.color(), 1))
            self.label_text.setBrush(QBrush(pen.color().darker(115)))

    def set_problem(self, on: bool) -> None:
        self.problem = on
        self.restyle()

    def adjust(self) -> None:
        source, target = self.source, self.target
        if source is None or target is None:
            return
        curve = edge_curve(source.rect(), target.rect(), self.route)
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = curve
        path = QPainterPath(QPointF(x0, y0))
        path.cubicTo(x1, y1, x2, y2, x3, y3)
        self.setPath(path)
        self._shape = QPainterPath()  # computed again when first asked
        dx, dy = x3 - x2, y3 - y2
        if abs(dx) + abs(dy) < 1e-6:
            dx, dy = x3 - x0, y3 - y0
        length = max((dx * dx + dy * dy) ** 0.5, 1e-6)
        ux, uy = dx / length, dy / length
        tip = QPointF(x3, y3)
        back = QPointF(x3 - ux * ARROW, y3 - uy * ARROW)
        side = QPointF(-uy * ARROW * 0.5, ux * ARROW * 0.5)
        self.arrow.setPolygon(QPolygonF([tip, back + side, back - side]))
        if self.label_box is not None:
            r = self.label_box.rect()
            box = label_rect(curve, self.t, self.route, (r.width(), r.height()))
            self.label_box.setPos(box.x, box.y)

    def shape(self) -> QPainterPath:
        """A 10 px wide band along the curve: easy to click."""
        if self._shape.isEmpty():
            stroker = QPainterPathStroker()
            stroker.setWidth(10)
            self._shape = stroker.createStroke(self.path())
        return self._shape


class GroupItem(QGraphicsPathItem):
    """A background frame: a tier band, a chain block, the triggers section."""

    def __init__(self, kind: str, key: str, title: str, rect: Rect, fonts: Fonts) -> None:
        super().__init__()
        self.kind, self.key = kind, key
        fill, border = GROUP_COLORS.get(kind, ("#f7f8fa", "#dfe3e8"))
        self.setBrush(QBrush(QColor(fill)))
        self.setPen(QPen(QColor(border), 1))
        self.setZValue(Z_GROUP)
        self.title = QGraphicsSimpleTextItem(self)
        self.title.setFont(fonts.group)
        self.title.setBrush(QBrush(QColor("#57606a")))
        self.title_text = title
        self.set_rect(rect)

    def set_rect(self, rect: Rect) -> None:
        path = QPainterPath()
        path.addRoundedRect(QRectF(rect.x, rect.y, rect.w, rect.h), 8, 8)
        self.setPath(path)
        metrics = QFontMetricsF(self.title.font())
        self.title.setText(metrics.elidedText(self.title_text, Qt.TextElideMode.ElideRight,
                                              rect.w - 14))
        self.title.setPos(rect.x + 7, rect.y + 4)
