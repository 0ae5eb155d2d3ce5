"""Live validation: the very checks of ``matrix validate``, placed on nodes and edges.

``check_records`` runs what ``check_matrix_text`` runs after parsing the YAML (the
structural spec, then the semantic build), on the editor's records, so the editor and
the command line can never disagree. Each problem is then placed on the node and, when
it is about one reference, the edge it concerns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..matrix.build import build_matrix
from ..matrix.format import MATRIX_SPEC
from ..matrix.model import Matrix
from ..matrix.spec import Problem
from ..matrix.yamlpos import format_path
from .records import UP, Records, authority_key, items, node_id, step_key


@dataclass(frozen=True, slots=True)
class FlowProblem:
    path: str                 # "severities[1].targets.response", as matrix validate prints
    message: str
    node: str | None = None   # the node it concerns, if any
    edge: str | None = None   # the edge it concerns, if any

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


def check_records(records: Any) -> tuple[Matrix | None, list[Problem]]:
    """The matrix and every problem, exactly as ``check_matrix_text`` finds them."""
    problems: list[Problem] = []
    if not isinstance(records, dict):
        return None, [Problem((), "a matrix file must be a mapping with schema_version, "
                                  "calendars, tiers, teams and severities")]
    MATRIX_SPEC.check(records, (), problems)
    return build_matrix(records, problems)


def validate_records(records: Records) -> list[FlowProblem]:
    """Every problem of the records, placed on nodes and edges."""
    return checked_records(records)[1]


def checked_records(records: Records) -> tuple[Matrix | None, list[FlowProblem]]:
    """The records as a matrix (None when they have problems) and every problem,
    placed on nodes and edges: one check serves the editor's problems and its what-if."""
    matrix, problems = check_records(records)
    placed = [place(records, p.path, p.message) for p in problems]
    placed.sort(key=lambda p: (p.node is None, p.node or "", p.path))
    return (matrix if not problems else None), placed


def place(records: Records, path: tuple[Any, ...], message: str) -> FlowProblem:
    node, edge = _locate(records, path)
    return FlowProblem(format_path(path), message, node, edge)


def _id_at(records: Records, section: str, index: Any) -> str | None:
    rows = items(records, section)
    if isinstance(index, int) and 0 <= index < len(rows) and isinstance(rows[index], dict):
        value = rows[index].get("id")
        return value if isinstance(value, str) else None
    return None


def _locate(records: Records, path: tuple[Any, ...]) -> tuple[str | None, str | None]:
    if len(path) < 2:
        return None, None
    section, at, rest = path[0], path[1], path[2:]
    kinds = {"severities": "severity", "triggers": "trigger", "tiers": "tier",
             "teams": "team", "contacts": "contact"}
    if section in kinds:
        rid = _id_at(records, section, at)
        if rid is None:
            return None, None
        node = node_id(kinds[section], rid)
        if section == "severities" and rest[:1] in (("route_to",), ("notify",)):
            return node, f"{'route' if rest[0] == 'route_to' else 'notify'}:{rid}"
        if section == "triggers" and rest[:1] == ("then",) and len(rest) > 1:
            return node, f"action:{rid}/{rest[1]}"
        return node, None
    if section == "authority":
        rows = items(records, "authority")
        if isinstance(at, int) and 0 <= at < len(rows) and isinstance(rows[at], dict):
            return node_id("authority", authority_key(rows[at])), None
        return None, None
    if section == "chains" and isinstance(at, str):
        return _locate_chain(records, at, rest)
    if section == "layout" and isinstance(at, str):
        return (at if at != UP else None), None
    return None, None


def _locate_chain(records: Records, cid: str, rest: tuple[Any, ...]
                  ) -> tuple[str | None, str | None]:
    chain = records.get("chains", {}).get(cid) if isinstance(records.get("chains"), dict) else None
    steps = chain.get("steps") if isinstance(chain, dict) else None
    count = len(steps) if isinstance(steps, list) else 0
    if rest[:1] == ("steps",) and len(rest) > 1 and isinstance(rest[1], int):
        j = rest[1]
        node = node_id("step", step_key(cid, j))
        if len(rest) > 2 and rest[2] in ("backup", "primary"):
            return node, f"{rest[2]}:{cid}/{j}"
        if len(rest) > 3 and rest[2] == "cc":
            return node, f"cc:{cid}/{j}/{rest[3]}"
        return node, None
    if rest[:1] == ("next",) and count:
        return node_id("step", step_key(cid, count - 1)), f"chain_next:{cid}"
    return (node_id("step", step_key(cid, 0)) if count else None), None
