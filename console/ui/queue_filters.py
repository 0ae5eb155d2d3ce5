"""Filtering and header sorting on top of the queue model.

QueueFilterProxy keeps the shown tickets' keys in a sorted list, so a change in the
source costs a binary search and a list insert here: QSortFilterProxyModel re-maps all
of its rows on every insert, removal or move (about half a millisecond per row on a
50,000-ticket queue, and a full re-filter in Python on every move).

A header sort snapshots each row's sort value; a row that changes keeps its place
(the queue never re-sorts under the commander's eyes) while new rows are placed by
their value. A change that moves a ticket in or out of the filter shows at once. The
filter itself, a QueueFilter value, is in filter_value.py; the bar that edits it is in
filter_bar.py.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractProxyModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from console.app.runtime.rows import QueueRow

from .filter_value import QueueFilter
from .queue_model import COLUMN_COUNT, FLAGS, NO_FLAGS, Column, QueueModel
from .sorted_keys import plan_move, splice

Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()
_ASCENDING = Qt.SortOrder.AscendingOrder
_RESYNC_ALL = 0.25  # share of changed rows above which a resync rebuilds everything
_RISK = int(Column.RISK)


class _Descending:
    """A sort value that orders backwards, so descending keys still bisect ascending."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:  # which leaves the class unhashable
        return isinstance(other, _Descending) and self.value == other.value

    def __lt__(self, other: _Descending) -> bool:
        less: bool = other.value < self.value
        return less


class QueueFilterProxy(QAbstractProxyModel):
    """The queue as the commander filtered and (optionally) sorted it.

    ``_keys`` holds the shown tickets in view order, ascending: the ticket's
    QueueRow.sort_key(), or (header value, *sort_key()) while a header sort is on. A
    key's last item is the ticket id."""

    def __init__(self, user: str = "", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.user = user
        self._filter = QueueFilter()
        self._sort_column = -1
        self._sort_order = _ASCENDING
        self._model: QueueModel | None = None
        self._keys: list[tuple[Any, ...]] = []
        self._key_of: dict[str, tuple[Any, ...]] = {}   # shown ticket -> its key
        self._seen: dict[str, QueueRow] = {}            # every source row, as last synced
        self._saved: list[tuple[QModelIndex, str, int]] = []
        self._moving: list[str] = []

    # -- the source ----------------------------------------------------------------------
    def setSourceModel(self, model: QueueModel) -> None:  # type: ignore[override]  # reads rows
        """Filter ``model``: a QueueModel only (narrower than Qt's signature), as the
        proxy reads its QueueRows, not just its cells."""
        if self._model is not None:
            for signal, slot in self._connections(self._model):
                signal.disconnect(slot)
        self.beginResetModel()
        super().setSourceModel(model)
        self._model = model
        if model is not None:
            for signal, slot in self._connections(model):
                signal.connect(slot)
        self._rebuild()
        self.endResetModel()

    @property
    def _queue(self) -> QueueModel:
        """The source model, which the source's signals and the view's calls imply."""
        if self._model is None:
            raise RuntimeError("the queue filter has no source model yet")
        return self._model

    def _connections(self, model: QueueModel) -> list[tuple[Any, Any]]:
        return [(model.modelAboutToBeReset, self.beginResetModel),
                (model.modelReset, self._source_reset),
                (model.layoutAboutToBeChanged, self._source_layout_about_to_change),
                (model.layoutChanged, self._source_layout_changed),
                (model.rowsInserted, self._source_rows_inserted),
                (model.rowsAboutToBeRemoved, self._source_rows_about_to_be_removed),
                (model.rowsAboutToBeMoved, self._source_rows_about_to_be_moved),
                (model.rowsMoved, self._source_rows_moved),
                (model.dataChanged, self._source_data_changed)]

    def _source_reset(self) -> None:
        self._rebuild()
        self.endResetModel()

    def _source_layout_about_to_change(self, *_: Any) -> None:
        self.layoutAboutToBeChanged.emit()
        self._save_persistent()

    def _source_layout_changed(self, *_: Any) -> None:
        changed = self._queue.layout_changes
        if changed is None:
            self._resync()
        else:
            self._sync_many(changed)
        self._restore_persistent()
        self.layoutChanged.emit()

    def _source_rows_inserted(self, parent: QModelIndex, first: int, last: int) -> None:
        model = self._queue
        for ticket_id in [model.ticket_at(r) for r in range(first, last + 1)]:
            self._sync(ticket_id)

    def _source_rows_about_to_be_removed(self, parent: QModelIndex, first: int,
                                         last: int) -> None:
        model = self._queue
        for ticket_id in [model.ticket_at(r) for r in range(first, last + 1)]:
            self._drop(ticket_id)
            self._seen.pop(ticket_id, None)

    def _source_rows_about_to_be_moved(self, parent: QModelIndex, first: int, last: int,
                                       *_: Any) -> None:
        self._moving = [self._queue.ticket_at(r) for r in range(first, last + 1)]

    def _source_rows_moved(self, *_: Any) -> None:
        moving, self._moving = self._moving, []
        for ticket_id in moving:
            self._sync(ticket_id)

    def _source_data_changed(self, top_left: QModelIndex, bottom_right: QModelIndex,
                             *_: Any) -> None:
        first, last = top_left.row(), bottom_right.row()
        if top_left.column() == bottom_right.column() == _RISK:
            # new risk figures: no row changed, so nothing to filter or move (a queue
            # sorted by risk is re-sorted by its owner); repaint the column
            if self._keys:
                self.dataChanged.emit(self.index(0, _RISK), self.index(len(self._keys) - 1,
                                                                       _RISK))
            return
        if last - first > len(self._seen) * _RESYNC_ALL:  # e.g. a new matrix
            self._relayout(self._resync)
            return
        model = self._queue
        for ticket_id in [model.ticket_at(r) for r in range(first, last + 1)]:
            self._sync(ticket_id)
            row = self.row_of(ticket_id)
            if row >= 0:
                self.dataChanged.emit(self.index(row, 0), self.index(row, COLUMN_COUNT - 1))

    # -- keeping the keys ------------------------------------------------------------------
    def _key(self, row: QueueRow) -> tuple[Any, ...]:
        key = row.sort_key()
        if self._sort_column < 0:
            return key
        value = self._queue.sort_value(row, self._sort_column)
        if self._sort_order != _ASCENDING:
            value = _Descending(value)
        return (value, *key)

    def _wanted(self, ticket_id: str) -> tuple[QueueRow | None, tuple[Any, ...] | None]:
        """The ticket's source row, and the key to show it under (None: not shown)."""
        row = self._queue.get(ticket_id)
        if row is None or not self._filter.accepts(row, self.user):
            return row, None
        old = self._key_of.get(ticket_id)
        if old is not None and self._sort_column >= 0:
            return row, old  # a header sort keeps a changed row in place
        return row, self._key(row)

    def _sync(self, ticket_id: str) -> None:
        """Show, move or hide one ticket after its source row changed."""
        row, new = self._wanted(ticket_id)
        old = self._key_of.get(ticket_id)
        if row is not None:
            self._seen[ticket_id] = row
        if new is None:
            self._drop(ticket_id)
        elif old is None:
            self._insert(ticket_id, new)
        elif new != old:
            self._move(ticket_id, old, new)
        if row is None:
            self._seen.pop(ticket_id, None)  # after the removal: views read it until then

    def _insert(self, ticket_id: str, key: tuple[Any, ...]) -> None:
        pos = bisect_left(self._keys, key)
        self.beginInsertRows(_ROOT, pos, pos)
        self._keys.insert(pos, key)
        self._key_of[ticket_id] = key
        self.endInsertRows()

    def _move(self, ticket_id: str, old: tuple[Any, ...], new: tuple[Any, ...]) -> None:
        keys = self._keys
        move = plan_move(keys, old, new)
        self._key_of[ticket_id] = new
        if move.in_place:
            move.apply(keys, new)
            return
        self.beginMoveRows(_ROOT, move.src, move.src, _ROOT, move.dest)
        move.apply(keys, new)
        self.endMoveRows()

    def _drop(self, ticket_id: str) -> None:
        key = self._key_of.get(ticket_id)
        if key is None:
            return
        pos = bisect_left(self._keys, key)
        self.beginRemoveRows(_ROOT, pos, pos)
        del self._keys[pos], self._key_of[ticket_id]
        self.endRemoveRows()

    def _sync_many(self, tickets: list[str]) -> None:
        """_sync() for a batch inside a layout change: one splice of the key list."""
        keys, key_of, seen = self._keys, self._key_of, self._seen
        drop: list[int] = []
        add: list[tuple[Any, ...]] = []
        for ticket_id in tickets:
            row, new = self._wanted(ticket_id)
            old = key_of.get(ticket_id)
            if row is None:
                seen.pop(ticket_id, None)
            else:
                seen[ticket_id] = row
            if new == old:
                continue
            if old is not None:
                drop.append(bisect_left(keys, old))
                del key_of[ticket_id]
            if new is not None:
                add.append(new)
                key_of[ticket_id] = new
        if drop or add:
            self._keys = splice(keys, drop, add)

    def _rebuild(self) -> None:
        """Filter (and sort) every source row again."""
        model = self._model
        if model is None:
            self._keys, self._key_of, self._seen = [], {}, {}
            return
        rows = model.by_id()
        self._seen = dict(rows)
        if self._filter.active:
            accepts, user = self._filter.accepts, self.user
            shown = [k for k in model.sort_keys() if accepts(rows[k[-1]], user)]
        else:
            shown = list(model.sort_keys())
        if self._sort_column >= 0:
            shown = sorted(self._key(rows[k[-1]]) for k in shown)
        self._keys = shown
        self._key_of = {k[-1]: k for k in shown}

    def _resync(self) -> None:
        """Catch up with a source layout change of unknown extent: sync what changed."""
        rows, seen = self._queue.by_id(), self._seen
        changed = [t for t, r in rows.items() if seen.get(t) is not r]
        new = sum(1 for t in changed if t not in seen)
        gone = [t for t in seen if t not in rows] if len(seen) + new != len(rows) else []
        if len(changed) + len(gone) > len(rows) * _RESYNC_ALL:
            self._rebuild()
        else:
            self._sync_many(gone + changed)

    def _save_persistent(self) -> None:
        keys = self._keys
        self._saved = [(p, keys[p.row()][-1], p.column()) for p in self.persistentIndexList()
                       if p.row() < len(keys)]

    def _restore_persistent(self) -> None:
        saved, self._saved = self._saved, []
        moved = []
        for _, ticket_id, column in saved:
            key = self._key_of.get(ticket_id)
            moved.append(QModelIndex() if key is None
                         else self.index(bisect_left(self._keys, key), column))
        self.changePersistentIndexList([p for p, _, _ in saved], moved)

    def _relayout(self, update: Callable[[], None]) -> None:
        """Run ``update`` as one layout change; persistent indexes follow their tickets."""
        self.layoutAboutToBeChanged.emit()
        self._save_persistent()
        update()
        self._restore_persistent()
        self.layoutChanged.emit()

    # -- filtering and sorting -------------------------------------------------------------
    @property
    def filter(self) -> QueueFilter:
        return self._filter

    def set_filter(self, new: QueueFilter) -> None:
        if new == self._filter:
            return
        self._filter = new
        self._relayout(self._rebuild)

    def sort(self, column: int, order: Qt.SortOrder = _ASCENDING) -> None:
        """Sort by a column's raw value (SORT_ROLE) as it is now; column -1 is the queue's
        own order, which the proxy keeps up to date by itself."""
        column = column if 0 <= column < COLUMN_COUNT else -1
        if column < 0 and self._sort_column < 0:
            return
        self._sort_column, self._sort_order = column, order
        self._relayout(self._rebuild)

    def sort_by_next_due(self) -> None:
        """Back to the queue's own order (absolute next due time)."""
        self.sort(-1, _ASCENDING)

    def resort(self) -> None:
        """Sort the header column again: its values changed meaning (a new matrix ranks
        severities and names teams differently). A no-op in next-due order."""
        if self._sort_column >= 0:
            self._relayout(self._rebuild)

    # -- rows --------------------------------------------------------------------------------
    def row_at(self, row: int) -> QueueRow:
        """The QueueRow shown in ``row`` (the painters' way in: no Qt round trip)."""
        return self._seen[self._keys[row][-1]]

    def row_of(self, ticket_id: str) -> int:
        """The proxy row of a ticket, or -1 when it is filtered out (or unknown)."""
        key = self._key_of.get(ticket_id)
        return -1 if key is None else bisect_left(self._keys, key)

    # -- QAbstractItemModel ------------------------------------------------------------------
    def index(self, row: int, column: int, parent: Index = _ROOT) -> QModelIndex:
        if parent.isValid() or not (0 <= row < len(self._keys) and 0 <= column < COLUMN_COUNT):
            return QModelIndex()
        return self.createIndex(row, column)

    def parent(self, index: Index | None = None) -> Any:
        if index is None:  # QObject.parent()
            return super().parent()
        return QModelIndex()

    def sibling(self, row: int, column: int, index: Index) -> QModelIndex:
        return self.index(row, column)

    def rowCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._keys)

    def columnCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else COLUMN_COUNT

    def hasChildren(self, parent: Index = _ROOT) -> bool:
        return not parent.isValid() and bool(self._keys)

    def flags(self, index: Index) -> Qt.ItemFlag:
        return FLAGS if index.isValid() else NO_FLAGS

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        r = index.row()
        keys = self._keys
        if not 0 <= r < len(keys):
            return None
        return self._queue.cell(self._seen[keys[r][-1]], index.column(), role)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        return None if self._model is None else self._model.headerData(section, orientation,
                                                                         role)

    def mapToSource(self, proxy_index: Index) -> QModelIndex:
        r = proxy_index.row()
        if self._model is None or not proxy_index.isValid() or not 0 <= r < len(self._keys):
            return QModelIndex()
        return self._model.index(self._model.row_of(self._keys[r][-1]), proxy_index.column())

    def mapFromSource(self, source_index: Index) -> QModelIndex:
        if self._model is None or not source_index.isValid():
            return QModelIndex()
        row = self.row_of(self._model.ticket_at(source_index.row()))
        return QModelIndex() if row < 0 else self.index(row, source_index.column())
