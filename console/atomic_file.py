"""One writer of a whole private file, for the store's neighbours and the notifier alike
(outside the layers so that ``console.notify`` and ``console.app`` share it: the
notifier may not import ``console.store``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

FILE_MODE = 0o600  # as console.store.private.FILE_MODE


def write_private_atomically(path: Path, *parts: bytes) -> None:
    """Write ``parts`` to ``path`` whole and 0600: a temporary file of a unique name in
    the same directory (two writers never share one), synced, then renamed over
    ``path``, and the directory synced so the rename survives a power cut. Raises
    OSError; no temporary file is left behind."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), FILE_MODE)  # the umask may have taken the owner's bits
            for part in parts:
                f.write(part)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
