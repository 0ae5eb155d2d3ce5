"""The filter bar above the queue: severity chips, tier/team/status menus, "Mine" and
the search field. Its choices come from the matrix in force: set_matrix() rebuilds them
in place when a new version is published, keeping what the commander had chosen."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Signal
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import QLabel, QLineEdit, QMenu, QToolBar, QToolButton, QWidget

from console.domain.matrix import Matrix

from .filter_value import QueueFilter
from .queue_model import STATUS_LABELS
from .theme import severity_color, text_on

NEUTRAL = "#57606a"


def _tool_button(parent: QWidget, text: str, checkable: bool = False) -> QToolButton:
    # text= and checkable= in the constructor work, but PySide6's stubs omit them
    button = QToolButton(parent)
    button.setText(text)
    button.setCheckable(checkable)
    return button


class FilterBar(QToolBar):
    """Severity chips, tier/team/status menus, "Mine" and the search field."""

    filterChanged = Signal(object)  # QueueFilter

    def __init__(self, matrix: Matrix, user: str, parent: QWidget | None = None) -> None:
        super().__init__("Filters", parent)
        self.setObjectName("filterBar")
        self.setMovable(False)
        self.setIconSize(QSize(16, 16))
        self._filter = QueueFilter()
        # what was last asked for, with choices the matrix in force may not offer yet (a
        # saved filter restored before the store's version replaced the bundled file)
        self._requested = QueueFilter()
        self.addWidget(_label("Severity"))
        self.severity_buttons: dict[str, QToolButton] = {}
        self._severity_actions: list[QAction] = []
        self._after_severities = self.addSeparator()
        self.tier_menu = self._menu("Tier")
        self.team_menu = self._menu("Team")
        self.status_menu = self._menu("Status")
        self._fill(self.status_menu, list(STATUS_LABELS.items()))
        self.mine = _tool_button(self, "Mine", checkable=True)
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
        self._set_choices(matrix)
        self._changed()

    def set_matrix(self, matrix: Matrix) -> None:
        """Offer the severities, tiers and teams of a newly published version (names
        and colours included). Choices that still exist stay chosen; the filter is
        announced again, so the queue shows what the bar now says. Choices asked for
        that the previous version did not offer come back when this one does."""
        self._set_choices(matrix)
        self.set_filter(self._requested)

    def _set_choices(self, matrix: Matrix) -> None:
        for action in self._severity_actions:
            self.removeAction(action)
        for button in self.severity_buttons.values():
            button.deleteLater()
        self.severity_buttons, self._severity_actions = {}, []
        for sev in matrix.severities:
            button = _tool_button(self, sev.id, checkable=True)
            button.setObjectName(f"severity_{sev.id}")
            button.setToolTip(f"{sev.id} {sev.name}: show only the checked severities")
            button.setStyleSheet(_chip_style(severity_color(matrix, sev.id)))
            button.toggled.connect(self._changed)
            self._severity_actions.append(self.insertWidget(self._after_severities, button))
            self.severity_buttons[sev.id] = button
        self._fill(self.tier_menu, [(t.id, f"{t.id} · {t.name}")
                                    for t in matrix.tiers_by_level()])
        self._fill(self.team_menu, [(t.id, f"{t.tier} · {t.name}")
                                    for t in sorted(matrix.teams, key=lambda t: t.tier)])

    def _menu(self, title: str) -> QToolButton:
        button = _tool_button(self, title)
        button.setObjectName(f"{title.lower()}Filter")
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        button.setStyleSheet(_chip_style(QColor(NEUTRAL), menu=True))
        button.setMenu(QMenu(button))
        self.addWidget(button)
        return button

    def _fill(self, button: QToolButton, items: list[tuple[str, str]]) -> None:
        menu = button.menu()
        menu.clear()
        for key, text in items:
            action = menu.addAction(text)
            action.setCheckable(True)
            action.setData(key)
            action.toggled.connect(self._changed)

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
        self._requested = new

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
        self._filter = self._requested = new
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
