"""Trained models on disk: versioned, each with its evaluation, in a safe format.

A model is saved with ``skops.io.dump`` as ``KIND-vN.skops`` with ``KIND-vN.json``
beside it (when, on how many tickets, the evaluation, whether it may be used and why
not). Loading never unpickles: ``skops.io.load`` rebuilds only the types it trusts by
default (scikit-learn's estimators, numpy, builtins) and the few listed in
``TRUSTED``; a file that names any other type (tampered, or not ours) is refused, as is
one that is not a skops file at all, and the next older usable version is used. The
folder is the data dir's ``triage``: 0700, its files 0600 (they hold words of customer
text: the vectorizers' vocabularies and the similar-ticket index).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from console.atomic_file import write_private_atomically
from console.store.private import FILE_MODE, private_dir

log = logging.getLogger(__name__)

MIN_RESOLVED = 200  # fewer resolved tickets than this: nothing is trained or suggested

KINDS = ("severity", "team", "category", "risk", "similar")

# The types beyond skops' defaults that our models hold. Anything else in a file is
# refused: never ``trusted=True``.
TRUSTED = (
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "scipy.sparse._csr.csr_matrix",
)
LOCK_FILE = ".lock"  # flock-ed around a save: versions are numbered one at a time
_NAME = re.compile(r"^(?P<kind>[a-z]+)-v(?P<version>[0-9]+)\.json$")
RUN_FILE = "last-run.json"
# versions kept of each kind (besides the newest usable one): a model of 100,000
# tickets is tens of MB, and the background training saves a new one every time
KEEP_VERSIONS = 3


class ModelRefused(Exception):
    """A model file that cannot be loaded safely (its message says why)."""


@dataclass(frozen=True)
class ModelInfo:
    """One saved model version and how it measured."""

    kind: str            # severity | team | category | risk | similar
    version: int
    trained_at: datetime
    examples: int        # resolved tickets it learnt from
    evaluation: dict[str, Any] = field(default_factory=dict)  # accuracy, macro_f1, baseline...
    usable: bool = True
    why_not: str = ""    # e.g. "does not beat the majority baseline (0.41 vs 0.43)"

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["trained_at"] = self.trained_at.isoformat()
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ModelInfo:
        return cls(kind=str(d["kind"]), version=int(d["version"]),
                   trained_at=datetime.fromisoformat(str(d["trained_at"])),
                   examples=int(d["examples"]), evaluation=dict(d.get("evaluation") or {}),
                   usable=bool(d["usable"]), why_not=str(d.get("why_not") or ""))


@dataclass(frozen=True)
class NewModel:
    """What ``Registry.save`` needs besides the model: a ModelInfo without its version."""

    kind: str
    trained_at: datetime
    examples: int
    evaluation: dict[str, Any] = field(default_factory=dict)
    usable: bool = True
    why_not: str = ""


class Registry:
    """The saved models of one data dir (``data_dir / "triage"``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    # -- writing ---------------------------------------------------------------------
    def save(self, kind: str, model: Any, info: NewModel) -> ModelInfo:
        """Save ``model`` as the next version of ``kind``; returns its ModelInfo.
        Raises OSError when the folder cannot be written."""
        import skops.io as sio

        if kind not in KINDS or info.kind != kind:
            raise ValueError(f"not a model kind: {kind!r}")
        private_dir(self.folder, ours=True)
        data = sio.dumps(model)
        with self._locked():  # the CLI and the background training may save at once
            version = max((i.version for i in self._infos(kind)), default=0) + 1
            saved = ModelInfo(kind=kind, version=version, trained_at=info.trained_at,
                              examples=info.examples, evaluation=info.evaluation,
                              usable=info.usable, why_not=info.why_not)
            stem = self.folder / f"{kind}-v{version}"
            write_private_atomically(stem.with_suffix(".skops"), data)
            # the info last: a version exists once its info does
            write_private_atomically(
                stem.with_suffix(".json"),
                json.dumps(saved.to_json(), indent=1, sort_keys=True).encode("utf-8"))
            self._prune(kind)
        return saved

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold an exclusive lock on the folder's lock file, across processes."""
        fd = os.open(self.folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, FILE_MODE)
        try:
            os.fchmod(fd, FILE_MODE)  # the umask may have left it open to others
            fcntl.flock(fd, fcntl.LOCK_EX)  # released when fd closes
            yield
        finally:
            os.close(fd)

    def _prune(self, kind: str) -> None:
        """Delete all but the newest ``KEEP_VERSIONS`` versions of ``kind`` and its
        newest usable one (the one in use)."""
        infos = sorted(self._infos(kind), key=lambda i: -i.version)
        usable = next((i.version for i in infos if i.usable), None)
        for info in infos[KEEP_VERSIONS:]:
            if info.version == usable:
                continue
            stem = self.folder / f"{kind}-v{info.version}"
            for suffix in (".json", ".skops"):  # the info first: no half-listed version
                with contextlib.suppress(FileNotFoundError):
                    stem.with_suffix(suffix).unlink()

    def record_run(self, run: dict[str, Any]) -> None:
        """Note what the last training did (how many resolved tickets, what it skipped
        and why), for ``triage status`` and a Suggester that has nothing to load."""
        private_dir(self.folder, ours=True)
        write_private_atomically(self.folder / RUN_FILE,
                                 json.dumps(run, indent=1, sort_keys=True).encode("utf-8"))

    # -- reading ---------------------------------------------------------------------
    def last_run(self) -> dict[str, Any] | None:
        """What ``record_run`` noted last; None when nothing was (or it is unreadable)."""
        try:
            run = json.loads((self.folder / RUN_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return run if isinstance(run, dict) else None

    def infos(self) -> list[ModelInfo]:
        """Every saved version, by kind then version (for ``triage status``)."""
        return sorted(self._infos(None), key=lambda i: (i.kind, i.version))

    def latest(self, kind: str) -> tuple[Any, ModelInfo] | None:
        """The newest usable version of ``kind`` that loads safely, with its info; None
        when there is none. A refused file is logged and passed over."""
        for info in sorted(self._infos(kind), key=lambda i: -i.version):
            if not info.usable:
                continue
            try:
                return self.load(info), info
            except ModelRefused as exc:
                log.warning("triage model %s v%d refused: %s", kind, info.version, exc)
        return None

    def newest(self, kind: str) -> ModelInfo | None:
        """The newest version of ``kind``, usable or not."""
        return max(self._infos(kind), key=lambda i: i.version, default=None)

    def load(self, info: ModelInfo) -> Any:
        """The model of ``info``, rebuilt by skops from trusted types only; raises
        ModelRefused naming the problem (unreadable, not a skops file, a type we do not
        trust)."""
        import skops.io as sio

        path = self.folder / f"{info.kind}-v{info.version}.skops"
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ModelRefused(f"{path}: cannot read: {exc.strerror or exc}") from None
        try:
            untrusted = set(sio.get_untrusted_types(data=data)) - set(TRUSTED)
            if untrusted:
                raise ModelRefused(f"{path}: holds types we do not trust: "
                                   f"{', '.join(sorted(untrusted))}")
            return sio.loads(data, trusted=list(TRUSTED))
        except ModelRefused:
            raise
        except Exception as exc:  # a corrupt archive fails in many ways; none may crash us
            raise ModelRefused(f"{path}: not a readable model file "
                               f"({type(exc).__name__}: {exc})") from None

    def _infos(self, kind: str | None) -> list[ModelInfo]:
        try:
            names = sorted(os.listdir(self.folder))
        except OSError:
            return []
        out = []
        for name in names:
            match = _NAME.match(name)
            if match is None or (kind is not None and match["kind"] != kind):
                continue
            try:
                d = json.loads((self.folder / name).read_text(encoding="utf-8"))
                info = ModelInfo.from_json(d)
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("triage model info %s unreadable: %s", name, exc)
                continue
            if info.kind != match["kind"] or info.version != int(match["version"]):
                log.warning("triage model info %s names another model", name)
                continue
            out.append(info)
        return out

