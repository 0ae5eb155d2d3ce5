"""YAML text to plain Python data, keeping the line and column of every node.

Loading goes text -> YAML node tree (``yaml.compose``) -> plain records plus a
position map, so every later error can name ``FILE:LINE:COL``. Parsing a string is
not I/O; callers read the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Mark:
    line: int  # 1-based
    column: int  # 1-based


class YamlSyntaxError(ValueError):
    """Malformed YAML, with the position where the parser gave up."""

    def __init__(self, message: str, mark: Mark) -> None:
        super().__init__(message)
        self.mark = mark


@dataclass(slots=True)
class Located:
    """Plain data from a YAML document and where each piece came from."""

    data: Any
    marks: dict[Path, Mark]
    key_marks: dict[Path, Mark]  # where a mapping key itself was written

    def mark_for(self, path: Path) -> Mark:
        """The closest known position for ``path``: the node, else its nearest parent."""
        probe = tuple(path)
        while probe:
            if probe in self.marks:
                return self.marks[probe]
            probe = probe[:-1]
        return self.marks.get((), Mark(1, 1))


def _mark(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


def load_located(text: str) -> Located:
    """Parse one YAML document. Raise YamlSyntaxError on malformed input or duplicate keys."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        pos = Mark(mark.line + 1, mark.column + 1) if mark else Mark(1, 1)
        raise YamlSyntaxError(f"malformed YAML: {exc.problem or exc}", pos) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"malformed YAML: {exc}", Mark(1, 1)) from None
    marks: dict[Path, Mark] = {}
    key_marks: dict[Path, Mark] = {}
    if root is None:
        return Located(None, {(): Mark(1, 1)}, key_marks)
    constructor = yaml.SafeLoader("")

    def construct(node: yaml.Node) -> Any:
        try:
            return constructor.construct_object(node, deep=True)
        except ValueError:  # looks like a date but is not one (2026-13-01): keep the text
            return node.value
        except yaml.YAMLError as exc:  # e.g. an unknown !tag
            raise YamlSyntaxError(f"malformed YAML: {getattr(exc, 'problem', None) or exc}",
                                  _mark(node)) from None

    def build(node: yaml.Node, path: Path) -> Any:
        marks[path] = _mark(node)
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = construct(key_node)
                if isinstance(key, list | dict):
                    raise YamlSyntaxError("a mapping key must be a plain value", _mark(key_node))
                key = key if isinstance(key, str) else str(key)
                if key in out:
                    raise YamlSyntaxError(f"duplicate key {key!r}", _mark(key_node))
                key_marks[(*path, key)] = _mark(key_node)
                out[key] = build(value_node, (*path, key))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [build(child, (*path, i)) for i, child in enumerate(node.value)]
        return construct(node)

    return Located(build(root, ()), marks, key_marks)


def format_path(path: Path) -> str:
    """``("severities", 2, "targets", "response")`` -> ``severities[2].targets.response``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
