"""The intake form's triage suggestion: severity, team and category learnt from this
team's resolved tickets, beside the matrix's suggestion (never instead of it).

Each line says the value, the model's confidence and the words of the ticket that
drove it; below, the five most similar resolved tickets and how each was resolved.
When nothing is suggested, the panel says why ("fewer than 200 resolved tickets",
"the team model does not beat the majority baseline").
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QLabel, QVBoxLayout, QWidget

from console.app.report_words import team_name
from console.domain.matrix import Matrix

from ..theme import named

FIELD_LABELS = {"severity": "Severity", "team": "Team", "category": "Category"}
SIMILAR_SHOWN = 5
RESOLUTION_CHARS = 90
PROMPT = "Type a title and description for a suggestion."


def _value_name(matrix: Matrix, field: str, value: str) -> str:
    if field == "team":
        return team_name(matrix, value)
    if field == "category":
        return value.replace("_", " ")
    return value


def team_items(matrix: Matrix) -> list[tuple[str, str]]:
    """The intake form's Team choices: the matrix's intake team first, marked so."""
    intake = matrix.intake_team or matrix.teams[0].id
    return [(f"{t.name} (intake)" if t.id == intake else t.name, t.id)
            for t in sorted(matrix.teams, key=lambda t: t.id != intake)]


def triage_record(found: Any, preselected: list[str]) -> dict[str, Any] | None:
    """What the ``opened`` event records of the suggestion an agent saw (``found``: a
    ``suggest.Suggestions``): per field the model version, value and confidence, and
    what it pre-selected. None when nothing was suggested."""
    if found is None or not found.items:
        return None
    return {"model": {i.field: int(i.model_version) for i in found.items},
            "suggested": {i.field: str(i.value) for i in found.items},
            "confidence": {i.field: round(float(i.confidence), 3) for i in found.items},
            "preselected": preselected}


def suggestion_html(matrix: Matrix, found: Any) -> str:
    """The suggestion lines as rich text (``found``: a ``suggest.Suggestions``)."""
    lines = []
    for item in found.items:
        # a lone letter (a character n-gram's) explains nothing to a person
        words = ", ".join(html.escape(w) for w in item.words if len(w.strip()) > 1)
        because = f"<br><span style='color:#57606a'>because of: <i>{words}</i></span>" \
            if words else ""
        lines.append(f"<b>{FIELD_LABELS.get(item.field, item.field)}:</b> "
                     f"{html.escape(_value_name(matrix, item.field, item.value))} "
                     f"<span style='color:#57606a'>· {item.confidence:.0%} sure</span>"
                     f"{because}")
    return "<br>".join(lines)


def similar_html(found: Any) -> str:
    """The similar resolved tickets, each with how it was resolved."""
    rows = []
    for s in found.similar[:SIMILAR_SHOWN]:
        how = " ".join(str(s.resolution).split())
        if len(how) > RESOLUTION_CHARS:
            how = how[:RESOLUTION_CHARS - 1].rstrip() + "…"
        rows.append(f"<li><b>{html.escape(s.ticket)}</b> {html.escape(s.title)}"
                    f"<br><span style='color:#57606a'>resolved: "
                    f"{html.escape(how) if how else 'no note'}</span></li>")
    if not rows:
        return ("<b>Similar resolved tickets</b><br><span style='color:#57606a'>none close "
                "enough to this one</span>") if found.items else ""
    return ("<b>Similar resolved tickets</b><ol style='margin:0 0 0 -20px'>"
            + "".join(rows) + "</ol>")


class TriagePanel(QGroupBox):
    """Shows one ``Suggestions`` (or the reason there is none)."""

    def __init__(self, matrix: Matrix, parent: QWidget | None = None) -> None:
        super().__init__("Suggested from resolved tickets", parent)
        self.setObjectName("triagePanel")
        self.matrix = matrix
        self.lines = named(QLabel(PROMPT), "triageSuggestions")
        self.similar = named(QLabel(), "triageSimilar")
        self.declined = named(QLabel(), "triageDeclined")
        for label in (self.lines, self.similar, self.declined):
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.declined.setStyleSheet("color: #8a5a00;")
        self.note = named(QLabel(), "triagePreselected")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #57606a;")
        self.note.setVisible(False)
        layout = QVBoxLayout(self)
        for label in (self.lines, self.note, self.declined, self.similar):
            layout.addWidget(label)
        self.declined.setVisible(False)
        self.similar.setVisible(False)

    def show_suggestions(self, found: Any) -> None:
        """Render ``found``: the items and similar tickets, or why it declines."""
        items = bool(found.items)
        self.lines.setText(suggestion_html(self.matrix, found) if items else "")
        self.lines.setVisible(items)
        declined = str(found.declined or "")
        self.declined.setText(f"Not suggested: {html.escape(declined)}." if declined else "")
        self.declined.setVisible(bool(declined))
        similar = similar_html(found)
        self.similar.setText(similar)
        self.similar.setVisible(bool(similar))

    def show_prompt(self) -> None:
        """Nothing typed: the first state again."""
        self.lines.setText(PROMPT)
        self.lines.setVisible(True)
        for label in (self.declined, self.similar, self.note):
            label.setVisible(False)

    def set_preselected(self, text: str) -> None:
        self.note.setText(text)
        self.note.setVisible(bool(text))
