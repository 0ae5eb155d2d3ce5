"""The console process for the draft crash test: ``python draft_crash_child.py MODE DATA_DIR FILE``.

``type``: start the console service, open the intake form, type into it like an agent
(key presses, so the form's own autosave runs), and once the first draft is on disk
write its title to FILE; then keep typing, a key every 30 ms, until killed, writing the
number of keys typed since to FILE.typed after each one.

``check``: start the console service on the same data directory, open the intake form,
wait until it restores the draft, and write the form's fields (JSON) to FILE.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from console.app.matrices import load_matrix_file
from console.app.runtime.service import ConsoleService
from console.paths import default_matrix_path
from tests.console_process import wait_in_app, write_report

FIRST = "Checkout fails"
MORE = " for every EU customer since the 10:05 deploy"


def main() -> int:
    mode, data_dir, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    app = QApplication(sys.argv[:1])
    from console.ui.forms import IntakeDialog

    matrix = load_matrix_file(default_matrix_path())
    service = ConsoleService(data_dir, matrix, sync=False, user="ana")
    service.start()
    wait_in_app(app, lambda: service.ready_once)
    dialog = IntakeDialog(service, matrix)
    dialog.show()
    if mode == "check":
        wait_in_app(app, lambda: dialog.banner.isVisible()
                    and "Restored" in dialog.banner.text.text())
        values = dialog.values()
        values["_banner"] = dialog.banner.text.text()
        write_report(out, values)
        service.stop()
        return 0

    wait_in_app(app, lambda: dialog.title_edit.isVisible())
    dialog.title_edit.setFocus()
    QTest.keyClicks(dialog.title_edit, FIRST)
    QTest.keyClicks(dialog.account_edit, "Globex")
    saved: list[str] = []
    dialog.autosaver.saved.connect(lambda d: saved.append(d.payload.get("account", "")))
    wait_in_app(app, lambda: "Globex" in saved)
    write_report(out, {"title": FIRST, "account": "Globex", "pid": os.getpid()})
    remaining = list(MORE * 20)
    typed = out.with_name(out.name + ".typed")

    def type_one() -> None:  # an agent still typing when the kill comes
        if remaining:
            QTest.keyClicks(dialog.title_edit, remaining.pop(0))
            write_report(typed, len(MORE * 20) - len(remaining))

    timer = QTimer()
    timer.timeout.connect(type_one)
    timer.start(30)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
