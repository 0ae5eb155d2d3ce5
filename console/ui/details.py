"""The right-hand panel: everything about the selected ticket.

Title, severity and why, every SLA clock with its local due time and countdown, the
latest handoff, and the timeline (history arrives from the service's DB worker).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from console.app.runtime.countdown import countdown
from console.app.runtime.port import TimelineEvent
from console.app.runtime.rows import QueueRow
from console.domain.engine import build_calendars
from console.domain.matrix import Matrix

from .queue_delegates import pause_glyph
from .queue_model import STATUS_LABELS, UNCONFIRMED_TIP, cell_colors, local_time
from .theme import SLA_LABELS, named, severity_color, text_on

CLOCK_NAMES = {"response": "Response", "update": "Update", "resolution": "Resolution",
               "initial_severity": "Initial severity", "confirmation": "Confirmation"}
SEVERITY_KINDS = ("severity", "severity_set", "severity_confirmed", "severity_changed")
SOURCE_TEXT = {"suggested": "suggested by the matrix", "support": "set by Support",
               "engineering": "set by Engineering", "trigger": "raised by a trigger",
               "intake": "set at intake"}


def severity_source_text(source: str) -> str:
    """Who set the severity, in words: ``suggested`` -> "suggested by the matrix"."""
    return SOURCE_TEXT.get(source, f"set by {source}" if source else "not set yet")


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value if v)
    return "" if value is None else str(value)


def handoff_html(handoff: dict[str, Any], team_name: Callable[[str], str] = str) -> str:
    """The latest handoff as short rich text: summary, what was tried, next steps;
    ``team_name`` turns the target team's id into the name people know it by."""
    parts = []
    for label, keys in (("Summary", ("summary",)),
                        ("Reason", ("reason",)),
                        ("Steps tried", ("steps_tried", "tried", "troubleshooting")),
                        ("Next steps", ("next_steps", "next")),
                        ("To", ("target", "to_team", "to", "team")),
                        ("Move", ("mode",)),
                        ("Urgency", ("urgency",)),
                        ("By", ("by", "author"))):
        value = next((_text(handoff[k]) for k in keys if handoff.get(k)), "")
        if value and label == "To":
            value = team_name(value)
        if value:  # keep the agent's line breaks: steps tried are often one per line
            parts.append(f"<b>{label}:</b> {html.escape(value).replace(chr(10), '<br>')}")
    files = [str(a.get("name", "")) for a in handoff.get("attachments") or []
             if isinstance(a, dict)]
    if files:
        parts.append(f"<b>Attachments:</b> {html.escape(', '.join(files))}")
    return "<br>".join(parts) or "<i>(empty handoff)</i>"


def timeline_lines(events: Iterable[TimelineEvent]) -> list[tuple[str, bool]]:
    """``HH:MM  author  kind  summary`` per event; True marks severity decisions."""
    out: list[tuple[str, bool]] = []
    current: str | None = None
    for e in events:
        p = e.payload
        label, summary, marked = e.kind.replace("_", " "), "", False
        if e.kind in SEVERITY_KINDS or (e.kind == "opened" and p.get("severity")):
            sev, by = str(p.get("severity", "")), str(p.get("by") or "support")
            reason = f": {p['reason']}" if p.get("reason") else ""
            if e.kind == "opened":
                summary = f"{p.get('title', '')} — severity set to {sev} by {by}"
            elif current is None:
                label, summary = "severity set", f"{sev} by {by}{reason}"
            elif sev == current:
                label, summary = "severity confirmed", f"{sev} by {by}{reason}"
            else:
                label, summary = "severity changed", f"{current} → {sev} by {by}{reason}"
            current, marked = sev, True
        else:
            summary = _summary(e.kind, p)
        at = e.at.astimezone().strftime("%H:%M")
        out.append((f"{at}  {e.author or '—'}  {label}  {summary}".rstrip(), marked))
    return out


def _summary(kind: str, p: dict[str, Any]) -> str:
    if kind == "opened":
        return str(p.get("title", ""))
    if kind == "status":
        return "→ " + STATUS_LABELS.get(str(p.get("status")), str(p.get("status")))
    if kind == "message":
        return _text(p.get("text"))[:120]
    if kind == "acknowledged":
        return _text(p.get("alert"))
    if kind in ("escalated", "assigned", "routed"):  # routed: by the engine
        return " ".join(f"{k} {p[k]}" for k in ("tier", "team", "owner") if p.get(k))
    if kind == "prioritized":
        return f"priority {p.get('priority', '')}"
    if kind == "handoff_submitted":
        return _text(p.get("summary"))[:120]
    if kind == "severity_disagreement":
        reason = f": {_text(p.get('reason'))}" if p.get("reason") else ""
        return f"{p.get('initial', '?')} → {p.get('confirmed', '?')}{reason}"
    if kind == "approval_requested":
        amount = f" {p['amount']:g}" if isinstance(p.get("amount"), int | float) else ""
        unit = f" {p['unit']}" if p.get("unit") else ""
        return f"{p.get('action', '')}{amount}{unit} → {p.get('route_to_role', '?')}"
    if kind in ("approval_granted", "approval_denied"):
        role = f" ({p['role']})" if p.get("role") else ""
        return f"by {p.get('by', '?')}{role}"
    return ""


class DetailsPanel(QWidget):
    """Shows one ticket; the main window feeds it rows, history and the time."""

    acknowledgeRequested = Signal(str)
    captureRequested = Signal(str)   # "Capture as KB article" on a resolved ticket

    def __init__(self, matrix: Matrix, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailsPanel")
        self.matrix = matrix
        self.calendars = build_calendars(matrix)
        self.row: QueueRow | None = None
        self._clock_labels: dict[str, tuple[QLabel, QLabel]] = {}

        self.empty = QLabel("Select a ticket to see its clocks, handoff and timeline.")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setStyleSheet("color: #6b7780; padding: 24px;")

        self.ticket = named(QLabel(), "detailsTicket")
        self.ticket.setWordWrap(True)
        self.ticket.setStyleSheet("color: #57606a;")
        self.title = named(QLabel(), "detailsTitle")
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.title.setStyleSheet("font-size: 15pt; font-weight: bold;")
        self.badge = named(QLabel(), "detailsSeverity")
        self.severity = named(QLabel(), "detailsSeverityText")
        self.severity.setWordWrap(True)
        self.reasons = named(QLabel(), "detailsReasons")
        self.reasons.setWordWrap(True)
        self.reasons.setTextFormat(Qt.TextFormat.RichText)
        self.acknowledge = named(QPushButton("Acknowledge"), "acknowledgeButton")
        self.acknowledge.setToolTip("Tell everyone you have this ticket")
        self.acknowledge.clicked.connect(self._acknowledge)

        # the risk model's top reasons: why this ticket may breach or escalate soon
        self.risk = named(QLabel(), "detailsRisk")
        self.risk.setWordWrap(True)
        self.risk.setTextFormat(Qt.TextFormat.RichText)
        self.risk.setVisible(False)
        self.capture = named(QPushButton("Capture as KB article"), "captureKbButton")
        self.capture.setToolTip("Write a knowledge-base draft of how this ticket was "
                                "resolved into the KB folder (Settings)")
        self.capture.clicked.connect(self._capture)
        self.capture_result = named(QLabel(), "captureResult")
        self.capture_result.setWordWrap(True)
        self.capture_result.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse)
        self._risk: tuple[float, tuple[str, ...]] | None = None

        self.clocks = QGroupBox("SLA clocks")
        self.clock_grid = QGridLayout(self.clocks)
        self.clock_grid.setColumnStretch(1, 1)  # the due time gets the room: one line
        self.handoff = QGroupBox("Latest handoff")
        self.handoff_text = named(QLabel(), "detailsHandoff")
        self.handoff_text.setWordWrap(True)
        self.handoff_text.setTextFormat(Qt.TextFormat.RichText)
        QVBoxLayout(self.handoff).addWidget(self.handoff_text)
        self.timeline = named(QListWidget(), "detailsTimeline")
        self.timeline.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.timeline.setWordWrap(True)
        self.timeline.setMinimumHeight(160)

        self.acknowledge.setMinimumHeight(32)
        sev_row = QHBoxLayout()
        sev_row.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignTop)
        sev_row.addWidget(self.severity, 1)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self.ticket)
        layout.addWidget(self.title)
        layout.addLayout(sev_row)
        layout.addWidget(self.reasons)
        layout.addWidget(self.acknowledge)
        layout.addWidget(self.risk)
        layout.addWidget(self.capture)
        layout.addWidget(self.capture_result)
        layout.addWidget(self.clocks)
        layout.addWidget(self.handoff)
        layout.addWidget(QLabel("<b>Timeline</b>"))
        layout.addWidget(self.timeline, 1)
        self.body = QScrollArea()
        self.body.setWidget(body)
        self.body.setWidgetResizable(True)
        self.body.setFrameShape(QFrame.Shape.NoFrame)
        # texts wrap to the panel's width; a scroll bar is the last resort, never a cut
        self.body.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.empty)
        outer.addWidget(self.body)
        self.show_row(None, datetime.now().astimezone())

    def set_matrix(self, matrix: Matrix, now: datetime) -> None:
        """Follow a newly published version: severity names and colours, calendars."""
        self.matrix = matrix
        self.calendars = build_calendars(matrix)
        if self.row is not None:
            self.show_row(self.row, now)

    @property
    def ticket_id(self) -> str | None:
        return None if self.row is None else self.row.id

    def show_row(self, row: QueueRow | None, now: datetime) -> None:
        """Show a ticket (or the empty state). The timeline waits for set_history()."""
        changed = row is None or self.row is None or row.id != self.row.id
        self.row = row
        self.empty.setVisible(row is None)
        self.body.setVisible(row is not None)
        if row is None:
            return
        status = STATUS_LABELS.get(row.status, row.status)
        self.ticket.setText(f"{row.id} · {row.account} · {status}")
        self.title.setText(row.title)
        color = severity_color(self.matrix, row.severity)
        self.badge.setText(row.severity if row.confirmed else f"{row.severity} ?")
        self.badge.setStyleSheet(
            f"background: {color.name()}; color: {text_on(color).name()}; font-weight: bold;"
            " border-radius: 6px; padding: 4px 10px; font-size: 13pt;")
        self.severity.setText(self._severity_text(row))
        reasons = row.detail.get("reasons") or []
        self.reasons.setText("<b>Why:</b><ul style='margin:0'>" + "".join(
            f"<li>{html.escape(str(r))}</li>" for r in reasons) + "</ul>" if reasons
            else "<i>No scoring reasons recorded.</i>")
        self._build_clocks(row, now)
        self.capture.setVisible(not row.open)
        if changed:
            self.capture_result.setText("")
        self._show_risk()
        handoff = row.detail.get("latest_handoff")
        self.handoff.setVisible(bool(handoff))
        if handoff:
            self.handoff_text.setText(handoff_html(handoff, self._team_name))
        if changed:
            self.timeline.clear()
            self.timeline.addItem("Loading history…")

    def _team_name(self, team_id: str) -> str:
        try:
            return self.matrix.team(team_id).name
        except (KeyError, StopIteration):
            return team_id

    def _severity_text(self, row: QueueRow) -> str:
        try:
            name = self.matrix.severity(row.severity).name
        except KeyError:
            name = ""
        state = "confirmed" if row.confirmed else UNCONFIRMED_TIP
        source = severity_source_text(row.severity_source)
        return f"<b>{html.escape(name)}</b> · {source} · {state}"

    def _build_clocks(self, row: QueueRow, now: datetime) -> None:
        while self.clock_grid.count():
            item = self.clock_grid.takeAt(0)
            if item is not None and (widget := item.widget()) is not None:
                widget.deleteLater()
        self._clock_labels.clear()
        ordered = sorted(row.clocks, key=lambda c: list(CLOCK_NAMES).index(c.name)
                         if c.name in CLOCK_NAMES else 99)
        # two lines a clock, so the panel stays narrow: name and state pill, then the
        # countdown and the due time (which wraps)
        for i, clock in enumerate(ordered):
            name = QLabel(f"<b>{CLOCK_NAMES.get(clock.name, clock.name)}</b>")
            due = QLabel(self._due_text(clock.due, clock.stopped_at))
            due.setWordWrap(True)
            due.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            due.setStyleSheet("color: #57606a;")
            due.setToolTip(f"{clock.calendar} calendar, target {clock.target_seconds // 60} min")
            state, left = named(QLabel(), f"clockState_{clock.name}"), QLabel()
            left.setWordWrap(True)  # "paused, 1h 00m left" is long in a 12 pt bold font
            left.setStyleSheet("font-size: 12pt; font-weight: bold;")
            state.setAlignment(Qt.AlignmentFlag.AlignCenter)
            state.setMinimumWidth(state.fontMetrics().horizontalAdvance("x") * 14)
            self.clock_grid.addWidget(name, 2 * i, 0)
            self.clock_grid.addWidget(state, 2 * i, 1, Qt.AlignmentFlag.AlignRight)
            self.clock_grid.addWidget(left, 2 * i + 1, 0)
            self.clock_grid.addWidget(due, 2 * i + 1, 1)
            self._clock_labels[clock.name] = (state, left)
        if not ordered:
            self.clock_grid.addWidget(QLabel("No SLA clocks."), 0, 0)
        self.update_now(now)

    @staticmethod
    def _due_text(due: datetime | None, stopped: datetime | None) -> str:
        if stopped is not None:
            return f"stopped {local_time(stopped)}"
        return f"due {local_time(due)}" if due else "paused: no due time until it restarts"

    def update_now(self, now: datetime) -> None:
        """Refresh the countdowns (the 1 Hz tick)."""
        if self.row is None:
            return
        for clock in self.row.clocks:
            labels = self._clock_labels.get(clock.name)
            if labels is None:
                continue
            cd = countdown(clock, now, self.calendars)
            bg, fg = cell_colors(cd.state)
            state, left = labels
            glyph = pause_glyph(state.font()) + " " if cd.state == "paused" else ""
            left.setText(cd.text)
            if state.property("sla") == cd.state:
                continue  # restyling every second would re-polish the label
            state.setProperty("sla", cd.state)
            state.setText(glyph + SLA_LABELS.get(cd.state, cd.state))
            state.setStyleSheet(
                f"background: {bg.name()}; color: {fg.name()}; border-radius: 9px;"
                f" padding: 2px 8px; font-weight: {'bold' if cd.state == 'breached' else 'normal'};"
                f" font-style: {'italic' if cd.state == 'paused' else 'normal'};")

    def set_history(self, ticket: str, events: list[TimelineEvent]) -> None:
        if ticket != self.ticket_id:
            return
        self.timeline.clear()
        bold = QFont(self.timeline.font())
        bold.setBold(True)
        for line, marked in timeline_lines(events):
            item = QListWidgetItem(line)
            if marked:
                item.setFont(bold)
                item.setForeground(QColor("#8e0000"))
            self.timeline.addItem(item)
        if not events:
            self.timeline.addItem("No events yet.")
        self.timeline.scrollToBottom()

    def set_risk(self, risk: tuple[float, tuple[str, ...]] | None) -> None:
        """The shown ticket's risk (probability, top reasons); None: not scored."""
        self._risk = risk
        self._show_risk()

    def _show_risk(self) -> None:
        found = self._risk if self.row is not None and self.row.open else None
        self.risk.setVisible(found is not None)
        if found is not None:
            p, reasons = found
            self.risk.setText(
                f"<b>Risk {p:.0%}</b> of a breach or escalation within the hour"
                + ("<ul style='margin:0'>" + "".join(f"<li>{html.escape(r)}</li>"
                                                     for r in reasons) + "</ul>"
                   if reasons else ""))

    def captured(self, message: str) -> None:
        """Say where the KB draft went (or why it could not be written)."""
        self.capture_result.setText(message)

    def _capture(self) -> None:
        if self.row is not None:
            self.capture_result.setText("Writing the KB draft…")
            self.captureRequested.emit(self.row.id)

    def _acknowledge(self) -> None:
        if self.row is not None:
            self.acknowledgeRequested.emit(self.row.id)
