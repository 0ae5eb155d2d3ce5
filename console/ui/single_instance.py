"""One desktop console per data directory, and a second start raises the first.

The store's lock file is what refuses a second console on a data directory. This adds
the friendly part: the console that holds the lock listens on a local socket named
after the data directory, and a second start asks it to come to the front, says so,
and exits non-zero at once instead of opening a window of its own.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

RAISE = b"raise\n"
RAISED = b"raised\n"
EXIT_ALREADY_RUNNING = 3  # the same code as a store that cannot be opened


def server_name(data_dir: str | Path) -> str:
    """The local socket's name: one per user and data directory."""
    key = hashlib.sha256(str(Path(data_dir).resolve()).encode()).hexdigest()[:16]
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return f"escalation-console-{uid}-{key}"


class RaiseServer(QObject):
    """Listens for a second start on the same data directory; emits raiseRequested."""

    raiseRequested = Signal()

    def __init__(self, data_dir: str | Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = server_name(data_dir)
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._accept)

    def listen(self) -> bool:
        """Start listening; call it only while holding the data directory's lock, so a
        socket left behind by a console that crashed is ours to replace."""
        QLocalServer.removeServer(self.name)
        return self.server.listen(self.name)

    def close(self) -> None:
        self.server.close()

    def _accept(self) -> None:
        while self.server.hasPendingConnections():
            socket = self.server.nextPendingConnection()
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(socket.deleteLater)

    def _read(self, socket: QLocalSocket) -> None:
        if not socket.canReadLine():
            return
        if bytes(socket.readLine().data()) == RAISE:
            socket.write(RAISED)
            socket.flush()
            self.raiseRequested.emit()
        socket.disconnectFromServer()


def ask_to_raise(data_dir: str | Path, timeout_ms: int = 2000) -> bool:
    """Ask the console running on ``data_dir`` to bring its window to the front; True
    if one answered. Waits at most about ``timeout_ms`` per step, never longer."""
    socket = QLocalSocket()
    socket.connectToServer(server_name(data_dir))
    if not socket.waitForConnected(timeout_ms):
        return False
    try:
        socket.write(RAISE)
        if not socket.waitForBytesWritten(timeout_ms):
            return False
        while not socket.canReadLine():
            if not socket.waitForReadyRead(timeout_ms):
                return False
        return bytes(socket.readLine().data()) == RAISED
    finally:
        socket.abort()
