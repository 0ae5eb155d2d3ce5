"""YAML text to plain Python data, keeping the line and column of every node.

Loading goes text -> parser events (nesting depth checked before anything recursive
sees them) -> YAML node tree -> plain records plus a position map, so every later
error can name ``FILE:LINE:COL``. Hostile files (deep nesting, recursive aliases,
alias bombs) get such an error too, quickly. Parsing a string is not I/O; callers read
the file.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any, cast

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

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


def lone_surrogate(value: str) -> str | None:
    """Why ``value`` is not text when it holds half of a UTF-16 surrogate pair (only an
    escape such as "\\udcff" can put one there; no file, store or screen takes it)."""
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            return (f"contains \\u{ord(value[exc.start]):04x}, half of a surrogate pair, "
                    "which is not text")
    return None


class _Lines:
    """Line and column (1-based) of a character offset, with lines ending at "\\n" as
    editors and grep count them: PyYAML's own marks also break lines at U+2028, U+0085
    and a lone "\\r", which would name lines the file does not show."""

    def __init__(self, text: str) -> None:
        self._breaks = [m.start() for m in re.finditer("\n", text)]
        self._bom = text.startswith("\ufeff")  # not a column anyone sees

    def at(self, index: int) -> Mark:
        line = bisect.bisect_left(self._breaks, index)
        start = self._breaks[line - 1] + 1 if line else int(self._bom)
        return Mark(line + 1, max(index - start, 0) + 1)

    def of(self, node: yaml.Node | yaml.Event) -> Mark:
        start = node.start_mark
        return self.at(start.index) if start is not None else Mark(1, 1)


# A matrix is at most about 8 levels deep; the cap keeps PyYAML's composer and our own
# walks far from Python's recursion limit, whatever a file holds.
MAX_DEPTH = 32
# Values that aliases may add in one document: a shared list used in a few dozen places
# is far below it; nested aliases (an "alias bomb") would grow exponentially.
MAX_ALIAS_VALUES = 10_000


def _events(text: str, lines: _Lines) -> list[yaml.Event]:
    """The parser's events, refusing nesting deeper than MAX_DEPTH before anything
    recursive (the composer) sees them. The parser itself keeps an explicit stack."""
    parser = yaml.SafeLoader(text)
    events: list[yaml.Event] = []
    depth = 0
    try:
        while parser.check_event():
            event: yaml.Event = parser.get_event()  # type: ignore[no-untyped-call]  # untyped stub
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise YamlSyntaxError(f"nested more than {MAX_DEPTH} levels deep; a "
                                          "matrix needs far fewer (an unclosed '[' or '{'?)",
                                          lines.of(event))
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            events.append(event)
    finally:
        parser.dispose()
    return events


class _Replay(Composer, SafeConstructor, Resolver):
    """Composes nodes from checked events. An alias becomes a node of its own, marked
    where the alias is written and sharing the anchored node's value, so later errors
    (recursion, expansion) point at the alias."""

    def __init__(self, events: list[yaml.Event]) -> None:
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self._events, self._next = events, 0

    def check_event(self, *choices: type) -> bool:
        if self._next >= len(self._events):
            return False
        return not choices or isinstance(self._events[self._next], choices)

    def peek_event(self) -> yaml.Event:
        return self._events[self._next]

    def get_event(self) -> yaml.Event:
        self._next += 1
        return self._events[self._next - 1]

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if not self.check_event(yaml.AliasEvent):
            return super().compose_node(parent, index)
        event = self.peek_event()
        target = super().compose_node(parent, index)  # raises on an undefined alias
        if target is None:
            return None
        # the pure-Python parser's marks (the stubs also allow the C parser's)
        start, end = cast("yaml.Mark | None", event.start_mark), cast("yaml.Mark | None",
                                                                       event.end_mark)
        alias = type(target)(target.tag, target.value, start, end)
        alias.alias_of = event.anchor  # type: ignore[attr-defined]  # our mark on the node
        return alias


def _alias_of(node: yaml.Node) -> str | None:
    """The anchor an alias was written with (set by ``_Replay``), else None."""
    anchor = getattr(node, "alias_of", None)
    return anchor if isinstance(anchor, str) else None


def _compose(text: str, lines: _Lines) -> yaml.Node | None:
    try:
        return _Replay(_events(text, lines)).get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        pos = lines.at(mark.index) if mark else Mark(1, 1)
        raise YamlSyntaxError(f"malformed YAML: {exc.problem or exc}", pos) from None
    except yaml.reader.ReaderError as exc:  # a control character, a lone surrogate
        raise YamlSyntaxError(f"malformed YAML: character U+{exc.character:04X} is not "
                              "allowed in YAML text", lines.at(exc.position)) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"malformed YAML: {exc}", Mark(1, 1)) from None


def load_located(text: str) -> Located:
    """Parse one YAML document. Raise YamlSyntaxError on malformed input, duplicate keys,
    nesting deeper than MAX_DEPTH, recursive aliases or aliases expanding to more than
    MAX_ALIAS_VALUES values; each error carries the line concerned."""
    lines = _Lines(text)
    root = _compose(text, lines)
    mark = lines.of
    marks: dict[Path, Mark] = {}
    key_marks: dict[Path, Mark] = {}
    if root is None:
        return Located(None, {(): Mark(1, 1)}, key_marks)
    constructor = _Replay([])
    aliases: list[yaml.Node] = []  # the aliases being expanded, outermost first
    open_values: set[int] = set()  # the collections being built (their shared value lists)
    expanded = 0

    def construct(node: yaml.Node) -> Any:
        try:
            value = constructor.construct_object(node, deep=True)
        except ValueError:  # looks like a date but is not one (2026-13-01): keep the text
            value = node.value
        except yaml.YAMLError as exc:  # e.g. an unknown !tag
            raise YamlSyntaxError(f"malformed YAML: {getattr(exc, 'problem', None) or exc}",
                                  mark(node)) from None
        reason = lone_surrogate(value) if isinstance(value, str) else None
        if reason:
            raise YamlSyntaxError(f"this value {reason}", mark(node))
        return value

    def build(node: yaml.Node, path: Path, depth: int) -> Any:
        nonlocal expanded
        alias = _alias_of(node)
        if alias is not None:
            aliases.append(node)
        if aliases:
            expanded += 1
            if expanded > MAX_ALIAS_VALUES:
                raise YamlSyntaxError(
                    f"aliases expand to more than {MAX_ALIAS_VALUES:,} values by this one "
                    f"(*{_alias_of(aliases[0])}); a matrix needs far fewer: write the values "
                    "out", mark(aliases[0]))
        marks[path] = mark(node)
        if isinstance(node, yaml.CollectionNode):
            if id(node.value) in open_values:
                raise YamlSyntaxError(f"alias *{alias} refers to a value that contains it; "
                                      "a matrix value cannot contain itself", mark(node))
            if depth > MAX_DEPTH:  # aliases can nest what the text nests shallowly
                where = aliases[0] if aliases else node
                raise YamlSyntaxError(f"nested more than {MAX_DEPTH} levels deep once "
                                      "aliases are expanded", mark(where))
            open_values.add(id(node.value))
            try:
                out = build_collection(node, path, depth)
            finally:
                open_values.discard(id(node.value))
        else:
            out = construct(node)
        if alias is not None:
            aliases.pop()
        return out

    def build_collection(node: yaml.CollectionNode, path: Path, depth: int) -> Any:
        if isinstance(node, yaml.SequenceNode):
            return [build(child, (*path, i), depth + 1) for i, child in enumerate(node.value)]
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlSyntaxError("a mapping key must be a plain value", mark(key_node))
            key = construct(key_node)
            key = key if isinstance(key, str) else str(key)
            if key in out:
                raise YamlSyntaxError(f"duplicate key {key!r}", mark(key_node))
            key_marks[(*path, key)] = mark(key_node)
            out[key] = build(value_node, (*path, key), depth + 1)
        return out

    return Located(build(root, (), 1), marks, key_marks)


def load_yaml(text: str) -> Any:
    """Plain data from YAML text typed or opened by a person, with the same limits as
    ``load_located``. Raise YamlSyntaxError (a ValueError) with the line concerned."""
    return load_located(text).data


def format_path(path: Path) -> str:
    """``("severities", 2, "targets", "response")`` -> ``severities[2].targets.response``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
