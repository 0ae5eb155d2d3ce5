"""Edit operations on plain matrix records: set a value, add and remove records.

Each function takes the records and returns new ones; the input is never changed,
so an undo command can keep both states. Removing a record also removes the
optional references to it (a severity's route, a trigger's action, a backup); a
required reference (a team's tier, a step's primary) is left for validation to
report on the node, where the lead sees and fixes it.
"""

from __future__ import annotations

from typing import Any

from .errors import DuplicateId, FlowEditError, UnknownNode
from .records import (
    SECTION,
    UP,
    Records,
    authority_key,
    check_id,
    copy_records,
    ensure_section,
    find,
    ids,
    index_of,
    items,
    layout_of,
    mapping,
    node_id,
    record_for,
    split_node_id,
    split_step_key,
    step_key,
)

Path = tuple[str | int, ...]
Point = tuple[float, float]
CLOCKS = ("response", "update", "resolution")


# -- setting values -------------------------------------------------------------------------
def set_path(records: Records, path: Path, value: Any) -> Records:
    """Set ``records[path]`` (None deletes the key), creating mappings on the way."""
    if not path:
        raise FlowEditError("an empty path names no value")
    out = copy_records(records)
    here: Any = out
    for part in path[:-1]:
        if isinstance(here, list):
            if not isinstance(part, int) or not 0 <= part < len(here):
                raise UnknownNode(f"there is no item {part!r} here")
            here = here[part]
        else:
            if not isinstance(here.get(part), dict | list):
                here[part] = {}
            here = here[part]
    last = path[-1]
    if isinstance(here, list):
        if not isinstance(last, int) or not 0 <= last < len(here):
            raise UnknownNode(f"there is no item {last!r} here")
        if value is None:
            del here[last]
        else:
            here[last] = value
    elif value is None:
        here.pop(last, None)
    else:
        here[last] = value
    return out


def set_field(records: Records, nid: str, field: Path, value: Any) -> Records:
    """Set a field of the record a node stands for (``("targets", "response")``)."""
    if field and field[0] == "id":
        raise FlowEditError("change an id with rename, which also updates its references")
    out = copy_records(records)
    row = record_for(out, nid)
    here: Any = row
    for part in field[:-1]:
        if not isinstance(here.get(part), dict):
            here[part] = {}
        here = here[part]
    if value is None:
        here.pop(field[-1], None)
    else:
        here[field[-1]] = value
    if split_node_id(nid)[0] == "authority" and field[0] in ("action", "role"):
        _rekey_layout(out, {nid: node_id("authority", authority_key(row))})
    return out


def set_target(records: Records, severity: str, clock: str, value: str | None) -> Records:
    """Set (or with None remove) a severity's response, update or resolution target."""
    if clock not in CLOCKS:
        raise FlowEditError(f"{clock!r} is not one of {', '.join(CLOCKS)}")
    return set_field(records, node_id("severity", severity), ("targets", clock), value)


# -- positions ------------------------------------------------------------------------------
def move(records: Records, positions: dict[str, Point]) -> Records:
    """Set node positions in the ``layout`` section (cheap: only the layout is copied)."""
    out = dict(records)
    layout = dict(layout_of(records))
    for nid, (x, y) in positions.items():
        layout[nid] = {"x": round(float(x), 1), "y": round(float(y), 1)}
    ensure_section(out, "layout", {})
    out["layout"] = layout
    return out


def set_layout(records: Records, positions: dict[str, Point] | None) -> Records:
    """Replace every position (None removes the layout section: automatic layout)."""
    out = dict(records)
    out.pop("layout", None)
    return out if positions is None else move(out, positions)


def _rekey_layout(records: Records, renames: dict[str, str]) -> None:
    layout = layout_of(records)
    if not layout or not renames:
        return
    records["layout"] = {renames.get(k, k): v for k, v in layout.items()}


def _drop_layout(records: Records, nids: set[str]) -> None:
    layout = layout_of(records)
    if layout:
        records["layout"] = {k: v for k, v in layout.items() if k not in nids}


def _place(records: Records, nid: str, at: Point | None) -> None:
    if at is not None:
        records.update(move(records, {nid: at}))


# -- adding -----------------------------------------------------------------------------------
def _append(records: Records, section: str, row: dict[str, Any], index: int | None) -> None:
    check_id(row["id"])
    if row["id"] in ids(records, section):
        raise DuplicateId(f"there is already a {section[:-1]} {row['id']!r}")
    rows = ensure_section(records, section, [])
    rows.insert(len(rows) if index is None else index, row)


def add_tier(records: Records, tid: str, name: str, level: int,
             at: Point | None = None) -> Records:
    out = copy_records(records)
    _append(out, "tiers", {"id": tid, "name": name, "level": level}, None)
    _place(out, node_id("tier", tid), at)
    return out


def add_team(records: Records, tid: str, name: str, tier: str, function: str = "support",
             at: Point | None = None) -> Records:
    out = copy_records(records)
    _append(out, "teams", {"id": tid, "name": name, "tier": tier, "function": function}, None)
    _place(out, node_id("team", tid), at)
    return out


def add_contact(records: Records, cid: str, name: str, at: Point | None = None,
                **fields: Any) -> Records:
    out = copy_records(records)
    _append(out, "contacts", {"id": cid, "name": name,
                              **{k: v for k, v in fields.items() if v is not None}}, None)
    _place(out, node_id("contact", cid), at)
    return out


def add_severity(records: Records, sid: str, name: str, color: str = "#757575",
                 response: str = "24h", calendar: str | None = None,
                 index: int | None = None, at: Point | None = None) -> Records:
    out = copy_records(records)
    calendar = calendar or next(iter(mapping(out, "calendars")), "24x7")
    _append(out, "severities", {"id": sid, "name": name, "color": color,
                                "targets": {"calendar": calendar, "response": response}}, index)
    _place(out, node_id("severity", sid), at)
    return out


def add_trigger(records: Records, tid: str, when: dict[str, Any] | None = None,
                then: list[dict[str, Any]] | None = None, description: str = "",
                at: Point | None = None) -> Records:
    out = copy_records(records)
    row: dict[str, Any] = {"id": tid}
    if description:
        row["description"] = description
    row["when"] = when if when is not None else {"unresolved_for": "24h"}
    row["then"] = then if then is not None else [{"require_handoff": True}]
    _append(out, "triggers", row, None)
    _place(out, node_id("trigger", tid), at)
    return out


def add_chain(records: Records, cid: str, primary: str, channel: str = "slack",
              ack_timeout: str | None = None, at: Point | None = None) -> Records:
    out = copy_records(records)
    check_id(cid, "chain id")
    chains = ensure_section(out, "chains", {})
    if cid in chains:
        raise DuplicateId(f"there is already a chain {cid!r}")
    step: dict[str, Any] = {"primary": primary, "channel": channel}
    if ack_timeout:
        step["ack_timeout"] = ack_timeout
    chains[cid] = {"steps": [step]}
    _place(out, node_id("step", step_key(cid, 0)), at)
    return out


def add_step(records: Records, chain: str, primary: str, channel: str = "slack",
             ack_timeout: str | None = None, backup: str | None = None,
             index: int | None = None, at: Point | None = None) -> Records:
    out = copy_records(records)
    found = mapping(out, "chains").get(chain)
    if not isinstance(found, dict):
        raise UnknownNode(f"there is no chain {chain!r}")
    steps = found.setdefault("steps", [])
    index = len(steps) if index is None else max(0, min(index, len(steps)))
    step: dict[str, Any] = {"primary": primary}
    if backup:
        step["backup"] = backup
    step["channel"] = channel
    if ack_timeout:
        step["ack_timeout"] = ack_timeout
    _rekey_layout(out, {node_id("step", step_key(chain, j)): node_id("step", step_key(chain, j + 1))
                        for j in range(index, len(steps))})
    steps.insert(index, step)
    _place(out, node_id("step", step_key(chain, index)), at)
    return out


def add_authority(records: Records, action: str, role: str, limit: float | None = None,
                  unit: str | None = None, at: Point | None = None) -> Records:
    out = copy_records(records)
    check_id(action, "action")
    row: dict[str, Any] = {"action": action, "role": role}
    if limit is not None:
        row["limit"] = limit
    if unit:
        row["unit"] = unit
    key = authority_key(row)
    if any(authority_key(r) == key for r in items(out, "authority") if isinstance(r, dict)):
        raise DuplicateId(f"{role} already has authority for {action}")
    ensure_section(out, "authority", []).append(row)
    _place(out, node_id("authority", key), at)
    return out


# -- removing ---------------------------------------------------------------------------------
def remove_node(records: Records, nid: str) -> Records:
    """Remove the record behind a node and the optional references to it."""
    kind, key = split_node_id(nid)
    if kind == "up":
        raise FlowEditError("\"one tier up\" is part of the hierarchy and cannot be removed")
    out = copy_records(records)
    record_for(out, nid)  # raises UnknownNode
    if kind == "step":
        _remove_step(out, key)
        return out
    if kind == "authority":
        out["authority"] = [r for r in items(out, "authority")
                            if not (isinstance(r, dict) and authority_key(r) == key)]
    else:
        rows = items(out, SECTION[kind])
        del rows[index_of(out, SECTION[kind], key)]
        _CLEANUP[kind](out, key)
    _drop_layout(out, {nid})
    return out


def _remove_step(out: Records, key: str) -> None:
    chain, index = split_step_key(key)
    steps = out["chains"][chain]["steps"]
    del steps[index]
    if not steps:  # a chain without steps is no chain: remove it and its uses
        _remove_chain(out, chain)
        return
    _drop_layout(out, {node_id("step", key)})
    _rekey_layout(out, {node_id("step", step_key(chain, j + 1)): node_id("step", step_key(chain, j))
                        for j in range(index, len(steps))})


def _remove_chain(out: Records, chain: str) -> None:
    del out["chains"][chain]
    for s in _rows(out, "severities"):
        if s.get("notify") == chain:
            del s["notify"]
    for c in out["chains"].values():
        if isinstance(c, dict) and c.get("next") == chain:
            del c["next"]
    _drop_actions(out, lambda kind, v: kind == "notify" and v == chain)
    _drop_layout(out, {node_id("step", step_key(chain, 0))})


def _rows(out: Records, section: str) -> list[dict[str, Any]]:
    return [r for r in items(out, section) if isinstance(r, dict)]


def _drop_actions(out: Records, doomed: Any) -> None:
    for t in _rows(out, "triggers"):
        then = t.get("then")
        if isinstance(then, list):
            t["then"] = [a for a in then if not (isinstance(a, dict) and len(a) == 1
                                                 and doomed(*next(iter(a.items()))))]


def _drop_from_list(row: dict[str, Any], key: str, value: str) -> None:
    current = row.get(key)
    if isinstance(current, list) and value in current:
        current.remove(value)
        if not current:
            del row[key]
    elif current == value:
        del row[key]


def _cleanup_severity(out: Records, sid: str) -> None:
    if out.get("default_severity") == sid:
        del out["default_severity"]
    for t in _rows(out, "triggers"):
        if isinstance(t.get("when"), dict):
            _drop_from_list(t["when"], "severity", sid)
    _drop_actions(out, lambda kind, v: kind == "bump_severity" and v == sid)
    for a in _rows(out, "authority"):
        _drop_from_list(a, "severities", sid)


def _cleanup_tier(out: Records, tid: str) -> None:
    for t in _rows(out, "triggers"):
        if isinstance(t.get("when"), dict):
            _drop_from_list(t["when"], "tier", tid)
    _drop_actions(out, lambda kind, v: kind == "escalate" and isinstance(v, dict)
                  and v.get("to") == tid and not v.get("team"))


def _cleanup_team(out: Records, tid: str) -> None:
    if out.get("intake_team") == tid:
        del out["intake_team"]
    for s in _rows(out, "severities"):
        if s.get("route_to") == tid:
            del s["route_to"]
    for c in _rows(out, "contacts"):
        if c.get("team") == tid:
            del c["team"]
    _drop_actions(out, lambda kind, v: kind == "escalate" and isinstance(v, dict)
                  and v.get("team") == tid)


def _cleanup_contact(out: Records, cid: str) -> None:
    for chain in mapping(out, "chains").values():
        for step in chain.get("steps") or [] if isinstance(chain, dict) else []:
            if isinstance(step, dict):
                if step.get("backup") == cid:
                    del step["backup"]
                _drop_from_list(step, "cc", cid)
    for rotation in mapping(out, "rotations").values():
        if isinstance(rotation, dict) and isinstance(rotation.get("members"), list):
            rotation["members"] = [m for m in rotation["members"] if m != cid]


def _cleanup_trigger(out: Records, tid: str) -> None:
    pass  # nothing refers to a trigger


_CLEANUP = {"severity": _cleanup_severity, "tier": _cleanup_tier, "team": _cleanup_team,
            "contact": _cleanup_contact, "trigger": _cleanup_trigger}

__all__ = ["UP", "add_authority", "add_chain", "add_contact", "add_severity", "add_step",
           "add_team", "add_tier", "add_trigger", "find", "move", "remove_node",
           "set_field", "set_layout", "set_path", "set_target"]
