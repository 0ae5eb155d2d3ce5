"""Plain matrix records (what ``yaml.safe_load`` gives) addressed by node ids.

Every flowchart node stands for one record: ``severity:P1`` is the severity with id
P1, ``step:p1-page/0`` the first step of chain p1-page, ``authority:refund/t1_agent``
the authority row for that action and role. Edits copy the records and never change
the caller's dict, so an undo stack can keep the before and after states.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from ..matrix.format import ID, MATRIX_SPEC
from .errors import InvalidId, UnknownNode

Records = dict[str, Any]

# node kind -> the top-level section that holds its records
SECTION = {"severity": "severities", "trigger": "triggers", "tier": "tiers", "team": "teams",
           "contact": "contacts", "step": "chains", "authority": "authority"}
UP = "up:next-tier"  # the pseudo node for "escalate one tier up"
_ID = re.compile(ID)


def copy_records(records: Records) -> Records:
    return copy.deepcopy(records)


def node_id(kind: str, key: str) -> str:
    return f"{kind}:{key}"


def split_node_id(nid: str) -> tuple[str, str]:
    kind, _, key = nid.partition(":")
    return kind, key


def step_key(chain: str, index: int) -> str:
    return f"{chain}/{index}"


def split_step_key(key: str) -> tuple[str, int]:
    chain, _, index = key.rpartition("/")
    return chain, int(index)


def authority_key(row: dict[str, Any]) -> str:
    return f"{row.get('action')}/{row.get('role')}"


def check_id(value: str, what: str = "id") -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise InvalidId(f"{value!r} is not a valid {what}: use letters, digits, - _ .")
    return value


def items(records: Records, section: str) -> list[Any]:
    value = records.get(section)
    return value if isinstance(value, list) else []


def mapping(records: Records, section: str) -> dict[str, Any]:
    value = records.get(section)
    return value if isinstance(value, dict) else {}


def ids(records: Records, section: str) -> list[str]:
    return [r["id"] for r in items(records, section)
            if isinstance(r, dict) and isinstance(r.get("id"), str)]


def find(records: Records, section: str, rid: str) -> dict[str, Any] | None:
    for r in items(records, section):
        if isinstance(r, dict) and r.get("id") == rid:
            return r
    return None


def index_of(records: Records, section: str, rid: str) -> int:
    for i, r in enumerate(items(records, section)):
        if isinstance(r, dict) and r.get("id") == rid:
            return i
    raise UnknownNode(f"there is no {section[:-1]} {rid!r}")


def record_for(records: Records, nid: str) -> dict[str, Any]:
    """The (mutable) record a node stands for; raise UnknownNode."""
    kind, key = split_node_id(nid)
    if kind == "step":
        chain, index = split_step_key(key)
        steps = mapping(records, "chains").get(chain, {}).get("steps") or []
        if not 0 <= index < len(steps):
            raise UnknownNode(f"chain {chain!r} has no step {index + 1}")
        step: dict[str, Any] = steps[index]
        return step
    if kind == "authority":
        for row in items(records, "authority"):
            if isinstance(row, dict) and authority_key(row) == key:
                return row
        raise UnknownNode(f"there is no authority row {key!r}")
    if kind not in SECTION:
        raise UnknownNode(f"{nid!r} is not a matrix record")
    found = find(records, SECTION[kind], key)
    if found is None:
        raise UnknownNode(f"there is no {kind} {key!r}")
    return found


def ensure_section(records: Records, name: str, empty: Any) -> Any:
    """``records[name]``, created empty in the format's key order when missing."""
    if isinstance(records.get(name), type(empty)):
        return records[name]
    order = list(MATRIX_SPEC.fields)
    position = order.index(name) if name in order else len(order)
    rebuilt: Records = {}
    placed = False
    for key, value in records.items():
        rank = order.index(key) if key in order else len(order)
        if not placed and rank > position:
            rebuilt[name] = empty
            placed = True
        if key != name:
            rebuilt[key] = value
    if not placed:
        rebuilt[name] = empty
    records.clear()
    records.update(rebuilt)
    return records[name]


def layout_of(records: Records) -> dict[str, Any]:
    return mapping(records, "layout")
