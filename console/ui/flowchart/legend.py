"""The legend: what each node colour and each line style means. A scene item, so it
is part of every export."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QBrush, QColor, QPainterPath, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsRectItem,
    QGraphicsSimpleTextItem,
)

from .style import EDGE_STYLES, NODE_STYLES, Fonts, edge_pen

ROW = 22.0
SWATCH = 34.0
SEVERITY_SAMPLE = ("#d32f2f", "#ef6c00", "#f9a825", "#4f8fba")


class LegendItem(QGraphicsRectItem):
    """Node colours, then line styles: in one column, or side by side (``columns=2``)."""

    def __init__(self, fonts: Fonts, severity_colors: list[str] | None = None,
                 columns: int = 1) -> None:
        super().__init__()
        self.setZValue(5)
        self.setBrush(QBrush(QColor("#ffffff")))
        self.setPen(QPen(QColor("#d0d7de"), 1))
        title = QGraphicsSimpleTextItem("Legend", self)
        title.setFont(fonts.title)
        title.setPos(12, 10)
        top = y = 10 + fonts.title_height() + 8
        x = width = 0.0
        colors = [c for c in (severity_colors or []) if QColor(c).isValid()][:6] or list(
            SEVERITY_SAMPLE)
        for kind, style in NODE_STYLES.items():
            if kind == "severity":
                for i, color in enumerate(colors):
                    w = SWATCH / len(colors)
                    self._swatch(QRectF(12 + i * w, y + 3, w, ROW - 8), color, color)
            else:
                self._swatch(QRectF(12, y + 3, SWATCH, ROW - 8), style.fill, style.border,
                             style.dashed)
            width = max(width, self._text(style.label, 12, y, fonts))
            y += ROW
        bottom = y
        if columns == 2:
            x, y = 12 + SWATCH + 10 + width + 24, top
        else:
            y += 6
        first = width
        width = 0.0
        for kind, edge_style in EDGE_STYLES.items():
            line = QGraphicsPathItem(self)
            path = QPainterPath(QPointF(x + 12, y + ROW / 2 - 1))
            path.lineTo(x + 12 + SWATCH, y + ROW / 2 - 1)
            line.setPath(path)
            line.setPen(edge_pen(kind))
            width = max(width, self._text(edge_style.label, x + 12, y, fonts))
            y += ROW
        right = x + 12 + SWATCH + 10 + (width if columns == 2 else max(width, first)) + 14
        self.setRect(0, 0, right, max(y, bottom) + 8)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, False)

    def _swatch(self, rect: QRectF, fill: str, border: str, dashed: bool = False) -> None:
        box = QGraphicsRectItem(rect, self)
        box.setBrush(QBrush(QColor(fill)))
        pen = QPen(QColor(border), 1.2)
        if dashed:
            pen.setStyle(pen.style().DashLine)
        box.setPen(pen)

    def _text(self, text: str, x: float, y: float, fonts: Fonts) -> float:
        item = QGraphicsSimpleTextItem(text, self)
        item.setFont(fonts.label)
        item.setPos(x + SWATCH + 10, y + (ROW - item.boundingRect().height()) / 2)
        return item.boundingRect().width()
