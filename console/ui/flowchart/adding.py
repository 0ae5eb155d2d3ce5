"""What "Add" makes for each kind of node: a new record with sensible defaults, in the
tier or chain of the selected node when that makes sense."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from console.domain.flow import (
    FlowEditError,
    Records,
    add_authority,
    add_chain,
    add_contact,
    add_severity,
    add_step,
    add_team,
    add_tier,
    add_trigger,
    node_id,
    split_node_id,
    step_key,
)
from console.domain.flow.records import ids, items, mapping, record_for, split_step_key

Edit = Callable[[Records], Records]


def _selected_tier(records: Records, selected: list[str]) -> str | None:
    for nid in selected:
        kind, key = split_node_id(nid)
        if kind == "tier":
            return key
        if kind == "team":
            tier = record_for(records, nid).get("tier")
            if isinstance(tier, str):
                return tier
    return None


def _selected_chain(selected: list[str]) -> str | None:
    for nid in selected:
        kind, key = split_node_id(nid)
        if kind == "step":
            return split_step_key(key)[0]
    return None


def new_node_edit(records: Records, kind: str, key: str, selected: list[str],
                  **options: Any) -> tuple[Edit, str]:
    """The edit that adds a ``kind`` record with id ``key``, and the new node's id."""
    contacts = ids(records, "contacts")
    first_contact = options.pop("primary", contacts[0] if contacts else "")
    if kind == "severity":
        return (lambda r: add_severity(r, key, options.get("name", f"Severity {key}"),
                                       options.get("color", "#757575"),
                                       options.get("response", "24h")),
                node_id("severity", key))
    if kind == "trigger":
        return lambda r: add_trigger(r, key, **options), node_id("trigger", key)
    if kind == "tier":
        levels = [t.get("level") for t in items(records, "tiers") if isinstance(t, dict)]
        level = options.get("level", max([x for x in levels if isinstance(x, int)],
                                         default=-1) + 1)
        return (lambda r: add_tier(r, key, options.get("name", f"Tier {key}"), level),
                node_id("tier", key))
    if kind == "team":
        tiers = ids(records, "tiers")
        tier = options.get("tier") or _selected_tier(records, selected) or (
            tiers[0] if tiers else "")
        return (lambda r: add_team(r, key, options.get("name", key.replace("-", " ").title()),
                                   tier, options.get("function", "support")),
                node_id("team", key))
    if kind == "contact":
        return (lambda r: add_contact(r, key, options.pop("name", key), **options),
                node_id("contact", key))
    if kind == "chain":
        return (lambda r: add_chain(r, key, first_contact, options.get("channel", "slack"),
                                    options.get("ack_timeout")),
                node_id("step", step_key(key, 0)))
    if kind == "step":
        chain = options.get("chain") or _selected_chain(selected) or (
            key if key in mapping(records, "chains") else None)
        if chain is None:
            raise_edit = FlowEditError("select a step of the chain to add a step to")
            return _refuse(raise_edit), ""
        count = len(mapping(records, "chains").get(chain, {}).get("steps") or [])
        return (lambda r: add_step(r, chain, first_contact, options.get("channel", "slack"),
                                   options.get("ack_timeout", "15m")),
                node_id("step", step_key(chain, count)))
    if kind == "authority":
        roles = ids(records, "roles")
        role = options.get("role", roles[0] if roles else "")
        return (lambda r: add_authority(r, key, role, options.get("limit"),
                                        options.get("unit")),
                node_id("authority", f"{key}/{role}"))
    raise FlowEditError(f"cannot add a {kind}")


def _refuse(error: FlowEditError) -> Edit:
    def edit(_: Records) -> Records:
        raise error
    return edit
