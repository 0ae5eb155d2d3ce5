"""The structured handoff: everything the receiving tier needs, so that no customer has
to repeat themselves.

The ticket's category picks the matrix's template (required fields, prompts,
checklist). Customer, details, urgency and the history of the ticket are pre-filled;
attachments are copied into the store as they are added. Submitting records
``handoff_submitted`` and, when the ticket moves, ``escalated`` in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from console.app.runtime.attachments import AttachmentCopier
from console.app.runtime.forms_ops import Submitted
from console.app.runtime.port import ConsoleServicePort, TimelineEvent
from console.app.runtime.rows import QueueRow
from console.domain.handoff import (
    FIELD_HELP,
    URGENCIES,
    check_handoff,
    history_summary,
    required_fields,
    suggest_mode,
    suggest_urgency,
)
from console.domain.matrix import Matrix
from console.domain.matrix.format import HANDOFF_FIELDS

from ..theme import named
from .base import FormDialog
from .widgets import AttachmentList, Checklist, chain_tab_order, combo, refill, text_area

LABELS = {  # with keyboard mnemonics (Alt+letter)
    "summary": "Issue &summary", "details": "Ticket &details", "customer": "&Customer and account",
    "history": "&History so far", "steps_tried": "&Troubleshooting tried",
    "next_steps": "&Next steps", "reason": "Escalation &reason", "target": "Tar&get team",
    "mode": "&Kind of move", "urgency": "&Urgency", "attachments": "&Attachments",
    "context": "Triage conte&xt", "checklist": "Check&list before handing off",
}
MODE_ITEMS = [("Functional (sideways)", "functional"),
              ("Hierarchical (up a tier)", "hierarchical")]


def team_items(matrix: Matrix, current: str) -> list[tuple[str, str]]:
    levels = {t.id: t.level for t in matrix.tiers}
    teams = sorted(matrix.teams, key=lambda t: (levels.get(t.tier, 0), t.name))
    return [(f"{t.tier} · {t.name}" + ("  (current team)" if t.id == current else ""), t.id)
            for t in teams]


def ticket_details(matrix: Matrix, row: QueueRow) -> str:
    d = row.detail
    facts = [f"severity {row.severity} ({'confirmed' if row.confirmed else 'unconfirmed'})",
             f"category {row.category or '—'}",
             f"{float(d.get('users_affected_pct') or 0):g}% of users affected",
             f"workaround {d.get('workaround', '?')}"]
    if d.get("revenue_risk"):
        facts.append("revenue at risk")
    if d.get("security_breach"):
        facts.append("security or data breach")
    text = str(d.get("text") or "").strip()
    return f"{row.title}\n{' · '.join(facts)}" + (f"\n\n{text}" if text else "")


class HandoffDialog(FormDialog):
    """Hand a ticket to another team (functional) or tier (hierarchical)."""

    def __init__(self, service: ConsoleServicePort, matrix: Matrix, row: QueueRow, reason: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(service, matrix, form="handoff", ticket=row.id,
                         title=f"Hand off {row.id} — {row.title}",
                         submit_text="Hand o&ff", parent=parent)
        self.row = row
        self.template = matrix.handoff_template(row.category)
        self.required = set(required_fields(self.template))
        self.copier = AttachmentCopier(service.data_dir, self)
        self._mode_from_target = True

        self.target_box = combo(team_items(matrix, row.team), "Choose a team…")
        self.mode_box = combo(MODE_ITEMS, "Choose…")
        self.attachments = AttachmentList()
        make: dict[str, QWidget] = {
            "summary": QLineEdit(), "details": text_area(5), "customer": QLineEdit(),
            "history": text_area(7), "steps_tried": text_area(4), "next_steps": text_area(3),
            "reason": text_area(2, max_lines=4),
            "target": self.target_box,
            "mode": self.mode_box,
            "urgency": combo([(u.capitalize(), u) for u in URGENCIES], "Choose…"),
            "attachments": self.attachments,
            # pre-filled with the summary of the history (triage assistance); editable
            "context": text_area(5, "The ticket's history in brief, quoted from its events;"
                                    " optional", max_lines=10),
        }
        for name in HANDOFF_FIELDS:
            self.add_field(name, LABELS[name], make[name], hint=self._hint(name),
                           required=name in self.required)
        self.checklist = Checklist(self.template.checklist)
        checklist_field = self.add_field("checklist", LABELS["checklist"], self.checklist,
                                         hint="Tick each check (required by the template)",
                                         required=bool(self.template.checklist))
        checklist_field.setVisible(bool(self.template.checklist))
        self.move_box = QCheckBox("&Move the ticket to the target team now")
        self.move_box.setChecked(True)
        self.watch(self.move_box)
        self.attachments.addRequested.connect(self.choose_files)
        self.target_box.activated.connect(self._target_picked)
        self.mode_box.activated.connect(
            lambda _=0: setattr(self, "_mode_from_target", False))
        self._build()
        with self.quietly():
            self._prefill(reason)
        service.forms.history(row.id, self.guard(self._history_loaded), lambda e: None)
        self._restored = False  # a draft came back: its context stands, even if empty
        service.triage.summary(row.id, self.guard(self._summary_loaded), lambda e: None)
        self.start()
        self.fit_to_screen()

    @contextmanager
    def quietly(self) -> Iterator[None]:
        """Pre-fill without counting as typing (a restored draft still wins)."""
        self._restoring = True
        try:
            yield
        finally:
            self._restoring = False

    def _build(self) -> None:
        f = self.fields
        self.header = head = named(QLabel(), "handoffHeader")
        head.setWordWrap(True)
        self._show_header()
        move = QGridLayout()
        top = Qt.AlignmentFlag.AlignTop
        move.addWidget(f["target"], 0, 0, top)
        move.addWidget(f["mode"], 0, 1, top)
        move.addWidget(f["urgency"], 0, 2, top)
        move.addWidget(self.move_box, 1, 0, 1, 3)
        move.setColumnStretch(0, 3)
        move.setColumnStretch(1, 2)
        move.setColumnStretch(2, 1)
        left, right = QVBoxLayout(), QVBoxLayout()
        for name in ("customer", "details", "history", "context"):  # context: the summary
            left.addWidget(f[name])
        right.addWidget(f["reason"])
        right.addLayout(move)
        for name in ("steps_tried", "next_steps"):
            right.addWidget(f[name])
        columns = QHBoxLayout()
        columns.addLayout(left, 1)
        columns.addSpacing(12)
        columns.addLayout(right, 1)
        extras = QHBoxLayout()
        extras.addWidget(f["attachments"], 1, top)
        if self.template.checklist:
            extras.addSpacing(12)
            extras.addWidget(f["checklist"], 1, top)
        outer = QVBoxLayout(self.body)
        outer.addWidget(head)
        outer.addWidget(f["summary"])
        outer.addLayout(columns, 1)
        outer.addLayout(extras)
        self.order = ["summary", "customer", "details", "history", "context", "reason",
                      "target", "mode", "urgency", "steps_tried", "next_steps", "attachments",
                      "checklist"]
        widgets = [f[n].widget for n in self.order[:9]]
        widgets.insert(8, self.move_box)
        widgets += [f["steps_tried"].widget, f["next_steps"].widget,
                    self.attachments.add_button, self.attachments.remove_button,
                    self.attachments.list, *self.checklist.boxes,
                    self.submit_button, self.close_button, self.discard_button]
        chain_tab_order(widgets)
        f["summary"].widget.setFocus()
        self.preferred_chars = 160

    def _hint(self, name: str) -> str:
        hint = self.template.prompts.get(name) or (
            "" if name in ("target", "mode", "urgency", "context") else FIELD_HELP[name])
        return hint[:1].upper() + hint[1:]

    def _show_header(self) -> None:
        self.header.setText(
            f"<b>{self.row.id}</b> · {self.row.severity} · now with "
            f"{self._team_name(self.row.team)} ({self.row.tier}) · "
            f"<b>{self.template.category}</b> template: fields marked * are required.")

    def on_matrix_changed(self) -> None:
        """The published version's teams, template prompts and required fields."""
        refill(self.target_box, team_items(self.matrix, self.row.team))
        self.template = self.matrix.handoff_template(self.row.category)
        self.required = set(required_fields(self.template))
        for name in HANDOFF_FIELDS:
            self.fields[name].set_required(name in self.required)
            self.fields[name].set_hint(self._hint(name))
        self._show_header()
        self._update_move()

    def _team_name(self, team_id: str) -> str:
        try:
            return self.matrix.team(team_id).name
        except StopIteration:
            return team_id or "no team"

    def _prefill(self, reason: str) -> None:
        row, f = self.row, self.fields
        f["customer"].set_value(f"{row.account} ({row.account_tier})" if row.account_tier
                                else row.account)
        f["details"].set_value(ticket_details(self.matrix, row))
        f["reason"].set_value(reason)
        f["urgency"].set_value(suggest_urgency(self.matrix, row.severity))
        try:
            route = self.matrix.severity(row.severity).route_to
        except KeyError:  # a severity the current matrix no longer has
            route = None
        if route and route != row.team:
            f["target"].set_value(route)
            self._target_picked()
        self.attachments.set_form_value([])
        self._update_move()

    def _history_loaded(self, events: list[TimelineEvent]) -> None:
        field = self.fields["history"]
        if str(field.value()).strip():
            return  # a restored draft (or the agent) already wrote it
        with self.quietly():
            field.set_value(history_summary(events, datetime.now().astimezone().tzinfo))

    def _summary_loaded(self, text: str) -> None:
        """"Triage context": the extractive summary, unless the agent or a draft wrote it."""
        field = self.fields["context"]
        if self._restored or str(field.value()).strip() or not text.strip():
            return
        with self.quietly():
            field.set_value(text)

    # -- target and mode -------------------------------------------------------------------
    def _target_picked(self, *_: Any) -> None:
        target = self.fields["target"].value()
        if target and self._mode_from_target:
            self.fields["mode"].set_value(suggest_mode(self.matrix, self.row.tier, target))
        self._update_move()

    def _update_move(self) -> None:
        target = self.fields["target"].value()
        self.move_box.setVisible(bool(target) and target != self.row.team)
        if target:
            self.move_box.setText(f"&Move the ticket to {self._team_name(target)} now")

    def on_fields_changed(self) -> None:
        self._update_move()

    # -- attachments -----------------------------------------------------------------------
    def choose_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Attach files to the handoff")
        self.add_files(paths)

    def add_files(self, paths: list[str]) -> None:
        """Copy files into the store in the background; the list shows them as copying."""
        for path in paths:
            name = Path(path).name
            self.attachments.copying(name)
            self.copier.add(
                path, self.guard(lambda a, n=name: self.attachments.copied(n, a.to_json())),
                self.guard(lambda e, n=name: self._copy_failed(n, e)))

    def _copy_failed(self, name: str, error: BaseException) -> None:
        self.attachments.copied(name, None)
        self.fields["attachments"].set_error(str(error))

    # -- checks and submit ------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        values = super().values()
        values["move"] = self.move_box.isChecked()
        return values

    def restore(self, payload: dict[str, Any]) -> None:
        super().restore(payload)
        self._restored = True
        self.move_box.setChecked(bool(payload.get("move", True)))
        self._mode_from_target = False
        self._update_move()

    def errors(self) -> dict[str, str]:
        values = self.values()
        errors = check_handoff(self.matrix, self.template, values, self.row.tier,
                               checked=values.get("checklist") or [])
        if self.attachments.busy:
            errors["attachments"] = (f"Wait a moment: {len(self.attachments.busy)} file(s) "
                                     "are still being copied.")
        return errors

    def payload(self) -> dict[str, Any]:
        values = self.values()
        out = {name: values.get(name) for name in HANDOFF_FIELDS}
        for name, value in out.items():
            if isinstance(value, str):
                out[name] = value.strip()
        out["attachments"] = values.get("attachments") or []
        out["checklist"] = values.get("checklist") or []
        out["template"] = self.template.category
        return out

    def submit(self) -> None:
        self.service.forms.submit_handoff(
            self.matrix, self.row.id, self.payload(), self.row.team,
            self.move_box.isChecked() and not self.move_box.isHidden(),
            self.submit_id, self.guard(self.submit_done), self.guard(self.submit_failed),
            draft_key=self.autosaver.key)

    def done_text(self, result: Submitted) -> str:
        if result.duplicate:
            return f"The handoff of {result.ticket} was already submitted; nothing sent twice."
        target = self._team_name(str(self.fields["target"].value()))
        return f"Handed {result.ticket} to {target}."

    def done(self, code: int) -> None:
        self.copier.shutdown()
        super().done(code)
