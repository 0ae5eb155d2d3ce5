"""Small building blocks for the agents' forms: a labelled field with its hint and an
error message right under it, and uniform get/set/changed access to input widgets."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ..theme import named

ERROR_COLOR = "#b3261e"
HINT_COLOR = "#57606a"
ERROR_STYLE = (f"color: {ERROR_COLOR}; background: #fdecea; border-left: 3px solid "
               f"{ERROR_COLOR}; padding: 2px 6px;")
BANNER_STYLES = {
    "info": "background: #ddf4ff; color: #0a3069; border: 1px solid #54aeff;",
    "pending": "background: #fff8c5; color: #4d2d00; border: 1px solid #d4a72c;",
    "ok": "background: #dafbe1; color: #0f5323; border: 1px solid #4ac26b;",
    "error": f"background: #fdecea; color: {ERROR_COLOR}; border: 1px solid {ERROR_COLOR};",
}


def minutes(value: timedelta) -> str:
    """``10 min``, ``1 h 30 min``: targets as people say them."""
    total = int(value.total_seconds() // 60)
    hours, mins = divmod(total, 60)
    if hours and mins:
        return f"{hours} h {mins} min"
    return f"{hours} h" if hours else f"{mins} min"


def line_height(widget: QWidget, lines: float) -> int:
    """Pixels for ``lines`` lines of the widget's font: scales with the font and DPI."""
    return int(widget.fontMetrics().lineSpacing() * lines + 12)


class TextArea(QPlainTextEdit):
    """A plain-text box that asks for ``lines`` lines (it grows when the dialog does);
    Tab moves the focus on (Ctrl+Tab types a tab)."""

    def __init__(self, lines: float = 3, placeholder: str = "",
                 max_lines: float | None = None) -> None:
        super().__init__()
        self.setTabChangesFocus(True)
        self.setPlaceholderText(placeholder)
        self.setMinimumHeight(line_height(self, lines))
        if max_lines is not None:
            self.setMaximumHeight(line_height(self, max_lines))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), self.minimumHeight())


def text_area(lines: float = 3, placeholder: str = "", max_lines: float | None = None
              ) -> TextArea:
    return TextArea(lines, placeholder, max_lines)


def combo(items: list[tuple[str, Any]], placeholder: str = "", editable: bool = False
          ) -> QComboBox:
    """A combo of (label, data) items; with a placeholder it starts unchosen."""
    box = QComboBox()
    box.setEditable(editable)
    for label, data in items:
        box.addItem(label, data)
    if placeholder:
        box.setPlaceholderText(placeholder)
        box.setCurrentIndex(-1)
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    # never squeezed so far that the chosen item is cut off
    longest = max([len(label) for label, _ in items] + [len(placeholder), 8])
    box.setMinimumContentsLength(min(longest, 26) if not editable else 8)
    return box


def refill(box: QComboBox, items: list[tuple[str, Any]]) -> None:
    """Offer new (label, data) items, keeping the chosen value if it is still offered;
    quietly (no change signals: nobody typed anything)."""
    value = value_of(box)
    box.blockSignals(True)
    try:
        box.clear()
        for label, data in items:
            box.addItem(label, data)
        set_value(box, value)
    finally:
        box.blockSignals(False)


def value_of(widget: QWidget) -> Any:
    if hasattr(widget, "form_value"):  # composite inputs (attachments, checklists)
        return widget.form_value()
    if isinstance(widget, QLineEdit):
        return widget.text()
    if isinstance(widget, QPlainTextEdit):
        return widget.toPlainText()
    if isinstance(widget, QComboBox):
        if widget.isEditable():
            index = widget.findText(widget.currentText(), Qt.MatchFlag.MatchFixedString)
            if index >= 0 and widget.itemData(index) is not None:
                return widget.itemData(index)
            return widget.currentText()
        return widget.currentData() if widget.currentIndex() >= 0 else None
    if isinstance(widget, QDoubleSpinBox):
        return widget.value()
    if isinstance(widget, QAbstractButton):
        return widget.isChecked()
    raise TypeError(f"no value for {type(widget).__name__}")


def set_value(widget: QWidget, value: Any) -> None:
    if hasattr(widget, "set_form_value"):
        widget.set_form_value(value)
    elif isinstance(widget, QLineEdit):
        widget.setText("" if value is None else str(value))
    elif isinstance(widget, QPlainTextEdit):
        widget.setPlainText("" if value is None else str(value))
    elif isinstance(widget, QComboBox):
        index = widget.findData(value) if value is not None else -1
        if index < 0 and value is not None:
            index = widget.findText(str(value), Qt.MatchFlag.MatchFixedString)
        if index >= 0:
            widget.setCurrentIndex(index)
        elif widget.isEditable():
            widget.setEditText("" if value is None else str(value))
        else:
            widget.setCurrentIndex(-1)
    elif isinstance(widget, QDoubleSpinBox):
        widget.setValue(float(value or 0))
    elif isinstance(widget, QAbstractButton):
        widget.setChecked(bool(value))
    else:
        raise TypeError(f"cannot set {type(widget).__name__}")


def on_change(widget: QWidget, slot: Callable[[], None]) -> None:
    """Call ``slot`` whenever the user (or code) changes the widget's value."""
    if hasattr(widget, "form_changed"):
        widget.form_changed.connect(slot)
    elif isinstance(widget, QLineEdit | QPlainTextEdit):
        widget.textChanged.connect(slot)
    elif isinstance(widget, QComboBox):
        widget.currentIndexChanged.connect(slot)
        if widget.isEditable():
            widget.editTextChanged.connect(slot)
    elif isinstance(widget, QDoubleSpinBox):
        widget.valueChanged.connect(slot)
    elif isinstance(widget, QAbstractButton):
        widget.toggled.connect(slot)
    else:
        raise TypeError(f"cannot watch {type(widget).__name__}")


class FormField(QWidget):
    """Label (with a keyboard mnemonic), the input, a hint, and an error line under it."""

    def __init__(self, name: str, label: str, widget: QWidget, *, hint: str = "",
                 required: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.widget = widget
        self._label_text = label
        self.label = named(QLabel(), f"label_{name}")
        self.label.setBuddy(widget)
        self.hint = named(QLabel(hint), f"hint_{name}")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet(f"color: {HINT_COLOR};")
        self.hint.setVisible(bool(hint))
        self.error = named(QLabel(), f"error_{name}")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.hide()
        widget.setObjectName(widget.objectName() or f"field_{name}")
        widget.setAccessibleName(label.replace("&", ""))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 4)
        layout.setSpacing(2)
        layout.addWidget(self.label)
        layout.addWidget(widget)
        layout.addWidget(self.hint)
        layout.addWidget(self.error)
        self.required = False
        self.set_required(required)

    def set_required(self, required: bool) -> None:
        """Required fields end in " *" (plain text keeps the label's & mnemonic)."""
        self.required = required
        self.label.setText(self._label_text + (" *" if required else ""))

    def set_hint(self, hint: str) -> None:
        self.hint.setText(hint)
        self.hint.setVisible(bool(hint) and self.error.isHidden())

    @property
    def message(self) -> str:
        return self.error.text() if not self.error.isHidden() else ""

    def set_error(self, message: str) -> None:
        """Show (or, with "", clear) the message next to the field."""
        self.error.setText(message)
        self.error.setVisible(bool(message))
        self.hint.setVisible(bool(self.hint.text()) and not message)  # the error says it
        self.widget.setAccessibleDescription(message)
        if bool(message) != bool(self.property("invalid")):
            self.setProperty("invalid", bool(message))
            color = ERROR_COLOR if message else ""
            self.label.setStyleSheet(f"color: {color}; font-weight: bold;" if color else "")

    def value(self) -> Any:
        return value_of(self.widget)

    def set_value(self, value: Any) -> None:
        set_value(self.widget, value)


def chain_tab_order(widgets: list[QWidget]) -> None:
    """Tab moves through ``widgets`` in this order."""
    for a, b in itertools.pairwise(widgets):
        QWidget.setTabOrder(a, b)


def checkbox(text: str) -> QCheckBox:
    box = QCheckBox(text)
    box.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    return box


class Checklist(QWidget):
    """Tick boxes; the value is the list of ticked items."""

    form_changed = Signal()

    def __init__(self, items: tuple[str, ...] | list[str], parent: QWidget | None = None
                 ) -> None:
        super().__init__(parent)
        self.boxes = [checkbox(item) for item in items]
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for box in self.boxes:
            box.toggled.connect(self.form_changed)
            layout.addWidget(box)

    def form_value(self) -> list[str]:
        return [b.text() for b in self.boxes if b.isChecked()]

    def set_form_value(self, value: Any) -> None:
        ticked = set(value or ())
        for box in self.boxes:
            box.setChecked(box.text() in ticked)


def human_size(size: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return ""


class AttachmentList(QWidget):
    """Files attached to a handoff: a list with Add and Remove. The value is the list of
    ``{name, sha256, size}`` of files already copied into the store; ``busy`` counts the
    copies still running."""

    form_changed = Signal()
    addRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.items: list[dict[str, Any]] = []
        self.busy: list[str] = []
        self.list = named(QListWidget(), "attachmentList")
        self.list.setMinimumHeight(line_height(self.list, 2.5))
        self.list.setMaximumHeight(line_height(self.list, 5))
        self.add_button = named(QPushButton("Add f&iles…"), "addAttachments")
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(self.addRequested)
        self.remove_button = named(QPushButton("Remo&ve"), "removeAttachment")
        self.remove_button.setAutoDefault(False)
        self.remove_button.clicked.connect(self.remove_selected)
        buttons = QVBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.setFocusProxy(self.add_button)
        self._refresh()

    def form_value(self) -> list[dict[str, Any]]:
        return list(self.items)

    def set_form_value(self, value: Any) -> None:
        self.items = [dict(v) for v in (value or []) if isinstance(v, dict)]
        self._refresh()
        self.form_changed.emit()

    def copying(self, name: str) -> None:
        self.busy.append(name)
        self._refresh()

    def copied(self, name: str, item: dict[str, Any] | None) -> None:
        if name in self.busy:
            self.busy.remove(name)
        if item is not None and item["sha256"] not in {i["sha256"] for i in self.items}:
            self.items.append(item)
        self._refresh()
        self.form_changed.emit()

    def remove_selected(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self.items):
            del self.items[row]
            self._refresh()
            self.form_changed.emit()

    def _refresh(self) -> None:
        self.list.clear()
        for item in self.items:
            self.list.addItem(f"{item['name']}  ({human_size(int(item['size']))})")
        for name in self.busy:
            self.list.addItem(f"{name}  (copying…)")
        if not self.items and not self.busy:
            self.list.addItem("No files attached.")
        self.remove_button.setEnabled(bool(self.items))
