"""Matrix versions for the flowchart editor: publish, list and restore, on the DB worker.

Publishing appends a ``matrix_published`` event (author, time, comment) to the local
store; the store's projection switches to the newest valid version and recomputes
every ticket's clocks, the queue reloads, and the syncer carries the event to every
other console. Only a lead may publish (checked here and in the editor), and only a
valid matrix (checked in the editor, and by the store, which parses the YAML once per
publish). Callbacks run on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from console.app.runtime.rows import QueueRow
from console.app.runtime.service import ConsoleService
from console.domain.hlc import Timestamp
from console.domain.matrix import check_matrix_text
from console.store.unit import MatrixVersion as StoredVersion

LEAD_ROLE = "lead"


@dataclass(frozen=True, slots=True)
class MatrixVersion:
    """One published version, as plain data for the GUI."""

    number: int
    name: str
    author: str
    comment: str
    published_at: datetime
    yaml: str
    valid: bool
    hlc: str
    event_id: str


class PublishRefused(PermissionError):
    """Someone who is not a lead tried to publish."""


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


def active_version(versions: Iterable[MatrixVersion]) -> MatrixVersion | None:
    """The version every console runs: the newest valid one by HLC (as the store picks)."""
    valid = [v for v in versions if v.valid]
    return max(valid, key=lambda v: v.hlc) if valid else None


def _report(service: ConsoleService) -> Callable[[BaseException], None]:
    return lambda error: service.failed.emit(str(error))




def publish(service: ConsoleService, yaml_text: str, name: str, author: str, comment: str,
            on_done: Callable[[MatrixVersion], None] | None = None,
            on_error: Callable[[BaseException], None] | None = None, *, role: str) -> None:
    """Publish ``yaml_text`` as the next matrix version (leads only, valid matrices only)."""
    if role != LEAD_ROLE:
        (on_error or _report(service))(PublishRefused(
            f"only a lead may publish the matrix (your role: {role or 'none'})"))
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


def load_versions(service: ConsoleService, on_done: Callable[[list[MatrixVersion]], None],
                  on_error: Callable[[BaseException], None] | None = None) -> None:
    """Every published version, oldest first."""
    service.worker.submit(lambda: versions_from_rows(service.store.matrix_versions()),
                          on_done, on_error or _report(service))


def restore_version(service: ConsoleService, version: MatrixVersion, author: str,
                    comment: str = "", on_done: Callable[[MatrixVersion], None] | None = None,
                    on_error: Callable[[BaseException], None] | None = None, *,
                    role: str) -> None:
    """Publish an earlier version again, as a new version."""
    publish(service, version.yaml, version.name, author,
            comment or f"Restored version {version.number}", on_done, on_error, role=role)
