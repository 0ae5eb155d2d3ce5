"""A console process for the crash test: ``python crash_child.py DATA_DIR SETTINGS_JSON``.

Opens the local store, runs the notification runner (real clock, real threads) against
the fake services named in the settings file, prints ``ready`` and runs until killed."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

from console.app.matrices import load_matrix_file
from console.app.notify_ops import build_runner
from console.app.notify_secrets import StaticSecrets
from console.paths import default_matrix_path
from console.store.local import LocalStore


def main() -> None:
    data_dir, settings = Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text())
    store = LocalStore(data_dir, load_matrix_file(default_matrix_path())).open()
    runner = build_runner(store, config=settings["config"],
                          secrets=StaticSecrets(settings["secrets"]), claims=None,
                          sentiment=None, poll_interval=0.1)
    print("ready", flush=True)
    runner.run(threading.Event())


if __name__ == "__main__":
    main()
