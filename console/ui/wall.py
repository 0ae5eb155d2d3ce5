"""The wall screen: the live queue, full screen, readable from five metres.

Over 400 lines on purpose: the screen, its board and tiles share one scale and one
1 Hz timer; what to show and in what order is already outside (app/runtime/wall_ranking).

One 1 Hz timer drives it and only updates texts and repaints: the ticket rows are
painted by one board widget, never created per row or per tick, so the screen can
run for days without growing. What to show and in what order is the pure
console.app.runtime.wall_ranking's answer to "what must someone act on in the next minutes?",
recomputed when rows arrive and every RERANK_SECONDS, not every second: rows due
within a paging cycle are pinned above the pages, and the tail is a one-line summary.
Styling lives in resources/styles/wall.qss, filled with the theme colours and the scale.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QColor,
    QFont,
    QFontMetrics,
    QGuiApplication,
    QHideEvent,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from console.app.runtime.countdown import Countdown, countdown
from console.app.runtime.countdown import span as countdown_span  # the tiles' layout uses "span"
from console.app.runtime.port import ConsoleServicePort, SyncState
from console.app.runtime.rows import QueueRow, clock_label
from console.app.runtime.wall_ranking import WallEntry, WallPlan, plan_wall
from console.domain.engine import build_calendars
from console.domain.matrix import Matrix
from console.paths import resources_dir

from . import theme
from .queue_model import RISK_HIGH, RISK_RAISED  # as the queue's Risk column
from .theme import SLA_COLORS, SLA_LABELS, WALL_MUTED, WALL_TEXT, severity_color, text_on

log = logging.getLogger(__name__)

TITLE = "Escalation Console — Live queue"
PAGE_SECONDS = 8
MAX_PAGES = 3  # one cycle of 24 s; what does not fit is summarised, not paged through
RERANK_SECONDS = 30  # besides every data change
# A deadline this close is pinned above the pages: a full cycle, plus the wait for the
# next ranking, so it is on screen before it breaches whichever page is up.
PIN_WITHIN = timedelta(seconds=MAX_PAGES * PAGE_SECONDS + RERANK_SECONDS)
PIN_COLOR = "#ffb300"
STALE_AFTER = timedelta(seconds=10)
BREACH_RED = "#ff5252"
LABEL_COLORS = {"breached": BREACH_RED, "pre_breach": "#ffb300"}
SYNC_NOTES = {"not_configured": ("local only", ""), "online": ("● live", "live"),
              "syncing": ("● syncing", "live"), "offline": ("reconnecting…", "warn")}
_NEVER, _ALWAYS = datetime.max.replace(tzinfo=UTC), datetime.min.replace(tzinfo=UTC)
_SIZES = {"title": 40, "clock": 60, "note": 26, "header": 28, "banner": 40, "border": 6,
          "pad": 10, "tile_name": 30, "count": 72, "caption": 24}


def show_on_screen(widget: QWidget, index: int) -> None:
    """Show ``widget`` full screen on monitor ``index`` (the primary one if it is missing)."""
    screens = QGuiApplication.screens()
    screen = screens[index] if 0 <= index < len(screens) else None
    if screen is None:
        screen = QGuiApplication.primaryScreen()
        log.warning("wall screen: no monitor %d (%d connected); using the primary one",
                    index, len(screens))
    if screen is not None:
        widget.winId()  # creates the native window, so it can be placed on a screen
        if widget.windowHandle() is not None:
            widget.windowHandle().setScreen(screen)
        widget.setGeometry(screen.geometry())
    widget.showFullScreen()


def short_duration(delta: timedelta) -> str:
    seconds = int(max(delta.total_seconds(), 0))
    if seconds < 3600:
        return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def _breach_instant(row: QueueRow) -> datetime:
    """When the row starts counting as breached (as sla_state does), for bisection."""
    dues = []
    for c in row.clocks:
        if c.stopped_at is None and c.due is not None:
            dues.append(c.due)
        elif c.stopped_at is not None and c.due is not None and c.stopped_at > c.due:
            return _ALWAYS
    return min(dues, default=_NEVER)


def _px(font: QFont, size: float, bold: bool = False) -> QFont:
    font = QFont(font)
    font.setPixelSize(max(int(size), 8))
    font.setBold(bold)
    return font


def _repolish(widget: QWidget, name: str, value: Any) -> None:
    """Set a property the stylesheet selects on, and restyle the widget."""
    widget.setProperty(name, value)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def big_text(cd: Countdown) -> str:
    """The countdown as the wall shows it: ``1h 05m``, ``−12m 30s`` (never ``−0s``)."""
    if cd.state == "met" or cd.seconds_left == float("inf"):
        return "met" if cd.state == "met" else "—"
    text = countdown_span(cd.seconds_left)
    return f"−{text}" if cd.state == "breached" else text


class _Tile(QFrame):
    """Open and breached counts of one severity, in its colour."""

    def __init__(self, severity: str, name: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.severity, self.values = severity, (-1, -1)
        self.setObjectName(f"wallTile_{severity}")
        self.grid = grid = QGridLayout(self)
        labels = [QLabel(text, self) for text in (f"{severity} · {name}", "0", "0", "open",
                                                  "breached")]
        self.name, self.count, self.breached, *captions = labels
        for label, obj, (r, c, span) in zip(
                labels, ("tileName", "tileCount", "tileBreached", "tileCaption", "tileCaption"),
                ((0, 0, 2), (1, 0, 1), (1, 1, 1), (2, 0, 1), (2, 1, 1)), strict=True):
            label.setObjectName(obj)
            label.setMinimumWidth(1)  # never let a tile widen the screen
            grid.addWidget(label, r, c, 1, span)
        for label in (self.breached, captions[1]):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        grid.setVerticalSpacing(0)

    def set_counts(self, open_count: int, breached: int) -> None:
        if (open_count, breached) == self.values:
            return
        hot_changed = (self.values[1] > 0) != (breached > 0)
        self.values = (open_count, breached)
        self.count.setText(str(open_count))
        self.breached.setText(str(breached))
        if hot_changed:
            _repolish(self.breached, "hot", breached > 0)


class _Board(QWidget):
    """Paints the pinned rows, the current page and the summary line; holds no widget
    per row."""

    def __init__(self, wall: WallScreen) -> None:
        super().__init__(wall)
        self.wall, self.scale = wall, 1.0
        # row, clock name, countdown, pinned above the pages
        self.entries: list[tuple[QueueRow, str, Countdown, bool]] = []
        self.summary = ""  # what is not on screen, e.g. "+41 breached P3/P4"

    def _height(self) -> int:  # before the first layout, assume a 1080p board
        return self.height() if self.height() > 50 else int(620 * self.scale)

    def _footer(self) -> float:
        return 40 * self.scale

    def capacity(self) -> int:
        return max(1, int(self._height() - self._footer()) // int(92 * self.scale))

    def row_height(self) -> float:
        """Rows share the board's height above the summary line, so a full page fills it."""
        return min((self._height() - self._footer()) / self.capacity(), 120 * self.scale)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.wall._ranked_at is not None:
            self.wall.refresh()  # a page holds as many rows as fit: never paint one cut off

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        s, width, h, base = self.scale, self.width(), self.row_height(), self.font()
        big, mid = _px(base, 34 * s, bold=True), _px(base, 34 * s)
        small, huge = _px(base, 24 * s, bold=True), _px(base, 58 * s, bold=True)
        center, left_v = Qt.AlignmentFlag.AlignCenter, Qt.AlignmentFlag.AlignVCenter

        def box(rect: QRectF, color: QColor | str, radius: float = 10) -> None:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(color))
            p.drawRoundedRect(rect, radius * s, radius * s)

        def text(rect: QRectF, font: QFont, color: QColor | str, value: str,
                 align: Qt.AlignmentFlag = center) -> None:
            p.setFont(font)
            p.setPen(QColor(color))
            p.drawText(rect, align, value)

        if not self.entries:
            text(QRectF(self.rect()), mid, WALL_MUTED, "No open tickets")
        if self.summary:  # the tail, counted instead of paged through
            text(QRectF(0, self.height() - self._footer(), width, self._footer()),
                 _px(base, 28 * s, bold=True), WALL_MUTED, f"Not on screen: {self.summary}",
                 Qt.AlignmentFlag.AlignRight | left_v)
        for i, (row, clock_name, cd, pinned) in enumerate(self.entries):
            state = cd.state if cd.state in SLA_COLORS else "none"
            band = QRectF(0, i * h + 4 * s, width, h - 8 * s)
            box(band, "#3b0a0a" if state == "breached" else ("#161b22", "#11161d")[i % 2])
            if pinned:  # due within a paging cycle: outlined, on every page
                p.setPen(QPen(QColor(PIN_COLOR), 4 * s))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawRoundedRect(band.adjusted(2 * s, 2 * s, -2 * s, -2 * s), 10 * s, 10 * s)
            if state == "breached":  # a bar down the left edge as well as the red band
                box(QRectF(0, band.top(), 12 * s, band.height()), SLA_COLORS[state][1], 4)
            color = severity_color(self.wall.matrix, row.severity)
            badge = QRectF(28 * s, band.center().y() - 30 * s, 96 * s, 60 * s)
            box(badge, color)
            text(badge, big, text_on(color), row.severity)
            # the countdown pill on the right, its clock and state above it
            pill = QRectF(width - 380 * s, band.top() + 30 * s, 360 * s, band.height() - 34 * s)
            box(pill, SLA_COLORS[state][1])
            digits = huge if pill.height() >= 58 * s else _px(base, pill.height(), bold=True)
            text(pill, digits, SLA_COLORS[state][2], big_text(cd))  # inside its pill
            label = clock_label(clock_name).upper()
            if pinned:
                label += " · DUE NEXT"
            elif state in ("breached", "pre_breach", "paused"):
                label += f" · {SLA_LABELS[state]}"
            label_w = QFontMetrics(small).horizontalAdvance(label)
            label_left = min(pill.left(), pill.right() - label_w)
            text(QRectF(label_left, band.top(), pill.right() - label_left, 30 * s), small,
                 PIN_COLOR if pinned else LABEL_COLORS.get(state, WALL_MUTED), label,
                 Qt.AlignmentFlag.AlignRight | left_v)
            # ticket id and title, team and owner below (clear of the label)
            left = badge.right() + 26 * s
            text_w = label_left - left - 24 * s
            line1 = QRectF(left, band.center().y() - 42 * s, text_w, 46 * s)
            id_w = QFontMetrics(big).horizontalAdvance(row.id) + 24 * s
            text(line1, big, WALL_TEXT, row.id, left_v)
            title = QFontMetrics(mid).elidedText(row.title, Qt.TextElideMode.ElideRight,
                                                 int(max(text_w - id_w, 0)))
            text(line1.adjusted(id_w, 0, 0, 0), mid, WALL_TEXT, title, left_v)
            line2 = QRectF(left, line1.bottom(), text_w, 40 * s)
            text(line2, _px(base, 26 * s), WALL_MUTED,
                 f"{self.wall.team_name(row.team)} · {row.owner or 'unassigned'}", left_v)
            risk = self.wall.risks.get(row.id)
            if risk is not None and risk >= RISK_RAISED:  # breach or escalation within the hour
                text(line2, _px(base, 26 * s, bold=True),
                     LABEL_COLORS["breached" if risk >= RISK_HIGH else "pre_breach"],
                     f"RISK {risk:.0%}", Qt.AlignmentFlag.AlignRight | left_v)


class WallScreen(QWidget):
    """The wall screen. Rows come through the service's signals (or set_rows)."""

    closed = Signal()

    def __init__(self, service: ConsoleServicePort | None, matrix: Matrix,
                 clock: Callable[[], datetime] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(TITLE)
        self.setObjectName("wallScreen")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.matrix = matrix
        self._clock = clock or getattr(service, "clock", None) or (lambda: datetime.now(UTC))
        self._calendars = build_calendars(matrix)
        self._rows: dict[str, QueueRow] = {}
        self._breach_at: dict[str, list[datetime]] = {}  # severity -> sorted breach instants
        self._open: dict[str, int] = {}
        self._plan = WallPlan((), ((),), "", 0, 0)
        self._planned_rows = 0  # the rows per page the plan was made for
        self._severity_rank = {sev.id: sev.rank for sev in matrix.severities}
        self._dirty, self._page = True, 0
        self._page_started: datetime | None = None
        self._ranked_at: datetime | None = None
        self._sync: SyncState | None = getattr(service, "sync_state", None)
        self.risks: dict[str, float] = {}  # ticket: probability of a breach or escalation
        self._qss = (resources_dir() / "styles" / "wall.qss").read_text(encoding="utf-8")
        self._build()
        if service is not None:
            service.rowsReset.connect(self.set_rows)
            service.rowsChanged.connect(self.apply_changes)
            service.syncStateChanged.connect(self.set_sync_state)
            service.matrixChanged.connect(self.set_matrix)
            service.pagingChanged.connect(self.set_paging)
            triage = getattr(service, "triage", None)
            if triage is not None:
                triage.risk.changed.connect(self.set_risks)
                self.set_risks(triage.risk.risks)
            self.set_paging(service.paging)
        self.timer = QTimer(self, interval=1000)
        self.timer.timeout.connect(self.tick)
        self._rescale()
        self.tick()

    # -- layout -----------------------------------------------------------------------
    def _build(self) -> None:
        def label(name: str, text: str = "") -> QLabel:
            widget = QLabel(text, self)
            widget.setObjectName(name)
            return widget

        self.title = label("wallTitle", TITLE)
        # on a small monitor the title gives way (clipped) rather than widening the
        # wall past the screen, which would stop it going full screen
        self.title.setMinimumWidth(1)
        self.sync_note = label("wallSyncNote")
        self.paging_note = label("wallPaging")  # who sends the pages
        self.clock_label, self.date_label = label("wallClock"), label("wallDate")
        self.banner = label("wallStaleBanner")
        self.banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.tiles = [_Tile(s.id, s.name, self) for s in self.matrix.severities]
        self.list_title, self.page_label = label("wallListTitle"), label("wallPage")
        self.board = _Board(self)

        stamp = QVBoxLayout()
        stamp.setSpacing(0)
        for widget in (self.clock_label, self.date_label):
            widget.setAlignment(Qt.AlignmentFlag.AlignRight)
            stamp.addWidget(widget)
        top, self.tile_row, header = QHBoxLayout(), QHBoxLayout(), QHBoxLayout()
        notes = QVBoxLayout()  # sync state over who pages: one column, not two
        notes.setSpacing(0)
        for widget in (self.sync_note, self.paging_note):
            widget.setAlignment(Qt.AlignmentFlag.AlignRight)
            notes.addWidget(widget)
        top.addWidget(self.title)
        top.addStretch(1)
        top.addLayout(notes)
        top.addSpacing(40)
        top.addLayout(stamp)
        for tile in self.tiles:
            self.tile_row.addWidget(tile, 1)
        header.addWidget(self.list_title)
        header.addStretch(1)
        header.addWidget(self.page_label)
        self.outer = QVBoxLayout(self)
        self.outer.addLayout(top)
        self.outer.addWidget(self.banner)
        self.outer.addLayout(self.tile_row)
        self.outer.addLayout(header)
        self.outer.addWidget(self.board, 1)

    def _rescale(self) -> None:
        w, h = (self.width(), self.height()) if self.height() > 200 else (1920, 1080)
        s = max(0.5, min(h / 1080, w / 1920))  # 1080p = 1.0; narrow screens by width
        sizes = {k: max(int(v * s), 1) for k, v in _SIZES.items()}
        colors = {"background": theme.WALL_BACKGROUND, "text": WALL_TEXT, "muted": WALL_MUTED,
                  "breach": BREACH_RED}
        tiles = "".join(
            f"QFrame#{t.objectName()} {{ background: {c.name()}; border-radius: 14px; }}"
            f" QFrame#{t.objectName()} QLabel {{ color: {text_on(c).name()}; }}"
            for t in self.tiles for c in [severity_color(self.matrix, t.severity)])
        self.setStyleSheet(self._qss % {**sizes, **colors} + tiles)
        m = int(28 * s)
        self.outer.setContentsMargins(m, int(18 * s), m, int(18 * s))
        self.outer.setSpacing(int(16 * s))
        self.tile_row.setSpacing(int(20 * s))
        for tile in self.tiles:
            tile.grid.setContentsMargins(m - 6, int(10 * s), m - 6, int(10 * s))
        self.board.scale = s
        self.board.update()
        if self._ranked_at is not None:
            self.refresh()  # the scale decides how many rows a page holds

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._rescale()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.timer.start()
        self.tick()

    def hideEvent(self, event: QHideEvent) -> None:
        self.timer.stop()
        super().hideEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.timer.stop()
        self.closed.emit()
        super().closeEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """F11 toggles full screen; Esc leaves full screen, and closes outside it."""
        key = event.key()
        if key not in (Qt.Key.Key_Escape, Qt.Key.Key_F11):
            super().keyPressEvent(event)
        elif self.isFullScreen():
            self.showNormal()
        elif key == Qt.Key.Key_F11:
            self.showFullScreen()
        else:
            self.close()

    # -- data ---------------------------------------------------------------------------
    def set_rows(self, rows: Iterable[QueueRow]) -> None:
        self._rows = {r.id: r for r in rows if r.open}
        self._reindex()

    def apply_changes(self, rows: Iterable[QueueRow], removed: Iterable[str] = ()) -> None:
        for ticket in removed:
            self._rows.pop(ticket, None)
        for r in rows:
            if r.open:
                self._rows[r.id] = r
            else:
                self._rows.pop(r.id, None)
        self._reindex()

    def set_matrix(self, matrix: Matrix) -> None:
        """Follow a newly published version: severity tiles, colours, ranks, calendars
        and team names change in place."""
        self.matrix = matrix
        self._calendars = build_calendars(matrix)
        self._severity_rank = {sev.id: sev.rank for sev in matrix.severities}
        for tile in self.tiles:
            self.tile_row.removeWidget(tile)
            tile.deleteLater()
        self.tiles = [_Tile(s.id, s.name, self) for s in matrix.severities]
        for tile in self.tiles:
            self.tile_row.addWidget(tile, 1)
        self._dirty = True
        self._rescale()
        self.tick()

    def team_name(self, team_id: str) -> str:
        """A team's name in the matrix in force (its id if the matrix has no such team)."""
        return next((t.name for t in self.matrix.teams if t.id == team_id), team_id)

    def set_sync_state(self, state: SyncState) -> None:
        self._sync = state
        self._update_sync(self._clock())

    def _reindex(self) -> None:
        self._breach_at, self._open = {}, {}
        for r in self._rows.values():
            self._open[r.severity] = self._open.get(r.severity, 0) + 1
            self._breach_at.setdefault(r.severity, []).append(_breach_instant(r))
        for instants in self._breach_at.values():
            instants.sort()
        self._dirty = True

    def _rank(self, now: datetime) -> None:
        self._planned_rows = self.rows_per_page
        self._plan = plan_wall(self._rows.values(), now, ranks=self._severity_rank,
                               rows_per_page=self._planned_rows, max_pages=MAX_PAGES,
                               pin_within=PIN_WITHIN)
        self._dirty, self._ranked_at = False, now

    # -- the 1 Hz tick ------------------------------------------------------------------
    @property
    def rows_per_page(self) -> int:
        return self.board.capacity()

    @property
    def page_count(self) -> int:
        return len(self._plan.pages)

    @property
    def page(self) -> int:
        return self._page

    def next_page(self, now: datetime | None = None) -> None:
        self._turn(now or self._clock(), advance=True)

    def _turn(self, now: datetime, advance: bool) -> None:
        last = self._ranked_at
        if self._dirty or last is None or not last <= now < last + timedelta(
                seconds=RERANK_SECONDS) or self._planned_rows != self.rows_per_page:
            self._rank(now)  # the board's size decides how many rows a page holds
        if advance:
            self._page, self._page_started = (self._page + 1) % self.page_count, now
        plan, pages = self._plan, self.page_count
        self._page = min(self._page, pages - 1)
        self.board.entries = [self._show(e, now) for e in (*plan.pinned, *plan.pages[self._page])]
        self.board.summary = plan.summary
        self.board.update()
        self._set(self.page_label, f"page {self._page + 1}/{pages}" if pages > 1 else "")
        self._set(self.list_title, f"Act on these first · {plan.at_risk} at risk of "
                                   f"{plan.total_open} open")

    def _show(self, e: WallEntry, now: datetime) -> tuple[QueueRow, str, Countdown, bool]:
        return e.row, e.clock, countdown(e.row.clock(e.clock), now, self._calendars), e.pinned

    def refresh(self) -> None:
        """Show the current page again now (after a resize), without turning it."""
        self._turn(self._clock(), advance=False)

    def tick(self, now: datetime | None = None) -> None:
        now = now or self._clock()
        if self._page_started is None or now < self._page_started:
            self._page_started = now
        self._turn(now, advance=now - self._page_started >= timedelta(seconds=PAGE_SECONDS))
        local = now.astimezone()
        self._set(self.clock_label, f"{local:%H:%M:%S}")
        self._set(self.date_label, f"{local:%a %d %b %Y}")
        for tile in self.tiles:
            instants = self._breach_at.get(tile.severity, [])
            tile.set_counts(self._open.get(tile.severity, 0), bisect.bisect_right(instants, now))
        self._update_sync(now)

    def _update_sync(self, now: datetime) -> None:
        status = getattr(self._sync, "status", "not_configured")
        since: datetime | None = getattr(self._sync, "offline_since", None)
        stale = status == "offline" and since is not None and now - since > STALE_AFTER
        if stale and since is not None:  # stale implies since
            self._set(self.banner, "⚠ DATA MAY BE STALE — shared database unreachable since "
                      f"{since.astimezone():%H:%M:%S} ({short_duration(now - since)})")
        if self.banner.isHidden() == stale:
            self.banner.setVisible(stale)
        note, tone = ("", "") if stale else SYNC_NOTES.get(status, ("", ""))
        self._set(self.sync_note, note)
        if self.sync_note.property("tone") != tone:
            _repolish(self.sync_note, "tone", tone)

    def set_risks(self, risks: dict[str, Any]) -> None:
        """Each open ticket's risk (``Risk`` by ticket id), shown on its row."""
        self.risks = {t: float(r.probability) for t, r in risks.items()}
        self.board.update()

    def set_paging(self, paging: str) -> None:
        """"paging: service host-a" or "paging: this console (no service)"."""
        self._set(self.paging_note, f"paging: {paging}" if paging else "")

    @staticmethod
    def _set(label: QLabel, text: str) -> None:
        if label.text() != text:
            label.setText(text)

    # -- for tests and diagnostics ------------------------------------------------------
    def visible_rows(self) -> list[tuple[str, str, str]]:
        """(ticket, clock, countdown text) of the rows on the current page."""
        return [(r.id, name, cd.text) for r, name, cd, _ in self.board.entries]

    def pinned_ids(self) -> list[str]:
        """The rows pinned above the pages (on every page)."""
        return [e.row.id for e in self._plan.pinned]

    def ranked_ids(self) -> list[str]:
        """Every row shown over one paging cycle, pinned ones first, in rank order."""
        return [e.row.id for e in self._plan.entries()]

    @property
    def summary_text(self) -> str:
        return self.board.summary

    def tile_counts(self) -> dict[str, tuple[int, int]]:
        return {t.severity: t.values for t in self.tiles}

    @property
    def stale_text(self) -> str:
        return "" if self.banner.isHidden() else self.banner.text()
