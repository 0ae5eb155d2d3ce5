"""The live queue as a Qt table model: ticket ids in due order plus a row cache.

The order is QueueRow.sort_key() (absolute next due time), which changes only when
events arrive, so the 1 Hz countdown never re-sorts or resets the model: set_now()
only stores the time and the view repaints its visible rows.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from datetime import datetime
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from console.app.countdown import Countdown, countdown
from console.app.rows import QueueRow
from console.domain.engine import build_calendars
from console.domain.matrix import Matrix

from .theme import SLA_COLORS, SLA_LABELS

Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()

ROW_ROLE = Qt.ItemDataRole.UserRole + 1     # the QueueRow behind a cell
SORT_ROLE = Qt.ItemDataRole.UserRole + 2    # a raw, comparable value for header sorts
STATE_ROLE = Qt.ItemDataRole.UserRole + 3   # SLA state of a clock cell / the SLA column


class Column(IntEnum):
    ID = 0
    SEVERITY = 1
    TITLE = 2
    ACCOUNT = 3
    TEAM = 4
    OWNER = 5
    STATUS = 6
    RESPONSE = 7
    UPDATE = 8
    RESOLUTION = 9
    SLA = 10


HEADERS = {
    Column.ID: "ID", Column.SEVERITY: "Severity", Column.TITLE: "Title",
    Column.ACCOUNT: "Account", Column.TEAM: "Tier / Team", Column.OWNER: "Owner",
    Column.STATUS: "Status", Column.RESPONSE: "Response", Column.UPDATE: "Update",
    Column.RESOLUTION: "Resolution", Column.SLA: "SLA",
}
CLOCK_COLUMNS = {Column.RESPONSE: "response", Column.UPDATE: "update",
                 Column.RESOLUTION: "resolution"}
STATUS_LABELS = {"open": "Open", "waiting_on_customer": "Waiting on customer",
                 "resolved": "Resolved"}
STATUS_SHORT = {"waiting_on_customer": "Waiting"}  # the queue's narrow Status column
STATE_ORDER = {"breached": 0, "pre_breach": 1, "ok": 2, "paused": 3, "met": 4, "none": 5}
UNCONFIRMED_TIP = "not yet confirmed by Engineering"
PAUSED_TEXT = "#546e7a"  # grey-blue


def local_time(t: datetime | None) -> str:
    """A due time in the console's local zone, e.g. ``Tue 14:05``."""
    return "—" if t is None else t.astimezone().strftime("%a %d %b %H:%M")


def cell_colors(state: str) -> tuple[QColor, QColor]:
    """(background, text) for a clock cell or the SLA column in the light queue."""
    light, dark, on_dark = SLA_COLORS.get(state, SLA_COLORS["none"])
    if state == "breached":
        return QColor(light), QColor(on_dark)
    if state == "paused":
        return QColor(light), QColor(PAUSED_TEXT)
    return QColor(light), QColor(dark)


class QueueModel(QAbstractTableModel):
    """Open (and recently resolved) tickets, in absolute due order."""

    def __init__(self, matrix: Matrix, now: datetime, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids: list[str] = []
        self._keys: list[tuple[int, str, str]] = []   # parallel to _ids, for bisect
        self._rows: dict[str, QueueRow] = {}
        self._countdowns: dict[tuple[str, str], Countdown] = {}
        self.now = now
        self.set_matrix(matrix)
        self._colors = {s: cell_colors(s) for s in SLA_COLORS}
        self._bold = QFont()
        self._bold.setBold(True)
        self._italic = QFont()
        self._italic.setItalic(True)

    def set_matrix(self, matrix: Matrix) -> None:
        """Team names, severity ranks and calendars come from the matrix."""
        self.matrix = matrix
        self.calendars = build_calendars(matrix)
        self._team_names = {t.id: t.name for t in matrix.teams}
        self._ranks = {s.id: s.rank for s in matrix.severities}
        self._tier_levels = {t.id: t.level for t in matrix.tiers}
        self._countdowns.clear()
        if self._ids:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._ids) - 1, len(Column) - 1))

    # -- the 1 Hz tick -------------------------------------------------------------------
    def set_now(self, now: datetime) -> None:
        """Store the time for countdowns. Emits nothing: the view repaints what it shows."""
        self.now = now
        self._countdowns.clear()

    # -- structure -------------------------------------------------------------------------
    def rowCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(Column)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(Column):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[Column(section)]
        if role == Qt.ItemDataRole.ToolTipRole and section in CLOCK_COLUMNS:
            return f"Time left on the {CLOCK_COLUMNS[Column(section)]} clock"
        return None

    # -- rows ------------------------------------------------------------------------------
    def row_at(self, row: int) -> QueueRow:
        return self._rows[self._ids[row]]

    def rows(self) -> list[QueueRow]:
        """Every row, in queue order."""
        return [self._rows[i] for i in self._ids]

    def get(self, ticket_id: str) -> QueueRow | None:
        return self._rows.get(ticket_id)

    def row_of(self, ticket_id: str) -> int:
        """The model row of a ticket, or -1."""
        row = self._rows.get(ticket_id)
        if row is None:
            return -1
        return bisect_left(self._keys, row.sort_key())

    def reset_rows(self, rows: Iterable[QueueRow]) -> None:
        """Replace everything (first load, a new matrix). The only model reset."""
        self.beginResetModel()
        self._rows = {r.id: r for r in rows}
        ordered = sorted(self._rows.values(), key=QueueRow.sort_key)
        self._ids = [r.id for r in ordered]
        self._keys = [r.sort_key() for r in ordered]
        self._countdowns.clear()
        self.endResetModel()

    def upsert(self, rows: Iterable[QueueRow]) -> None:
        """Insert new rows in order, move rows whose due time changed, repaint the rest."""
        last = len(Column) - 1
        for row in rows:
            self._forget_countdowns(row.id)
            old = self._rows.get(row.id)
            key = row.sort_key()
            if old is None:
                pos = bisect_left(self._keys, key)
                self.beginInsertRows(QModelIndex(), pos, pos)
                self._ids.insert(pos, row.id)
                self._keys.insert(pos, key)
                self._rows[row.id] = row
                self.endInsertRows()
                continue
            src = self.row_of(row.id)
            if old.sort_key() != key:
                del self._keys[src]
                pos = bisect_left(self._keys, key)
                self._keys.insert(src, old.sort_key())
                if pos != src:
                    # beginMoveRows counts the destination before the row is taken out
                    dest = pos if pos < src else pos + 1
                    self.beginMoveRows(QModelIndex(), src, src, QModelIndex(), dest)
                    del self._ids[src], self._keys[src]
                    self._ids.insert(pos, row.id)
                    self._keys.insert(pos, key)
                    self._rows[row.id] = row
                    self.endMoveRows()
                else:
                    self._keys[src] = key
                src = pos
            self._rows[row.id] = row
            self.dataChanged.emit(self.index(src, 0), self.index(src, last))

    def remove(self, ids: Iterable[str]) -> None:
        for ticket_id in ids:
            pos = self.row_of(ticket_id)
            if pos < 0:
                continue
            self.beginRemoveRows(QModelIndex(), pos, pos)
            del self._ids[pos], self._keys[pos], self._rows[ticket_id]
            self._forget_countdowns(ticket_id)
            self.endRemoveRows()

    def _forget_countdowns(self, ticket_id: str) -> None:
        for name in CLOCK_COLUMNS.values():
            self._countdowns.pop((ticket_id, name), None)

    # -- cells -----------------------------------------------------------------------------
    def countdown(self, row: QueueRow, clock_name: str) -> Countdown:
        """The clock's countdown at ``now``, cached until the next tick."""
        key = (row.id, clock_name)
        found = self._countdowns.get(key)
        if found is None:
            found = countdown(row.clock(clock_name), self.now, self.calendars)
            self._countdowns[key] = found
        return found

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        row = self._rows[self._ids[index.row()]]
        column = Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == ROW_ROLE:
            return row
        if role == SORT_ROLE:
            return self._sort_value(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        if column not in CLOCK_COLUMNS and column != Column.SLA:
            return None
        state = self._state(row, column)
        if role == STATE_ROLE:
            return state
        if state == "none":
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            return self._colors[state][0]
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._colors[state][1]
        if role == Qt.ItemDataRole.FontRole:
            if state in ("breached", "pre_breach"):
                return self._bold
            if state == "paused":
                return self._italic
        return None

    def _state(self, row: QueueRow, column: Column) -> str:
        if column == Column.SLA:
            return row.sla_state(self.now)
        return self.countdown(row, CLOCK_COLUMNS[column]).state

    def _display(self, row: QueueRow, column: Column) -> str:
        if column == Column.ID:
            return row.id
        if column == Column.SEVERITY:
            return row.severity if row.confirmed else f"{row.severity} ?"
        if column == Column.TITLE:
            return row.title
        if column == Column.ACCOUNT:
            return f"{row.account} · {row.account_tier}" if row.account_tier else row.account
        if column == Column.TEAM:
            return f"{row.tier} · {self._team_names.get(row.team, row.team)}"
        if column == Column.OWNER:
            return row.owner or "—"
        if column == Column.STATUS:
            return STATUS_SHORT.get(row.status) or STATUS_LABELS.get(row.status, row.status)
        if column == Column.SLA:
            return SLA_LABELS.get(row.sla_state(self.now), "")
        return self.countdown(row, CLOCK_COLUMNS[column]).text

    def _sort_value(self, row: QueueRow, column: Column) -> Any:
        if column == Column.SEVERITY:
            return self._ranks.get(row.severity, 99) * 2 + (0 if row.confirmed else 1)
        if column == Column.TEAM:
            level = self._tier_levels.get(row.tier, 99)
            return f"{level:03d} {self._team_names.get(row.team, row.team).lower()}"
        if column in CLOCK_COLUMNS:
            left = self.countdown(row, CLOCK_COLUMNS[column]).seconds_left
            return min(left, 1e12)  # inf for met clocks: keep it a comparable float
        if column == Column.SLA:
            return STATE_ORDER.get(row.sla_state(self.now), 9)
        return self._display(row, column).lower()

    def _tooltip(self, row: QueueRow, column: Column) -> str | None:
        if column == Column.SEVERITY:
            name = self._severity_name(row.severity)
            if row.confirmed:
                return f"{row.severity} {name} (set by {row.severity_source})"
            return f"{row.severity} {name}: {UNCONFIRMED_TIP}"
        if column in (Column.TITLE, Column.ACCOUNT, Column.TEAM):
            return self._display(row, column)  # the view elides long text
        if column == Column.STATUS:
            return STATUS_LABELS.get(row.status, row.status)
        if column == Column.SLA:
            return self._sla_tooltip(row)
        if column in CLOCK_COLUMNS:
            return clock_tooltip(row, CLOCK_COLUMNS[column], self.countdown(
                row, CLOCK_COLUMNS[column]))
        return None

    def _severity_name(self, severity: str) -> str:
        try:
            return self.matrix.severity(severity).name
        except KeyError:
            return ""

    def _sla_tooltip(self, row: QueueRow) -> str:
        worst = row.sla_state(self.now)
        names = [c.name.replace("_", " ") for c in row.clocks if c.state(self.now) == worst]
        label = SLA_LABELS.get(worst, worst).lower()
        return f"{label}: {', '.join(names)}" if names else label


def clock_tooltip(row: QueueRow, name: str, cd: Countdown) -> str | None:
    """Due time in local time, and why the clock reads as it does."""
    clock = row.clock(name)
    if clock is None:
        return f"No {name} target for {row.severity}"
    target = _duration(clock.target_seconds)
    basis = f"{row.severity} {name} target {target} on the {clock.calendar} calendar"
    if clock.stopped_at is not None:
        return f"Stopped {local_time(clock.stopped_at)} (due {local_time(clock.due)})\n{basis}"
    if clock.due is None:
        return f"Paused since {local_time(clock.paused_since)} (waiting on customer)\n{basis}"
    reason = {"breached": "breached", "pre_breach": "inside the pre-breach warning",
              "paused": "paused (waiting on customer)"}.get(cd.state, "running")
    return f"Due {local_time(clock.due)} — {reason}\n{basis}"


def _duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    if hours and minutes:
        return f"{hours}h {minutes:02d}m"
    return f"{hours}h" if hours else f"{minutes}m"
