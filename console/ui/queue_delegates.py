"""Cheap painters for the queue: text cells, severity badges, SLA pills, countdowns.

Over 400 lines on purpose: the painters share one Look per view (fonts, colours,
metrics and pixmap caches) and the lean painting path below; each painter is short.

The queue repaints its countdowns every second, so painting is lean: no
QStyledItemDelegate.initStyleOption (eight data() calls per cell) and no style
drawControl. A painter reads the QueueRow straight from the model (QueueModel or
QueueFilterProxy .row_at), the strings from the model's caches, and draws with colours,
fonts and metrics prepared once per view font and palette. Badges and pills are drawn
once into pixmaps and blitted. The selection is painted here too: the palette's
highlight behind, its highlighted-text colour in front. The focused cell and models
other than the queue's go through QStyledItemDelegate as before.

Breached must read from across the room: a strong red pill with bold white text, and a
breached countdown stays white on red even in the selected row. The pill names the
clock behind its state, of all five ("CONFIRMATION BREACHED", "RESPONSE 2m 00s"): the
severity clocks have no column of their own.

CountdownDelegate and SlaPillDelegate remember what each cell last showed;
stale_clock_cells() lists the visible ones whose text or state has changed since, so
the 1 Hz tick repaints those cells and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
)
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetrics,
    QFontMetricsF,
    QIcon,
    QPainter,
    QPalette,
    QPen,
    QPixmap,
    QStaticText,
)
from PySide6.QtWidgets import (
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
)

from console.app.runtime.rows import QueueRow
from console.domain.matrix import Matrix

from .queue_filters import QueueFilterProxy
from .queue_model import (
    CLOCK_NAMES,
    PAUSED_TEXT,
    ROW_ROLE,
    STATE_ROLE,
    Column,
    QueueModel,
    cell_colors,
)
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
PAUSED_PREFIX = "paused, "  # the icon says "paused"; the text says how long is left


def paused_cell_text(text: str) -> str:
    """A paused countdown as its cell shows it beside the pause glyph: "25m 30s" for
    "paused, 25m 30s left" (the glyph says paused; the full text is the tooltip)."""
    return text.removeprefix(PAUSED_PREFIX).removesuffix(" left")
PILL_INSET = 6          # the pill's margin in its cell, each side
PILL_ENDS = 8           # room for the text inside the pill's rounded ends, each side
PILL_MIN_STRETCH = 80   # a long label narrows this far (percent) before it is elided

_SELECTED = QStyle.StateFlag.State_Selected.value
_FOCUS = QStyle.StateFlag.State_HasFocus.value
_ACTIVE = QStyle.StateFlag.State_Active.value
_ENABLED = QStyle.StateFlag.State_Enabled.value
_ELIDE = Qt.TextElideMode.ElideRight
_CACHE_LIMIT = 4_000  # laid-out texts (and pixmaps) kept per look: ten screens' worth
_LOOK_EVENTS = frozenset({QEvent.Type.FontChange, QEvent.Type.PaletteChange,
                          QEvent.Type.StyleChange, QEvent.Type.ApplicationFontChange,
                          QEvent.Type.ApplicationPaletteChange})

RowLookup = tuple[Callable[[int], QueueRow], QueueModel]


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


def queue_rows(model: QAbstractItemModel | None) -> RowLookup | None:
    """(row_at, QueueModel) for the queue's models; None for any other model."""
    if isinstance(model, QueueModel):
        return model.row_at, model
    if isinstance(model, QueueFilterProxy):
        source = model.sourceModel()
        if isinstance(source, QueueModel):
            return model.row_at, source
    return None


@dataclass
class Look:
    """What painting needs from the view's font, palette and style, prepared once."""

    font: QFont
    margin: int                                 # the style's text margin in a cell
    text_colors: dict[QPalette.ColorGroup, QColor]  # normal text colour per colour group
    highlight: dict[QPalette.ColorGroup, tuple[QBrush, QColor]]  # (fill, text)
    fonts: dict[str, QFont]                     # per SLA state: bold, italic or plain
    metrics: dict[str, tuple[QFontMetricsF, float]]  # (metrics, line height) per font
    texts: dict[tuple[str, int, int, str], tuple[QStaticText, QFont, float, float]] = field(
        default_factory=dict)
    pixmaps: dict[Any, QPixmap] = field(default_factory=dict)

    @classmethod
    def of(cls, option: QStyleOptionViewItem) -> Look:
        font = QFont(option.font)
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, widget) + 1
        palette = option.palette
        groups = (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive,
                  QPalette.ColorGroup.Disabled)
        bold, italic = QFont(font), QFont(font)
        bold.setBold(True)
        italic.setItalic(True)
        fonts = {"plain": font, "breached": bold, "pre_breach": bold, "paused": italic}
        metrics = {}
        for name, f in fonts.items():
            fm = QFontMetricsF(f)
            metrics[name] = (fm, fm.height())
        return cls(
            font=font, margin=margin,
            text_colors={g: palette.color(g, QPalette.ColorRole.Text) for g in groups},
            highlight={g: (palette.brush(g, QPalette.ColorRole.Highlight),
                           palette.color(g, QPalette.ColorRole.HighlightedText))
                       for g in groups},
            fonts=fonts, metrics=metrics)

    def place(self, text: str, width: int, height: int,
              font_name: str = "plain") -> tuple[QStaticText, QFont, float, float]:
        """``text`` in a cell of ``width`` x ``height``: elided on the right, laid out once
        (cached), with its offset in the cell. The style centres a line vertically and
        keeps a margin on either side."""
        key = (text, width, height, font_name)
        found = self.texts.get(key)
        if found is None:
            trim(self.texts)
            metrics, line = self.metrics.get(font_name, self.metrics["plain"])
            static = QStaticText(metrics.elidedText(text, _ELIDE, width - 2 * self.margin))
            static.setTextFormat(Qt.TextFormat.PlainText)
            found = self.texts[key] = (static, self.fonts.get(font_name, self.font),
                                       self.margin, (height - line) / 2)
        return found


def trim(cache: dict[Any, Any], limit: int = _CACHE_LIMIT) -> None:
    """Keep a cache under ``limit`` entries by dropping the oldest half."""
    if len(cache) >= limit:
        for key in list(islice(cache, limit // 2)):
            del cache[key]


def color_group(state: int) -> QPalette.ColorGroup:
    if not state & _ENABLED:
        return QPalette.ColorGroup.Disabled
    return QPalette.ColorGroup.Active if state & _ACTIVE else QPalette.ColorGroup.Inactive


class LeanDelegate(QStyledItemDelegate):
    """Finds the row behind a cell without Qt's role machinery; keeps the Look, which a
    font, palette or style change of the view throws away."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._model: QAbstractItemModel | None = None
        self._rows: RowLookup | None = None
        self._look: Look | None = None
        self._watched: QObject | None = None

    def lookup(self, index: Index) -> RowLookup | None:
        model = index.model()
        if model is not self._model:
            self._model, self._rows = model, queue_rows(model)
        return self._rows

    def look(self, option: QStyleOptionViewItem) -> Look:
        look = self._look
        if look is None:
            look = self._look = Look.of(option)
            widget = option.widget
            if widget is not None and widget is not self._watched:
                widget.installEventFilter(self)
                self._watched = widget
        return look

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _LOOK_EVENTS:
            self._look = None
        return False

    def draw_text(self, painter: QPainter, look: Look, text: str, rect: QRect,
                  color: QColor, font_name: str = "plain") -> None:
        """Elided, vertically centred text inside the style's margins, as the style has it."""
        if not text:
            return
        x, y, width, height = rect.x(), rect.y(), rect.width(), rect.height()
        static, font, dx, dy = look.place(text, width, height, font_name)
        painter.setFont(font)
        painter.setPen(color)
        painter.drawStaticText(QPointF(x + dx, y + dy), static)


class TextDelegate(LeanDelegate):
    """Plain text columns (ID, Title, Account, ...) from the model's cached strings."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        rows = self.lookup(index)
        state = option.state.value
        if rows is None or state & _FOCUS:
            super().paint(painter, option, index)
            return
        row_at, model = rows
        look = self._look or self.look(option)
        rect = option.rect
        if state & _SELECTED:
            fill, color = look.highlight[color_group(state)]
            painter.fillRect(rect, fill)
        else:
            color = look.text_colors[color_group(state)]
        text = model.texts(row_at(index.row()))[index.column()]
        self.draw_text(painter, look, text, rect, color)


class PixmapDelegate(LeanDelegate):
    """A cell drawn once into a pixmap per (look, key, size), then only blitted."""

    def blit(self, painter: QPainter, option: QStyleOptionViewItem, key: Any,
             draw: Callable[[QPainter, QRectF, Look], None]) -> None:
        state = option.state.value
        look = self.look(option)
        rect = option.rect
        if state & _SELECTED:
            painter.fillRect(rect, look.highlight[color_group(state)][0])
        ratio = painter.device().devicePixelRatioF()
        cache_key = (key, rect.width(), rect.height(), ratio)
        pixmap = look.pixmaps.get(cache_key)
        if pixmap is None:
            trim(look.pixmaps)
            pixmap = QPixmap(QSize(round(rect.width() * ratio), round(rect.height() * ratio)))
            pixmap.setDevicePixelRatio(ratio)
            pixmap.fill(Qt.GlobalColor.transparent)
            p = QPainter(pixmap)
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            draw(p, QRectF(0, 0, rect.width(), rect.height()), look)
            p.end()
            look.pixmaps[cache_key] = pixmap
        painter.drawPixmap(rect.x(), rect.y(), pixmap)


class SeverityBadgeDelegate(PixmapDelegate):
    """A rounded badge in the matrix colour; unconfirmed severities are outlined."""

    def __init__(self, matrix: Matrix, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.set_matrix(matrix)

    def set_matrix(self, matrix: Matrix) -> None:
        self._colors = {s.id: severity_color(matrix, s.id) for s in matrix.severities}
        self._look = None  # the badges are cached per look

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        rows = self.lookup(index)
        row = rows[0](index.row()) if rows is not None else index.data(ROW_ROLE)
        if row is None:
            super().paint(painter, option, index)
            return
        severity, confirmed = row.severity, row.confirmed
        self.blit(painter, option, (severity, confirmed),
                  lambda p, rect, look: self._badge(p, rect, look, severity, confirmed))

    def _badge(self, painter: QPainter, cell: QRectF, look: Look, severity: str,
               confirmed: bool) -> None:
        color = self._colors.get(severity, QColor("#757575"))
        text = severity if confirmed else f"{severity} ?"
        width = max(44, QFontMetrics(look.font).horizontalAdvance(text) + 22)
        rect = cell.adjusted(6, 4, -4, -4)
        rect.setWidth(min(rect.width(), width))
        if confirmed:
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
        painter.setFont(look.fonts["breached"])  # bold
        painter.setPen(fg)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)


class ClockCellDelegate(LeanDelegate):
    """A cell that changes with time: remembers what it showed, per (ticket, column)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.shown: dict[tuple[str, int], Any] = {}

    def showing(self, model: QueueModel, row: QueueRow, column: int) -> Any:
        """What the cell would show now; painting it again changes nothing while equal."""
        raise NotImplementedError


class SlaPillDelegate(ClockCellDelegate, PixmapDelegate):
    """The SLA column as a pill naming its clock: CONFIRMATION BREACHED in strong red,
    RESPONSE 2m 00s in amber, PAUSED in italic grey-blue."""

    def showing(self, model: QueueModel, row: QueueRow, column: int) -> tuple[str, str]:
        return model.sla_state(row), model.sla_label(row)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        rows = self.lookup(index)
        if rows is None:
            state = index.data(STATE_ROLE)
            label = index.data() or SLA_LABELS.get(state, "")
        else:
            row = rows[0](index.row())
            state, label = self.showing(rows[1], row, index.column())
            self.shown[(row.id, index.column())] = (state, label)
        if state not in PILL_STYLE:
            super().paint(painter, option, index)
            return
        self.blit(painter, option, (state, label),
                  lambda p, rect, look: _pill(p, rect, look, state, label))


def pill_room(cell_width: float) -> float:
    """How wide a pill's text may be in a cell ``cell_width`` wide."""
    return cell_width - 2 * (PILL_INSET + PILL_ENDS)


def fit_label(font: QFont, label: str, room: float) -> tuple[QFont, str]:
    """``label`` in ``font`` within ``room`` pixels: as is if it fits, else narrowed
    (letters kept their height, so it reads the same), else elided as a last resort
    (the cell's tooltip has the whole text)."""
    if QFontMetricsF(font).horizontalAdvance(label) <= room:
        return font, label
    narrow = QFont(font)
    for stretch in range(95, PILL_MIN_STRETCH - 1, -5):
        narrow.setStretch(stretch)
        if QFontMetricsF(narrow).horizontalAdvance(label) <= room:
            return narrow, label
    return narrow, QFontMetricsF(narrow).elidedText(label, _ELIDE, room)


def _pill(painter: QPainter, cell: QRectF, look: Look, state: str, label: str) -> None:
    fill, fg, outline = (QColor(c) for c in PILL_STYLE[state])
    rect = cell.adjusted(PILL_INSET, 3, -PILL_INSET, -3)
    font, label = fit_label(look.fonts.get(state, look.font), label, pill_room(cell.width()))
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


class CountdownDelegate(ClockCellDelegate):
    """Countdown cells in their SLA state's colours; paused ones get a pause glyph."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._colors = {s: cell_colors(s) for s in SLA_COLORS if s != "none"}

    def showing(self, model: QueueModel, row: QueueRow, column: int) -> tuple[str, str]:
        cd = model.countdown(row, CLOCK_NAMES[column])
        return cd.text, cd.state

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        rows = self.lookup(index)
        if rows is None:
            super().paint(painter, option, index)
            return
        row = rows[0](index.row())
        column = index.column()
        cd = rows[1].countdown(row, CLOCK_NAMES[column])
        self.shown[(row.id, column)] = (cd.text, cd.state)
        state = option.state.value
        if state & _FOCUS:  # the style draws the focus frame
            super().paint(painter, option, index)
            return
        look = self._look or self.look(option)
        rect = option.rect
        colors = self._colors.get(cd.state)
        if cd.state == "breached":  # white on red, even in the selected row
            state &= ~_SELECTED
        if state & _SELECTED:
            fill, color = look.highlight[color_group(state)]
            painter.fillRect(rect, fill)
        elif colors is not None:
            painter.fillRect(rect, colors[0])
            color = colors[1]
        else:
            color = look.text_colors[color_group(state)]
        text = cd.text
        if cd.state == "paused":
            text = paused_cell_text(text)
            margin = look.margin
            mode = QIcon.Mode.Selected if state & _SELECTED else QIcon.Mode.Normal
            pause_icon().paint(painter, QRect(rect.x() + margin, rect.y(), ICON, rect.height()),
                               Qt.AlignmentFlag.AlignCenter, mode)
            rect = rect.adjusted(ICON + 2 * margin, 0, 0, 0)
        self.draw_text(painter, look, text, rect, color, cd.state)

    def initStyleOption(self, option: QStyleOptionViewItem, index: Index) -> None:
        # the focused cell and foreign models take QStyledItemDelegate's road
        super().initStyleOption(option, index)
        state = index.data(STATE_ROLE)
        if state == "paused":
            option.text = paused_cell_text(option.text)
            option.features |= QStyleOptionViewItem.ViewItemFeature.HasDecoration
            option.icon = pause_icon()
            option.decorationSize = QSize(ICON, ICON)
        elif state == "breached":
            option.state &= ~QStyle.StateFlag.State_Selected


def stale_clock_cells(view: QTableView) -> list[QRect] | None:
    """The visible countdown and SLA cells whose text or state changed since they were
    last painted, as viewport rectangles (runs of cells in one column merged); None
    when the view shows a model other than the queue's, which cannot tell."""
    rows = queue_rows(view.model())
    if rows is None:
        return None
    row_at, model = rows
    viewport = view.viewport()
    first = view.rowAt(0)
    if first < 0:
        return []
    last = view.rowAt(viewport.height() - 1)
    if last < 0:
        last = view.model().rowCount() - 1
    header = view.horizontalHeader()
    width = viewport.width()
    visible = [(row_at(r), view.rowViewportPosition(r), view.rowHeight(r))
               for r in range(first, last + 1)]
    rects: list[QRect] = []
    kept: dict[ClockCellDelegate, dict[tuple[str, int], Any]] = {}
    for column in (*CLOCK_NAMES, int(Column.SLA)):
        delegate = view.itemDelegateForColumn(column)
        x, size = header.sectionViewportPosition(column), header.sectionSize(column)
        if (not isinstance(delegate, ClockCellDelegate) or header.isSectionHidden(column)
                or x >= width or x + size <= 0):
            continue
        shown = delegate.shown
        keep = kept.setdefault(delegate, {})
        run: QRect | None = None
        for row, y, height in visible:
            key = (row.id, column)
            before = keep[key] = shown.get(key)
            if before == delegate.showing(model, row, column):
                run = None
            elif run is not None and run.bottom() + 1 == y:
                run.setHeight(run.height() + height)  # one rectangle for a run of cells
            else:
                run = QRect(x, y, size, height)
                rects.append(run)
    for delegate, keep in kept.items():
        delegate.shown = keep  # cells out of view repaint anyway when they come back
    return rects
