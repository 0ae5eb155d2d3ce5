"""Bootstrap and wiring: settings, the scheduler, the unit of work, background operations."""

from console._pyside_refcount import pin_singletons

pin_singletons()  # before any PySide6 call; see console/_pyside_refcount.py
