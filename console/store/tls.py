"""TLS to the shared database: the URL's ``sslmode``/``sslrootcert`` and libpq's TLS
failures in words a person can act on.

libpq verifies the server (``sslmode=verify-full``: the certificate is signed by the CA
in ``sslrootcert`` and issued for the host name connected to); its failures read like
``SSL error: certificate verify failed``. ``explain`` maps them, in this one place, to
what went wrong and what to do.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
DEFAULT_ROOT = "~/.postgresql/root.crt"  # where libpq looks without sslrootcert


class TlsSettingError(ValueError):
    """An sslmode or CA file that cannot work; the message says which and why."""


def ca_file(path: str) -> str:
    """``path`` as an absolute path to a readable file (libpq resolves a relative one
    against whatever directory a console later starts in)."""
    resolved = Path(path).expanduser().resolve()
    if not resolved.is_file():
        what = "is not a file" if resolved.exists() else "does not exist"
        raise TlsSettingError(f"the CA file {resolved} {what}")
    if not os.access(resolved, os.R_OK):
        raise TlsSettingError(f"the CA file {resolved} cannot be read (permission denied)")
    return str(resolved)


def tls_query(query: Mapping[str, str | tuple[str, ...]], sslmode: str | None,
              ca: str | None) -> dict[str, str]:
    """The URL query parameters for TLS: ``sslmode`` and ``sslrootcert`` from the
    options (they win over the URL's), the CA file checked and made absolute. A CA file
    without a mode means ``verify-full``: a CA is only given to verify the server."""
    out: dict[str, str] = {}
    if sslmode is not None and sslmode not in SSLMODES:
        raise TlsSettingError(f"sslmode {sslmode!r} is not one of {', '.join(SSLMODES)}")
    given = query.get("sslrootcert")
    root = ca if ca is not None else (given if isinstance(given, str) else None)
    if root is not None and root != "system":  # "system": the OS's trusted roots
        out["sslrootcert"] = ca_file(root)
    mode = query.get("sslmode")
    if sslmode is not None:
        out["sslmode"] = sslmode
    elif ca is not None and not isinstance(mode, str):
        out["sslmode"] = "verify-full"
    return out


_WRONG_CA = re.compile(r"SSL error: certificate verify failed")
_WRONG_HOST = re.compile(r'server certificate for "([^"]*)"( \(and \d+ other names?\))? '
                         r'does not match host name "([^"]*)"')
_NO_SSL = re.compile(r"server does not support SSL, but SSL was required")
_NO_ROOT = re.compile(r'root certificate file "([^"]*)" does not exist')
_BAD_ROOT = re.compile(r'could not read root certificate file "([^"]*)": (.*)')
_TLS_ONLY = re.compile(r"pg_hba\.conf rejects connection .*, no encryption")


def explain(message: str, query: Mapping[str, str | tuple[str, ...]]) -> str | None:
    """libpq's TLS failure in ``message`` said plainly, or None when it is none.
    ``query``: the URL's parameters (which sslmode and CA file were used)."""
    given = query.get("sslrootcert")
    root = given if isinstance(given, str) else DEFAULT_ROOT
    given_mode = query.get("sslmode")
    mode = given_mode if isinstance(given_mode, str) else "prefer"
    if _WRONG_CA.search(message):
        return (f"the server's certificate is not signed by the CA in {root} (or is "
                "outside its validity dates); give the CA that signed it with --ca-file")
    if found := _WRONG_HOST.search(message):
        names, more, host = found.group(1), found.group(2) or "", found.group(3)
        return (f"the server's certificate is for {names}{more}, not {host}; connect by "
                "a host name the certificate holds, or have it reissued for this one")
    if _NO_SSL.search(message):
        return (f"the server does not accept TLS connections and sslmode={mode} requires "
                "TLS; an administrator turns ssl on at the server")
    if found := _NO_ROOT.search(message):
        return (f"the CA file {found.group(1)} does not exist; sslmode={mode} verifies "
                "the server against a CA: give its certificate with --ca-file FILE")
    if found := _BAD_ROOT.search(message):
        return (f"the CA file {found.group(1)} holds no readable certificate "
                f"({found.group(2).strip()}); give the CA's PEM certificate with --ca-file")
    if _TLS_ONLY.search(message):
        return ("the server accepts only TLS connections; connect with --sslmode "
                "verify-full --ca-file FILE")
    return None
