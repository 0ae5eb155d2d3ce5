"""``python -m benchmarks.flowchart.screenshots [DIR]``: render the documentation
screenshots at 1920x1080 (offscreen, or on $DISPLAY, e.g. under Xvfb):

- ``flowchart.png``: the default matrix's flowchart, fitted to the window;
- ``flowchart-editor.png``: the editor as a lead sees it, P2 selected in the property
  panel, after an edit that live validation flags (P2 resolution shorter than its
  response target), on a real console service with a throwaway store.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

if not os.environ.get("DISPLAY"):  # under Xvfb use it; else render offscreen
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[2]
SIZE = (1920, 1080)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0]) if argv else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)

    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication, QToolBar

    from console._pyside_refcount import pin_singletons

    pin_singletons()
    app = QApplication.instance() or QApplication(["screenshots"])

    from console.app.matrices import load_matrix_file
    from console.app.runtime.service import ConsoleService
    from console.domain.flow import set_target
    from console.paths import default_matrix_path
    from console.ui.flowchart import open_flowchart

    def settle(ms: int = 150) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    matrix = load_matrix_file(default_matrix_path())
    with tempfile.TemporaryDirectory(prefix="flowchart-shots-") as tmp:
        service = ConsoleService(Path(tmp) / "data", matrix, sync=False, user="lena.lead")
        ready = QEventLoop()
        service.ready.connect(ready.quit)
        service.start()
        ready.exec()
        try:
            viewer = open_flowchart(service, matrix, "agent")
            for bar in [viewer.panel_dock, viewer.problems_dock, viewer.menuBar(),
                        viewer.statusBar(), *viewer.findChildren(QToolBar)]:
                bar.hide()  # the chart alone fills the window
            viewer.resize(*SIZE)
            settle()
            viewer.view.fit()
            settle()
            viewer.view.grab().save(str(out / "flowchart.png"))
            viewer.close()

            editor = open_flowchart(service, matrix, "lead")
            editor.resize(*SIZE)
            editor.push(lambda r: set_target(r, "P2", "resolution", "30m"),
                        "Set P2 resolution")
            editor.reveal("severity:P2")
            settle()
            editor.view.fit()
            settle(300)
            editor.grab().save(str(out / "flowchart-editor.png"))
            editor.undo.setClean()
            editor.close()
        finally:
            service.stop()
    app.processEvents()
    print(f"wrote {out / 'flowchart.png'} and {out / 'flowchart-editor.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
