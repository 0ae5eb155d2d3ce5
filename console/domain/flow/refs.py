"""References between records: rename an id everywhere, connect and disconnect nodes.

Connecting two nodes sets the one matrix reference that links their kinds (a
severity dragged onto a team routes to it; a step dragged onto a contact gets it as
primary, backup or cc). Disconnecting an edge clears the reference it draws.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .edits import remove_node as _remove_node
from .errors import DuplicateId, FlowEditError, InvalidConnection, UnknownNode
from .graph import Edge
from .records import (
    SECTION,
    Records,
    authority_key,
    check_id,
    copy_records,
    ids,
    items,
    layout_of,
    mapping,
    node_id,
    record_for,
    split_node_id,
    split_step_key,
    step_key,
)

remove_node = _remove_node


# -- rename ----------------------------------------------------------------------------------
def rename(records: Records, nid: str, new: str) -> Records:
    """Give a node's record a new id and update every reference to it.

    For a chain step the chain is renamed; for an authority row, its action."""
    kind, key = split_node_id(nid)
    check_id(new)
    out = copy_records(records)
    if kind == "step":
        return _rename_chain(out, split_step_key(key)[0], new)
    if kind == "authority":
        row = record_for(out, nid)
        row["action"] = new
        if sum(authority_key(r) == authority_key(row) for r in _rows(out, "authority")) > 1:
            raise DuplicateId(f"{row.get('role')} already has authority for {new}")
        _rekey(out, {nid: node_id("authority", authority_key(row))})
        return out
    if kind not in _RENAMERS:
        raise FlowEditError(f"a {kind} node cannot be renamed")
    record_for(out, nid)  # raises UnknownNode
    if new == key:
        return out
    if new in ids(out, SECTION[kind]):
        raise DuplicateId(f"there is already a {kind} {new!r}")
    record_for(out, nid)["id"] = new
    _RENAMERS[kind](out, key, new)
    _rekey(out, {nid: node_id(kind, new)})
    return out


def rename_calendar(records: Records, old: str, new: str) -> Records:
    check_id(new, "calendar id")
    out = copy_records(records)
    calendars = mapping(out, "calendars")
    if old not in calendars:
        raise UnknownNode(f"there is no calendar {old!r}")
    if new in calendars and new != old:
        raise DuplicateId(f"there is already a calendar {new!r}")
    out["calendars"] = {new if k == old else k: v for k, v in calendars.items()}
    for s in _rows(out, "severities"):
        if isinstance(s.get("targets"), dict) and s["targets"].get("calendar") == old:
            s["targets"]["calendar"] = new
    return out


def _rows(out: Records, section: str) -> list[dict[str, Any]]:
    return [r for r in items(out, section) if isinstance(r, dict)]


def _rekey(out: Records, renames: dict[str, str]) -> None:
    layout = layout_of(out)
    if layout:
        out["layout"] = {renames.get(k, k): v for k, v in layout.items()}


def _swap(value: Any, old: str, new: str) -> Any:
    if isinstance(value, list):
        return [new if v == old else v for v in value]
    return new if value == old else value


def _swap_key(row: dict[str, Any], key: str, old: str, new: str) -> None:
    if key in row:
        row[key] = _swap(row[key], old, new)


def _conditions(out: Records) -> list[dict[str, Any]]:
    """Every `when` mapping: triggers' and severity criteria's."""
    found = [t["when"] for t in _rows(out, "triggers") if isinstance(t.get("when"), dict)]
    for s in _rows(out, "severities"):
        found += [c["when"] for c in s.get("criteria") or []
                  if isinstance(c, dict) and isinstance(c.get("when"), dict)]
    return found


def _actions(out: Records) -> list[tuple[str, Any, dict[str, Any]]]:
    found = []
    for t in _rows(out, "triggers"):
        for a in t.get("then") or []:
            if isinstance(a, dict) and len(a) == 1:
                kind, value = next(iter(a.items()))
                found.append((kind, value, a))
    return found


def _renamed_severity(out: Records, old: str, new: str) -> None:
    _swap_key(out, "default_severity", old, new)
    for when in _conditions(out):
        _swap_key(when, "severity", old, new)
    for kind, value, action in _actions(out):
        if kind == "bump_severity" and value == old:
            action[kind] = new
    for a in _rows(out, "authority"):
        _swap_key(a, "severities", old, new)


def _renamed_tier(out: Records, old: str, new: str) -> None:
    for row in _rows(out, "teams") + _rows(out, "roles"):
        _swap_key(row, "tier", old, new)
    for when in _conditions(out):
        _swap_key(when, "tier", old, new)
    for kind, value, _ in _actions(out):
        if kind == "escalate" and isinstance(value, dict):
            _swap_key(value, "to", old, new)


def _renamed_team(out: Records, old: str, new: str) -> None:
    _swap_key(out, "intake_team", old, new)
    for s in _rows(out, "severities"):
        _swap_key(s, "route_to", old, new)
    for c in _rows(out, "contacts"):
        _swap_key(c, "team", old, new)
    for kind, value, _ in _actions(out):
        if kind == "escalate" and isinstance(value, dict):
            _swap_key(value, "team", old, new)


def _renamed_contact(out: Records, old: str, new: str) -> None:
    for chain in mapping(out, "chains").values():
        for step in (chain.get("steps") or []) if isinstance(chain, dict) else []:
            if isinstance(step, dict):
                for key in ("primary", "backup", "cc"):
                    _swap_key(step, key, old, new)
    for rotation in mapping(out, "rotations").values():
        if isinstance(rotation, dict):
            _swap_key(rotation, "members", old, new)


def _renamed_trigger(out: Records, old: str, new: str) -> None:
    pass  # nothing refers to a trigger by id


_RENAMERS: dict[str, Callable[[Records, str, str], None]] = {
    "severity": _renamed_severity, "tier": _renamed_tier, "team": _renamed_team,
    "contact": _renamed_contact, "trigger": _renamed_trigger,
}


def _rename_chain(out: Records, old: str, new: str) -> Records:
    chains = mapping(out, "chains")
    if old not in chains:
        raise UnknownNode(f"there is no chain {old!r}")
    if new == old:
        return out
    if new in chains:
        raise DuplicateId(f"there is already a chain {new!r}")
    out["chains"] = {new if k == old else k: v for k, v in chains.items()}
    for c in out["chains"].values():
        if isinstance(c, dict):
            _swap_key(c, "next", old, new)
    for s in _rows(out, "severities"):
        _swap_key(s, "notify", old, new)
    for kind, value, action in _actions(out):
        if kind == "notify" and value == old:
            action[kind] = new
    steps = out["chains"][new].get("steps") or []
    _rekey(out, {node_id("step", step_key(old, j)): node_id("step", step_key(new, j))
                 for j in range(len(steps))})
    return out


# -- connect -----------------------------------------------------------------------------------
def connect(records: Records, source: str, target: str, role: str | None = None) -> Records:
    """Set the reference that links ``source`` to ``target`` (either direction works).

    ``role`` picks among several meanings: ``primary``, ``backup`` or ``cc`` for a
    step and a contact; ``functional`` or ``hierarchical`` for a trigger and a team."""
    for a, b in ((source, target), (target, source)):
        pair = (split_node_id(a)[0], split_node_id(b)[0])
        if pair in _CONNECTORS:
            out = copy_records(records)
            record_for(out, a)
            if pair[1] != "up":
                record_for(out, b)
            _CONNECTORS[pair](out, a, b, role)
            return out
    kinds = " and ".join(sorted({split_node_id(source)[0], split_node_id(target)[0]}))
    raise InvalidConnection(f"no matrix reference connects a {kinds.replace(' and ', ' to a ')}"
                            if source != target else "a node cannot connect to itself")


def _key(nid: str) -> str:
    return split_node_id(nid)[1]


def _severity_team(out: Records, sev: str, team: str, role: str | None) -> None:
    record_for(out, sev)["route_to"] = _key(team)


def _severity_step(out: Records, sev: str, step: str, role: str | None) -> None:
    record_for(out, sev)["notify"] = split_step_key(_key(step))[0]


def _severity_trigger(out: Records, sev: str, trigger: str, role: str | None) -> None:
    when = record_for(out, trigger).setdefault("when", {})
    current = when.get("severity")
    listed = [current] if isinstance(current, str) else list(current or [])
    if _key(sev) not in listed:
        listed.append(_key(sev))
    when["severity"] = listed


def _add_action(out: Records, trigger: str, action: dict[str, Any]) -> None:
    then = record_for(out, trigger).setdefault("then", [])
    if action in then:
        raise InvalidConnection(f"trigger {_key(trigger)!r} already does that")
    then.append(action)


def _trigger_team(out: Records, trigger: str, team: str, role: str | None) -> None:
    kind = "hierarchical" if role == "hierarchical" else "functional"
    _add_action(out, trigger, {"escalate": {"kind": kind, "team": _key(team)}})


def _trigger_tier(out: Records, trigger: str, tier: str, role: str | None) -> None:
    _add_action(out, trigger, {"escalate": {"kind": "hierarchical", "to": _key(tier)}})


def _trigger_up(out: Records, trigger: str, _up: str, role: str | None) -> None:
    _add_action(out, trigger, {"escalate": {"kind": "hierarchical", "to": "up"}})


def _trigger_step(out: Records, trigger: str, step: str, role: str | None) -> None:
    _add_action(out, trigger, {"notify": split_step_key(_key(step))[0]})


def _trigger_severity(out: Records, trigger: str, sev: str, role: str | None) -> None:
    _add_action(out, trigger, {"bump_severity": _key(sev)})


def _step_contact(out: Records, step: str, contact: str, role: str | None) -> None:
    row, cid = record_for(out, step), _key(contact)
    if role is None:
        role = ("primary" if not row.get("primary") else "backup" if not row.get("backup")
                else "cc")
    if role not in ("primary", "backup", "cc"):
        raise InvalidConnection(f"a step's contact is primary, backup or cc, not {role!r}")
    if role == "cc":
        written = row.get("cc")
        cc = written if isinstance(written, list) else []
        row["cc"] = cc if cid in cc else [*cc, cid]
        return
    other = row.get("backup" if role == "primary" else "primary")
    if other == cid:
        raise InvalidConnection("the backup must differ from the primary contact")
    row[role] = cid


def _step_step(out: Records, step: str, target: str, role: str | None) -> None:
    chain, other = split_step_key(_key(step))[0], split_step_key(_key(target))[0]
    if chain == other:
        raise InvalidConnection("steps of one chain follow each other in order; "
                                "add or remove a step instead")
    out["chains"][chain]["next"] = other


def _team_tier(out: Records, team: str, tier: str, role: str | None) -> None:
    record_for(out, team)["tier"] = _key(tier)


def _contact_team(out: Records, contact: str, team: str, role: str | None) -> None:
    record_for(out, contact)["team"] = _key(team)


def _authority_severity(out: Records, row: str, sev: str, role: str | None) -> None:
    found = record_for(out, row)
    written = found.get("severities")
    current = written if isinstance(written, list) else []
    if _key(sev) not in current:
        found["severities"] = [*current, _key(sev)]


_CONNECTORS: dict[tuple[str, str], Callable[[Records, str, str, str | None], None]] = {
    ("severity", "team"): _severity_team, ("severity", "step"): _severity_step,
    ("severity", "trigger"): _severity_trigger, ("trigger", "team"): _trigger_team,
    ("trigger", "tier"): _trigger_tier, ("trigger", "up"): _trigger_up,
    ("trigger", "step"): _trigger_step, ("trigger", "severity"): _trigger_severity,
    ("step", "contact"): _step_contact, ("step", "step"): _step_step,
    ("team", "tier"): _team_tier, ("contact", "team"): _contact_team,
    ("authority", "severity"): _authority_severity,
}


# -- disconnect --------------------------------------------------------------------------------
def disconnect(records: Records, edge: Edge) -> Records:
    """Clear the reference an edge draws."""
    if edge.kind in ("primary", "next", "ladder"):
        raise InvalidConnection({
            "primary": "a step needs a primary contact: connect another contact as primary",
            "next": "steps of one chain follow each other: remove the step instead",
            "ladder": "the tier ladder follows the tier levels: change a level instead",
        }[edge.kind])
    out = copy_records(records)
    section, rid, *path = edge.ref
    if section == "triggers" and path[:1] == ["then"]:
        then = record_for(out, node_id("trigger", rid)).get("then") or []
        if not 0 <= path[1] < len(then):
            raise UnknownNode("that action no longer exists")
        del then[path[1]]
    elif edge.kind == "when":
        when = record_for(out, node_id("trigger", rid)).get("when") or {}
        _drop_value(when, "severity", _key(edge.source))
    elif section == "severities":
        record_for(out, node_id("severity", rid)).pop(path[0], None)
    elif section == "chains" and path == ["next"]:
        mapping(out, "chains")[rid].pop("next", None)
    elif section == "chains" and edge.kind in ("backup", "cc"):
        step = record_for(out, node_id("step", step_key(rid, path[1])))
        if edge.kind == "backup":
            step.pop("backup", None)
        else:
            _drop_value(step, "cc", _key(edge.target))
    else:
        raise InvalidConnection(f"a {edge.kind} edge cannot be removed")
    return out


def _drop_value(row: dict[str, Any], key: str, value: str) -> None:
    current = row.get(key)
    if isinstance(current, list):
        remaining = [v for v in current if v != value]
        if remaining:
            row[key] = remaining
        else:
            row.pop(key)
    elif current == value:
        row.pop(key)
