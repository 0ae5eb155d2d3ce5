"""Notification secrets in the OS keyring: webhook URLs, the SMTP password and
PagerDuty routing keys. Never in settings, logs or event payloads.

Service ``escalation-console`` (as for the database password); the user name is
``notify/<channel>:<address>``, e.g. ``notify/slack:#engineering``,
``notify/pagerduty:engineering-oncall``, ``notify/email:password``. A channel falls
back from the address's own secret to ``<channel>:default`` (one Slack webhook for
every address, say).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import keyring

from console.app.secrets import SERVICE, SecretsError
from console.app.secrets import _call as _keyring_call

PREFIX = "notify/"
_T = TypeVar("_T")
SECRET_LABELS = {
    "slack": "Incoming webhook URL",
    "teams": "Workflow webhook URL",
    "webhook": "Webhook URL",
    "pagerduty": "Routing (integration) key",
    "email": "SMTP password",
}


def refs_for(channel: str, address: str) -> list[str]:
    """Keyring entries to try for a channel and address, most specific first."""
    if channel == "email":
        return ["email:password"]
    if channel == "desktop":
        return []
    refs = [f"{channel}:{address}"] if address else []
    return [*refs, f"{channel}:default"]


def _call(action: Callable[..., _T], *args: str, missing_ok: bool = False) -> _T | None:
    try:
        return _keyring_call(action, *args, missing_ok=missing_ok)
    except SecretsError as exc:
        raise SecretsError(str(exc).replace("the database password",
                                            "notification secrets")) from None


class Secrets:
    """What the dispatcher and the channels dialog need of a secret store: ``get``,
    ``set``, ``delete``, ``invalidate``, ``where`` (how to set a missing one) and
    ``lookup`` (the dispatcher's SecretLookup), the last two shared here."""

    def get(self, ref: str) -> str | None:
        raise NotImplementedError

    def set(self, ref: str, value: str) -> None:
        raise NotImplementedError

    def delete(self, ref: str) -> None:
        raise NotImplementedError

    def invalidate(self) -> None:
        """Forget what was read (the next ``get`` reads the store again)."""

    def where(self, ref: str) -> str:
        """Where to set the secret ``ref`` (the dispatcher's hint when one is missing)."""
        return "set it in Notifications > Channels (kept in the OS keyring)"

    def lookup(self, channel: str, address: str) -> tuple[str, str | None]:
        """(the ref used, the secret or None): the dispatcher's SecretLookup."""
        refs = refs_for(channel, address)
        if not refs:
            return channel, None
        for ref in refs:
            value = self.get(ref)
            if value:
                return ref, value
        return refs[0], None


class CachedSecrets(Secrets):
    """Secrets read once per ref from a slow store (``_read``), then kept."""

    def __init__(self) -> None:
        self._cache: dict[str, str | None] = {}
        self._lock = threading.Lock()

    def _read(self, ref: str) -> str | None:
        raise NotImplementedError

    def get(self, ref: str) -> str | None:
        with self._lock:
            if ref in self._cache:
                return self._cache[ref]
        value = self._read(ref)
        with self._lock:
            self._cache[ref] = value
        return value

    def _remember(self, ref: str, value: str | None) -> None:
        with self._lock:
            self._cache[ref] = value

    def invalidate(self) -> None:
        with self._lock:
            self._cache.clear()


class NotifySecrets(CachedSecrets):
    """Reads (cached) and writes notification secrets in the keyring."""

    def _read(self, ref: str) -> str | None:
        return _call(keyring.get_password, PREFIX + ref)

    def set(self, ref: str, value: str) -> None:
        _call(keyring.set_password, PREFIX + ref, value)
        self._remember(ref, value)

    def delete(self, ref: str) -> None:
        _call(keyring.delete_password, PREFIX + ref, missing_ok=True)
        self._remember(ref, None)


class StaticSecrets(Secrets):
    """Secrets from a dict (tests and benchmarks), standing in for the keyring."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = dict(values)

    def get(self, ref: str) -> str | None:
        return self.values.get(ref)

    def set(self, ref: str, value: str) -> None:
        self.values[ref] = value

    def delete(self, ref: str) -> None:
        self.values.pop(ref, None)


__all__ = ["PREFIX", "SECRET_LABELS", "SERVICE", "CachedSecrets", "NotifySecrets", "Secrets",
           "StaticSecrets", "refs_for"]
