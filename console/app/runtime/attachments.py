"""Handoff attachments, copied into the store: ``<data_dir>/attachments/<sha256>``.

The copy streams into a temporary file in the same folder while hashing, is fsynced,
and is renamed into place, so a crash leaves either the whole file or none of it; the
same content is stored once. Copies run on their own worker thread, so a large log file
neither blocks the GUI nor holds up the database worker.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject

from console.app.runtime.worker import DbWorker
from console.store.private import private_dir

ATTACHMENTS_DIR = "attachments"
CHUNK = 1 << 20
MAX_BYTES = 200 * 1024 * 1024


class AttachmentError(RuntimeError):
    """A file could not be attached; the message is for the user."""


@dataclass(frozen=True, slots=True)
class Attachment:
    name: str
    sha256: str
    size: int

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.sha256, "size": self.size}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Attachment:
        return cls(str(d["name"]), str(d["sha256"]), int(d["size"]))


def attachments_dir(data_dir: str | Path) -> Path:
    return Path(data_dir) / ATTACHMENTS_DIR


def stored_path(data_dir: str | Path, sha256: str) -> Path:
    return attachments_dir(data_dir) / sha256


def store_file(data_dir: str | Path, source: str | Path, max_bytes: int = MAX_BYTES
               ) -> Attachment:
    """Copy ``source`` into the attachment store atomically; blocking, run it off the GUI."""
    source = Path(source)
    folder = attachments_dir(data_dir)
    try:
        private_dir(folder, ours=True)  # customers' files
        if not source.is_file():
            raise AttachmentError(f"{source.name} is not a file")
        if source.stat().st_size > max_bytes:
            raise AttachmentError(f"{source.name} is larger than "
                                  f"{max_bytes // (1024 * 1024)} MB; attach a link instead")
        digest, size = hashlib.sha256(), 0
        fd, tmp = tempfile.mkstemp(prefix=".incoming-", dir=folder)
        try:
            with os.fdopen(fd, "wb") as out, source.open("rb") as src:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            target = folder / digest.hexdigest()
            if target.exists():
                os.unlink(tmp)
            else:
                os.replace(tmp, target)
                _fsync_dir(folder)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise AttachmentError(f"could not attach {source.name}: "
                              f"{exc.strerror or exc}") from None
    return Attachment(source.name, digest.hexdigest(), size)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class AttachmentCopier(QObject):
    """Copies files into the store on a worker thread of its own; callbacks arrive on
    the GUI thread."""

    def __init__(self, data_dir: str | Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.data_dir = Path(data_dir)
        self._worker = DbWorker(self)

    def add(self, path: str | Path, on_done: Callable[[Attachment], None],
            on_error: Callable[[BaseException], None]) -> None:
        self._worker.submit(lambda: store_file(self.data_dir, path), on_done, on_error)

    def shutdown(self) -> None:
        self._worker.shutdown(wait=False)
