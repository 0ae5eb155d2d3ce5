"""Secrets in the OS keyring (Secret Service, macOS Keychain, Windows Credential Locker).

The database password is stored under the service ``escalation-console`` with the
password-free database URL as the user name, so each shared database has its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import keyring
from keyring.errors import KeyringError, NoKeyringError, PasswordDeleteError

SERVICE = "escalation-console"
_T = TypeVar("_T")


class SecretsError(RuntimeError):
    """No usable keyring, or the keyring refused."""


_NO_KEYRING = ("no OS keyring is available to keep the database password; install and "
               "unlock one (e.g. GNOME Keyring or KWallet with the Secret Service), or set "
               "PYTHON_KEYRING_BACKEND to a keyring backend")


def _call(action: Callable[..., _T], *args: str, missing_ok: bool = False) -> _T | None:
    try:
        return action(SERVICE, *args)
    except NoKeyringError:
        raise SecretsError(_NO_KEYRING) from None
    except PasswordDeleteError:
        if missing_ok:
            return None
        raise SecretsError("the OS keyring holds no such password") from None
    except KeyringError as exc:
        raise SecretsError(f"the OS keyring refused ({type(exc).__name__}); unlock it and "
                           "try again") from None


def where_kept() -> str | None:
    """Where the keyring backend in use keeps a password, in words: ``the OS keyring
    (SecretService Keyring)``, ``a plain-text file, PATH`` (keyrings.alt); None where it
    keeps nothing (the null backend, or no keyring at all)."""
    from keyring.backends import chainer, fail, null

    backend = keyring.get_keyring()
    if isinstance(backend, chainer.ChainerBackend):  # the first that takes it keeps it
        first = next(iter(backend.backends), None)
        if first is None:
            return None
        backend = first
    if isinstance(backend, null.Keyring | fail.Keyring):
        return None
    path = getattr(backend, "file_path", None)  # keyrings.alt's file backends
    if isinstance(path, str):
        plain = "plaintext" in type(backend).__name__.lower()
        return f"{'a plain-text file' if plain else 'an encrypted file'}, {path}"
    module = type(backend).__module__
    if module.startswith("keyring.backends."):  # Secret Service, KWallet, macOS, Windows
        return f"the OS keyring ({backend.name})"
    return f"the keyring backend {module}.{type(backend).__name__}"


def store_password(url: str, password: str) -> str | None:
    """Keep the password for a (password-free) database URL; return where it went (see
    ``where_kept``), None if the backend in use keeps nothing."""
    _call(keyring.set_password, url, password)
    return where_kept()


def load_password(url: str) -> str | None:
    """The password kept for a database URL, or None."""
    return _call(keyring.get_password, url)


def delete_password(url: str) -> None:
    """Forget the password of a database URL (no error if there was none)."""
    _call(keyring.delete_password, url, missing_ok=True)
