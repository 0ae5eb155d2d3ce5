"""This console's settings: a small JSON file in the data directory.

Written atomically (a temporary file in the same folder, fsynced, then os.replace), so
a crash leaves the old or the new file, never half of one; readable by the user only.
Secrets never go here: the shared database URL is stored without its password, which
lives in the OS keyring (see console.app.secrets).

A file that is not a JSON object (bad JSON, not UTF-8, nested too deeply to parse)
never crashes anything: it warns, naming the file, and reads as the defaults. It is
left as it is until a setting changes; then it is first copied to
``settings.json.broken-<UTC time>`` so nothing the user wrote is lost silently.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from console.store.private import private_dir
from console.store.server import public_url

SETTINGS_NAME = "settings.json"
SCHEMA_VERSION = 1
KB_FOLDER_NAME = "Escalation Console KB"

log = logging.getLogger(__name__)
_warned: set[tuple[str, str]] = set()  # (file, problem): say it once per process


class SettingsError(RuntimeError):
    """The settings file could not be read or written."""


class Settings:
    """Read-modify-write access to ``settings.json`` in a data directory."""

    def __init__(self, data_dir: str | Path) -> None:
        self.path = Path(data_dir) / SETTINGS_NAME

    def load(self) -> dict[str, Any]:
        """The settings; the defaults (with a warning) when the file is broken."""
        data, problem = self._read()
        if problem:
            key = (str(self.path), problem)
            if key not in _warned:
                _warned.add(key)
                log.warning("%s: %s; using the default settings. The file is kept until a "
                            "setting changes, then copied to %s.broken-<time> first.",
                            self.path, problem, self.path.name)
            return {"schema_version": SCHEMA_VERSION}
        return data

    def _read(self) -> tuple[dict[str, Any], str]:
        """(the settings, "") or ({}, what is wrong with the file)."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {"schema_version": SCHEMA_VERSION}, ""
        except OSError as exc:
            raise SettingsError(f"cannot read {self.path}: {exc.strerror}") from None
        try:
            data = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            return {}, f"not UTF-8 text (byte {exc.start + 1})"
        except RecursionError:
            return {}, "nested too deeply to read"
        except ValueError as exc:
            return {}, f"not valid JSON ({exc})"
        if not isinstance(data, dict):
            return {}, "does not hold a JSON object"
        return data, ""

    def _keep_broken(self) -> None:
        """Copy a broken file aside before it is replaced."""
        _, problem = self._read()
        if not problem:
            return
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        kept = self.path.with_name(f"{self.path.name}.broken-{stamp}")
        try:
            shutil.copy2(self.path, kept)
        except OSError as exc:  # never replace what could not be kept
            raise SettingsError(f"{self.path} is broken ({problem}) and could not be "
                                f"copied to {kept.name}: {exc.strerror}") from None
        log.warning("%s was broken (%s): kept as %s; writing fresh settings.",
                    self.path, problem, kept.name)

    def save(self, data: dict[str, Any]) -> None:
        data = {**data, "schema_version": SCHEMA_VERSION}
        text = json.dumps(data, indent=2, sort_keys=True) + "\n"
        self._keep_broken()
        try:
            private_dir(self.path.parent)
            fd, tmp = tempfile.mkstemp(prefix=".settings-", suffix=".tmp", dir=self.path.parent)
            try:
                os.fchmod(fd, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(text)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise SettingsError(f"cannot write {self.path}: {exc.strerror}") from None

    def get(self, key: str, default: Any = None) -> Any:
        return self.load().get(key, default)

    def set(self, key: str, value: Any) -> None:
        data = self.load()
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
        self.save(data)

    # -- typed accessors ----------------------------------------------------------------
    @property
    def shared_db_url(self) -> str | None:
        return self.get("shared_db_url") or None

    @shared_db_url.setter
    def shared_db_url(self, url: str | None) -> None:
        """Stores the URL without any password it may carry."""
        self.set("shared_db_url", public_url(url) if url else None)

    @property
    def kb_folder(self) -> Path:
        """Where "Capture as KB article" writes its drafts: the chosen folder, else
        ``Escalation Console KB`` in the user's Documents (in the data directory when
        there is no Documents folder)."""
        chosen = self.get("kb_folder")
        if isinstance(chosen, str) and chosen.strip():
            return Path(chosen).expanduser()
        documents = Path.home() / "Documents"
        return (documents if documents.is_dir() else self.path.parent) / KB_FOLDER_NAME

    @kb_folder.setter
    def kb_folder(self, folder: Path | None) -> None:
        self.set("kb_folder", str(folder) if folder else None)
