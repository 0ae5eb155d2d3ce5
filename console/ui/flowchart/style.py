"""Colours, pens, fonts and text measures of the flowchart: one place for the legend,
the scene and the exports."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPen

from console.domain.flow import Node

from ..theme import text_on

PAD_X, PAD_Y, LINE_GAP = 10.0, 7.0, 1.0
PROBLEM = QColor("#d50000")
SELECTED = QColor("#0969da")
BACKGROUND = QColor("#ffffff")


@dataclass(frozen=True, slots=True)
class NodeStyle:
    fill: str
    border: str
    text: str
    label: str          # what the legend calls it
    dashed: bool = False


NODE_STYLES = {
    "severity": NodeStyle("#9e9e9e", "#424242", "#ffffff", "Severity: matrix colour, targets"),
    "trigger": NodeStyle("#eceff1", "#546e7a", "#1f2328", "Trigger: when … then …"),
    "tier": NodeStyle("#37474f", "#263238", "#ffffff", "Tier (band: its teams)"),
    "team": NodeStyle("#e3f2fd", "#1e88e5", "#1f2328", "Team"),
    "step": NodeStyle("#e8f5e9", "#43a047", "#1f2328", "Chain step (channel, ack)"),
    "contact": NodeStyle("#ffffff", "#78909c", "#1f2328", "Contact"),
    "authority": NodeStyle("#fbe9e7", "#a1887f", "#1f2328", "Decision authority, limit"),
    "up": NodeStyle("#f3e5f5", "#6a1b9a", "#4a148c", "One tier up", dashed=True),
}


@dataclass(frozen=True, slots=True)
class EdgeStyle:
    color: str
    width: float
    dash: Qt.PenStyle
    label: str


_SOLID, _DASH, _DOT = Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DotLine
# Fewer, longer dashes with flat caps: stroking hundreds of dashed curves is what a
# frame spends most on while a node is dragged (see benchmarks/flowchart).
DASH_PATTERNS = {_DASH: [6.0, 4.0], _DOT: [2.0, 3.0]}
EDGE_STYLES = {
    "functional": EdgeStyle("#00897b", 2.8, _SOLID, "Functional escalation (sideways)"),
    "hierarchical": EdgeStyle("#6a1b9a", 2.8, _DASH, "Hierarchical escalation (upward)"),
    "ladder": EdgeStyle("#6a1b9a", 1.5, _SOLID, "Tier ladder: up one level"),
    "route": EdgeStyle("#1e88e5", 1.6, _SOLID, "Severity routes to its team"),
    "notify": EdgeStyle("#43a047", 1.8, _SOLID, "Starts a notification chain"),
    "next": EdgeStyle("#43a047", 1.8, _SOLID, "Next step after the timeouts"),
    "chain_next": EdgeStyle("#43a047", 1.8, _DASH, "Next chain when exhausted"),
    "primary": EdgeStyle("#37474f", 1.4, _SOLID, "Primary contact"),
    "backup": EdgeStyle("#37474f", 1.4, _DASH, "Backup, after the ack timeout"),
    # solid: hundreds of dotted curves are slow to stroke while a node is dragged
    "cc": EdgeStyle("#b0bec5", 1.2, _SOLID, "Informed (cc), no ack"),
    "when": EdgeStyle("#616161", 1.6, _DOT, "Trigger applies to severity"),
    "bump": EdgeStyle("#ef6c00", 1.6, _DOT, "Trigger bumps to severity"),
}


def node_colors(node: Node) -> tuple[QColor, QColor, QColor]:
    """Fill, border and text colour of a node (severities use the matrix colour)."""
    style = NODE_STYLES[node.kind]
    if node.kind == "severity" and QColor(node.color).isValid():
        fill = QColor(node.color)
        return fill, fill.darker(135), text_on(fill)
    return QColor(style.fill), QColor(style.border), QColor(style.text)


def edge_pen(kind: str, problem: bool = False) -> QPen:
    style = EDGE_STYLES[kind]
    pen = QPen(PROBLEM if problem else QColor(style.color), style.width + (1.2 if problem else 0))
    if style.dash in DASH_PATTERNS:
        pen.setDashPattern(DASH_PATTERNS[style.dash])
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
    else:
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    return pen


class Fonts:
    """The three fonts of the chart and their metrics, built once."""

    def __init__(self, base: QFont | None = None) -> None:
        base = QFont(base) if base is not None else QFont()
        base.setPointSizeF(10.0)
        self.body = QFont(base)
        self.title = QFont(base)
        self.title.setBold(True)
        self.title.setPointSizeF(10.5)
        self.label = QFont(base)
        self.label.setPointSizeF(9.0)
        self.heading = QFont(base)
        self.heading.setPointSizeF(15.0)
        self.heading.setBold(True)
        self.group = QFont(base)
        self.group.setPointSizeF(9.0)
        self.group.setItalic(True)
        self._title = QFontMetricsF(self.title)
        self._body = QFontMetricsF(self.body)
        self._label = QFontMetricsF(self.label)

    def measure(self, node: Node) -> tuple[float, float]:
        """Width and height a node needs for its title and lines."""
        width = self._title.horizontalAdvance(node.title)
        for line in node.lines:
            width = max(width, self._body.horizontalAdvance(line))
        height = self._title.height() + len(node.lines) * (self._body.height() + LINE_GAP)
        return width + 2 * PAD_X + 6, height + 2 * PAD_Y

    def label_size(self, text: str) -> tuple[float, float]:
        return self._label.horizontalAdvance(text) + 10, self._label.height() + 4

    def title_height(self) -> float:
        return self._title.height()

    def line_height(self) -> float:
        return self._body.height() + LINE_GAP
