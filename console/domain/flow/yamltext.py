"""Matrix records to YAML text and back, in the shape people write by hand.

Key order is kept as loaded (``sort_keys=False``); small records (a tier, a team, a
step, a layout position) go on one line in flow style like the shipped files; every
top-level section is separated by a blank line. ``yaml.safe_dump`` guarantees that
loading the text gives back equal records, so saving without edits keeps the
meaning. Comments of the original file are not kept.
"""

from __future__ import annotations

from typing import Any

import yaml

from ..matrix.yamlpos import YamlSyntaxError, load_yaml
from .records import Records

FLOW_WIDTH = 130 # a mapping that would print longer than this goes in block style
LINE_WIDTH = 160
_UNICODE_BREAKS = "\x85\u2028\u2029\ufeff"


class _Dumper(yaml.SafeDumper):
    sections: frozenset[int] = frozenset()  # ids of top-level values: always block style

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # "  - item" under a key, like the shipped files (PyYAML's default is "- item")
        return super().increase_indent(flow, False)


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool) or (
        hasattr(value, "isoformat"))


def _flat(value: Any) -> bool:
    return _scalar(value) or (isinstance(value, list) and all(_scalar(v) for v in value))


def _width(value: Any) -> int:
    if isinstance(value, dict):
        return sum(len(str(k)) + _width(v) + 4 for k, v in value.items()) + 2
    if isinstance(value, list):
        return sum(_width(v) + 2 for v in value) + 2
    return len(str(value)) + 2


def _represent_dict(dumper: yaml.SafeDumper, data: dict[Any, Any]) -> yaml.Node:
    small = all(_flat(v) or (isinstance(v, dict) and all(_flat(x) for x in v.values()))
                for v in data.values())
    flow = (id(data) not in getattr(dumper, "sections", ()) and bool(data) and small
            and _width(data) <= FLOW_WIDTH)
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=flow)


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(_scalar(v) for v in data) and _width(data) <= FLOW_WIDTH
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    if any(ch in _UNICODE_BREAKS for ch in data):
        style: str | None = '"'  # PyYAML writes these as line breaks elsewhere: escape them
    else:
        style = "|" if "\n" in data else None  # multi-line text as a literal block
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(dict, _represent_dict)
_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(list, _represent_list)


def dump_records(records: Records, header: str = "") -> str:
    """YAML text for the records; ``header`` lines become ``#`` comments on top."""
    dumper = type("_SectionDumper", (_Dumper,), {
        "sections": frozenset(id(v) for v in records.values() if isinstance(v, dict))})
    body = yaml.dump(records, Dumper=dumper, sort_keys=False, allow_unicode=True,
                     width=LINE_WIDTH, default_flow_style=False)
    lines: list[str] = [f"# {line}".rstrip() for line in header.splitlines()]
    previous = ""
    for line in body.splitlines():
        top = bool(line) and not line[0].isspace() and not line.startswith(("-", "#"))
        if top and previous and (line.endswith(":") or previous[0].isspace()):
            lines.append("")  # a blank line around each top-level section
        lines.append(line)
        previous = line
    return "\n".join(lines) + "\n"


def load_records(text: str) -> Records:
    """Plain records from YAML text (no validation; see validate.check_records).
    Raise ValueError ("line 3, column 5: ...") on text ``matrix validate`` refuses to
    parse, hostile files (deep nesting, alias bombs) included."""
    try:
        data = load_yaml(text)
    except YamlSyntaxError as exc:
        raise ValueError(f"line {exc.mark.line}, column {exc.mark.column}: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError("a matrix file must be a mapping")
    return data
