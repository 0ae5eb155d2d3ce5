"""Filtering and header sorting on top of the queue model.

dynamicSortFilter is off so a repaint-only dataChanged never re-sorts the queue under
the commander's eyes. The filter is re-run when it changes, and (throttled) after rows
change, because an event can move a ticket in or out of the filter.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSize,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import QLabel, QLineEdit, QMenu, QToolBar, QToolButton, QWidget

from console.app.rows import QueueRow
from console.domain.matrix import Matrix

from .queue_model import SORT_ROLE, STATUS_LABELS, QueueModel
from .theme import severity_color, text_on

REFILTER_DELAY_MS = 250
NEUTRAL = "#57606a"


@dataclass(frozen=True)
class QueueFilter:
    """What the commander asked to see. Empty sets mean "all"."""

    severities: frozenset[str] = field(default_factory=frozenset)
    tiers: frozenset[str] = field(default_factory=frozenset)
    teams: frozenset[str] = field(default_factory=frozenset)
    statuses: frozenset[str] = field(default_factory=frozenset)
    mine: bool = False
    text: str = ""

    @property
    def active(self) -> bool:
        return self != QueueFilter()

    def accepts(self, row: QueueRow, user: str) -> bool:
        if self.severities and row.severity not in self.severities:
            return False
        if self.tiers and row.tier not in self.tiers:
            return False
        if self.teams and row.team not in self.teams:
            return False
        if self.statuses and row.status not in self.statuses:
            return False
        if self.mine and (not user or row.owner != user):
            return False
        needle = self.text.strip().casefold()
        if needle:
            haystack = f"{row.id}\n{row.title}\n{row.account}\n{row.owner}".casefold()
            return needle in haystack
        return True

    def with_(self, **changes: Any) -> QueueFilter:
        return replace(self, **changes)

    def to_json(self) -> str:
        data = asdict(self)
        for key in ("severities", "tiers", "teams", "statuses"):
            data[key] = sorted(data[key])
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> QueueFilter:
        """Parse saved filters; anything unreadable gives the default (show all)."""
        try:
            data = json.loads(text or "{}")
            return cls(
                severities=frozenset(map(str, data.get("severities", ()))),
                tiers=frozenset(map(str, data.get("tiers", ()))),
                teams=frozenset(map(str, data.get("teams", ()))),
                statuses=frozenset(map(str, data.get("statuses", ()))),
                mine=bool(data.get("mine", False)),
                text=str(data.get("text", "")),
            )
        except (ValueError, TypeError, AttributeError):
            return cls()


class QueueFilterProxy(QSortFilterProxyModel):
    """The queue as the commander filtered and (optionally) sorted it."""

    def __init__(self, user: str = "", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.user = user
        self._filter = QueueFilter()
        self.setDynamicSortFilter(False)
        self.setSortRole(SORT_ROLE)
        self._refilter = QTimer(self)
        self._refilter.setSingleShot(True)
        self._refilter.setInterval(REFILTER_DELAY_MS)
        self._refilter.timeout.connect(self.refilter_now)

    def setSourceModel(self, model: QueueModel) -> None:  # type: ignore[override]
        old = self.sourceModel()
        if old is not None:
            old.dataChanged.disconnect(self._source_rows_changed)
        super().setSourceModel(model)
        model.dataChanged.connect(self._source_rows_changed)

    @property
    def filter(self) -> QueueFilter:
        return self._filter

    def set_filter(self, new: QueueFilter) -> None:
        if new == self._filter:
            return
        self.beginFilterChange()
        self._filter = new
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def refilter_now(self) -> None:
        """Re-run the filter over every row (after rows changed under an active filter)."""
        self._refilter.stop()
        self.beginFilterChange()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def _source_rows_changed(self, *_: Any) -> None:
        # set_now() emits nothing, so this only runs for upserted rows
        if self._filter.active and not self._refilter.isActive():
            self._refilter.start()

    def filterAcceptsRow(self, source_row: int,
                         source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        model = self.sourceModel()
        if source_parent.isValid() or not isinstance(model, QueueModel):
            return False
        return self._filter.accepts(model.row_at(source_row), self.user)

    def sort_by_next_due(self) -> None:
        """Back to the queue's own order (absolute next due time)."""
        self.sort(-1, Qt.SortOrder.AscendingOrder)


class FilterBar(QToolBar):
    """Severity chips, tier/team/status menus, "Mine" and the search field."""

    filterChanged = Signal(object)  # QueueFilter

    def __init__(self, matrix: Matrix, user: str, parent: QWidget | None = None) -> None:
        super().__init__("Filters", parent)
        self.setObjectName("filterBar")
        self.setMovable(False)
        self.setIconSize(QSize(16, 16))
        self._filter = QueueFilter()
        self.addWidget(_label("Severity"))
        self.severity_buttons: dict[str, QToolButton] = {}
        for sev in matrix.severities:
            button = QToolButton(self, text=sev.id, checkable=True)
            button.setObjectName(f"severity_{sev.id}")
            button.setToolTip(f"{sev.id} {sev.name}: show only the checked severities")
            button.setStyleSheet(_chip_style(severity_color(matrix, sev.id)))
            button.toggled.connect(self._changed)
            self.addWidget(button)
            self.severity_buttons[sev.id] = button
        self.addSeparator()
        self.tier_menu = self._menu("Tier", [(t.id, f"{t.id} · {t.name}")
                                             for t in matrix.tiers_by_level()])
        self.team_menu = self._menu("Team", [(t.id, f"{t.tier} · {t.name}")
                                             for t in sorted(matrix.teams, key=lambda t: t.tier)])
        self.status_menu = self._menu("Status", list(STATUS_LABELS.items()))
        self.mine = QToolButton(self, text="Mine", checkable=True)
        self.mine.setObjectName("mineFilter")
        self.mine.setToolTip(f"Only tickets owned by {user}" if user else "No user is signed in")
        self.mine.setEnabled(bool(user))
        self.mine.setStyleSheet(_chip_style(QColor(NEUTRAL)))
        self.mine.toggled.connect(self._changed)
        self.addWidget(self.mine)
        self.addSeparator()
        self.search = QLineEdit(self, placeholderText="Search id, title, account, owner (Ctrl+F)")
        self.search.setObjectName("searchField")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(320)
        self.search.setMaximumWidth(520)
        self.search.textChanged.connect(self._changed)
        self.addWidget(self.search)
        self.reset_action = QAction("Reset filters", self)
        self.reset_action.setToolTip("Show every ticket again")
        self.reset_action.triggered.connect(self.reset)
        self.addAction(self.reset_action)
        self._changed()

    def _menu(self, title: str, items: list[tuple[str, str]]) -> QToolButton:
        button = QToolButton(self, text=title)
        button.setObjectName(f"{title.lower()}Filter")
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        button.setStyleSheet(_chip_style(QColor(NEUTRAL), menu=True))
        menu = QMenu(button)
        for key, text in items:
            action = menu.addAction(text)
            action.setCheckable(True)
            action.setData(key)
            action.toggled.connect(self._changed)
        button.setMenu(menu)
        self.addWidget(button)
        return button

    @property
    def filter(self) -> QueueFilter:
        return self._filter

    def set_filter(self, new: QueueFilter) -> None:
        """Show ``new`` in the controls and announce it."""
        controls = [*self.severity_buttons.values(), self.mine, self.search,
                    *(a for b in self._menus() for a in b.menu().actions())]
        for widget in controls:
            widget.blockSignals(True)
        try:
            for sev, button in self.severity_buttons.items():
                button.setChecked(sev in new.severities)
            for button, chosen in zip(self._menus(), (new.tiers, new.teams, new.statuses),
                                      strict=True):
                for action in button.menu().actions():
                    action.setChecked(action.data() in chosen)
            self.mine.setChecked(new.mine and self.mine.isEnabled())
            if self.search.text() != new.text:
                self.search.setText(new.text)
        finally:
            for widget in controls:
                widget.blockSignals(False)
        self._changed()

    def reset(self) -> None:
        self.set_filter(QueueFilter())

    def _menus(self) -> tuple[QToolButton, QToolButton, QToolButton]:
        return self.tier_menu, self.team_menu, self.status_menu

    def _changed(self, *_: Any) -> None:
        def chosen(button: QToolButton) -> frozenset[str]:
            return frozenset(a.data() for a in button.menu().actions() if a.isChecked())

        for button in self._menus():
            count = len(chosen(button))
            base = button.objectName().removesuffix("Filter").capitalize()
            text = f"{base} ({count})" if count else base
            if button.text() != text:
                button.setText(text)
                button.setStyleSheet(_chip_style(QColor(NEUTRAL), menu=True, active=bool(count)))
        new = QueueFilter(
            severities=frozenset(s for s, b in self.severity_buttons.items() if b.isChecked()),
            tiers=chosen(self.tier_menu), teams=chosen(self.team_menu),
            statuses=chosen(self.status_menu), mine=self.mine.isChecked(),
            text=self.search.text())
        self.reset_action.setEnabled(new.active)
        self._filter = new
        self.filterChanged.emit(new)


def _label(text: str) -> QLabel:
    label = QLabel(f"  {text} ")
    label.setStyleSheet("color: #57606a; font-weight: 600;")
    return label


def _chip_style(color: QColor, menu: bool = False, active: bool = False) -> str:
    pad = "3px 20px 3px 10px" if menu else "3px 12px"  # room for the menu arrow
    fg, bg = (text_on(color).name(), color.name()) if active else (
        color.darker(140).name(), "#ffffff")
    return (f"QToolButton {{ border: 2px solid {color.name()}; border-radius: 6px;"
            f" padding: {pad}; margin: 0 2px; font-weight: bold;"
            f" color: {fg}; background: {bg}; }}"
            " QToolButton::menu-indicator { subcontrol-origin: padding;"
            " subcontrol-position: center right; right: 5px; }"
            f" QToolButton:checked {{ background: {color.name()};"
            f" color: {text_on(color).name()}; }}")
