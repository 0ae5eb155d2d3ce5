"""Render the agents' forms to PNG files, for docs/screenshots/ and for eyeballing.

    xvfb-run -s "-screen 0 1920x1080x24" python -m tests.ui.render_forms docs/screenshots
    QT_SCALE_FACTOR=1.5 xvfb-run -s "-screen 0 1920x1080x24" \\
        python -m tests.ui.render_forms /tmp/shots-150 --suffix @150

Each form is filled in the way an agent in a hurry leaves it (one required field
missing) and submitted once, so the messages next to the fields show.
"""

from __future__ import annotations

import argparse
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


def _settle(app: QApplication, seconds: float = 0.5) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def fit_report(app: QApplication, name: str, dialog) -> dict:  # type: ignore[no-untyped-def]
    """Does the dialog fit its screen, are its buttons in view, and can every field be
    scrolled into view?"""
    free = dialog.screen().availableGeometry()
    unreachable = []
    for field_name, field in dialog.fields.items():
        if field.isHidden() or not field.widget.isVisibleTo(dialog):
            continue
        dialog.scroll_area.ensureWidgetVisible(field.widget, 10, 10)
        app.processEvents()
        if field.widget.visibleRegion().isEmpty():
            unreachable.append(field_name)
    buttons = [b for b in (dialog.submit_button, dialog.close_button) if b.isVisible()]
    return {"form": name, "size": [dialog.width(), dialog.height()],
            "screen": [free.width(), free.height()],
            "fits": dialog.width() <= free.width() and dialog.height() <= free.height(),
            "buttons_in_view": all(not b.visibleRegion().isEmpty() for b in buttons),
            "unreachable": unreachable}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--suffix", default="")
    parser.add_argument("--check", action="store_true",
                        help="print a JSON line per form: does it fit the screen?")
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from console.ui.forms import HandoffDialog, IntakeDialog

    matrix = load_matrix_file(default_matrix_path())
    data = Path(tempfile.mkdtemp(prefix="forms-"))
    service = ConsoleService(data, matrix, sync=False, user="ana")
    service.start()
    wait_in_app(app, lambda: service.ready_once)
    events = [
        NewEvent("INC-260302-7QK4", "opened", {
            "title": "Checkout returns 502 for EU customers", "account": "Globex",
            "account_tier": "enterprise", "users_affected_pct": 30, "workaround": "partial",
            "revenue_risk": True, "security_breach": False, "category": "bug",
            "text": "Since 09:40 UTC about a third of card payments fail with a 502 at the "
                    "last checkout step. Retrying sometimes works."}, "ana"),
        NewEvent("INC-260302-7QK4", "severity", {
            "severity": "P2", "by": "support",
            "reason": "matrix suggestion: over 25% of users affected with only a partial "
                      "workaround"}, "ana"),
        NewEvent("INC-260302-7QK4", "message", {
            "text": "This is the third time this month. We are losing orders every minute.",
            "from": "customer"}, "customer"),
    ]
    done = []
    service.worker.submit(lambda: service.store.append_many(events), done.append)
    wait_in_app(app, lambda: done)
    rows = []
    service.worker.submit(lambda: service._rows_for(["INC-260302-7QK4"]), rows.extend)
    wait_in_app(app, lambda: rows)
    args.out.mkdir(parents=True, exist_ok=True)

    intake = IntakeDialog(service, matrix)
    intake.show()
    _settle(app)
    intake.title_edit.setText("Payments API times out for all EU merchants")
    intake.account_edit.setText("Initech")
    intake.tier_box.setCurrentIndex(intake.tier_box.findData("business"))
    intake.category_box.setCurrentIndex(intake.category_box.findData("bug"))
    intake.text_edit.setPlainText("Every checkout call to /v2/payments times out after 30 s "
                                  "since the 10:05 deploy. Merchants cannot take payments.")
    intake.workaround_box.setCurrentIndex(intake.workaround_box.findData("partial"))
    intake.pct_box.setEditText("40")
    intake.severity_box.setCurrentIndex(intake.severity_box.findData("P1"))
    intake.severity_box.activated.emit(intake.severity_box.currentIndex())
    intake.try_submit()
    _settle(app)
    intake.grab().save(str(args.out / f"intake{args.suffix}.png"))

    handoff = HandoffDialog(service, matrix, rows[0], reason="")
    handoff.show()
    _settle(app)
    handoff.fields["summary"].set_value("EU card payments fail with 502 at the last checkout "
                                        "step; needs payments engineering")
    handoff.fields["steps_tried"].set_value("Reproduced with a test card (502).\n"
                                            "Provider status page: all green.")
    handoff.try_submit()
    _settle(app)
    handoff.grab().save(str(args.out / f"handoff{args.suffix}.png"))
    from console.ui.forms import ApprovalDialog, ConfirmSeverityDialog

    severity = ConfirmSeverityDialog(service, matrix, rows[0], "engineering")
    severity.show()
    _settle(app)
    severity.severity_box.setCurrentIndex(severity.severity_box.findData("P1"))
    severity.severity_box.activated.emit(severity.severity_box.currentIndex())
    severity.try_submit()
    _settle(app)
    severity.grab().save(str(args.out / f"severity{args.suffix}.png"))

    approval = ApprovalDialog(service, matrix, rows[0])
    approval.show()
    _settle(app)
    for box, data in ((approval.role_box, "t1_agent"), (approval.action_box, "refund")):
        box.setCurrentIndex(box.findData(data))
        box.activated.emit(box.currentIndex())
    approval.amount_box.setValue(250)
    approval.reason_edit.setPlainText("Charged twice for the March invoice")
    _settle(app)
    approval.grab().save(str(args.out / f"approval{args.suffix}.png"))
    forms = {"intake": intake, "handoff": handoff, "severity": severity, "approval": approval}
    for name, dialog in forms.items():
        report = fit_report(app, name, dialog)
        print(json.dumps(report) if args.check else
              f"{name}: {report['size'][0]}x{report['size'][1]} on a "
              f"{report['screen'][0]}x{report['screen'][1]} screen")
        dialog.close()
    _settle(app, 0.3)
    service.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
