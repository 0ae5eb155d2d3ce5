"""Work around a PySide6 6.12.0 reference-count bug on Python 3.11.

Many of PySide6 6.12.0's void methods (``QPainter.save``, ``setPen``, ...) return None
without taking a reference to it, so every call drops one reference from ``None`` (and
some from True/False). A console repainting its queue loses hundreds a second; within
minutes ``None``'s count reaches zero and Python aborts with "none_dealloc: deallocating
None". Python 3.12 made these objects immortal (PEP 683), so the bug is harmless there.

On older Pythons we make them effectively immortal the same way: add 2**40 references
once, at start-up, while the GIL is held. At the leak rates measured (well under 10,000
a second) that lasts for millennia. Remove this module when Python 3.11 support ends.
"""

from __future__ import annotations

import ctypes
import sys

_EXTRA = 1 << 40
_done = False


def pin_singletons() -> None:
    """Give None, True, False, Ellipsis and NotImplemented 2**40 extra references."""
    global _done
    if _done or sys.version_info >= (3, 12):
        return
    for obj in (None, True, False, Ellipsis, NotImplemented):
        ctypes.c_ssize_t.from_address(id(obj)).value += _EXTRA
    _done = True
