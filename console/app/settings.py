"""This console's settings: a small JSON file in the data directory.

Written atomically (a temporary file in the same folder, fsynced, then os.replace), so
a crash leaves the old or the new file, never half of one; readable by the user only.
Secrets never go here: the shared database URL is stored without its password, which
lives in the OS keyring (see console.app.secrets).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from console.store.server import public_url

SETTINGS_NAME = "settings.json"
SCHEMA_VERSION = 1


class SettingsError(RuntimeError):
    """The settings file could not be read or written."""


class Settings:
    """Read-modify-write access to ``settings.json`` in a data directory."""

    def __init__(self, data_dir: str | Path) -> None:
        self.path = Path(data_dir) / SETTINGS_NAME

    def load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"schema_version": SCHEMA_VERSION}
        except (OSError, ValueError) as exc:
            raise SettingsError(f"cannot read {self.path}: {exc}") from None
        if not isinstance(data, dict):
            raise SettingsError(f"{self.path} does not hold a JSON object")
        return data

    def save(self, data: dict[str, Any]) -> None:
        data = {**data, "schema_version": SCHEMA_VERSION}
        text = json.dumps(data, indent=2, sort_keys=True) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
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
