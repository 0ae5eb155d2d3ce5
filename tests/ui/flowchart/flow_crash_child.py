"""The console process of the flowchart crash test: ``flow_crash_child.py MODE DIR FILE``.

``edit``: start the console service, open the flowchart editor as a lead, and edit like
one, with key presses: P2's response target set to 45m and committed with Tab, then 20m
typed into the update target and not committed. Once the autosaved draft holds both,
write FILE; then wait to be killed.

``check``: start on the same data directory, open the editor, wait for the offer of the
left-over edits, restore them, and write P2's targets and the banner (JSON) to FILE.
"""

from __future__ import annotations

import copy
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from console._pyside_refcount import pin_singletons
from console.app.matrices import load_matrix_file
from console.app.runtime.service import ConsoleService
from console.paths import default_matrix_path
from tests.console_process import wait_in_app, write_report


def _targets(editor) -> dict:  # type: ignore[no-untyped-def]
    p2 = next(s for s in editor.document.records["severities"] if s["id"] == "P2")
    return dict(p2["targets"])


def main() -> int:
    mode, data_dir, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    app = QApplication(sys.argv[:1])
    pin_singletons()
    from console.ui.flowchart import FlowEditor

    matrix = load_matrix_file(default_matrix_path())
    service = ConsoleService(data_dir, matrix, sync=False, user="lena.lead")
    service.start()
    wait_in_app(app, lambda: service.ready_once)
    editor = FlowEditor(service, copy.deepcopy(matrix.source), "lead")
    editor.resize(1600, 1000)
    editor.show()
    editor.activateWindow()
    assert editor.draft is not None
    wait_in_app(app, lambda: editor.draft.autosaver.enabled and editor.isActiveWindow())
    if mode == "check":
        wait_in_app(app, lambda: editor.banner.isVisible())
        offer = editor.banner.text.text()
        editor.banner.first.click()
        write_report(out, {"targets": _targets(editor), "offer": offer,
                           "banner": editor.banner.text.text(),
                           "title": editor.windowTitle()})
        editor.undo.setClean()
        editor.close()
        service.stop()
        return 0

    editor.reveal("severity:P2")
    response = editor.panel.field("Response")
    response.setFocus()
    wait_in_app(app, response.hasFocus)
    QTest.keyClick(response, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(response, "45m")
    QTest.keyClick(response, Qt.Key.Key_Tab)  # committed: the crash this test guards
    update = editor.panel.field("Update")
    wait_in_app(app, update.hasFocus)
    QTest.keyClick(update, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(update, "20m")  # typed, not committed
    saved: list[dict] = []
    editor.draft.autosaver.saved.connect(lambda d: saved.append(d.payload))
    wait_in_app(app, lambda: any("45m" in p["yaml"] and p.get("field", {}).get("text") == "20m"
                           for p in saved))
    write_report(out, {"targets": _targets(editor), "pid": os.getpid()})
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
