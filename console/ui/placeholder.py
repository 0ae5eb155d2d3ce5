"""A placeholder main window, shown until the ticket queue replaces it."""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

from console import __version__
from console.paths import resources_dir

WINDOW_TITLE = "Escalation Console"

_SUMMARY = (
    "<h2>Escalation Console</h2>"
    "<p>Runs the escalation matrix that aligns Support, Customer Success and Engineering:"
    " severities P1 to P4, tiers T0 to T3 and L4, SLA clocks, notification chains and"
    " structured handoffs.</p>"
    "<p>The live ticket queue arrives here soon.</p>"
)


def build_main_window() -> QMainWindow:
    """Build the placeholder main window; a QApplication must already exist."""
    window = QMainWindow()
    window.setWindowTitle(WINDOW_TITLE)
    window.setWindowIcon(QIcon(str(resources_dir() / "icons" / "escalation-console.svg")))
    label = QLabel(_SUMMARY)
    label.setObjectName("placeholderSummary")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.setMargin(24)
    window.setCentralWidget(label)
    window.resize(720, 420)
    return window


def run_gui(
    argv: list[str] | None = None, *, data_dir: str | os.PathLike[str] | None = None
) -> int:
    """Show the placeholder window and run the Qt event loop; return its exit code.

    ``argv`` holds extra Qt arguments, without the program name. ``data_dir`` is where
    the user's data will live; the placeholder does not use it yet.
    """
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv if argv is None else [sys.argv[0], *argv])
    app.setApplicationName(WINDOW_TITLE)
    app.setApplicationVersion(__version__)
    stylesheet = resources_dir() / "styles" / "light.qss"
    if stylesheet.is_file():
        app.setStyleSheet(stylesheet.read_text(encoding="utf-8"))
    window = build_main_window()
    window.show()
    return app.exec()
