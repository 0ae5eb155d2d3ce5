"""Qt widgets, item models, the flowchart scene, dialogs, tray and wall screen."""

from console._pyside_refcount import pin_singletons

pin_singletons()  # before any PySide6 call; see console/_pyside_refcount.py
