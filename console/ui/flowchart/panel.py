"""The side panel: the selected node's properties (or the matrix's, with nothing
selected). Every change is an undoable edit the editor pushes; leads edit, everyone
else reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from console.domain.flow import Records, set_field, set_path, split_node_id
from console.domain.flow.records import items, mapping, record_for, split_step_key
from console.domain.matrix.format import CHANNELS, FUNCTIONS

Path = tuple[str | int, ...]
CONDITIONS = ("unresolved_for", "severity", "tier", "category", "keywords", "account_tier",
              "workaround", "users_affected_pct", "sentiment", "sla", "revenue_risk",
              "security_breach")


@dataclass(frozen=True, slots=True)
class Field:
    label: str
    path: Path             # inside the node's record; for steps, "chain" paths start at the chain
    kind: str = "text"     # text, number, int, yaml, or a choice: a section name or a tuple
    scope: str = "record"  # record | chain | matrix


def _choices(records: Records, kind: Any) -> list[str]:
    if isinstance(kind, tuple):
        return list(kind)
    if kind in ("teams", "tiers", "roles", "contacts", "severities"):
        return [r["id"] for r in items(records, kind) if isinstance(r, dict) and "id" in r]
    if kind in ("chains", "calendars", "rotations"):
        return list(mapping(records, kind))
    return []


FIELDS: dict[str, list[Field]] = {
    "severity": [
        Field("Name", ("name",)), Field("Colour", ("color",)), Field("Issue", ("issue",)),
        Field("Calendar", ("targets", "calendar"), "calendars"),
        Field("Response", ("targets", "response")), Field("Update", ("targets", "update")),
        Field("Resolution", ("targets", "resolution")),
        Field("Warn before response", ("pre_breach", "response")),
        Field("Warn before update", ("pre_breach", "update")),
        Field("Warn before resolution", ("pre_breach", "resolution")),
        Field("Two-stage: initial", ("two_stage", "initial")),
        Field("Two-stage: confirm", ("two_stage", "confirm")),
        Field("Routes to", ("route_to",), "teams"), Field("Chain", ("notify",), "chains"),
        Field("Decision role", ("decision",), "roles"),
    ],
    "trigger": [Field("Description", ("description",)),
                *(Field(f"When {c.replace('_', ' ')}", ("when", c), "yaml") for c in CONDITIONS),
                Field("Then (actions)", ("then",), "yaml")],
    "tier": [Field("Name", ("name",)), Field("Level", ("level",), "int")],
    "team": [Field("Name", ("name",)), Field("Tier", ("tier",), "tiers"),
             Field("Function", ("function",), FUNCTIONS)],
    "contact": [Field("Name", ("name",)), Field("Role", ("role",), "roles"),
                Field("Team", ("team",), "teams"), Field("Email", ("email",)),
                Field("Slack", ("slack",)), Field("Teams", ("teams",)),
                Field("PagerDuty", ("pagerduty",)), Field("Webhook", ("webhook",)),
                Field("On call (rotation)", ("on_call",), "rotations")],
    "step": [Field("Channel", ("channel",), CHANNELS), Field("Ack timeout", ("ack_timeout",)),
             Field("Primary", ("primary",), "contacts"), Field("Backup", ("backup",), "contacts"),
             Field("CC", ("cc",), "yaml"),
             Field("Chain description", ("description",), scope="chain"),
             Field("Chain repeats", ("repeat",), "int", "chain"),
             Field("Then chain", ("next",), "chains", "chain")],
    "authority": [Field("Action", ("action",)), Field("Role", ("role",), "roles"),
                  Field("Limit", ("limit",), "number"), Field("Unit", ("unit",)),
                  Field("Severities", ("severities",), "yaml")],
}
MATRIX_FIELDS = [Field("Name", ("name",), scope="matrix"),
                 Field("Description", ("description",), scope="matrix"),
                 Field("Default severity", ("default_severity",), "severities", "matrix"),
                 Field("Intake team", ("intake_team",), "teams", "matrix")]


def _get(value: Any, path: Path) -> Any:
    for part in path:
        if isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def _show(value: Any, kind: Any) -> str:
    if value is None:
        return ""
    if kind == "yaml":
        return yaml.safe_dump(value, default_flow_style=True, allow_unicode=True,
                              width=10_000).strip().removesuffix("...").strip()
    return str(value)


def parse(text: str, kind: Any) -> Any:
    """The value a field's text stands for; None (remove) when empty. Raises ValueError."""
    text = text.strip()
    if not text:
        return None
    if kind == "yaml":
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ValueError(f"not YAML: {exc}") from None
    if kind in ("int", "number"):
        try:
            return int(text) if kind == "int" or text.isdigit() else float(text)
        except ValueError:
            return text  # validation names the problem on the node
    return text


class PropertyPanel(QScrollArea):
    """Emits ``edited(scope, node id, path, value)``; the editor makes the command."""

    edited = Signal(str, str, tuple, object)
    failed = Signal(str)

    def __init__(self, editable: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editable = editable
        self.setWidgetResizable(True)
        self.setMinimumWidth(340)
        self.nid: str | None = None
        self.records: Records = {}
        self._widgets: list[tuple[Field, QWidget]] = []
        self._build()

    def _build(self) -> None:
        inner = QWidget()
        outer = QVBoxLayout(inner)
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.heading.setStyleSheet("font-weight: bold; font-size: 12pt;")
        self.form = QFormLayout()
        outer.addWidget(self.heading)
        outer.addLayout(self.form)
        outer.addStretch(1)
        self.setWidget(inner)

    def show_node(self, records: Records, nid: str | None) -> None:
        """Fill the form for ``nid`` (None: the matrix itself)."""
        self.records, self.nid = records, nid
        while self.form.rowCount():
            self.form.removeRow(0)
        self._widgets = []
        kind = split_node_id(nid)[0] if nid else "matrix"
        try:
            record = record_for(records, nid) if nid and kind != "up" else records
        except ValueError:
            nid, kind, record = None, "matrix", records
        if kind == "up":
            self.heading.setText("One tier up: escalation to the next tier above the "
                                 "ticket's tier. Nothing to edit.")
            return
        self.heading.setText(f"{kind.capitalize()} {split_node_id(nid)[1]}" if nid
                             else f"Matrix: {records.get('name', '')}")
        fields = FIELDS.get(kind, []) if nid else MATRIX_FIELDS
        chain = mapping(records, "chains").get(split_step_key(split_node_id(nid)[1])[0]) \
            if kind == "step" else None
        for f in fields:
            source = chain if f.scope == "chain" else record
            self._add_row(f, _get(source, f.path))
        if not nid:
            for cid, calendar in mapping(records, "calendars").items():
                for part in ("timezone", "hours", "holidays"):
                    f = Field(f"Calendar {cid}: {part}", ("calendars", cid, part),
                              "text" if part == "timezone" else "yaml", "matrix")
                    self._add_row(f, _get(calendar, (part,)))

    def _add_row(self, f: Field, value: Any) -> None:
        choices = _choices(self.records, f.kind)
        widget: QWidget
        if choices or f.kind in ("teams", "tiers", "roles", "contacts", "chains",
                                 "calendars", "rotations", "severities"):
            combo = QComboBox()
            combo.addItems(["", *choices])
            if value is not None and str(value) not in choices:
                combo.addItem(str(value))  # a dangling reference stays visible
            combo.setCurrentText("" if value is None else str(value))
            combo.setEnabled(self.editable)
            combo.activated.connect(lambda _=0, f=f, c=combo: self._commit(f, c.currentText()))
            widget = combo
        else:
            line = QLineEdit(_show(value, f.kind))
            line.setReadOnly(not self.editable)
            line.setToolTip("YAML, e.g. [bug, billing] or {below: -0.5}" if f.kind == "yaml"
                            else "")
            line.editingFinished.connect(lambda f=f, e=line: self._commit_text(f, e))
            widget = line
        widget.setObjectName("field:" + ".".join(str(p) for p in f.path))
        self.form.addRow(f.label, widget)
        self._widgets.append((f, widget))

    def field(self, label: str) -> QWidget:
        """The widget of a field, by its label (for tests and keyboard users)."""
        return next(w for f, w in self._widgets if f.label == label)

    def _commit_text(self, f: Field, line: QLineEdit) -> None:
        if not self.editable or not line.isModified():
            return
        line.setModified(False)
        try:
            value = parse(line.text(), f.kind)
        except ValueError as exc:
            line.setStyleSheet("border: 2px solid #d50000;")
            self.failed.emit(f"{f.label}: {exc}")
            return
        line.setStyleSheet("")
        self._commit(f, value)

    def _commit(self, f: Field, value: Any) -> None:
        if not self.editable:
            return
        if value == "":
            value = None
        self.edited.emit(f.scope, self.nid or "", f.path, value)


def edit_for(scope: str, nid: str, path: Path, value: Any
             ) -> Callable[[Records], Records]:
    """The records edit a panel change stands for."""
    if scope == "matrix":
        return lambda r: set_path(r, path, value)
    if scope == "chain":
        chain = split_step_key(split_node_id(nid)[1])[0]
        return lambda r: set_path(r, ("chains", chain, *path), value)
    return lambda r: set_field(r, nid, path, value)
