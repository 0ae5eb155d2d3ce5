"""The list of problems: the same ones `matrix validate` prints, with the node each
concerns; choosing one selects and shows that node."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from console.domain.flow import FlowProblem

NODE_ROLE = Qt.ItemDataRole.UserRole


class ProblemList(QListWidget):
    nodeChosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlternatingRowColors(True)
        self.itemActivated.connect(self._chosen)
        self.itemClicked.connect(self._chosen)

    def set_problems(self, problems: list[FlowProblem],
                     where: Callable[[FlowProblem], str] | None = None) -> None:
        """List ``problems``; ``where`` names a problem's place in the lead's words (the
        node and field, as the Properties panel labels them), else the node id."""
        self.clear()
        if not problems:
            item = QListWidgetItem("✔ No problems: this matrix can be published.")
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.addItem(item)
            return
        for p in problems:
            place = where(p) if where is not None else ""
            text = f"{place}: {p.message}" if place else (
                f"[{p.node}] {p}" if p.node else str(p))
            item = QListWidgetItem(f"⚠ {text}")
            item.setData(NODE_ROLE, p.node or "")
            item.setToolTip(str(p))  # the path, as `matrix validate` prints it
            self.addItem(item)

    def _chosen(self, item: QListWidgetItem) -> None:
        nid = item.data(NODE_ROLE)
        if nid:
            self.nodeChosen.emit(nid)
