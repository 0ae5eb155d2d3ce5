"""Open each agents' form and report, as JSON lines, whether everything in it shows
without scrolling: at opening, once filled in the way an agent does, and once the
fields that appear on demand are shown (an overridden severity, an amount).

    QT_QPA_PLATFORM=offscreen:configfile=screens.json python -m tests.ui.form_sizes
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtWidgets import QApplication

from console.app.matrices import load_matrix_file
from console.app.runtime.service import ConsoleService
from console.paths import default_matrix_path
from console.store.local import NewEvent
from tests.console_process import wait_in_app


def settle(app: QApplication, seconds: float = 0.4) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:  # a child without pytest-qt: let the layouts run
        app.processEvents()
        time.sleep(0.01)


def report(app: QApplication, form: str, step: str, dialog) -> None:  # type: ignore[no-untyped-def]
    settle(app)
    free = dialog.screen().availableGeometry()
    print(json.dumps({
        "form": form, "step": step, "size": [dialog.width(), dialog.height()],
        "screen": [free.width(), free.height()],
        "fits": dialog.width() <= free.width() and dialog.height() <= free.height(),
        "scrolls": dialog.scroll_area.verticalScrollBar().maximum() > 0
        or dialog.scroll_area.horizontalScrollBar().maximum() > 0}), flush=True)


def pick(box, data) -> None:  # type: ignore[no-untyped-def]
    box.setCurrentIndex(box.findData(data))
    box.activated.emit(box.currentIndex())


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from console.ui.forms import (
        ApprovalDialog,
        ConfirmSeverityDialog,
        HandoffDialog,
        IntakeDialog,
    )

    matrix = load_matrix_file(default_matrix_path())
    service = ConsoleService(Path(tempfile.mkdtemp(prefix="sizes-")), matrix, sync=False,
                             user="ana")
    service.start()
    wait_in_app(app, lambda: service.ready_once)
    done: list[object] = []
    service.worker.submit(lambda: service.store.append_many([
        NewEvent("INC-1", "opened", {
            "title": "Checkout returns 502 for EU customers", "account": "Globex",
            "account_tier": "enterprise", "users_affected_pct": 30, "workaround": "partial",
            "category": "bug", "text": "About a third of card payments fail."}, "ana"),
        NewEvent("INC-1", "severity", {"severity": "P2", "by": "support",
                                       "reason": "triage"}, "ana")]), done.append)
    wait_in_app(app, lambda: done)
    rows: list[object] = []
    service.worker.submit(lambda: service._rows_for(["INC-1"]), rows.extend)
    wait_in_app(app, lambda: rows)

    intake = IntakeDialog(service, matrix)
    intake.show()
    report(app, "intake", "open", intake)
    intake.title_edit.setText("Checkout returns 502 for every EU customer since the 10:05 "
                              "deploy")
    intake.account_edit.setText("Globex")
    for box, value in ((intake.tier_box, "enterprise"), (intake.category_box, "outage"),
                       (intake.workaround_box, "none")):
        pick(box, value)
    intake.text_edit.setPlainText("About a third of card payments fail with a 502 at the "
                                  "last step. Checkout down, payment failing.")
    intake.pct_box.setEditText("60")
    report(app, "intake", "filled", intake)
    pick(intake.severity_box, "P3")  # an override: its reason field appears
    report(app, "intake", "override", intake)

    handoff = HandoffDialog(service, matrix, rows[0], reason="")
    handoff.show()
    report(app, "handoff", "open", handoff)

    severity = ConfirmSeverityDialog(service, matrix, rows[0], "engineering")
    severity.show()
    report(app, "severity", "open", severity)
    pick(severity.severity_box, "P1")
    report(app, "severity", "override", severity)

    approval = ApprovalDialog(service, matrix, rows[0])
    approval.show()
    report(app, "approval", "open", approval)
    pick(approval.role_box, "t1_agent")
    pick(approval.action_box, "refund")  # the amount field appears
    report(app, "approval", "amount", approval)
    for dialog in (intake, handoff, severity, approval):
        dialog.close()
    settle(app, 0.3)
    service.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
