"""Reading the service's configuration file: TOML or YAML to plain data, keeping the
line of every key so that a later error can name ``FILE:LINE``.

TOML goes through ``tomllib`` (which reports no positions, so a small scan of the
text finds the line that sets a key). YAML goes through the matrix loader's safe,
position-keeping parser (``console.domain.matrix.yamlpos``): the same limits against
hostile files, and duplicate keys refused.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from console.domain.matrix.yamlpos import YamlSyntaxError, load_located

KeyPath = tuple[str, ...]


class ConfigError(ValueError):
    """A bad setting: ``WHERE: FIELD: MESSAGE`` in one line, where WHERE is
    ``FILE:LINE``, ``FILE`` or the environment variable that gave the value."""

    def __init__(self, where: str, field: str, message: str) -> None:
        self.where, self.field, self.message = where, field, message
        super().__init__(f"{where}: {field}: {message}" if field else f"{where}: {message}")


@dataclass
class Document:
    """A parsed configuration file: its data and a way to find a key's line."""

    path: Path
    data: dict[str, Any]
    line_of: Callable[[KeyPath], int | None]

    def where(self, key: KeyPath) -> str:
        """``FILE:LINE`` of a key (or of its nearest parent found), else ``FILE``."""
        line = self.line_of(key)
        return f"{self.path}:{line}" if line else str(self.path)


def read_document(path: Path) -> Document:
    """Parse a ``.toml``, ``.yaml`` or ``.yml`` file into a :class:`Document`; raise
    ConfigError naming the file (and the line, for a syntax error)."""
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".yaml", ".yml"):
        raise ConfigError(str(path), "", "unknown configuration format; name the file "
                                         "*.toml, *.yaml or *.yml")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(str(path), "", "no such file") from None
    except OSError as exc:
        raise ConfigError(str(path), "", f"cannot read it: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}", "", "not UTF-8 text") from None
    return _toml(path, text) if suffix == ".toml" else _yaml(path, text)


_TOML_POS = re.compile(r"\(at line (\d+), column \d+\)")


def _toml(path: Path, text: str) -> Document:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _TOML_POS.search(message)
        where = f"{path}:{found.group(1)}" if found else str(path)
        detail = _TOML_POS.sub("", message).strip().rstrip(".")
        raise ConfigError(where, "", f"malformed TOML: {detail}") from None
    lines = _toml_key_lines(text)

    def line_of(key: KeyPath) -> int | None:
        for n in range(len(key), 0, -1):  # the key, else its nearest parent
            if key[:n] in lines:
                return lines[key[:n]]
        return None

    return Document(path, data, line_of)


_HEADER = re.compile(r"^\s*\[\[?\s*([^\[\]]+?)\s*\]\]?")
_KEY = re.compile(r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
                  r"""(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")


def _split_key(text: str) -> KeyPath:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", text)
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in parts)


def _toml_key_lines(text: str) -> dict[KeyPath, int]:
    """The first line that sets each key path (a table header sets its own path), for
    error messages only: a line inside a multi-line string that reads like ``key = x``
    could be mistaken for one, and the service's settings have no multi-line values."""
    lines: dict[KeyPath, int] = {}
    table: KeyPath = ()
    for number, line in enumerate(text.splitlines(), 1):
        header = _HEADER.match(line)
        if header:
            table = _split_key(header.group(1))
            lines.setdefault(table, number)
            continue
        key = _KEY.match(line)
        if key:
            lines.setdefault((*table, *_split_key(key.group(1))), number)
    return lines


def _yaml(path: Path, text: str) -> Document:
    try:
        located = load_located(text)
    except YamlSyntaxError as exc:
        raise ConfigError(f"{path}:{exc.mark.line}", "", str(exc)) from None
    data = located.data if located.data is not None else {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1", "", "the file must hold a mapping of settings "
                                          "(key: value lines)")

    def line_of(key: KeyPath) -> int | None:
        mark = located.key_marks.get(tuple(key)) or located.mark_for(tuple(key))
        return mark.line

    return Document(path, data, line_of)
