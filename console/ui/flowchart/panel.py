"""The side panel: the selected node's properties (or the matrix's, with nothing
selected). Every change is an undoable edit the editor pushes; leads edit, everyone
else reads.

Over 400 lines on purpose: the field table (Field, rule_fields, parse, set_rule) is
what the panel's rows are built from and read back through. It is Qt-free, the seam
to split at if the panel grows."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import yaml
from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from console.domain.flow import FlowEditError, Records, set_field, set_path, split_node_id
from console.domain.flow.records import (
    authority_key,
    copy_records,
    items,
    mapping,
    node_id,
    record_for,
    split_step_key,
)
from console.domain.matrix.format import CHANNELS, FUNCTIONS
from console.domain.matrix.yamlpos import YamlSyntaxError, format_path, load_yaml

Path = tuple[str | int, ...]
Kind = str | tuple[str, ...]  # text, number, int, yaml, or a choice: a section name or a tuple
CONDITIONS = ("unresolved_for", "severity", "tier", "category", "keywords", "words",
              "account_tier", "workaround", "users_affected_pct", "sentiment", "sla",
              "revenue_risk", "security_breach")
ALWAYS_SHOWN = ("words",)  # a rule offers these even when it does not use them yet


@dataclass(frozen=True, slots=True)
class Field:
    label: str
    path: Path             # inside the node's record; for steps, "chain" paths start at the chain
    kind: Kind = "text"
    scope: str = "record"  # record | chain | matrix | rule (a severity's criteria)


def _choices(records: Records, kind: Kind) -> list[str]:
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
        elif isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
            value = value[part]
        else:
            return None
    return value


def rule_fields(severity: dict[str, Any]) -> list[Field]:
    """The rows of a severity's scoring rules (``criteria``): each rule's reason, the
    conditions it uses plus ``words``, and a row that adds a rule with words."""
    rules = severity.get("criteria")
    rules = rules if isinstance(rules, list) else []
    out = []
    for i, rule in enumerate(rules):
        when = rule.get("when") if isinstance(rule, dict) else None
        used = set(when) if isinstance(when, dict) else set()
        out.append(Field(f"Rule {i + 1}: reason", (i, "reason"), scope="rule"))
        out += [Field(f"Rule {i + 1}: when {c.replace('_', ' ')}", (i, "when", c), "yaml",
                      "rule") for c in CONDITIONS if c in used or c in ALWAYS_SHOWN]
    out.append(Field("New rule: when words", (len(rules), "when", "words"), "yaml", "rule"))
    return out


def set_rule(records: Records, nid: str, path: Path, value: Any) -> Records:
    """Set ``path`` (rule index, then keys) in a severity's criteria; None removes the
    key. The index just past the last rule adds a rule."""
    rules = record_for(records, nid).get("criteria")
    count = len(rules) if isinstance(rules, list) else 0
    index, keys = path[0], path[1:]
    if not isinstance(index, int) or not 0 <= index <= count or not keys:
        raise FlowEditError(f"{nid} has no scoring rule {index!r}")
    if index == count and value is None:
        return records  # an empty new rule adds nothing
    out = copy_records(records)
    row = record_for(out, nid)
    if not isinstance(row.get("criteria"), list):
        row["criteria"] = []
    if index == count:
        row["criteria"].append({"when": {}})
    here = row["criteria"][index]
    for part in keys[:-1]:
        if not isinstance(here.get(part), dict):
            here[part] = {}
        here = here[part]
    if value is None:
        here.pop(keys[-1], None)
    else:
        here[keys[-1]] = value
    return out


def _show(value: Any, kind: Kind) -> str:
    if value is None:
        return ""
    if kind == "yaml":
        return yaml.safe_dump(value, default_flow_style=True, allow_unicode=True,
                              width=10_000).strip().removesuffix("...").strip()
    return str(value)


def parse(text: str, kind: Kind) -> Any:
    """The value a field's text stands for; None (remove) when empty. Raises ValueError."""
    text = text.strip()
    if not text:
        return None
    if kind == "yaml":
        try:  # the matrix loader's limits: deep nesting is refused, never a RecursionError
            return load_yaml(text)
        except YamlSyntaxError as exc:
            why = str(exc).removeprefix("malformed YAML: ")
            raise ValueError(f"not YAML (line {exc.mark.line}, column {exc.mark.column}): "
                             f"{why}") from None
    if kind in ("int", "number"):
        try:
            return int(text) if kind == "int" or text.isdigit() else float(text)
        except ValueError:
            return text  # validation names the problem on the node
    return text


@dataclass(slots=True)
class _Row:
    field: Field
    widget: QWidget
    shown: str  # the value the row last showed, as text (its bad text stays until it changes)
    refused: str = ""  # why the text typed last could not be read
    issues: tuple[str, ...] = ()  # the matrix problems found in this field


BAD = "border: 2px solid #d50000;"
FIELD_WIDTH = 150  # px: a value can be read; a longer label puts its field below it
WORDS_TIP = ("Whole words in the title or text, any case, e.g. [outage, is down, payment* fail*, "
             "all ... customers]: * ends a word, ... stands for up to three words")


def _concerns(problem: Any, nid: str | None, f: Field) -> bool:
    """Whether a validation problem (a FlowProblem) is about this field of this node."""
    if problem.node != (None if f.scope == "matrix" else nid):
        return False
    if f.scope == "rule" and f.path[1:] == ("reason",) and problem.path.endswith(
            f"criteria[{f.path[0]}]"):
        return True  # about the whole rule: shown on its first row
    dotted = format_path(("criteria", *f.path) if f.scope == "rule" else f.path)
    where = re.sub(r"(\[\d+\])+$", "", problem.path)  # an item of a list: the list's field
    return where == dotted or where.endswith("." + dotted)


class PropertyPanel(QScrollArea):
    """Emits ``edited(scope, node id, path, value)``; the editor makes the command.

    Rows are committed from their own signals (``editingFinished``, ``activated``), and
    Qt is often still moving the focus when those fire: on Tab or a click, to another row.
    So a commit never deletes a row. Showing a node of the same kind updates the rows in
    place; a different set of rows goes up in a new page, and the old page is deleted
    later, from the event loop. Requests to show a node that arrive while a commit runs
    are coalesced, and the last one is shown once it is done.
    """

    edited = Signal(str, str, tuple, object)
    failed = Signal(str)
    typing = Signal()  # a key typed into a field, not yet committed (for the draft)

    def __init__(self, editable: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editable = editable
        self.setWidgetResizable(True)
        self.setMinimumWidth(340)
        # a long label ("Rule 2: when users affected pct") puts its field on the next
        # line instead of pushing every field out of sight behind a sideways scroll bar
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.nid: str | None = None
        self.records: Records = {}
        self.problems: list[Any] = []  # the matrix's problems (FlowProblem): marked on rows
        self._rows: list[_Row] = []
        self._busy = False
        self._wanted: tuple[Records, str | None] | None = None
        self._build()

    def set_editable(self, editable: bool) -> None:
        """Fields take edits (a lead's) or only show the values; the rows stay as they
        are, text typed and refused included."""
        self.editable = editable
        for row in self._rows:
            if isinstance(row.widget, QLineEdit):
                _set_read_only(row.widget, not editable)
            else:
                row.widget.setEnabled(editable)

    @property
    def _widgets(self) -> list[tuple[Field, QWidget]]:
        return [(r.field, r.widget) for r in self._rows]

    def _build(self) -> None:
        inner = QWidget()
        outer = QVBoxLayout(inner)
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.heading.setStyleSheet("font-weight: bold; font-size: 12pt;")
        self.form = QFormLayout()
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        outer.addWidget(self.heading)
        outer.addLayout(self.form)
        outer.addStretch(1)
        self.setWidget(inner)

    def _new_page(self) -> None:
        """Swap in an empty page. The old one may hold the widget whose signal is running
        (or the one the focus is moving to): it goes quiet now and is deleted later."""
        old = self.takeWidget()
        if old is not None:
            for child in old.findChildren(QWidget):
                child.blockSignals(True)
            old.hide()
            old.deleteLater()
        self._rows = []
        self._build()

    # -- showing --------------------------------------------------------------------------
    def show_node(self, records: Records, nid: str | None) -> None:
        """Fill the form for ``nid`` (None: the matrix itself)."""
        self._wanted = (records, nid)
        if not self._busy:
            with self._holding():
                pass

    @contextmanager
    def _holding(self) -> Iterator[None]:
        """Run a commit (or a refresh) with show requests held; then show the last one."""
        if self._busy:
            yield
            return
        self._busy = True
        try:
            yield
            while self._wanted is not None:
                records, nid = self._wanted
                self._wanted = None
                if nid != self.nid and self.flush() and self._wanted is not None:
                    continue  # the pending edit made newer records: show those
                self._show(records, nid)
        finally:
            self._busy = False

    def _rows_for(self, records: Records, nid: str | None
                  ) -> tuple[str, list[tuple[Field, Any]]] | None:
        """The heading and the (field, value) rows of a node; None if it does not exist."""
        kind = split_node_id(nid)[0] if nid else "matrix"
        if kind == "up":
            return ("One tier up: escalation to the next tier above the ticket's tier. "
                    "Nothing to edit.", [])
        try:
            record = record_for(records, nid) if nid else records
        except ValueError:
            return None
        heading = (f"{kind.capitalize()} {split_node_id(nid)[1]}" if nid
                   else f"Matrix: {records.get('name', '')}")
        chain = mapping(records, "chains").get(split_step_key(split_node_id(nid)[1])[0]) \
            if kind == "step" and nid else None
        fields = FIELDS.get(kind, []) if nid else MATRIX_FIELDS
        if kind == "severity" and isinstance(record, dict):
            fields = [*fields, *rule_fields(record)]
        sources = {"chain": chain, "rule": record.get("criteria")
                   if isinstance(record, dict) else None}
        rows = [(f, _get(sources.get(f.scope, record), f.path)) for f in fields]
        if not nid:
            for cid, calendar in mapping(records, "calendars").items():
                for part in ("timezone", "hours", "holidays"):
                    f = Field(f"Calendar {cid}: {part}", ("calendars", cid, part),
                              "text" if part == "timezone" else "yaml", "matrix")
                    rows.append((f, _get(calendar, (part,))))
        return heading, rows

    def _show(self, records: Records, nid: str | None) -> None:
        shown = self._rows_for(records, nid)
        if shown is None:
            nid, shown = None, self._rows_for(records, None)
            assert shown is not None
        heading, rows = shown
        moved = nid != self.nid
        self.records, self.nid = records, nid
        self.heading.setText(heading)
        if [f for f, _ in rows] == [r.field for r in self._rows]:
            for row, (_, value) in zip(self._rows, rows, strict=True):
                self._refresh(row, value, force=moved)
        else:
            self._new_page()
            self.heading.setText(heading)
            for f, value in rows:
                self._add_row(f, value)
        for row in self._rows:
            row.issues = tuple(p.message for p in self.problems
                               if _concerns(p, nid, row.field))
            self._paint(row)

    def _paint(self, row: _Row) -> None:
        """Frame a field red, and say why in its tooltip, while it holds a problem."""
        base = ("" if row.field.kind != "yaml" else WORDS_TIP
                if row.field.path[-1] == "words" else "YAML, e.g. [bug, billing] or {below: -0.5}")
        why = [row.refused, *row.issues] if row.refused else list(row.issues)
        style, tip = BAD if why else "", "\n".join(w for w in (*why, base) if w)
        if row.widget.styleSheet() != style:  # restyling every row on each edit is slow
            row.widget.setStyleSheet(style)
        if row.widget.toolTip() != tip:
            row.widget.setToolTip(tip)

    def _combo_items(self, f: Field, value: Any) -> list[str]:
        choices = _choices(self.records, f.kind)
        extra = [str(value)] if value is not None and str(value) not in choices else []
        return ["", *choices, *extra]  # a dangling reference stays visible

    def _refresh(self, row: _Row, value: Any, force: bool) -> None:
        """Show a new value in an existing row (its widget is kept, focus and all)."""
        widget = row.widget
        if isinstance(widget, QComboBox):
            wanted = self._combo_items(row.field, value)
            text = "" if value is None else str(value)
            with QSignalBlocker(widget):
                if [widget.itemText(i) for i in range(widget.count())] != wanted:
                    widget.clear()
                    widget.addItems(wanted)
                widget.setCurrentText(text)
            row.shown = text
            return
        assert isinstance(widget, QLineEdit)
        text = _show(value, row.field.kind)
        if force or text != row.shown:
            widget.setText(text)
            if not widget.hasFocus():
                widget.setCursorPosition(0)  # a long value shows its start, not its end
            row.refused = ""
            row.shown = text

    def _add_row(self, f: Field, value: Any) -> None:
        widget: QWidget
        if _is_choice(f.kind):
            combo = QComboBox()
            combo.addItems(self._combo_items(f, value))
            shown = "" if value is None else str(value)
            combo.setCurrentText(shown)
            combo.setEnabled(self.editable)
            combo.activated.connect(lambda _=0, f=f, c=combo: self._commit(f, c.currentText()))
            widget = combo
        else:
            shown = _show(value, f.kind)
            line = QLineEdit(shown)
            line.setCursorPosition(0)  # a long value shows its start, not its end
            _set_read_only(line, not self.editable)
            line.editingFinished.connect(lambda f=f, e=line: self._commit_text(f, e))
            line.textEdited.connect(lambda _text: self.typing.emit())
            widget = line
        widget.setObjectName("field:" + ".".join(str(p) for p in f.path))
        widget.setMinimumWidth(FIELD_WIDTH)  # narrower, its row wraps (label above)
        self.form.addRow(f.label, widget)
        self._rows.append(_Row(f, widget, shown))

    def label_for(self, problem: Any, records: Records) -> str:
        """Where a problem is, in the panel's words: "Severity P2 · Response"."""
        shown = self._rows_for(records, problem.node)
        if shown is None:
            return ""
        heading = shown[0] if problem.node else "Matrix"
        label = next((f.label for f, _ in shown[1] if _concerns(problem, problem.node, f)), "")
        return f"{heading} · {label}" if label else heading

    def field(self, label: str) -> QWidget:
        """The widget of a field, by its label (for tests and keyboard users)."""
        return next(r.widget for r in self._rows if r.field.label == label)

    # -- committing -----------------------------------------------------------------------
    def pending(self) -> tuple[Field, str] | None:
        """The field being typed in and its text, not yet committed."""
        for row in self._rows:
            if isinstance(row.widget, QLineEdit) and row.widget.isModified():
                return row.field, row.widget.text()
        return None

    def discard_typing(self) -> None:
        """Drop text typed and not committed (or refused): each field shows its value."""
        for row in self._rows:
            if isinstance(row.widget, QLineEdit) and (row.widget.isModified() or row.refused):
                row.widget.setText(row.shown)
                row.widget.setModified(False)
                row.refused = ""
                self._paint(row)

    def flush(self) -> bool:
        """Commit what is being typed (before the panel moves on, or the window closes);
        True if that made an edit."""
        for row in self._rows:
            if isinstance(row.widget, QLineEdit) and row.widget.isModified():
                return self._commit_text(row.field, row.widget)
        return False

    def _commit_text(self, f: Field, line: QLineEdit) -> bool:
        if not self.editable or not line.isModified():
            return False
        line.setModified(False)
        row = next((r for r in self._rows if r.widget is line), None)
        try:
            value = parse(line.text(), f.kind)
        except ValueError as exc:
            if row is not None:
                row.refused = f"Not saved: {exc}"
                self._paint(row)
            self.failed.emit(f"{f.label}: {exc}")
            return False
        if row is not None and row.refused:
            row.refused = ""
            self._paint(row)
        return self._commit(f, value)

    def _commit(self, f: Field, value: Any) -> bool:
        if not self.editable:
            return False
        if value == "":
            value = None
        with self._holding():
            self.edited.emit(f.scope, self.nid or "", f.path, value)
        return True


def _set_read_only(line: QLineEdit, read_only: bool) -> None:
    """A read-only field looks it (the window's colour, as a disabled choice is grey),
    not like an input a reader would type into in vain."""
    line.setReadOnly(read_only)
    palette = QApplication.palette(line)
    if read_only:
        palette.setColor(QPalette.ColorRole.Base, palette.color(QPalette.ColorRole.Window))
    line.setPalette(palette)


def _is_choice(kind: Kind) -> bool:
    return isinstance(kind, tuple) or kind in ("teams", "tiers", "roles", "contacts", "chains",
                                               "calendars", "rotations", "severities")


def edit_for(scope: str, nid: str, path: Path, value: Any
             ) -> Callable[[Records], Records]:
    """The records edit a panel change stands for."""
    if scope == "matrix":
        return lambda r: set_path(r, path, value)
    if scope == "chain":
        chain = split_step_key(split_node_id(nid)[1])[0]
        return lambda r: set_path(r, ("chains", chain, *path), value)
    if scope == "rule":
        return lambda r: set_rule(r, nid, path, value)
    return lambda r: set_field(r, nid, path, value)



def rekeyed(scope: str, nid: str, path: Path, value: Any) -> str:
    """The node's id after a panel edit: an authority row's id is its action and role."""
    if scope != "record" or split_node_id(nid)[0] != "authority" or path[0] not in (
            "action", "role"):
        return nid
    action, _, role = split_node_id(nid)[1].partition("/")
    row = {"action": action, "role": role, str(path[0]): value}
    return node_id("authority", authority_key(row))
