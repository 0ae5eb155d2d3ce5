"""A console whose store cannot be opened (locked by another, read-only, ...) shows why
without blocking, and leaves with exit code 3 however the message is closed, or unread."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

from console.ui import app as gui


def test_closing_the_refusal_message_exits_with_code_3(qapp, tmp_path, monkeypatch):
    # as on a desktop (offscreen leaves at once without a message)
    monkeypatch.setattr(QApplication, "platformName", staticmethod(lambda: "xcb"))
    window = QMainWindow()
    window.show()
    QTimer.singleShot(0, lambda: gui._fail_at_start(
        window, tmp_path, "another Escalation Console is already using it"))
    QTimer.singleShot(200, lambda: window._refusal.close())
    limit = QTimer(singleShot=True, interval=10000)  # the test's own limit
    limit.timeout.connect(lambda: QApplication.exit(99))
    limit.start()
    try:
        assert qapp.exec() == 3
        assert not window.isVisible()
    finally:
        limit.stop()  # a later exit() would end the next tests' event loops
        qapp.setQuitOnLastWindowClosed(True)
        window.close()


def test_a_store_that_cannot_be_opened_shows_a_non_modal_message_that_leaves_unread(
        qapp, tmp_path, monkeypatch, capfd):
    monkeypatch.setattr(QApplication, "platformName", staticmethod(lambda: "xcb"))
    monkeypatch.setattr(gui, "UNREAD_MESSAGE_MS", 300)  # 30 s on a desktop
    message = f"cannot write to {tmp_path}: the data directory is read-only"
    window = QMainWindow()
    window.show()
    shown: list[bool] = []
    QTimer.singleShot(0, lambda: gui._fail_at_start(window, tmp_path, message))
    QTimer.singleShot(100, lambda: shown.append(
        window._refusal.isVisible() and not window._refusal.isModal()))
    limit = QTimer(singleShot=True, interval=10000)  # the test's own limit
    limit.timeout.connect(lambda: QApplication.exit(99))
    limit.start()
    try:
        assert qapp.exec() == gui.EXIT_CANNOT_START  # nobody closed it
        assert shown == [True]
        assert f"escalation-console: {message}" in capfd.readouterr().err
    finally:
        limit.stop()
        qapp.setQuitOnLastWindowClosed(True)
        window.close()
