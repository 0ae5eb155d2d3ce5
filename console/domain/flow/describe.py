"""Short words for records: node lines, edge labels and diff sentences share them."""

from __future__ import annotations

from typing import Any

from ..durations import format_duration, parse_duration

MAX_LINE = 40


def dur(value: Any) -> str:
    """``60m`` -> ``1h``; text that is not a duration stays as written."""
    try:
        return format_duration(parse_duration(value))
    except (ValueError, TypeError):
        return "" if value is None else str(value)


def same_duration(a: Any, b: Any) -> bool:
    try:
        return parse_duration(a) == parse_duration(b)
    except (ValueError, TypeError):
        return bool(a == b)


def listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def clip(text: str, limit: int = MAX_LINE) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def join_words(values: list[Any], limit: int = 3) -> str:
    words = [str(v) for v in values]
    if len(words) > limit:
        return ", ".join(words[:limit]) + f" +{len(words) - limit}"
    return ", ".join(words)


def _range(value: Any) -> str:
    if isinstance(value, dict):
        parts = [f"{word} {value[op]:g}" for op, word in
                 (("gt", ">"), ("gte", "≥"), ("lt", "<"), ("lte", "≤"))
                 if isinstance(value.get(op), int | float)]
        return " ".join(parts)
    return f"= {value}"


def conditions(when: Any) -> list[str]:
    """A trigger's or criterion's conditions, one short phrase each."""
    if not isinstance(when, dict):
        return []
    out: list[str] = []
    for key, value in when.items():
        if key == "unresolved_for":
            out.append(f"unresolved for {dur(value)}")
        elif key == "sentiment" and isinstance(value, dict):
            bits = []
            if value.get("below") is not None:
                bits.append(f"below {value['below']}")
            if value.get("phrases"):
                bits.append(f"{len(listed(value['phrases']))} phrases")
            out.append("sentiment " + " or ".join(bits))
        elif key == "sla" and isinstance(value, dict):
            out.append(f"{value.get('clock')} {str(value.get('state', '')).replace('_', '-')}")
        elif key == "keywords":
            out.append(f"keywords {join_words(listed(value), 2)}")
        elif key == "users_affected_pct":
            out.append(f"users {_range(value)}%")
        elif key in ("revenue_risk", "security_breach"):
            out.append(key.replace("_", " ") + ("" if value else " (no)"))
        else:
            out.append(f"{key.replace('_', ' ')} {join_words(listed(value))}")
    return out


def action(raw: Any) -> str:
    """One trigger action in words."""
    if not isinstance(raw, dict) or len(raw) != 1:
        return "malformed action"
    (kind, value), = raw.items()
    if kind == "escalate" and isinstance(value, dict):
        target = value.get("team") or ("one tier up" if value.get("to") == "up"
                                       else value.get("to"))
        return f"escalate {value.get('kind', '?')}ly to {target}"
    if kind == "notify":
        return f"notify chain {value}"
    if kind == "bump_severity":
        return f"bump severity to {value}" if isinstance(value, str) else (
            f"bump severity {value} level{'s' if value != 1 else ''}")
    if kind == "require_handoff":
        return "require a handoff" if value else "no handoff"
    if kind == "prioritize":
        return f"prioritize {value}"
    return f"{kind} {value}"


def targets(raw: Any) -> list[str]:
    """``respond 15m · update 30m`` and ``resolve 2h · 24x7``."""
    if not isinstance(raw, dict):
        return ["no targets"]
    first = [f"{word} {dur(raw[key])}" for key, word in
             (("response", "respond"), ("update", "update")) if raw.get(key) is not None]
    second = [f"resolve {dur(raw['resolution'])}"] if raw.get("resolution") is not None else []
    second.append(str(raw.get("calendar", "?")))
    return [" · ".join(first) or "no response target", " · ".join(second)]


def amount(limit: Any, unit: Any) -> str:
    if limit is None:
        return "no limit"
    text = f"{limit:g}" if isinstance(limit, int | float) else str(limit)
    return f"≤ {text} {unit}".rstrip() if unit else f"≤ {text}"
