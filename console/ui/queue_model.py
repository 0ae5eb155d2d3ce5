"""The live queue as a Qt table model: sort keys in due order plus a row cache.

Over 400 lines on purpose: one model whose row cache and per-tick caches every role
of data() reads; the cell texts, tooltips and sort values share them. The sorted-key
arithmetic is in sorted_keys.py, the filter in filter_value.py and queue_filters.py.

The order is QueueRow.sort_key() (absolute next due time), which changes only when
events arrive, so the 1 Hz countdown never re-sorts or resets the model: set_now()
only stores the time and the view repaints the clock cells that changed.

Everything a cell shows is cached: the static columns' strings per row version, the
countdowns and SLA states per second. data() and cell() check the cheap roles first;
the queue's painters (queue_delegates) read rows through cell(), row_at() and
countdown() without going through Qt's role machinery at all.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from console.app.runtime.countdown import Countdown, countdown, sla_label
from console.app.runtime.rows import QueueRow
from console.domain.engine import build_calendars
from console.domain.matrix import Matrix

from .sorted_keys import plan_move, splice
from .theme import SLA_COLORS, SLA_LABELS

Index = QModelIndex | QPersistentModelIndex
SortKey = tuple[int, str, str]  # QueueRow.sort_key(): its last item is the ticket id
_ROOT = QModelIndex()

ROW_ROLE = Qt.ItemDataRole.UserRole + 1     # the QueueRow behind a cell
SORT_ROLE = Qt.ItemDataRole.UserRole + 2    # a raw, comparable value for header sorts
STATE_ROLE = Qt.ItemDataRole.UserRole + 3   # SLA state of a clock cell / the SLA column

# plain ints: data() runs for every painted cell, and comparing enum members is slow
_DISPLAY = Qt.ItemDataRole.DisplayRole.value
_TOOLTIP = Qt.ItemDataRole.ToolTipRole.value
_FONT = Qt.ItemDataRole.FontRole.value
_BACKGROUND = Qt.ItemDataRole.BackgroundRole.value
_FOREGROUND = Qt.ItemDataRole.ForegroundRole.value
_STYLE_ROLES = frozenset({STATE_ROLE, _FONT, _BACKGROUND, _FOREGROUND})
FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
NO_FLAGS = Qt.ItemFlag.NoItemFlags

# A batch with more structural changes (inserts, moves, removals) than this is applied
# as one layout change: one pass over the keys instead of one view update per row.
LAYOUT_BATCH = 32
TEXT_CACHE = 20_000  # rows whose display strings are kept (a screen shows about 40)


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
    RISK = 11


COLUMN_COUNT = len(Column)
HEADERS = {
    Column.ID: "ID", Column.SEVERITY: "Severity", Column.TITLE: "Title",
    Column.ACCOUNT: "Account", Column.TEAM: "Tier / Team", Column.OWNER: "Owner",
    Column.STATUS: "Status", Column.RESPONSE: "Response", Column.UPDATE: "Update",
    Column.RESOLUTION: "Resolution", Column.SLA: "SLA", Column.RISK: "Risk",
}
CLOCK_COLUMNS = {Column.RESPONSE: "response", Column.UPDATE: "update",
                 Column.RESOLUTION: "resolution"}
CLOCK_NAMES = {int(c): name for c, name in CLOCK_COLUMNS.items()}  # keyed by plain int
STATUS_LABELS = {"open": "Open", "waiting_on_customer": "Waiting on customer",
                 "resolved": "Resolved"}
STATUS_SHORT = {"waiting_on_customer": "Waiting"}  # the queue's narrow Status column
STATE_ORDER = {"breached": 0, "pre_breach": 1, "ok": 2, "paused": 3, "met": 4, "none": 5}
UNCONFIRMED_TIP = "not yet confirmed by Engineering"
PAUSED_TEXT = "#546e7a"  # grey-blue
_FIRST_CLOCK = int(Column.RESPONSE)
_SLA = int(Column.SLA)
_RISK = int(Column.RISK)
RISK_HIGH = 0.5     # at or above: red, a commander acts on it
RISK_RAISED = 0.2   # at or above: amber
RISK_TIP = ("Probability of an SLA breach or an escalation within the next hour, "
            "learnt from this team's resolved tickets")


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
        self._keys: list[SortKey] = []     # queue order, for bisect
        self._rows: dict[str, QueueRow] = {}
        self._texts: dict[str, tuple[QueueRow, tuple[str, ...]]] = {}
        self._countdowns: dict[tuple[str, str], Countdown] = {}   # at now
        self._sla: dict[str, str] = {}                            # at now
        self._risks: dict[str, tuple[float, tuple[str, ...]]] = {}  # ticket: (p, reasons)
        # while layoutChanged is being emitted for a batch: the tickets it changed
        # (the filter proxy syncs just those instead of comparing every row)
        self.layout_changes: list[str] | None = None
        self.now = now
        self.set_matrix(matrix)
        self._colors = {s: cell_colors(s) for s in SLA_COLORS}
        bold, italic = QFont(), QFont()
        bold.setBold(True)
        italic.setItalic(True)
        self._fonts = {"breached": bold, "pre_breach": bold, "paused": italic}

    def set_matrix(self, matrix: Matrix) -> None:
        """Team names, severity ranks and calendars come from the matrix."""
        self.matrix = matrix
        self.calendars = build_calendars(matrix)
        self._team_names = {t.id: t.name for t in matrix.teams}
        self._ranks = {s.id: s.rank for s in matrix.severities}
        self._tier_levels = {t.id: t.level for t in matrix.tiers}
        self._texts.clear()
        self._countdowns.clear()
        self._sla.clear()
        if self._keys:
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(len(self._keys) - 1, COLUMN_COUNT - 1))

    # -- the 1 Hz tick -------------------------------------------------------------------
    def set_now(self, now: datetime) -> None:
        """Store the time for countdowns. Emits nothing: the view repaints what it shows."""
        if now == self.now:
            return
        self.now = now
        self._countdowns.clear()
        self._sla.clear()

    # -- structure -------------------------------------------------------------------------
    def rowCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._keys)

    def columnCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else COLUMN_COUNT

    def flags(self, index: Index) -> Qt.ItemFlag:
        return FLAGS if index.isValid() else NO_FLAGS

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < COLUMN_COUNT:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[Column(section)]
        if role == Qt.ItemDataRole.ToolTipRole and section in CLOCK_COLUMNS:
            return f"Time left on the {CLOCK_COLUMNS[Column(section)]} clock"
        if role == Qt.ItemDataRole.ToolTipRole and section == _RISK:
            return RISK_TIP
        return None

    # -- risk --------------------------------------------------------------------------------
    def risk_count(self) -> int:
        """How many tickets a risk model scored (0: no model scores)."""
        return len(self._risks)

    def set_risks(self, risks: Mapping[str, Any]) -> None:
        """Each open ticket's risk (``console.app.triage.risk.Risk`` by ticket id; empty:
        no model). Repaints the Risk column with one signal."""
        self._risks = {t: (float(r.probability), tuple(r.reasons)) for t, r in risks.items()}
        if self._keys:
            self.dataChanged.emit(self.index(0, _RISK), self.index(len(self._keys) - 1, _RISK))

    def risk(self, ticket_id: str) -> tuple[float, tuple[str, ...]] | None:
        """(probability, reasons) of a ticket, None when it has no score."""
        return self._risks.get(ticket_id)

    def _risk_cell(self, row: QueueRow, role: int) -> Any:
        found = self._risks.get(row.id) if row.open else None
        if role == _DISPLAY:
            return "—" if found is None else f"{found[0]:.0%}"
        if role == SORT_ROLE:
            return -1.0 if found is None else found[0]
        if role == _TOOLTIP:
            if found is None:
                return "No risk score: " + ("resolved" if not row.open else "no usable model")
            return f"{found[0]:.0%} within the hour" + "".join(
                f"\n• {reason}" for reason in found[1])
        if role == ROW_ROLE:
            return row
        if found is None or found[0] < RISK_RAISED:
            return None
        state = "breached" if found[0] >= RISK_HIGH else "pre_breach"
        if role == STATE_ROLE:
            return state
        if role == _BACKGROUND:
            return self._colors[state][0]
        if role == _FOREGROUND:
            return self._colors[state][1]
        if role == _FONT:
            return self._fonts.get(state)
        return None

    # -- rows ------------------------------------------------------------------------------
    def row_at(self, row: int) -> QueueRow:
        return self._rows[self._keys[row][-1]]

    def ticket_at(self, row: int) -> str:
        return self._keys[row][-1]

    def rows(self) -> list[QueueRow]:
        """Every row, in queue order."""
        rows = self._rows
        return [rows[k[-1]] for k in self._keys]

    def get(self, ticket_id: str) -> QueueRow | None:
        return self._rows.get(ticket_id)

    def by_id(self) -> Mapping[str, QueueRow]:
        """Every row by ticket id (read-only: the filter proxy's view of the source)."""
        return self._rows

    def sort_keys(self) -> Sequence[SortKey]:
        """The rows' sort keys in queue order (read-only)."""
        return self._keys

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
        self._keys = sorted(r.sort_key() for r in self._rows.values())
        self._texts.clear()
        self._countdowns.clear()
        self._sla.clear()
        self.endResetModel()

    def upsert(self, rows: Iterable[QueueRow]) -> None:
        """Insert new rows in order, move rows whose due time changed, repaint the rest."""
        self.apply(rows, ())

    def remove(self, ids: Iterable[str]) -> None:
        self.apply((), ids)

    def apply(self, rows: Iterable[QueueRow], removed: Iterable[str]) -> None:
        """One batch of changes: upsert ``rows``, then take out the ``removed`` tickets.

        A small batch inserts, moves and removes rows one at a time (a moved row keeps
        its persistent indexes, so the selection follows it). A batch with more than
        LAYOUT_BATCH structural changes is one layout change instead: its cost does
        not grow with the number of rows that moved."""
        latest = {r.id: r for r in rows}  # the last version of a ticket wins
        removed = list(dict.fromkeys(removed))
        for ticket_id in removed:
            latest.pop(ticket_id, None)
        gone = [t for t in removed if t in self._rows]
        structural = len(gone)
        for row in latest.values():
            old = self._rows.get(row.id)
            if old is None or old.sort_key() != row.sort_key():
                structural += 1
        if structural > LAYOUT_BATCH:
            self._apply_as_layout(latest, gone)
            return
        for row in latest.values():
            self._upsert_one(row)
        for ticket_id in gone:
            self._remove_one(ticket_id)

    def _upsert_one(self, row: QueueRow) -> None:
        self._forget(row.id)
        keys = self._keys
        old = self._rows.get(row.id)
        key = row.sort_key()
        if old is None:
            pos = bisect_left(keys, key)
            self.beginInsertRows(_ROOT, pos, pos)
            keys.insert(pos, key)
            self._rows[row.id] = row
            self.endInsertRows()
            return
        old_key = old.sort_key()
        move = plan_move(keys, old_key, key)
        if move.in_place:
            move.apply(keys, key)
        else:
            self.beginMoveRows(_ROOT, move.src, move.src, _ROOT, move.dest)
            move.apply(keys, key)
            self._rows[row.id] = row
            self.endMoveRows()
        src = move.to
        self._rows[row.id] = row
        self.dataChanged.emit(self.index(src, 0), self.index(src, COLUMN_COUNT - 1))

    def _remove_one(self, ticket_id: str) -> None:
        pos = self.row_of(ticket_id)
        self.beginRemoveRows(_ROOT, pos, pos)
        del self._keys[pos], self._rows[ticket_id]
        self._forget(ticket_id)
        self.endRemoveRows()

    def _apply_as_layout(self, latest: dict[str, QueueRow], gone: list[str]) -> None:
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        tracked = [(self._keys[p.row()][-1], p.column()) for p in persistent]
        rows, keys = self._rows, self._keys
        drop = [bisect_left(keys, rows[t].sort_key()) for t in gone]
        added: list[SortKey] = []
        for row in latest.values():
            old = rows.get(row.id)
            key = row.sort_key()
            if old is None or old.sort_key() != key:
                if old is not None:
                    drop.append(bisect_left(keys, old.sort_key()))
                added.append(key)
            rows[row.id] = row
            self._forget(row.id)
        for ticket_id in gone:
            del rows[ticket_id]
            self._forget(ticket_id)
        self._keys = splice(keys, drop, added)
        moved = [self.index(self.row_of(t), c) if t in rows else QModelIndex()
                 for t, c in tracked]
        self.changePersistentIndexList(persistent, moved)
        self.layout_changes = [*latest, *gone]
        try:
            self.layoutChanged.emit()
        finally:
            self.layout_changes = None

    def _forget(self, ticket_id: str) -> None:
        self._texts.pop(ticket_id, None)
        self._sla.pop(ticket_id, None)
        for name in CLOCK_NAMES.values():
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

    def sla_label(self, row: QueueRow) -> str:
        """The SLA pill's text at ``now``, naming the clock behind the row's state."""
        return sla_label(row, self.now, self.calendars, self.sla_state(row))[1]

    def sla_state(self, row: QueueRow) -> str:
        """The row's worst clock state at ``now``, cached until the next tick."""
        found = self._sla.get(row.id)
        if found is None:
            found = self._sla[row.id] = row.sla_state(self.now)
        return found

    def texts(self, row: QueueRow, keep: bool = True) -> tuple[str, ...]:
        """What the columns before the clocks show, built once per version of a row
        (``keep=False``: built without caching, for a sort over every row)."""
        cached = self._texts.get(row.id)
        if cached is not None and cached[0] is row:
            return cached[1]
        team = self._team_names.get(row.team, row.team)
        texts = (
            row.id,
            row.severity if row.confirmed else f"{row.severity} ?",
            row.title,
            f"{row.account} · {row.account_tier}" if row.account_tier else row.account,
            f"{row.tier} · {team}",
            row.owner or "—",
            STATUS_SHORT.get(row.status) or STATUS_LABELS.get(row.status, row.status),
        )
        if keep:
            if len(self._texts) >= TEXT_CACHE:  # scrolled through a big queue
                self._texts.clear()
            self._texts[row.id] = (row, texts)
        return texts

    def state(self, row: QueueRow, column: int) -> str:
        """SLA state of a clock cell or of the SLA column ("none" for other columns)."""
        if column == _SLA:
            return self.sla_state(row)
        name = CLOCK_NAMES.get(column)
        return "none" if name is None else self.countdown(row, name).state

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        r = index.row()
        keys = self._keys
        if not 0 <= r < len(keys):
            return None
        return self.cell(self._rows[keys[r][-1]], index.column(), role)

    def cell(self, row: QueueRow, column: int, role: int) -> Any:
        """What ``role`` holds for ``column`` of ``row``: data() without the index."""
        if column == _RISK:
            return self._risk_cell(row, role)
        if role == _DISPLAY:
            if column < _FIRST_CLOCK:
                return self.texts(row)[column]
            if column == _SLA:
                return self.sla_label(row)
            return self.countdown(row, CLOCK_NAMES[column]).text
        if role == ROW_ROLE:
            return row
        if role == SORT_ROLE:
            return self.sort_value(row, column)
        if role == _TOOLTIP:
            return self._tooltip(row, column)
        if column < _FIRST_CLOCK or role not in _STYLE_ROLES:
            return None
        state = self.state(row, column)
        if role == STATE_ROLE:
            return state
        if state == "none":
            return None
        if role == _BACKGROUND:
            return self._colors[state][0]
        if role == _FOREGROUND:
            return self._colors[state][1]
        return self._fonts.get(state)

    def sort_value(self, row: QueueRow, column: int) -> Any:
        """A raw, comparable value for header sorts (SORT_ROLE)."""
        if column == _RISK:
            return self._risk_cell(row, SORT_ROLE)
        if column == Column.SEVERITY:
            return self._ranks.get(row.severity, 99) * 2 + (0 if row.confirmed else 1)
        if column == Column.TEAM:
            level = self._tier_levels.get(row.tier, 99)
            return f"{level:03d} {self._team_names.get(row.team, row.team).lower()}"
        if column in CLOCK_NAMES:
            left = self.countdown(row, CLOCK_NAMES[column]).seconds_left
            return min(left, 1e12)  # inf for met clocks: keep it a comparable float
        if column == _SLA:
            return STATE_ORDER.get(self.sla_state(row), 9)
        return self.texts(row, keep=False)[column].lower()

    def _tooltip(self, row: QueueRow, column: int) -> str | None:
        if column == Column.SEVERITY:
            name = self._severity_name(row.severity)
            if row.confirmed:
                return f"{row.severity} {name} (set by {row.severity_source})"
            return f"{row.severity} {name}: {UNCONFIRMED_TIP}"
        if column in (Column.ID, Column.TITLE, Column.ACCOUNT, Column.TEAM, Column.OWNER):
            return self.texts(row)[column]  # the view elides long text
        if column == Column.STATUS:
            return STATUS_LABELS.get(row.status, row.status)
        if column == _SLA:
            return f"{self.sla_label(row)}\n{self._sla_tooltip(row)}"  # the pill may elide
        if column in CLOCK_NAMES:
            name = CLOCK_NAMES[column]
            cd = self.countdown(row, name)
            tip = clock_tooltip(row, name, cd)
            return f"{cd.text}\n{tip}" if cd.text and tip else tip  # the cell may elide
        return None

    def _severity_name(self, severity: str) -> str:
        try:
            return self.matrix.severity(severity).name
        except KeyError:
            return ""

    def _sla_tooltip(self, row: QueueRow) -> str:
        worst = self.sla_state(row)
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
