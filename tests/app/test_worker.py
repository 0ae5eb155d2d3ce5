"""The DB worker never calls back into a widget that was deleted while the work ran."""

from __future__ import annotations

import threading

import shiboken6
from PySide6.QtWidgets import QLabel

from console.app.runtime.worker import DbWorker


def test_a_result_for_a_deleted_widget_is_dropped_not_delivered(qtbot):
    worker = DbWorker()
    release = threading.Event()
    label = QLabel("waiting")
    delivered: list[object] = []
    worker.submit(lambda: release.wait(5) and "done", label.setText)
    worker.submit(lambda: "after", delivered.append)  # the worker runs jobs in order
    shiboken6.delete(label)  # the form is closed while its save is still running
    release.set()
    qtbot.waitUntil(lambda: delivered == ["after"], timeout=5000)
    worker.shutdown()


def test_a_result_reaches_a_live_widget(qtbot):
    worker = DbWorker()
    label = QLabel("waiting")
    qtbot.addWidget(label)
    worker.submit(lambda: "done", label.setText)
    qtbot.waitUntil(lambda: label.text() == "done", timeout=5000)
    worker.shutdown()
