"""The matrix flowchart: see the whole escalation matrix; leads and admins edit and
publish it.

The integrator's entry point is ``open_flowchart``; the model and every edit live in
console.domain.flow; the versions and publishing come through the views' port
(``service.matrices``, console.app.runtime.port).
"""

from __future__ import annotations

import copy

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from console._pyside_refcount import pin_singletons
from console.app.runtime.port import ConsoleServicePort
from console.domain.matrix import Matrix

from .editor import FlowEditor

__all__ = ["FlowEditor", "open_flowchart"]


def open_flowchart(service: ConsoleServicePort | None, matrix: Matrix, role: str,
                   parent: QWidget | None = None) -> FlowEditor:
    """Open (show) the flowchart of ``matrix`` and return its window.

    ``service`` runs version history and publishing on its DB worker (None: no
    history, no publishing; viewing, editing, saving and exports still work).
    ``role`` (the person's) "lead" or "admin" may edit and publish (the shared
    database enforces it); any other role sees the chart read-only.
    The window deletes itself when closed.
    """
    pin_singletons()  # a scene makes thousands of Qt calls: see console._pyside_refcount
    if not matrix.source:
        raise ValueError(f"matrix {matrix.name!r} has no source records to draw")
    window = FlowEditor(service, copy.deepcopy(matrix.source), role, parent)
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    window.show()
    window.view.fit()
    return window
