"""Child process: start the real console in-process and time its first paints.

``python -m benchmarks.queue.first_paint DATA_DIR`` builds the app exactly as
``escalation-console --local-only`` does (console.ui.app.build), then prints one JSON
line of process ages (seconds since this process was exec'd, like the app's
ESCALATION_CONSOLE_STARTUP_PROBE) at each milestone, and exits:

- ``before_qt``: just before PySide6 is imported (interpreter start-up and our imports)
- ``app``: QApplication created
- ``built``: window and service built and shown, the store load started
- ``first_paint``: the main window's first paint event (the probe's figure)
- ``rows_loaded``: the service delivered every row (rowsReset)
- ``first_paint_with_rows``: the first queue viewport paint with the rows in the model
"""

from __future__ import annotations

import json
import os
import sys

from .common import process_age_seconds


def main(argv: list[str]) -> int:
    data_dir = argv[0]
    marks: dict[str, float] = {"before_qt": process_age_seconds()}
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    from console.ui.app import GuiOptions, build

    app = QApplication(["escalation-console"])
    app.setApplicationName("Escalation Console")
    app.setOrganizationName("EscalationConsole")
    marks["app"] = process_age_seconds()
    window, service = build(GuiOptions(data_dir=data_dir, sync=False))
    marks["built"] = process_age_seconds()

    class Watch(QObject):
        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                if obj is window and "first_paint" not in marks:
                    marks["first_paint"] = process_age_seconds()
                elif (obj is window.view.viewport() and window.model.rowCount()
                      and "first_paint_with_rows" not in marks):
                    marks["first_paint_with_rows"] = process_age_seconds()
                    marks["rows"] = window.model.rowCount()
                    QTimer.singleShot(0, app.quit)
            return False

    watch = Watch()
    window.installEventFilter(watch)
    window.view.viewport().installEventFilter(watch)
    service.rowsReset.connect(lambda rows: marks.setdefault("rows_loaded", process_age_seconds()))
    service.failed.connect(lambda message: (marks.setdefault("error", message), app.quit()))
    QTimer.singleShot(120_000, app.quit)  # give up after two minutes
    app.exec()
    service.stop()
    print(json.dumps(marks), flush=True)
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown (and Qt's) once the figures are out


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
