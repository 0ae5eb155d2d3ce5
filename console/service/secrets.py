"""Secrets on a server, which has no keyring: environment variables, files named by
``*_FILE`` variables, and systemd credentials, in that order.

Each secret has a name (``database_password``, ``notify_slack_engineering``,
``pagerduty_webhook_secret``...). For a name ``n`` the sources are:

1. ``$ESCALATION_SECRET_<N>`` (the name upper-cased);
2. the file named by ``$ESCALATION_SECRET_<N>_FILE`` (a Kubernetes or Docker secret);
3. ``$CREDENTIALS_DIRECTORY/<n>`` (systemd's ``LoadCredential=n:/path``).

A file's content is the secret with one trailing newline removed. The desktop's keyring
entries map onto names by :func:`secret_name`: ``notify/slack:#engineering`` is
``notify_slack_engineering`` (lower case, every run of other characters one ``_``).
Values are never logged: :class:`ServerSecrets` remembers every value it handed out
so that the log filter can mask it (``console.service.logs``).
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Mapping
from pathlib import Path

from console.app.notify_secrets import CachedSecrets
from console.app.secrets import SecretsError

log = logging.getLogger(__name__)
ENV_PREFIX = "ESCALATION_SECRET_"
DATABASE_PASSWORD = "database_password"


class SecretSourceError(SecretsError):
    """A secret source is set but unusable (a ``*_FILE`` that cannot be read)."""


def secret_name(ref: str) -> str:
    """The server name of a desktop keyring entry for notifications:
    ``slack:#engineering`` -> ``notify_slack_engineering``,
    ``pagerduty:engineering-oncall`` -> ``notify_pagerduty_engineering_oncall``."""
    return "notify_" + re.sub(r"[^a-z0-9]+", "_", ref.lower()).strip("_")


def env_variable(name: str) -> str:
    """``database_password`` -> ``ESCALATION_SECRET_DATABASE_PASSWORD``."""
    return ENV_PREFIX + name.upper()


def _read_file(path: Path, what: str) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SecretSourceError(f"{what}: no such file {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise SecretSourceError(f"{what}: cannot read {path}: {reason}") from None
    return text[:-1] if text.endswith("\n") else text


class SecretSources:
    """Reads secrets by name from the environment, ``*_FILE`` files and systemd
    credentials; keeps every value read, for the log filter."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self.env = os.environ if env is None else env
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def read(self, name: str) -> str | None:
        """The secret called ``name``, or None when no source has it. Raise
        SecretSourceError when a source is set but cannot be read."""
        variable = env_variable(name)
        value = self.env.get(variable) or None
        if value is None and self.env.get(variable + "_FILE"):
            value = _read_file(Path(self.env[variable + "_FILE"]), f"${variable}_FILE")
        if value is None and self.env.get("CREDENTIALS_DIRECTORY"):
            path = Path(self.env["CREDENTIALS_DIRECTORY"]) / name
            if path.exists():
                value = _read_file(path, f"systemd credential {name!r}")
        if value:
            with self._lock:
                self._seen.add(value)
        return value or None

    def remember(self, value: str) -> None:
        """Mask ``value`` in the logs too (e.g. a password that came in a URL)."""
        if value:
            with self._lock:
                self._seen.add(value)

    def values(self) -> list[str]:
        """Every secret value read so far, longest first (for masking)."""
        with self._lock:
            return sorted(self._seen, key=len, reverse=True)


class ServerSecrets(CachedSecrets):
    """The notification secrets of a server, with the desktop's interface
    (console/app/notify_secrets.py): ``get(ref)`` and ``lookup`` read the sources above,
    once per ref (``invalidate()`` reads them again); ``set``/``delete`` refuse (a
    server's secrets are managed where they are deployed, not by the program)."""

    def __init__(self, sources: SecretSources) -> None:
        super().__init__()
        self.sources = sources

    def _read(self, ref: str) -> str | None:
        return self.named(secret_name(ref))

    def where(self, ref: str) -> str:
        """Where a server keeps the secret ``ref`` (named in a failed delivery)."""
        name = secret_name(ref)
        return (f"set {env_variable(name)} (or {env_variable(name)}_FILE), or the "
                f"systemd credential {name!r}; see docs/service.md#secrets")

    def set(self, ref: str, value: str) -> None:
        raise SecretsError(f"a server reads its secrets from the environment, files or "
                           f"systemd credentials: set {env_variable(secret_name(ref))} or "
                           f"the credential {secret_name(ref)!r} instead")

    def delete(self, ref: str) -> None:
        self.set(ref, "")

    def named(self, name: str) -> str | None:
        """A secret by its server name (the HTTP hooks: ``pagerduty_webhook_secret``,
        ``slack_signing_secret``); None when missing or unreadable."""
        try:
            return self.sources.read(name)
        except SecretSourceError as exc:
            log.warning("secret %s unusable: %s", name, exc)
            return None


def database_password(sources: SecretSources, url: str) -> str | None:
    """The shared database's password: the secret ``database_password``, else one in
    the URL given by the environment (never the file: the config refuses that), else
    None (libpq then reads $PGPASSWORD or ~/.pgpass itself)."""
    from console.store.server import split_password

    password = sources.read(DATABASE_PASSWORD)
    if password is None:
        password = split_password(url)[1]
        if password:
            sources.remember(password)
    if password is None and sources.env.get("PGPASSWORD"):
        sources.remember(sources.env["PGPASSWORD"])  # libpq's own: mask it too
    return password
