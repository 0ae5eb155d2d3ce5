"""An agent's journey on a real desktop, for docs/screenshots/ and for eyeballing.

A throwaway PostgreSQL, ``escalation-console connect``, the console on a real X
display: a new ticket through the intake form (synced), then PostgreSQL stops, a
handoff is submitted offline (pending sync), PostgreSQL comes back and the handoff
syncs. Saves details.png, intake.png and handoff.png (the forms filled in), and for
checking the forms after submitting (-synced, -offline) and the whole screen::

    DISPLAY=:99 python -m tests.ui.render_journey docs/screenshots
    DISPLAY=:99 QT_SCALE_FACTOR=1.25 python -m tests.ui.render_journey docs/screenshots \\
        --suffix -125
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _isolate(home: Path) -> None:
    """Settings and secrets in a throwaway home, never the user's."""
    for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        os.environ[variable] = str(home / variable.lower())
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyrings.alt.file.PlaintextKeyring"
    os.environ["USER"] = "ana"  # the agent in the pictures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--suffix", default="")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="journey-"))
    _isolate(work)
    sys.path.insert(0, str(ROOT))
    from benchmarks.pgcluster import PgCluster, start_server

    cluster = start_server()
    assert isinstance(cluster, PgCluster), "the journey stops and restarts its own server"
    try:
        return _journey(cluster, work / "agent", args.out, args.suffix)
    finally:
        cluster.remove()


def _journey(cluster, data: Path, out: Path, suffix: str) -> int:  # type: ignore[no-untyped-def]
    url = cluster.create_database("journey")
    subprocess.run([sys.executable, "-m", "console", "connect", url, "--data-dir", str(data)],
                   check=True, cwd=ROOT, stdin=subprocess.DEVNULL)
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(["escalation-console"])
    from console.ui import forms
    from console.ui.app import GuiOptions, build

    window, service = build(GuiOptions(data_dir=str(data)))
    matrix = service.store.matrix

    def wait(what: str, condition, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
        end = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > end:
                raise TimeoutError(f"timed out waiting for {what}")
            app.processEvents()
            time.sleep(0.02)

    def settle(seconds: float = 0.6) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.02)

    def screen(name: str) -> None:
        subprocess.run(["import", "-window", "root", str(out / f"{name}{suffix}.png")],
                       check=False)

    out.mkdir(parents=True, exist_ok=True)
    wait("the console to sync", lambda: service.sync_state.status == "online")

    intake = forms.open_intake(service, matrix, window)
    settle()
    intake.title_edit.setText("Checkout returns 502 for every EU customer since the 10:05 "
                              "deploy")
    intake.account_edit.setText("Globex")
    for box, value in ((intake.tier_box, "enterprise"), (intake.category_box, "bug"),
                      (intake.workaround_box, "none")):
        box.setCurrentIndex(box.findData(value))
        box.activated.emit(box.currentIndex())
    intake.text_edit.setPlainText("About a third of card payments fail with a 502 at the "
                                  "last step. Retrying sometimes works.")
    intake.pct_box.setEditText("60")
    submitted: list[str] = []
    intake.submitted.connect(submitted.append)
    settle()
    intake.grab().save(str(out / f"intake{suffix}.png"))
    intake.try_submit()
    wait("the intake to be stored", lambda: bool(submitted))
    wait("the intake to sync", lambda: intake.banner.kind == "ok", 20)
    settle()
    intake.grab().save(str(out / f"intake-synced{suffix}.png"))
    intake.close()
    ticket = submitted[0]
    wait("the new ticket in the queue", lambda: window.show_ticket(ticket))

    cluster.stop()
    wait("the console to notice", lambda: service.sync_state.status == "offline", 60)
    row = window.details.row
    handoff = forms.open_handoff(service, matrix, row, window)
    settle()
    for name, value in (
            ("summary", "EU card payments fail with 502 at the last checkout step; needs "
                        "payments engineering"),
            ("history", "Opened 10:12 after the first customer reports"),
            ("details", "502 from /v2/payments/confirm; about 60% of EU attempts"),
            ("steps_tried", "Reproduced with a test card (502)\nProvider status page: all "
                            "green\nRetried from another region: works"),
            ("next_steps", "Check the 10:05 deploy of the payments gateway"),
            ("reason", "Card payments down for a third of EU customers: needs a fix in "
                       "the payments gateway")):
        handoff.fields[name].set_value(value)
    har = data.parent / "checkout-502.har"
    har.write_text('{"log": {"entries": []}}')
    handoff.add_files([str(har)])
    wait("the attachment to be copied", lambda: not handoff.attachments.busy)
    for box in handoff.checklist.boxes:
        box.setChecked(True)
    handed: list[str] = []
    handoff.submitted.connect(handed.append)
    settle()
    handoff.grab().save(str(out / f"handoff{suffix}.png"))
    handoff.try_submit()
    assert not handoff.errors(), handoff.errors()
    wait("the handoff to be stored", lambda: bool(handed))
    settle()
    handoff.grab().save(str(out / f"handoff-offline{suffix}.png"))
    assert handoff.banner.kind == "pending", handoff.banner.text.text()

    cluster.start()
    wait("the handoff to sync", lambda: handoff.banner.kind == "ok", 90)
    settle()
    handoff.grab().save(str(out / f"handoff-synced{suffix}.png"))
    screen("journey-screen")
    handoff.close()
    window.show_ticket(ticket)
    settle(1.5)  # the timeline loads on the worker
    window.details_dock.grab().save(str(out / f"details{suffix}.png"))
    screen("journey-details")
    print(f"{ticket}: intake synced, handoff pending offline then synced; "
          f"screenshots in {out}")
    window.close()
    service.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
