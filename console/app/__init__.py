"""The app layer: use cases over the domain, the store and notify.

- ``console.app.runtime``: the desktop console running (Qt). The service behind the
  views' port (``runtime/port.py``), the database worker, alerts, the notifier's handle,
  forms, drafts, and the plain rows and countdowns the views read.
- ``console.app.usecases``: batch and command-line use cases, without Qt: import,
  simulate, demo data.
- The modules here are shared by both and never import Qt: settings, secrets, the data
  directory, the matrix files, the notifier's wiring (``notify_ops``).

import-linter keeps the use cases and the shared modules free of Qt and of the runtime.
"""

from console._pyside_refcount import pin_singletons

pin_singletons()  # before any PySide6 call; see console/_pyside_refcount.py
