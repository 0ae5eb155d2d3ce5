"""A small declarative schema: one description of the format checks plain records
(collecting every problem, with "did you mean" hints) and exports a JSON Schema."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from ..durations import parse_duration
from .yamlpos import Path


@dataclass(frozen=True, slots=True)
class Problem:
    path: Path
    message: str
    at_key: bool = False  # about the mapping key itself (unknown or invalid), not its value


class Spec:
    description: str = ""

    def check(self, value: Any, path: Path, out: list[Problem]) -> None:  # pragma: no cover
        raise NotImplementedError

    def schema(self) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError

    def _with_doc(self, schema: dict[str, Any]) -> dict[str, Any]:
        if self.description:
            schema["description"] = self.description
        return schema


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing"
    return {bool: "true/false", int: "a number", float: "a number", str: "text",
            list: "a list", dict: "a mapping"}.get(type(value), type(value).__name__)


@dataclass(slots=True)
class Str(Spec):
    description: str = ""
    enum: tuple[str, ...] | None = None
    pattern: str | None = None
    hint: str = ""

    def check(self, value: Any, path: Path, out: list[Problem]) -> None:
        if not isinstance(value, str):
            out.append(Problem(path, f"expected text, got {_type_name(value)}"))
        elif self.enum is not None and value not in self.enum:
            out.append(Problem(path, f"{value!r} is not one of {', '.join(self.enum)}"
                               + _did_you_mean(value, self.enum)))
        elif self.pattern is not None and not re.fullmatch(self.pattern, value):
            hint = f": {self.hint}" if self.hint else ""
            out.append(Problem(path, f"{value!r} is not valid{hint}"))

    def schema(self) -> dict[str, Any]:
        s: dict[str, Any] = {"type": "string"}
        if self.enum is not None:
            s["enum"] = list(self.enum)
        if self.pattern is not None:
            s["pattern"] = f"^(?:{self.pattern})$"
        return self._with_doc(s)


@dataclass(slots=True)
class Num(Spec):
    description: str = ""
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False

    def check(self, value: Any, path: Path, out: list[Problem]) -> None:
        ok = isinstance(value, int) if self.integer else isinstance(value, int | float)
        if not ok or isinstance(value, bool):
            want = "a whole number" if self.integer else "a number"
            out.append(Problem(path, f"expected {want}, got {_type_name(value)}"))
        elif self.minimum is not None and value < self.minimum:
            out.append(Problem(path, f"{value} is below the minimum {self.minimum:g}"))
        elif self.maximum is not None and value > self.maximum:
            out.append(Problem(path, f"{value} is above the maximum {self.maximum:g}"))

    def schema(self) -> dict[str, Any]:
        s: dict[str, Any] = {"type": "integer" if self.integer else "number"}
        if self.minimum is not None:
            s["minimum"] = self.minimum
        if self.maximum is not None:
            s["maximum"] = self.maximum
        return self._with_doc(s)


@dataclass(slots=True)
class Bool(Spec):
    description: str = ""

    def check(self, value: Any, path: Path, out: list[Problem]) -> None:
        if not isinstance(value, bool):
            out.append(Problem(path, f"expected true or false, got {_type_name(value)}"))

    def schema(self) -> dict[str, Any]:
        return self._with_doc({"type": "boolean"})


DURATION_PATTERN = r"\s*(?:\d+\s*[smhdwSMHDW]\s*)+"


@dataclass(slots=True)
class Duration(Spec):
    description: str = ""

    def check(self, value: Any, path: Path, out: list[Problem]) -> None:
        try:
            parse_duration(value)
        except ValueError as exc:
            out.append(Problem(path, str(exc) if isinstance(value, str)
                               else f"expected a duration like 15m or 1h, got {_type_name(value)}"))

    def schema(self) -> dict[str, Any]:
        return self._with_doc({"type": "string", "pattern": f"^{DURATION_PATTERN}$",
                               "examples": ["15m", "1h", "1h30m", "7d"]})


@dataclass(slots=True)
class Date(Spec):
    description: str = ""

    def check(self, value: Any, path: Path, out: list[Problem]) -> None:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return
        if isinstance(value, str):
            try:
                dt.date.fromisoformat(value)
                return
            except ValueError:
                pass
        out.append(Problem(path, f"expected a date like 2026-12-24, got {value!r}"))

    def schema(self) -> dict[str, Any]:
        return self._with_doc({"type": "string", "format": "date"})


@dataclass(slots=True)
class ListOf(Spec):
    item: Spec
    description: str = ""
    min_items: int = 0

    def check(self, value: Any, path: Path, out: list[Problem]) -> None:
        if not isinstance(value, list):
            out.append(Problem(path, f"expected a list, got {_type_name(value)}"))
            return
        if len(value) < self.min_items:
            out.append(Problem(path, f"needs at least {self.min_items} item(s)"))
        for i, item in enumerate(value):
            self.item.check(item, (*path, i), out)

    def schema(self) -> dict[str, Any]:
        s: dict[str, Any] = {"type": "array", "items": self.item.schema()}
        if self.min_items:
            s["minItems"] = self.min_items
        return self._with_doc(s)


@dataclass(slots=True)
class MapOf(Spec):
    value: Spec
    description: str = ""
    key_pattern: str = r"[A-Za-z0-9_.\-]+"
    min_items: int = 0

    def check(self, value: Any, path: Path, out: list[Problem]) -> None:
        if not isinstance(value, dict):
            out.append(Problem(path, f"expected a mapping, got {_type_name(value)}"))
            return
        if len(value) < self.min_items:
            out.append(Problem(path, f"needs at least {self.min_items} entry"))
        for key, item in value.items():
            if not re.fullmatch(self.key_pattern, key):
                out.append(Problem((*path, key),
                                   f"{key!r} is not a valid id (letters, digits, - _ .)",
                                   at_key=True))
            self.value.check(item, (*path, key), out)

    def schema(self) -> dict[str, Any]:
        return self._with_doc({"type": "object", "additionalProperties": self.value.schema(),
                               "propertyNames": {"pattern": f"^{self.key_pattern}$"}})


@dataclass(slots=True)
class Field:
    spec: Spec
    required: bool = False


@dataclass(slots=True)
class Obj(Spec):
    fields: dict[str, Field]
    description: str = ""
    exactly_one: bool = False  # a one-key mapping such as an action

    def check(self, value: Any, path: Path, out: list[Problem]) -> None:
        if not isinstance(value, dict):
            out.append(Problem(path, f"expected a mapping, got {_type_name(value)}"))
            return
        for key, item in value.items():
            f = self.fields.get(key)
            if f is None:
                out.append(Problem((*path, key), f"unknown key {key!r}"
                                   + _did_you_mean(key, self.fields), at_key=True))
            else:
                f.spec.check(item, (*path, key), out)
        for name, f in self.fields.items():
            if f.required and name not in value:
                out.append(Problem(path, f"missing required key {name!r}"))
        if self.exactly_one and len(value) != 1:
            out.append(Problem(path, f"expected exactly one of {', '.join(self.fields)}, "
                               f"got {len(value)}"))

    def schema(self) -> dict[str, Any]:
        s: dict[str, Any] = {
            "type": "object",
            "properties": {k: f.spec.schema() for k, f in self.fields.items()},
            "additionalProperties": False,
        }
        required = [k for k, f in self.fields.items() if f.required]
        if required:
            s["required"] = required
        if self.exactly_one:
            s["minProperties"] = s["maxProperties"] = 1
        return self._with_doc(s)


@dataclass(slots=True)
class OneOf(Spec):
    """Alternatives told apart by the value's Python type (text, list, mapping...)."""

    options: list[tuple[type | tuple[type, ...], Spec]] = field(default_factory=list)
    description: str = ""
    expected: str = ""

    def check(self, value: Any, path: Path, out: list[Problem]) -> None:
        for kinds, spec in self.options:
            is_bool_mismatch = isinstance(value, bool) and bool not in _flat(kinds)
            if isinstance(value, kinds) and not is_bool_mismatch:
                spec.check(value, path, out)
                return
        out.append(Problem(path, f"expected {self.expected}, got {_type_name(value)}"))

    def schema(self) -> dict[str, Any]:
        return self._with_doc({"anyOf": [spec.schema() for _, spec in self.options]})


def _flat(kinds: type | tuple[type, ...]) -> tuple[type, ...]:
    return kinds if isinstance(kinds, tuple) else (kinds,)


def _did_you_mean(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""
