"""Render triage assistance to PNG files, for docs/screenshots/ and for eyeballing.

    DISPLAY=:99 python -m tests.ui.render_triage docs/screenshots

- ``triage-intake.png``: the intake form with a suggestion (models trained on the
  generated history of tests/triage_history.py, the team pre-selected at 0.75);
- ``triage-risk.png``: the queue with its Risk column, on a demo store whose risk model
  was trained on its generated 600 days of history;
- ``triage-handoff.png``: a handoff form with "Triage context" pre-filled;
- ``triage-wall.png``: the wall screen with the risk on its rows.

Every figure and suggestion in them comes from generated data.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication

from console.app.matrices import load_matrix_file
from console.app.runtime.service import ConsoleService
from console.app.triage.background import train_store
from console.app.usecases.demo import seed_demo
from console.domain.matrix.model import TriageSettings
from console.paths import default_matrix_path
from console.ui.forms import HandoffDialog, IntakeDialog
from console.ui.main_window import MainWindow
from console.ui.queue_model import SORT_ROLE, Column
from console.ui.wall import WallScreen
from tests.triage_history import trained_history


def _until(app: QApplication, condition: Any, seconds: float = 60) -> None:
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("the console did not get there in time")
        app.processEvents()
        time.sleep(0.01)


def _settle(app: QApplication, seconds: float = 0.6) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def _service(data_dir: Path) -> ConsoleService:
    return ConsoleService(data_dir, load_matrix_file(default_matrix_path()), sync=False,
                          user="ana")


def _started(app: QApplication, data_dir: Path, service: ConsoleService | None = None
             ) -> ConsoleService:
    service = service or _service(data_dir)
    service.start()
    _until(app, lambda: service.ready_once)
    return service


def intake(app: QApplication, root: Path, out: Path) -> None:
    data_dir, _ = trained_history(root / "intake")
    service = _started(app, data_dir)
    matrix = replace(service.matrix, triage=TriageSettings(True, 0.75))
    dialog = IntakeDialog(service, matrix)
    dialog.show()
    dialog.title_edit.setText("Refund for the March invoice never arrived")
    dialog.account_edit.setText("Initech")
    dialog.text_edit.setPlainText("The customer says the refund did not arrive on their "
                                  "card. We tried reloading the billing page.")
    _until(app, lambda: dialog.found is not None and bool(dialog.found.items))
    _settle(app)
    dialog.grab().save(str(out / "triage-intake.png"))
    dialog.close()
    service.stop()


def risk_and_handoff(app: QApplication, root: Path, out: Path) -> None:
    data_dir = root / "demo"
    now = datetime.now(UTC)
    seed_demo(data_dir, load_matrix_file(default_matrix_path()), now, tickets=60, history=600)
    train_store(data_dir, now=now)
    service = _service(data_dir)
    window = MainWindow(service, QSettings(str(root / "console.ini"),
                                           QSettings.Format.IniFormat))
    window.resize(1800, 900)
    window.show()
    _started(app, data_dir, service)
    _until(app, lambda: bool(service.triage.risk.risks))
    window.view.sortByColumn(Column.RISK, Qt.SortOrder.DescendingOrder)  # riskiest first
    _settle(app)
    proxy = window.view.model()
    top = max(range(proxy.rowCount()),
              key=lambda r: proxy.index(r, Column.RISK).data(SORT_ROLE) or -1)
    window.view.selectRow(top)
    _settle(app, 1.5)
    window.grab().save(str(out / "triage-risk.png"))
    row = window.details.row
    assert row is not None
    dialog = HandoffDialog(service, service.matrix, row, reason="Needs payments engineering")
    dialog.show()
    _until(app, lambda: bool(str(dialog.fields["context"].value()).strip()))
    _settle(app)
    dialog.grab().save(str(out / "triage-handoff.png"))
    dialog.close()
    wall = WallScreen(service, service.matrix)
    wall.set_rows(window.current_rows())  # as the app opens it: with the queue's rows
    wall.resize(1920, 1080)
    wall.show()
    _settle(app, 1.0)
    wall.grab().save(str(out / "triage-wall.png"))
    wall.close()
    window.close()
    service.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    with tempfile.TemporaryDirectory() as tmp:
        intake(app, Path(tmp), args.out)
        risk_and_handoff(app, Path(tmp), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
