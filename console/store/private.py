"""Private local files: the data directory 0700, the store's files 0600, whatever the
umask says (the store holds customer text: ticket titles, handoff notes, contacts).

The modes are set explicitly with ``chmod`` after creation (a mode given to ``os.open``
or ``mkdir`` goes through the umask). Files of ours that an older version left open to
others lose their group and other permissions. A data directory that already exists is
not changed (it may be one a person chose with ``--data-dir``): a warning says it is
open to others, and the files in it are private anyway.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600

log = logging.getLogger(__name__)
_warned: set[Path] = set()


def private_dir(path: Path, *, ours: bool = False) -> None:
    """Make ``path`` (and its missing parents) a directory; one created here is 0700.
    An existing one open to others is narrowed when it is ``ours`` (a folder inside the
    data directory), else kept with a warning. Raises OSError."""
    if path.is_dir():
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077 and ours:
            os.chmod(path, DIR_MODE)
        elif mode & 0o077 and path not in _warned:
            _warned.add(path)  # once per process: the console opens it more than once
            log.warning("the data directory %s is open to other users (mode %o); it holds "
                        "customer text: run 'chmod 700 %s'", path, mode, path)
        return
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    os.chmod(path, DIR_MODE)  # mkdir's mode went through the umask


def private_fd(fd: int) -> None:
    """Take group and other permissions off an open file of ours."""
    mode = stat.S_IMODE(os.fstat(fd).st_mode)
    if mode & 0o077:
        os.fchmod(fd, mode & ~0o077)


def _narrow(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        os.chmod(path, mode & ~0o077)


def private_file(path: Path) -> None:
    """Create ``path`` empty and 0600 if missing; else take group and other
    permissions off it. Raises OSError."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        _narrow(path)
        return
    try:
        os.fchmod(fd, FILE_MODE)  # the umask may have taken the owner's bits too
    finally:
        os.close(fd)


def private_sqlite(path: Path) -> None:
    """The SQLite file 0600 before SQLite opens it (SQLite gives its -wal and -shm
    files the main file's mode), and any left-over companions narrowed too."""
    private_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            _narrow(path.with_name(path.name + suffix))
