"""Child process: hold the whole queue in the real console, 1 Hz tick running, and
report resident memory every minute.

``python -m benchmarks.queue.hold DATA_DIR MINUTES [SECONDS]`` builds the app as
``escalation-console --local-only`` does (console.ui.app.build: store, service,
alerts, main window with its own 1 Hz timer on the wall clock), shows the window at
1920x1080 offscreen, waits for the rows and for the notifier's start (its replay of
the whole event log runs on its own thread: sampled before it ends, the minutes after
would show its memory as growth), then prints one JSON line per sample:
``{"t_s", "rss_mb", "maxrss_mb", "rows", "none_refs", "bool_refs"}`` (VmRSS from
/proc/self/status, ru_maxrss from getrusage), at the start, every minute (or every
SECONDS), and at the end, where it also reports how many ticks ran, and how fast
PySide6 6.12 drains the None refcount (harmless under the app's workaround,
console/_pyside_refcount.py).
"""

from __future__ import annotations

import json
import os
import sys
import time

from .common import bool_refcount, maxrss_mb, none_refcount, pin_none, rss_mb


def main(argv: list[str]) -> int:
    data_dir, minutes = argv[0], float(argv[1])
    every_s = float(argv[2]) if len(argv) > 2 else 60.0  # between samples
    pinned = pin_none()
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from console.ui.app import GuiOptions, build

    app = QApplication(["escalation-console"])
    app.setApplicationName("Escalation Console")
    app.setOrganizationName("EscalationConsole")
    window, service = build(GuiOptions(data_dir=data_dir, sync=False))
    window.resize(1920, 1080)
    ticks = [0]
    window.timer.timeout.connect(lambda: ticks.__setitem__(0, ticks[0] + 1))
    started = [0.0]

    def sample(label: str, **more: object) -> None:
        print(json.dumps({"label": label, "t_s": round(time.monotonic() - started[0], 1),
                          "rss_mb": rss_mb(), "maxrss_mb": maxrss_mb(),
                          "rows": window.model.rowCount(), "ticks": ticks[0],
                          "none_refs": none_refcount(), "bool_refs": bool_refcount(),
                          "pinned": pinned, **more}), flush=True)

    waiting = QTimer(app)
    ready_at = [0.0]

    def notifier_started() -> bool:
        """True once the notifier has replayed the log (or when the app runs none)."""
        handle = getattr(window, "_notifications", None)
        if handle is None:
            return True
        return handle.runner is not None and handle.runner.started.is_set()

    def poll_notifier() -> None:
        if notifier_started():
            waiting.stop()
            begin()

    def wait_for_notifier() -> None:
        ready_at[0] = time.monotonic()
        waiting.setInterval(200)
        waiting.timeout.connect(poll_notifier)
        waiting.start()

    def begin() -> None:
        started[0] = time.monotonic()
        sample("start", notifier_wait_s=round(started[0] - ready_at[0], 1))
        every = QTimer(app)
        every.setInterval(int(every_s * 1000))
        every.timeout.connect(minute)
        every.start()
        QTimer.singleShot(int(minutes * 60_000), finish)
        window._bench_timer = every  # keep it alive

    def minute() -> None:
        if time.monotonic() - started[0] < minutes * 60 - min(5.0, every_s / 2):
            # the end sample follows
            sample("minute")

    def finish() -> None:
        sample("end")
        app.quit()

    service.ready.connect(lambda: QTimer.singleShot(2000, wait_for_notifier))
    service.failed.connect(lambda message: print(json.dumps({"error": message}), flush=True))
    app.exec()
    service.stop()
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
