"""The service's settings: a TOML or YAML file (``serve --config FILE``), then
environment variables over it, then the defaults.

Every top-level key has a variable ``ESCALATION_SERVICE_<KEY>`` (``database_url`` ->
``ESCALATION_SERVICE_DATABASE_URL``); the ``notify`` section's keys have
``ESCALATION_SERVICE_NOTIFY_<SECTION>_<KEY>`` (``notify.email.host`` ->
``ESCALATION_SERVICE_NOTIFY_EMAIL_HOST``). An unknown key or variable is an error, not
silently ignored: a typo must not leave a default in force unseen.

No secrets here: a password in the database URL of the file is refused (it would sit
in a file that backups, config management and ``ps`` of an editor can read); secrets
come from ``console.service.secrets``.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from console.app.notify_ops import DEFAULTS as NOTIFY_DEFAULTS

from .configfile import ConfigError, Document, KeyPath, read_document

ENV_PREFIX = "ESCALATION_SERVICE_"
DEFAULT_STATE_DIR = "/var/lib/escalation-console"
DEFAULT_LISTEN = "127.0.0.1:8787"
LOG_FORMATS = ("text", "json")
LOG_LEVELS = ("debug", "info", "warning", "error")
# Keys the channels read beyond the console's DEFAULTS (console/notify/channels).
_NOTIFY_EXTRA: dict[str, Any] = {"webhook": {"min_interval": 0.0}}
_SECRET_WORDS = re.compile(r"password|secret|token|api_?key|routing_?key|webhook_url",
                           re.IGNORECASE)


@dataclass(frozen=True)
class ServiceConfig:
    """Everything ``serve`` needs except secrets."""

    database_url: str
    state_dir: Path = Path(DEFAULT_STATE_DIR)
    listen_host: str = "127.0.0.1"
    listen_port: int = 8787
    tls_cert: Path | None = None
    tls_key: Path | None = None
    takeover_seconds: float = 15.0
    instance: str = ""
    log_format: str = "text"
    log_level: str = "info"
    notify: dict[str, Any] = field(default_factory=dict)
    http: dict[str, Any] = field(default_factory=dict)  # only what was set (HTTP defaults)
    source: str = ""  # the file read, for messages ("" = environment only)

    @property
    def listen(self) -> str:
        host = f"[{self.listen_host}]" if ":" in self.listen_host else self.listen_host
        return f"{host}:{self.listen_port}"


def default_instance() -> str:
    """``hostname:pid``: unique among instances, readable in the lease row."""
    return f"{socket.gethostname()}:{os.getpid()}"


# -- value parsers: raw value (from a file, or text from a variable) -> value ---------------
def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected a non-empty text value")
    return value.strip()


def _seconds(value: Any) -> float:
    number = _number(value)
    if number <= 0:
        raise ValueError(f"expected a number of seconds above 0, got {value!r}")
    return number


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    raise ValueError(f"expected a number, got {value!r}")


def _integer(value: Any) -> int:
    number = _number(value)
    if number != int(number):
        raise ValueError(f"expected a whole number, got {value!r}")
    return int(number)


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def _choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if isinstance(value, str) and value.strip().lower() in options:
            return value.strip().lower()
        raise ValueError(f"expected one of {', '.join(options)}, got {value!r}")
    return parse


def parse_listen(value: Any) -> tuple[str, int]:
    """``host:port``, ``[v6]:port`` or ``:port`` (all interfaces)."""
    text = _text(value)
    found = re.fullmatch(r"(?:\[([^\]]+)\]|([^:\[\]]*)):(\d{1,5})", text)
    if not found:
        raise ValueError(f"expected host:port (e.g. {DEFAULT_LISTEN}, [::1]:8787 or "
                         f":8787 for every interface), got {text!r}")
    host = found.group(1) or found.group(2) or "0.0.0.0"
    port = int(found.group(3))
    if port > 65535:
        raise ValueError(f"the port {port} is above 65535")
    return host, port


def _path(value: Any) -> Path:
    return Path(_text(value)).expanduser()


def _database_url(value: Any) -> str:
    from console.store.server import SharedDBError, public_url, split_password

    try:
        _, password = split_password(_text(value))
        if password is not None:
            raise ValueError(
                "holds a password; secrets never go in the configuration: give it as "
                "ESCALATION_SECRET_DATABASE_PASSWORD, a file named by "
                "ESCALATION_SECRET_DATABASE_PASSWORD_FILE, or the systemd credential "
                "'database_password' (see docs/service.md)")
        return public_url(value)
    except SharedDBError as exc:
        raise ValueError(str(exc)) from None


TOP: dict[str, Callable[[Any], Any]] = {
    "database_url": _database_url,
    "state_dir": _path,
    "listen": parse_listen,
    "tls_cert": _path,
    "tls_key": _path,
    "takeover_seconds": _seconds,
    "instance": _text,
    "log_format": _choice(LOG_FORMATS),
    "log_level": _choice(LOG_LEVELS),
}


def _notify_defaults() -> dict[str, Any]:
    return {k: ({**v, **_NOTIFY_EXTRA.get(k, {})} if isinstance(v, dict) else v)
            for k, v in NOTIFY_DEFAULTS.items()}


def _notify_schema() -> dict[KeyPath, Callable[[Any], Any]]:
    """One parser per leaf of the console's ``notify`` settings, typed by its default."""
    out: dict[KeyPath, Callable[[Any], Any]] = {}
    for key, default in _notify_defaults().items():
        leaves = default.items() if isinstance(default, dict) else [(None, default)]
        for leaf, value in leaves:
            path = (key,) if leaf is None else (key, leaf)
            out[path] = (_boolean if isinstance(value, bool) else
                         _integer if isinstance(value, int) else
                         _number if isinstance(value, float) else _string)
    return out


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {value!r}")
    return value


NOTIFY = _notify_schema()


def _positive_int(value: Any) -> int:
    number = _integer(value)
    if number < 1:
        raise ValueError(f"expected a whole number of 1 or more, got {value!r}")
    return number


# The HTTP endpoint's limits (console/service/http/server.py Limits; unset: its default).
HTTP: dict[KeyPath, Callable[[Any], Any]] = {
    ("max_body_bytes",): _positive_int,
    ("rate_per_second",): _seconds,
    ("burst",): _positive_int,
}
# the notify keys that are tables (``email``, ``slack``...), leaves or none
NOTIFY_TABLES = {k for k, v in _notify_defaults().items() if isinstance(v, dict)}


def env_name(path: KeyPath) -> str:
    """The environment variable for a setting: ``("notify", "email", "host")`` ->
    ``ESCALATION_SERVICE_NOTIFY_EMAIL_HOST``."""
    return ENV_PREFIX + "_".join(path).upper()


def _dotted(path: KeyPath) -> str:
    return ".".join(path)


def _unknown(path: KeyPath, known: list[str]) -> str:
    name = path[-1]
    if _SECRET_WORDS.search(name):
        return ("unknown key; it looks like a secret, and secrets never go in the "
                "configuration: see docs/service.md, 'Secrets'")
    return f"unknown key; known here: {', '.join(sorted(known))}"


def _from_document(doc: Document) -> dict[KeyPath, tuple[Any, str]]:
    """Each setting the file gives: path -> (raw value, ``FILE:LINE``)."""
    out: dict[KeyPath, tuple[Any, str]] = {}
    for key, value in doc.data.items():
        if key == "notify":
            if not isinstance(value, dict):
                raise ConfigError(doc.where(("notify",)), "notify",
                                  "expected a table of notification settings")
            _notify_from_document(doc, value, out)
        elif key == "http":
            _http_from_document(doc, value, out)
        elif key in TOP:
            out[(key,)] = (value, doc.where((key,)))
        else:
            raise ConfigError(doc.where((key,)), key,
                              _unknown((key,), [*TOP, "notify", "http"]))
    return out


def _http_from_document(doc: Document, section: Any,
                        out: dict[KeyPath, tuple[Any, str]]) -> None:
    if not isinstance(section, dict):
        raise ConfigError(doc.where(("http",)), "http", "expected a table of HTTP limits")
    for key, value in section.items():
        path = ("http", key)
        if (key,) not in HTTP:
            raise ConfigError(doc.where(path), _dotted(path),
                              _unknown(path, [p[0] for p in HTTP]))
        out[path] = (value, doc.where(path))


def _notify_from_document(doc: Document, section: dict[str, Any],
                          out: dict[KeyPath, tuple[Any, str]]) -> None:
    for key, value in section.items():
        path = ("notify", key)
        if (key,) in NOTIFY:
            out[path] = (value, doc.where(path))
        elif key in NOTIFY_TABLES:
            if not isinstance(value, dict):
                raise ConfigError(doc.where(path), _dotted(path), "expected a table")
            for leaf, leaf_value in value.items():
                leaf_path = (*path, leaf)
                if (key, leaf) not in NOTIFY:
                    known = [p[1] for p in NOTIFY if len(p) == 2 and p[0] == key]
                    raise ConfigError(doc.where(leaf_path), _dotted(leaf_path),
                                      _unknown(leaf_path, known))
                out[leaf_path] = (leaf_value, doc.where(leaf_path))
        else:
            known = sorted({p[0] for p in NOTIFY} | NOTIFY_TABLES)
            raise ConfigError(doc.where(path), _dotted(path), _unknown(path, known))


def _from_environment(env: Mapping[str, str]) -> dict[KeyPath, tuple[Any, str]]:
    names: dict[str, KeyPath] = {env_name((k,)): (k,) for k in TOP}
    names.update({env_name(("notify", *p)): ("notify", *p) for p in NOTIFY})
    names.update({env_name(("http", *p)): ("http", *p) for p in HTTP})
    out: dict[KeyPath, tuple[Any, str]] = {}
    for variable, value in env.items():
        if not variable.startswith(ENV_PREFIX):
            continue
        path = names.get(variable)
        if path is None:
            raise ConfigError(f"${variable}", "", "unknown setting; see docs/service.md "
                                                 "for the ESCALATION_SERVICE_* variables")
        out[path] = (value, f"${variable}")
    return out


def load_config(path: str | Path | None, env: Mapping[str, str] | None = None
                ) -> ServiceConfig:
    """The file's settings (if given) with the environment's over them; raise
    ConfigError naming the file and line, or the variable, and the field."""
    env = os.environ if env is None else env
    doc = read_document(Path(path)) if path is not None else None
    raw = _from_document(doc) if doc is not None else {}
    raw.update(_from_environment(env))
    values: dict[KeyPath, Any] = {}
    for key, (value, where) in raw.items():
        parser = (TOP[key[0]] if len(key) == 1 else
                  HTTP[key[1:]] if key[0] == "http" else NOTIFY[key[1:]])
        if key == ("database_url",) and where.startswith("$"):
            parser = _env_database_url
        try:
            values[key] = parser(value)
        except ValueError as exc:
            raise ConfigError(where, _dotted(key), str(exc)) from None
    return _build(values, str(path) if path is not None else "")


def _env_database_url(value: Any) -> str:
    """From the environment a password in the URL is accepted (the environment is a
    secret source); secrets.database_password() takes it from there."""
    from console.store.server import SharedDBError, split_password

    try:
        split_password(_text(value))
    except SharedDBError as exc:
        raise ValueError(str(exc)) from None
    return str(value).strip()


def _build(values: dict[KeyPath, Any], source: str) -> ServiceConfig:
    url = values.get(("database_url",))
    if not url:
        raise ConfigError(source or "the environment", "database_url",
                          f"required: set it in the configuration file or "
                          f"${env_name(('database_url',))}")
    host, port = values.get(("listen",), parse_listen(DEFAULT_LISTEN))
    notify = {key: dict(default) if isinstance(default, dict) else default
              for key, default in _notify_defaults().items()}
    for key, value in values.items():
        if key[0] != "notify":
            continue
        if len(key) == 2:
            notify[key[1]] = value
        else:
            notify.setdefault(key[1], {})[key[2]] = value
    return ServiceConfig(
        database_url=url,
        state_dir=values.get(("state_dir",), Path(DEFAULT_STATE_DIR)),
        listen_host=host, listen_port=port,
        tls_cert=values.get(("tls_cert",)), tls_key=values.get(("tls_key",)),
        takeover_seconds=values.get(("takeover_seconds",), 15.0),
        instance=values.get(("instance",)) or default_instance(),
        log_format=values.get(("log_format",), "text"),
        log_level=values.get(("log_level",), "info"),
        notify=notify, source=source,
        http={key[1]: value for key, value in values.items() if key[0] == "http"})
