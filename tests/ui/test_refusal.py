"""A console refused by a locked store shows why without blocking, and leaves with
exit code 3 however the message is closed."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

from console.ui import app as gui


def test_closing_the_refusal_message_exits_with_code_3(qapp, tmp_path, monkeypatch):
    # as on a desktop (offscreen leaves at once without a message)
    monkeypatch.setattr(QApplication, "platformName", staticmethod(lambda: "xcb"))
    window = QMainWindow()
    window.show()
    QTimer.singleShot(0, lambda: gui._refuse_second_console(
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
