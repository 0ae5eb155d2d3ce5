"""Matrix versions without the GUI: publish a matrix file, list the versions, restore one
(``escalation-console matrix publish|versions|restore``, for a pipeline that keeps the
matrix in git).

With a shared database (a ``Syncer``), a publish pulls first (new events, and on a first
connect the open tickets and the matrix versions, not the history before them), so its
number follows the server's, appends the version to the local store and pushes it at
once (a refusal lands in the local refused list with the server's reason); the server
decides whether this login may publish (a lead or an admin) and the outcome says what it
decided. Unreachable, the version stays queued in the local store (pushed by the next
sync) and the outcome says so: a pipeline must know it did not reach the server.
Without a shared database the version goes into the local store only.

Publishing the YAML text of the version in force again publishes nothing, so a pipeline
may publish on every commit. A version of that same text that was published here but
never reached the server is pushed instead, so a run after an outage still finishes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from console.domain.hlc import Timestamp
from console.domain.matrix import check_matrix_text
from console.store.server import SharedDBError

if TYPE_CHECKING:
    from console.domain.matrix import Matrix
    from console.store.local import LocalStore
    from console.store.records import StoredEvent
    from console.store.sync import Syncer

PUBLISHED, UNCHANGED, QUEUED, REFUSED = "published", "unchanged", "queued", "refused"


@dataclass(frozen=True, slots=True)
class Version:
    """One published matrix version, as ``matrix versions`` lists it."""

    number: int
    name: str
    author: str
    at: datetime  # the publishing console's clock
    comment: str
    yaml: str
    event_id: str
    hlc: str
    in_force: bool = False


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a publish or restore did. ``version``: the version published (or pushed, or
    queued, or refused), or for UNCHANGED the version in force. ``reason``: the server's
    reason (REFUSED), or why the server was not reached (QUEUED; UNCHANGED as far as
    this store knows, the server unreachable)."""

    status: str
    version: Version
    reason: str = ""
    local_only: bool = False


class UnknownVersion(LookupError):
    """``restore N`` of a number no version has; the message names the valid range."""


def list_versions(store: LocalStore) -> list[Version]:
    """Every published version, oldest first (by number, then time), the one in force
    marked: the newest valid version by HLC, as every console chooses it."""
    rows = store.matrix_versions()
    in_force = next((r.event_id for r in sorted(rows, key=lambda r: r.hlc, reverse=True)
                     if check_matrix_text(r.yaml, f"matrix version {r.number}")[0]
                     is not None), None)
    versions = [Version(r.number, r.name, r.author, Timestamp.decode(r.hlc).as_datetime(),
                        r.comment, r.yaml, r.event_id, r.hlc, r.event_id == in_force)
                for r in rows]
    return sorted(versions, key=lambda v: (v.number, v.hlc))


def version_in_force(versions: Sequence[Version]) -> Version | None:
    return next((v for v in versions if v.in_force), None)


def pull(sync: Syncer | None) -> str | None:
    """Pull what the server holds; the error when it cannot be reached, else None."""
    if sync is None:
        return None
    try:
        sync.pull()
    except SharedDBError as exc:
        return str(exc)
    return None


def publish(store: LocalStore, yaml_text: str, matrix: Matrix, author: str, comment: str,
            sync: Syncer | None) -> Outcome:
    """Publish ``yaml_text`` (already validated as ``matrix``) as the next version,
    unless it is the text of the version in force."""
    offline = pull(sync)
    return _publish(store, yaml_text, matrix.name, author, comment, sync, offline)


def restore(store: LocalStore, number: int, author: str, comment: str,
            sync: Syncer | None) -> Outcome:
    """Publish version ``number`` again as a new version (a no-op when its text is in
    force). Raise UnknownVersion for a number no version has, MatrixError for a version
    that is not a valid matrix."""
    offline = pull(sync)
    versions = list_versions(store)
    chosen = [v for v in versions if v.number == number]
    if not chosen:
        raise UnknownVersion(_unknown(number, versions))
    old = chosen[-1]  # two consoles offline may both have published a number: the newest
    return _publish(store, old.yaml, old.name, author,
                    comment or f"Restored version {number}", sync, offline)


def _unknown(number: int, versions: Sequence[Version]) -> str:
    if not versions:
        return f"no matrix version {number}: no version has been published yet"
    low, high = versions[0].number, versions[-1].number
    valid = f"version {low}" if low == high else f"versions {low} to {high}"
    return f"no matrix version {number}: {valid} exist"


def _publish(store: LocalStore, yaml_text: str, name: str, author: str, comment: str,
             sync: Syncer | None, offline: str | None) -> Outcome:
    current = version_in_force(list_versions(store))
    if current is not None and current.yaml == yaml_text:
        if sync is None or not store.in_outbox([current.event_id]):
            return Outcome(UNCHANGED, current, offline or "", local_only=sync is None)
        return _push(store, sync, current, offline)  # published here before, never pushed
    # the store parses and validates the text again (MatrixError): it trusts no caller
    event = store.publish_matrix(yaml_text, name, author, comment)
    version = _version(event, yaml_text, name, comment)
    if sync is None:
        return Outcome(PUBLISHED, version, local_only=True)
    return _push(store, sync, version, offline)


def _version(event: StoredEvent, yaml_text: str, name: str, comment: str) -> Version:
    return Version(int(event.payload["number"]), name, event.author,
                   Timestamp.decode(event.hlc).as_datetime(), comment, yaml_text, event.id,
                   event.hlc, in_force=True)


def _push(store: LocalStore, sync: Syncer, version: Version, offline: str | None) -> Outcome:
    if offline is None:
        try:
            # the push alone: sync_once would also pull a first connect's whole history,
            # minutes of a long log for a pipeline's fresh data dir that needs none of it
            sync.push()
        except SharedDBError as exc:
            offline = str(exc)
    if offline is not None:
        return Outcome(QUEUED, version, offline)
    reason = _refusal(store, version.event_id)
    if reason is not None:
        return Outcome(REFUSED, version, reason)
    if store.in_outbox([version.event_id]):  # a push that stopped before it (not expected)
        return Outcome(QUEUED, version, "the push stopped before this version")
    return Outcome(PUBLISHED, version)


def _refusal(store: LocalStore, event_id: str) -> str | None:
    """The server's reason when it refused the event (it is in the refused list)."""
    with store.unit(read_only=True) as uow:
        return next((r.reason for r in uow.refused.list() if r.event_id == event_id), None)
