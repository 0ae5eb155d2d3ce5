"""Cheap painters for the queue's severity badges, SLA pills and countdown cells.

Colours and fonts are prepared once; paint() only draws. Breached must read from
across the room: a strong red pill with bold white text.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from console.app.rows import QueueRow
from console.domain.matrix import Matrix

from .queue_model import PAUSED_TEXT, ROW_ROLE, STATE_ROLE
from .theme import SLA_COLORS, SLA_LABELS, severity_color, text_on

Index = QModelIndex | QPersistentModelIndex
PAUSE = "⏸"
PAUSE_FALLBACK = "❚❚"  # many desktop fonts (DejaVu) have no U+23F8
ICON = 12
_pause_icons: dict[str, QIcon] = {}
PILL_STYLE = {  # state -> (fill, text, outline)
    "breached": ("#c62828", "#ffffff", "#8e0000"),
    "pre_breach": ("#ffb300", "#3e2700", "#c68400"),
    "ok": (SLA_COLORS["ok"][0], SLA_COLORS["ok"][1], "#a5d6a7"),
    "paused": (SLA_COLORS["paused"][0], "#455a64", "#b0bec5"),
    "met": (SLA_COLORS["met"][0], "#6b7780", "#cfd8dc"),
}


def pause_glyph(font: QFont) -> str:
    """⏸ where the font has it, else a look-alike that every font has."""
    return PAUSE if QFontMetrics(font).inFontUcs4(ord(PAUSE)) else PAUSE_FALLBACK


def pause_icon(color: str = PAUSED_TEXT) -> QIcon:
    """The pause glyph as two painted bars: the same on every font, drawn once."""
    icon = _pause_icons.get(color)
    if icon is None:
        pixmap = QPixmap(ICON, ICON)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(color))
        painter.drawRect(2, 1, 3, ICON - 2)
        painter.drawRect(ICON - 5, 1, 3, ICON - 2)
        painter.end()
        icon = _pause_icons[color] = QIcon(pixmap)
    return icon


def _panel(option: QStyleOptionViewItem, painter: QPainter) -> None:
    """Selection / alternate-row background only, without the cell's own colour."""
    option.backgroundBrush = QBrush()
    option.text = ""
    style = option.widget.style() if option.widget else QApplication.style()
    style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter,
                        option.widget)


class SeverityBadgeDelegate(QStyledItemDelegate):
    """A rounded badge in the matrix colour; unconfirmed severities are outlined."""

    def __init__(self, matrix: Matrix, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.set_matrix(matrix)

    def set_matrix(self, matrix: Matrix) -> None:
        self._colors = {s.id: severity_color(matrix, s.id) for s in matrix.severities}

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        row: QueueRow | None = index.data(ROW_ROLE)
        if row is None:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        _panel(opt, painter)
        color = self._colors.get(row.severity, QColor("#757575"))
        font = QFont(opt.font)
        font.setBold(True)
        text = row.severity if row.confirmed else f"{row.severity} ?"
        width = max(44, opt.fontMetrics.horizontalAdvance(text) + 22)
        rect = QRectF(opt.rect).adjusted(6, 4, -4, -4)
        rect.setWidth(min(rect.width(), width))
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if row.confirmed:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            fg = text_on(color)
        else:  # not yet confirmed: same colour, dashed outline on a pale fill
            pale = QColor(color)
            pale.setAlpha(60)
            painter.setPen(QPen(color, 2, Qt.PenStyle.DashLine))
            painter.setBrush(pale)
            fg = color.darker(150)
        painter.drawRoundedRect(rect, 6, 6)
        painter.setFont(font)
        painter.setPen(fg)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()


class SlaPillDelegate(QStyledItemDelegate):
    """The SLA column as a pill: BREACHED in strong red, PAUSED in italic grey-blue."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        state = index.data(STATE_ROLE)
        style = PILL_STYLE.get(state or "")
        if style is None:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        _panel(opt, painter)
        fill, fg, outline = (QColor(c) for c in style)
        label = SLA_LABELS.get(state, state)
        font = QFont(opt.font)
        font.setBold(state in ("breached", "pre_breach"))
        font.setItalic(state == "paused")
        rect = QRectF(opt.rect).adjusted(6, 3, -6, -3)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(outline, 1))
        painter.setBrush(fill)
        painter.drawRoundedRect(rect, rect.height() / 2, rect.height() / 2)
        painter.setFont(font)
        painter.setPen(fg)
        if state == "paused":
            width = ICON + 4 + QFontMetrics(font).horizontalAdvance(label)
            left = rect.center().x() - width / 2
            pause_icon(fg.name()).paint(painter, int(left), int(rect.center().y() - ICON / 2),
                                        ICON, ICON)
            rect.setLeft(left + ICON + 4)
            painter.drawText(rect, Qt.AlignmentFlag.AlignVCenter, label)
        else:
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)
        painter.restore()


class CountdownDelegate(QStyledItemDelegate):
    """Countdown cells: the model colours them; paused ones get a pause glyph."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: Index) -> None:
        super().initStyleOption(option, index)
        state = index.data(STATE_ROLE)
        if state == "paused":  # the icon says "paused"; the text says how long is left
            option.text = option.text.removeprefix("paused, ")
            option.features |= QStyleOptionViewItem.ViewItemFeature.HasDecoration
            option.icon = pause_icon()
            option.decorationSize = QSize(ICON, ICON)
        elif state == "breached":
            # keep the white-on-red legible even when the row is selected
            option.state &= ~QStyle.StateFlag.State_Selected
