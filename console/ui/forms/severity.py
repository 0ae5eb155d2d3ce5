"""Two-stage severity: Support sets the initial severity against its clock, Engineering
confirms or adjusts it, with a reason, against its own.

Both clocks tick in the form. An Engineering decision that differs from Support's
initial severity is recorded as a ``severity_disagreement`` event as well.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QGridLayout, QGroupBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from console.app.runtime.countdown import countdown
from console.app.runtime.forms_ops import Submitted
from console.app.runtime.port import ConsoleServicePort
from console.app.runtime.rows import QueueRow
from console.domain.engine import build_calendars
from console.domain.intake import STAGES, SeverityDecision, check_severity
from console.domain.matrix import Matrix

from ..theme import SLA_LABELS, named, severity_color, text_on
from .base import FormDialog
from .intake import severity_items
from .widgets import chain_tab_order, combo, minutes, refill, text_area

CLOCK_TITLES = {"initial_severity": "Initial severity (Support)",
                "confirmation": "Confirmation (Engineering)"}


class ConfirmSeverityDialog(FormDialog):
    """``stage`` "support": set the initial severity; "engineering": confirm or adjust."""

    def __init__(self, service: ConsoleServicePort, matrix: Matrix, row: QueueRow, stage: str,
                 parent: QWidget | None = None) -> None:
        if stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}, not {stage!r}")
        engineering = stage == "engineering"
        super().__init__(service, matrix, form=f"severity-{stage}", ticket=row.id,
                         title=(f"Confirm severity — {row.id}" if engineering
                                else f"Set initial severity — {row.id}"),
                         submit_text="&Confirm" if engineering else "Set as &initial severity",
                         parent=parent)
        self.row, self.stage = row, stage
        self.calendars = build_calendars(matrix)
        self.suggested = str(row.detail.get("suggested") or row.severity)
        self.suggestion_reasons = tuple(str(r) for r in row.detail.get("reasons") or ())
        # what Engineering confirms: the severity someone set (not the bare suggestion)
        self.initial = row.severity if row.severity_source != "suggested" else None

        self.severity_box = combo(severity_items(matrix))
        self.severity_box.setCurrentIndex(self.severity_box.findData(
            row.severity if (engineering or self.initial) else self.suggested))
        self.reason_edit = text_area(3, "What you checked, e.g. logs, affected accounts"
                                     if engineering else "Why this severity")
        self.add_field("severity", "&Severity", self.severity_box)
        self.add_field("reason", "&Reason", self.reason_edit, required=engineering)
        self.note = named(QLabel(), "decisionNote")
        self.note.setWordWrap(True)
        self.clock_labels: dict[str, tuple[QLabel, QLabel]] = {}
        self._build()
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self.tick)
        self.timer.start()
        self.tick()
        self.on_fields_changed()
        self.start()
        self.fit_to_screen()

    def _build(self) -> None:
        row = self.row
        color = severity_color(self.matrix, row.severity)
        badge = named(QLabel(row.severity if row.confirmed else f"{row.severity} ?"),
                      "currentBadge")
        badge.setStyleSheet(f"background: {color.name()}; color: {text_on(color).name()};"
                            " font-weight: bold; font-size: 14pt; border-radius: 6px;"
                            " padding: 3px 12px;")
        state = "confirmed by Engineering" if row.confirmed else "not yet confirmed by Engineering"
        source = {"suggested": "suggested by the matrix (nobody set it yet)"}.get(
            row.severity_source, f"set by {row.severity_source}")
        current = QLabel(f"<b>{html.escape(row.title)}</b><br>{html.escape(row.account)} · "
                         f"{source} · {state}")
        current.setWordWrap(True)
        head = QHBoxLayout()
        head.addWidget(badge, 0, Qt.AlignmentFlag.AlignTop)
        head.addWidget(current, 1)
        why = named(QLabel("<b>Matrix suggests " + html.escape(self.suggested) + ":</b> "
                           + html.escape("; ".join(self.suggestion_reasons) or "—")),
                    "suggestionText")
        why.setWordWrap(True)

        clocks = QGroupBox("Severity clocks")
        grid = QGridLayout(clocks)
        grid.setColumnStretch(1, 1)
        for i, name in enumerate(CLOCK_TITLES):
            title, left, state_label = QLabel(f"<b>{CLOCK_TITLES[name]}</b>"), QLabel(), QLabel()
            left.setObjectName(f"clock_{name}")
            state_label.setObjectName(f"clockState_{name}")
            grid.addWidget(title, i, 0)
            grid.addWidget(left, i, 1)
            grid.addWidget(state_label, i, 2)
            self.clock_labels[name] = (left, state_label)
        layout = QVBoxLayout(self.body)
        layout.addLayout(head)
        layout.addWidget(why)
        layout.addWidget(clocks)
        layout.addWidget(self.fields["severity"])
        layout.addWidget(self.note)
        layout.addWidget(self.fields["reason"])
        layout.addStretch(1)
        chain_tab_order([self.severity_box, self.reason_edit, self.submit_button,
                         self.close_button, self.discard_button])
        self.severity_box.setFocus()
        self.preferred_chars = 70

    def tick(self) -> None:
        """Move both countdowns (1 Hz, from the row's clocks: no database)."""
        now = self.service.clock()
        for name, (left, state_label) in self.clock_labels.items():
            clock = self.row.clock(name)
            if clock is None:
                left.setText("not started" if name == "confirmation" else "—")
                state_label.setText("")
                continue
            cd = countdown(clock, now, self.calendars)
            due = clock.due.astimezone().strftime("%H:%M") if clock.due else ""
            if cd.state == "met" and clock.stopped_at is not None:
                left.setText(f"done at {clock.stopped_at.astimezone():%H:%M}")
            else:
                left.setText(cd.text + (f" (due {due})" if due else ""))
            state_label.setText(SLA_LABELS.get(cd.state, cd.state))
            color = {"breached": "#b3261e", "pre_breach": "#8a5a00"}.get(cd.state, "#1b5e20")
            state_label.setStyleSheet(f"font-weight: bold; color: {color};")

    def chosen(self) -> str:
        return str(self.severity_box.currentData() or "")

    def decision(self) -> SeverityDecision:
        return SeverityDecision(self.stage, self.chosen(), self.suggested,
                                self.reason_edit.toPlainText(),
                                self.initial if self.stage == "engineering" else None,
                                self.suggestion_reasons)

    def on_matrix_changed(self) -> None:
        refill(self.severity_box, severity_items(self.matrix))
        self.calendars = build_calendars(self.matrix)
        self.tick()

    def on_fields_changed(self) -> None:
        d = self.decision()
        notes = []
        if self.stage == "engineering":
            if d.disagrees:
                self.submit_button.setText(f"&Adjust to {d.chosen}")
                notes.append(f"This changes Support's {d.initial} to {d.chosen}: it is recorded "
                             "as a disagreement, with your reason.")
            else:
                self.submit_button.setText(f"&Confirm {d.chosen}")
        else:
            self.submit_button.setText(f"Set {d.chosen} as &initial severity")
        if d.overrides_suggestion and not d.disagrees:
            notes.append(f"Overrides the matrix's suggestion {d.suggested}: a reason is "
                         "required and recorded.")
        sev = self.matrix.severity(d.chosen) if d.chosen else None
        if self.stage == "support" and sev is not None and sev.two_stage is not None:
            notes.append(f"Engineering then confirms {d.chosen} within "
                         f"{minutes(sev.two_stage.confirm)}.")
        self.note.setText(" ".join(notes))
        self.note.setVisible(bool(notes))
        self.fields["reason"].set_required(self.stage == "engineering" or d.overrides_suggestion)

    def errors(self) -> dict[str, str]:
        return check_severity(self.decision(), self.matrix)

    def submit(self) -> None:
        self.service.forms.submit_severity(
            self.row.id, self.decision(), self.submit_id,
            self.guard(self.submit_done), self.guard(self.submit_failed),
            draft_key=self.autosaver.key)

    def done_text(self, result: Submitted) -> str:
        d = self.decision()
        if result.duplicate:
            return f"{result.ticket}: this decision was already recorded."
        if self.stage == "engineering":
            verb = f"adjusted {d.initial} → {d.chosen}" if d.disagrees else f"confirmed {d.chosen}"
            return f"{result.ticket}: {verb}."
        return f"{result.ticket}: initial severity {d.chosen} set."

    def done(self, code: int) -> None:
        self.timer.stop()
        super().done(code)
