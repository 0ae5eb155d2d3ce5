"""Matrix versions for the flowchart editor: publish, list and restore, on the DB worker.

The views reach these through the port: ``service.matrices`` (a ``MatrixActions``), with
plain ``port.MatrixVersion`` results. Publishing appends a ``matrix_published`` event
(author, time, comment) to the local store; the store's projection switches to the newest
valid version and recomputes every ticket's clocks, the queue reloads, and the syncer
carries the event to every other console. Only a lead or an admin may publish (checked
here and in the editor, to say so at once; the shared database enforces it), and only a
valid matrix (checked in the editor, and by the store, which parses the YAML once per
publish). Callbacks run on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from PySide6.QtCore import SignalInstance

from console.app.runtime.port import LEAD_ROLE, Failed, MatrixVersion, active_version
from console.app.runtime.rows import QueueRow
from console.app.runtime.worker import DbWorker
from console.domain.hlc import Timestamp
from console.domain.matrix import check_matrix_text
from console.domain.people import PUBLISHERS
from console.store.local import LocalStore
from console.store.unit import MatrixVersion as StoredVersion

__all__ = ["LEAD_ROLE", "MatrixActions", "MatrixVersion", "PublishRefused",
           "active_version", "load_versions", "publish", "restore_version"]

class ServiceLike(Protocol):
    """What the version operations need of the ConsoleService (the app layer's side)."""

    worker: DbWorker
    store: LocalStore
    user: str
    failed: SignalInstance      # a sentence for the user
    rowsReset: SignalInstance   # every QueueRow

    def wake_sync(self) -> None: ...


class PublishRefused(PermissionError):
    """Someone who is neither a lead nor an admin tried to publish."""


# Whether a stored version is a valid matrix, by its event id. A published version never
# changes, so its YAML is parsed once per process: an open flowchart re-reads the whole
# list after every publish, and a version published here is known valid (the store
# refused it otherwise). A bool per version: nothing else is kept.
_valid_versions: dict[str, bool] = {}


def _is_valid(row: StoredVersion) -> bool:
    valid = _valid_versions.get(row.event_id)
    if valid is None:
        matrix, _ = check_matrix_text(row.yaml, f"matrix version {row.number}")
        valid = _valid_versions[row.event_id] = matrix is not None
    return valid


def versions_from_rows(rows: Iterable[StoredVersion]) -> list[MatrixVersion]:
    """Plain versions, oldest first (the store's rows stay in the store's layer)."""
    out = [MatrixVersion(row.number, row.name, row.author, row.comment,
                         Timestamp.decode(row.hlc).as_datetime(), row.yaml,
                         _is_valid(row), row.hlc, row.event_id) for row in rows]
    return sorted(out, key=lambda v: (v.number, v.hlc))


def _report(service: ServiceLike) -> Failed:
    return lambda error: service.failed.emit(str(error))


def publish(service: ServiceLike, yaml_text: str, name: str, author: str, comment: str,
            on_done: Callable[[MatrixVersion], None] | None = None,
            on_error: Failed | None = None, *, role: str) -> None:
    """Publish ``yaml_text`` as the next matrix version (leads and admins only, valid
    matrices only)."""
    if role not in PUBLISHERS:
        (on_error or _report(service))(PublishRefused(
            f"only a lead or an admin may publish the matrix (your role: {role or 'none'})"))
        return

    def work() -> tuple[MatrixVersion, list[QueueRow]]:
        # the store validates the YAML (MatrixError) and parses it, once
        event = service.store.publish_matrix(yaml_text, name, author, comment)
        _valid_versions[event.id] = True
        published = MatrixVersion(int(event.payload["number"]), name, author, comment,
                                  Timestamp.decode(event.hlc).as_datetime(), yaml_text,
                                  True, event.hlc, event.id)
        rows = [QueueRow.from_record(r) for r in service.store.tickets()]
        return published, rows

    def done(result: tuple[MatrixVersion, list[QueueRow]]) -> None:
        version, rows = result
        service.rowsReset.emit(rows)  # the clocks were recomputed for the new matrix
        service.wake_sync()  # push now, not on the safety timeout
        if on_done is not None:
            on_done(version)

    service.worker.submit(work, done, on_error or _report(service))


def load_versions(service: ServiceLike, on_done: Callable[[list[MatrixVersion]], None],
                  on_error: Failed | None = None) -> None:
    """Every published version, oldest first."""
    service.worker.submit(lambda: versions_from_rows(service.store.matrix_versions()),
                          on_done, on_error or _report(service))


def restore_version(service: ServiceLike, version: MatrixVersion, author: str,
                    comment: str = "", on_done: Callable[[MatrixVersion], None] | None = None,
                    on_error: Failed | None = None, *, role: str) -> None:
    """Publish an earlier version again, as a new version."""
    publish(service, version.yaml, version.name, author,
            comment or f"Restored version {version.number}", on_done, on_error, role=role)


class MatrixActions:
    """The version operations the views use, bound to the service (``service.matrices``
    on the port); what is published is authored by the service's user."""

    def __init__(self, service: ServiceLike) -> None:
        self._service = service

    def versions(self, on_done: Callable[[list[MatrixVersion]], None],
                 on_error: Failed | None = None) -> None:
        """Every published version, oldest first."""
        load_versions(self._service, on_done, on_error)

    def publish(self, yaml_text: str, name: str, comment: str,
                on_done: Callable[[MatrixVersion], None] | None = None,
                on_error: Failed | None = None, *, role: str) -> None:
        """Publish ``yaml_text`` as the next version (leads and admins only, valid
        matrices only)."""
        publish(self._service, yaml_text, name, self._service.user, comment, on_done,
                on_error, role=role)

    def restore(self, version: MatrixVersion, comment: str = "",
                on_done: Callable[[MatrixVersion], None] | None = None,
                on_error: Failed | None = None, *, role: str) -> None:
        """Publish an earlier version again, as a new version."""
        restore_version(self._service, version, self._service.user, comment, on_done,
                        on_error, role=role)
