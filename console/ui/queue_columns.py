"""The queue's column widths: every column but the Title fitted to what it typically
shows, in the queue's own font (so they scale with it); the Title stretches into what
is left, so a commander reads whole titles.

When the window is too narrow for that (1920x1080 at 125% leaves 1536 logical pixels),
the Account and Team columns give way first, down to about half; they elide, and their
tooltips hold the whole text. A column the user resized keeps the user's width.
"""

from __future__ import annotations

import math
from typing import cast

import shiboken6
from PySide6.QtCore import QByteArray, QEvent, QObject
from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import QHeaderView, QTableView

from .queue_delegates import PILL_ENDS, PILL_INSET, PILL_MIN_STRETCH
from .queue_model import HEADERS, Column

COLUMN_SAMPLES = {
    Column.ID: "INC-260302-7QK4",            # a new id, whole
    Column.SEVERITY: "P2 ?",
    Column.ACCOUNT: "Globex · enterp",
    Column.TEAM: "T1 · Frontline Support",
    Column.OWNER: "fatima",
    Column.STATUS: "Waiting",
    Column.RESPONSE: "-23h 59m", Column.UPDATE: "-23h 59m", Column.RESOLUTION: "-23h 59m",
    Column.RISK: "100%",
}
BOLD_COLUMNS = (Column.RESPONSE, Column.UPDATE, Column.RESOLUTION)  # breached: bold
SLA_SAMPLE = "CONFIRMATION BREACHED"  # the longest pill, narrowed as far as it may be
TITLE_SAMPLE = "Checkout returns 502 for EU customers at peak"  # 45 characters
GIVE_WAY = {Column.ACCOUNT: 0.5, Column.TEAM: 0.5}  # how narrow each may get, in order
CELL_PADDING = 12   # the text's margins in a cell, and a little air
SORT_ROOM = 22      # a header's sort arrow


def fitted_widths(view: QTableView) -> dict[Column, int]:
    """Each column's width but the Title's: its sample text or its header label with
    the sort arrow, whichever is wider, in the fonts the view and header use."""
    view.ensurePolished()  # the view's style sheet sets its font size
    header = view.horizontalHeader()
    header.ensurePolished()
    plain = QFontMetricsF(view.font())
    bold_font = QFont(view.font())
    bold_font.setBold(True)
    bold = QFontMetricsF(bold_font)
    heading = QFontMetricsF(header.font())
    widths: dict[Column, int] = {}
    for column in Column:
        label = heading.horizontalAdvance(HEADERS[column]) + SORT_ROOM
        if column == Column.SLA:
            # one step short of the narrowest stretch: rounding never elides it
            text = bold.horizontalAdvance(SLA_SAMPLE) * (PILL_MIN_STRETCH + 5) / 100 \
                + 2 * (PILL_INSET + PILL_ENDS)
        elif column in COLUMN_SAMPLES:
            metrics = bold if column in BOLD_COLUMNS else plain
            text = metrics.horizontalAdvance(COLUMN_SAMPLES[column]) + CELL_PADDING
        else:
            continue  # the Title stretches
        widths[column] = math.ceil(max(label, text))
    return widths


class ColumnFitter(QObject):
    """Keeps the queue's columns fitted as the view's width changes."""

    def __init__(self, view: QTableView) -> None:
        super().__init__(view)
        self.view = view
        self.header = view.horizontalHeader()
        self.fitted = fitted_widths(view)
        self.title_room = math.ceil(QFontMetricsF(view.font()).horizontalAdvance(TITLE_SAMPLE)
                                    + CELL_PADDING)
        self.user_sized: set[int] = set()
        self._fitting = True
        for column, width in self.fitted.items():
            self.header.resizeSection(column, width)
        self.header.setSectionResizeMode(Column.TITLE, QHeaderView.ResizeMode.Stretch)
        self._fitting = False
        self.header.sectionResized.connect(self._resized)
        self._viewport = view.viewport()
        self._viewport.installEventFilter(self)

    def restore(self, state: object, user_sized: str) -> None:
        """A saved header state, and which columns the user had resized ("2,4")."""
        self._fitting = True
        try:
            # what saveState() gave, as QSettings kept it
            self.header.restoreState(cast(QByteArray, state))
            self.header.setSectionResizeMode(Column.TITLE, QHeaderView.ResizeMode.Stretch)
        finally:
            self._fitting = False
        self.user_sized = {int(c) for c in str(user_sized or "").split(",") if c.isdigit()}
        self.fit()

    def saved_user_sized(self) -> str:
        return ",".join(str(c) for c in sorted(self.user_sized))

    def _resized(self, column: int, old: int, new: int) -> None:
        # hiding or showing a column resizes it from or to 0: not the user's choice
        if not self._fitting and column != Column.TITLE and old and new:
            self.user_sized.add(column)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        # the view may be going away while its viewport still gets events
        if event.type() == QEvent.Type.Resize and obj is self._viewport \
                and shiboken6.isValid(self.view):
            self.fit()
        return False

    def fit(self) -> None:
        """The fitted widths, with Account and Team giving way while the Title would
        get less than a 45-character title needs."""
        header = self.header
        widths: dict[int, int] = {c: w for c, w in self.fitted.items()
                                  if not header.isSectionHidden(c)}
        for column in self.user_sized:
            if column in widths:
                widths[column] = header.sectionSize(column)
        short = sum(widths.values()) + self.title_room - self.view.viewport().width()
        for column, floor in GIVE_WAY.items():
            if short <= 0:
                break
            if column in widths and column not in self.user_sized:
                give = min(short, widths[column] - math.ceil(self.fitted[column] * floor))
                widths[column] -= max(give, 0)
                short -= max(give, 0)
        self._fitting = True
        try:
            for column, width in widths.items():
                if column not in self.user_sized and header.sectionSize(column) != width:
                    header.resizeSection(column, width)
        finally:
            self._fitting = False
