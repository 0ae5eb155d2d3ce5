"""The kinds of event the log holds, and the checks of each kind's fields in an event
file (docs/import.md, docs/simulate.md).

``INPUT_TYPES`` are the kinds written from outside (the intake API takes only these);
``LOG_TYPES`` are every kind the app writes, which ``import`` and ``simulate`` accept so
that a whole log can be exported, moved and replayed. Each check raises ValueError
whose message starts with the field (``team: expected one of ...``), which the callers
put after ``FILE:LINE:``.

Names of teams, tiers and severities are checked against a :class:`Vocabulary`: those
of the matrix in force, plus (for ``import``) those of the matrices the file publishes,
so a log whose matrix grew a team imports whole.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

from console.domain.handoff import MODES, URGENCIES
from console.domain.matrix import Matrix, check_matrix_text
from console.domain.tickets import WORKAROUNDS
from console.store.projector import MATRIX_STREAM as MATRIX_STREAM  # the versions' stream

INPUT_TYPES = ("opened", "severity", "responded", "update_sent", "status", "message",
               "acknowledged", "resolved", "reopened")
# what people, the engine and the matrix's publishers write besides
APP_TYPES = ("escalated", "routed", "assigned", "handoff_submitted", "handoff_required",
             "prioritized", "approval_requested", "approval_granted", "approval_denied",
             "severity_disagreement", "matrix_published")
LOG_TYPES = INPUT_TYPES + APP_TYPES
# who sets a severity in a file: Support and Engineering (also from outside), the intake
# (a helpdesk's priority), and a trigger's bump (the engine)
SEVERITY_SETTERS = ("support", "engineering")
LOG_SEVERITY_SETTERS = (*SEVERITY_SETTERS, "intake", "trigger")
PRIORITIES = ("high", "normal")


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The ids an event may name: severities, teams and tiers, in the matrix's order."""

    severities: tuple[str, ...]
    teams: tuple[str, ...]
    tiers: tuple[str, ...]

    @classmethod
    def of(cls, *matrices: Matrix) -> Vocabulary:
        def ids(items: Iterable[Any]) -> tuple[str, ...]:
            return tuple(dict.fromkeys(i.id for i in items))

        return cls(ids(s for m in matrices for s in m.severities),
                   ids(t for m in matrices for t in m.teams),
                   ids(t for m in matrices for t in m.tiers))


# -- field checks ----------------------------------------------------------------------
def number(data: dict[str, Any], key: str, low: float, high: float) -> None:
    value = data.get(key)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ValueError(f"{key}: expected a number from {low:g} to {high:g}, got {value!r}")


def choice(data: dict[str, Any], key: str, options: Collection[str], required: bool) -> None:
    value = data.get(key)
    if value is None and not required:
        return
    if value not in options:
        raise ValueError(f"{key}: expected one of {', '.join(options)}, got {value!r}")


def _text(data: dict[str, Any], key: str, required: bool = False) -> None:
    value = data.get(key)
    if value is None and not required:
        return
    if not isinstance(value, str) or (required and not value.strip()):
        what = "a non-empty string" if required else "a string"
        raise ValueError(f"{key}: expected {what}, got {value!r}")


def _flag(data: dict[str, Any], key: str) -> None:
    if key in data and not isinstance(data[key], bool):
        raise ValueError(f"{key}: expected true or false, got {data[key]!r}")


def _texts(data: dict[str, Any], key: str) -> None:
    value = data.get(key)
    if value is None:
        return
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{key}: expected a list of strings, got {value!r}")


def _amount(data: dict[str, Any], key: str) -> None:
    value = data.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)
                              or value < 0):
        raise ValueError(f"{key}: expected a number of 0 or more, or null, got {value!r}")


# -- the kinds -------------------------------------------------------------------------
def _opened(d: dict[str, Any], v: Vocabulary, setters: tuple[str, ...]) -> None:
    number(d, "users_affected_pct", 0, 100)
    choice(d, "workaround", WORKAROUNDS, required=False)
    choice(d, "severity", v.severities, required=False)
    for key in ("revenue_risk", "security_breach"):
        _flag(d, key)
    if d.get("triage") is not None:
        _triage(d["triage"])


TRIAGE_FIELDS = ("severity", "team", "category")


def _version(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 1


def _share(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 1


def _triage(t: Any) -> None:
    """The suggestion an agent saw at intake (docs/triage.md): per field, the model
    version, the value and the confidence, and which fields it pre-selected."""
    if not isinstance(t, dict):
        raise ValueError(f"triage: expected a mapping, got {t!r}")
    checks: tuple[tuple[str, Callable[[Any], bool], str], ...] = (
        ("model", _version, "a version number"),
        ("suggested", lambda v: isinstance(v, str), "text"),
        ("confidence", _share, "a number from 0 to 1"))
    for part, ok, what in checks:
        found = t.get(part, {})
        if not isinstance(found, dict):
            raise ValueError(f"triage.{part}: expected a mapping, got {found!r}")
        for field, value in found.items():
            if field not in TRIAGE_FIELDS:
                raise ValueError(f"triage.{part}: expected keys among "
                                 f"{', '.join(TRIAGE_FIELDS)}, got {field!r}")
            if not ok(value):
                raise ValueError(f"triage.{part}.{field}: expected {what}, got {value!r}")
    chosen = t.get("preselected", [])
    if not isinstance(chosen, list) or any(c not in TRIAGE_FIELDS for c in chosen):
        raise ValueError(f"triage.preselected: expected a list among "
                         f"{', '.join(TRIAGE_FIELDS)}, got {chosen!r}")


def _severity(d: dict[str, Any], v: Vocabulary, setters: tuple[str, ...]) -> None:
    choice(d, "severity", v.severities, required=True)
    choice(d, "by", setters, required=False)
    if d.get("by") == "trigger":  # a bump names its trigger (the engine's own action)
        _text(d, "trigger", required=True)
        choice(d, "from", v.severities, required=False)
    for key in ("override_of", "initial"):
        choice(d, key, v.severities, required=False)
    _text(d, "reason")


def _status(d: dict[str, Any], v: Vocabulary, setters: tuple[str, ...]) -> None:
    choice(d, "status", ("waiting_on_customer", "open"), required=True)


def _message(d: dict[str, Any], v: Vocabulary, setters: tuple[str, ...]) -> None:
    if not isinstance(d.get("text"), str):
        raise ValueError(f"text: expected the customer's text, got {d.get('text')!r}")


def _move(d: dict[str, Any], v: Vocabulary) -> None:
    """What a move (escalated, routed, assigned) may carry besides its target."""
    for key in ("from_team", "from_tier", "owner", "by", "reason", "trigger", "values"):
        _text(d, key)


def _escalated(d: dict[str, Any], v: Vocabulary, setters: tuple[str, ...]) -> None:
    choice(d, "team", v.teams, required=True)
    choice(d, "tier", v.tiers, required=True)
    choice(d, "mode", MODES, required=False)
    choice(d, "kind", MODES, required=False)  # people's escalations' word for the mode
    if d.get("mode") is not None and d.get("kind") is not None and d["mode"] != d["kind"]:
        raise ValueError(f"kind: {d['kind']!r} contradicts mode {d['mode']!r}")
    _move(d, v)


def _routed(d: dict[str, Any], v: Vocabulary, setters: tuple[str, ...]) -> None:
    choice(d, "team", v.teams, required=True)
    choice(d, "tier", v.tiers, required=True)
    choice(d, "severity", v.severities, required=False)
    _move(d, v)


def _assigned(d: dict[str, Any], v: Vocabulary, setters: tuple[str, ...]) -> None:
    if all(d.get(k) is None for k in ("team", "tier", "owner")):
        raise ValueError("owner: an assignment names an owner, a team or a tier; got none")
    choice(d, "team", v.teams, required=False)
    choice(d, "tier", v.tiers, required=False)
    _move(d, v)


def _handoff_submitted(d: dict[str, Any], v: Vocabulary, setters: tuple[str, ...]) -> None:
    choice(d, "target", v.teams, required=False)
    choice(d, "mode", MODES, required=False)
    choice(d, "urgency", URGENCIES, required=False)
    for key in ("summary", "details", "customer", "history", "steps_tried", "next_steps",
                "reason", "context", "template", "by", "from_team", "target_team"):
        _text(d, key)
    for key in ("attachments", "checklist"):
        if d.get(key) is not None and not isinstance(d[key], list):
            raise ValueError(f"{key}: expected a list, got {d[key]!r}")


def _handoff_required(d: dict[str, Any], v: Vocabulary, setters: tuple[str, ...]) -> None:
    choice(d, "team", v.teams, required=False)
    choice(d, "tier", v.tiers, required=False)
    for key in ("by", "reason", "trigger", "values"):
        _text(d, key)


def _prioritized(d: dict[str, Any], v: Vocabulary, setters: tuple[str, ...]) -> None:
    choice(d, "priority", PRIORITIES, required=True)
    for key in ("by", "reason", "trigger", "values"):
        _text(d, key)


def _approval_requested(d: dict[str, Any], v: Vocabulary, setters: tuple[str, ...]) -> None:
    _text(d, "action", required=True)
    _text(d, "requested_by", required=True)
    _amount(d, "amount")
    choice(d, "severity", v.severities, required=False)
    for key in ("unit", "requester_role", "route_to_role", "reason"):
        _text(d, key)
    _texts(d, "approvers")


def _approval_answer(d: dict[str, Any], v: Vocabulary, setters: tuple[str, ...]) -> None:
    _text(d, "request_id", required=True)
    _text(d, "by", required=True)
    _text(d, "role", required=True)
    _flag(d, "within_limit")
    _text(d, "reason")


def _severity_disagreement(d: dict[str, Any], v: Vocabulary, setters: tuple[str, ...]
                           ) -> None:
    choice(d, "initial", v.severities, required=True)
    choice(d, "confirmed", v.severities, required=True)
    _text(d, "reason")


def _matrix_published(d: dict[str, Any], v: Vocabulary, setters: tuple[str, ...]) -> None:
    published_matrix(d)


def published_matrix(d: dict[str, Any]) -> Matrix:
    """The matrix a ``matrix_published`` event publishes, or ValueError naming the field."""
    _text(d, "yaml", required=True)
    _text(d, "name")
    _text(d, "comment")
    n = d.get("number")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"number: expected the version number (1 or more), got {n!r}")
    if d.get("authority") is not None and not isinstance(d["authority"], list):
        raise ValueError(f"authority: expected a list, got {d['authority']!r}")
    matrix, problems = check_matrix_text(d["yaml"], "yaml")
    if matrix is None:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ValueError(f"yaml: not a valid matrix: {problems[0]}{more}")
    return matrix


_NO_FIELDS: Callable[[dict[str, Any], Vocabulary, tuple[str, ...]], None] = \
    lambda d, v, s: None  # noqa: E731 - responded, update_sent, acknowledged...
CHECKS: dict[str, Callable[[dict[str, Any], Vocabulary, tuple[str, ...]], None]] = {
    "opened": _opened, "severity": _severity, "status": _status, "message": _message,
    "escalated": _escalated, "routed": _routed, "assigned": _assigned,
    "handoff_submitted": _handoff_submitted, "handoff_required": _handoff_required,
    "prioritized": _prioritized, "approval_requested": _approval_requested,
    "approval_granted": _approval_answer, "approval_denied": _approval_answer,
    "severity_disagreement": _severity_disagreement, "matrix_published": _matrix_published,
}


def check_fields(kind: str, data: dict[str, Any], vocabulary: Vocabulary,
                 setters: tuple[str, ...] = SEVERITY_SETTERS) -> None:
    """Check one event's fields; ValueError names the field. ``setters`` are who may
    set a severity (a file holds the whole log's, the intake API only Support's and
    Engineering's)."""
    CHECKS.get(kind, _NO_FIELDS)(data, vocabulary, setters)
