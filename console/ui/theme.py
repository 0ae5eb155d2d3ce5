"""Colours and fonts shared by the queue, the wall screen and the forms.

Severity colours come from the matrix; SLA state colours are fixed so that breached
always reads the same at a glance, in the light queue and on the dark wall screen.
"""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import QObject
from PySide6.QtGui import QColor

from console.domain.matrix import Matrix

SLA_COLORS = {  # state -> (light background, dark background, text on it)
    "ok": ("#e8f5e9", "#1b5e20", "#ffffff"),
    "pre_breach": ("#fff3cd", "#b26a00", "#ffffff"),
    "breached": ("#c62828", "#d50000", "#ffffff"),
    "paused": ("#e3e8f0", "#37474f", "#ffffff"),
    "met": ("#f1f3f4", "#263238", "#b0bec5"),
    "none": ("#ffffff", "#121212", "#9e9e9e"),
}
SLA_LABELS = {"ok": "OK", "pre_breach": "PRE-BREACH", "breached": "BREACHED",
              "paused": "PAUSED", "met": "MET", "none": ""}

WALL_BACKGROUND = "#0d1117"
WALL_TEXT = "#e6edf3"
WALL_MUTED = "#8b949e"

_Named = TypeVar("_Named", bound=QObject)


def named(obj: _Named, name: str) -> _Named:
    """``obj`` with the object name that style sheets and tests select it by. (Qt takes
    ``objectName=`` in any constructor, but PySide6's type stubs list only each class's
    own properties, not the inherited ones.)"""
    obj.setObjectName(name)
    return obj


def severity_color(matrix: Matrix, severity: str) -> QColor:
    try:
        return QColor(matrix.severity(severity).color)
    except KeyError:
        return QColor("#757575")


def text_on(color: QColor) -> QColor:
    """Black or white, whichever reads better on ``color``."""
    luminance = 0.299 * color.redF() + 0.587 * color.greenF() + 0.114 * color.blueF()
    return QColor("#000000") if luminance > 0.6 else QColor("#ffffff")
