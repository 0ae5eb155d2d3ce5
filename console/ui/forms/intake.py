"""The intake form: a new ticket, with the matrix's live severity suggestion.

As the agent fills the form in, the matrix scores it and the panel on the right shows
the suggested severity and why. The severity to set follows the suggestion until the
agent picks another one; then a reason is required and the override is recorded
(``override_of`` on the ``severity`` event).
"""

from __future__ import annotations

import html
import secrets
from typing import Any

from PySide6.QtCore import QRegularExpression, Qt
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCompleter,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from console.app.runtime.forms_ops import Submitted
from console.app.runtime.port import ConsoleServicePort
from console.domain.intake import (
    INTAKE_REQUIRED,
    SeverityDecision,
    account_tiers,
    categories,
    check_intake,
    check_severity,
    new_ticket_id,
    to_intake,
    unknown_facts,
)
from console.domain.matrix import Matrix
from console.domain.scoring import Score, score

from ..theme import named, severity_color, text_on
from .base import FormDialog
from .triage_panel import TriagePanel, team_items, triage_record
from .widgets import FormField, chain_tab_order, combo, minutes, refill, text_area

PCT_PRESETS = ("0", "1", "5", "10", "25", "50", "75", "100")
YES_NO = [("No", False), ("Yes", True)]
WORKAROUND_ITEMS = [("None: the customer is blocked", "none"),
                    ("Partial: some of it works", "partial"),
                    ("Full: they can work around it", "full")]


def severity_items(matrix: Matrix) -> list[tuple[str, str]]:
    return [(f"{s.id} · {s.name}", s.id) for s in matrix.severities]


class IntakeDialog(FormDialog):
    """New ticket: customer, description, impact; severity suggested live."""

    def __init__(self, service: ConsoleServicePort, matrix: Matrix,
                 parent: QWidget | None = None) -> None:
        super().__init__(service, matrix, form="intake", title="New ticket — intake",
                         submit_text="&Open ticket", parent=parent)
        self.new_ticket = new_ticket_id(service.clock(), secrets.token_hex(2))
        self.setWindowTitle(f"New ticket {self.new_ticket} — intake")
        self.known_accounts: dict[str, str] = {}
        self.suggestion: Score = score(matrix, to_intake({}))
        self._following = True
        self._tier_from_account = False

        self.title_edit = QLineEdit(placeholderText="e.g. Checkout returns 502 for EU customers")
        self.account_edit = QLineEdit(placeholderText="Customer or account name")
        self.tier_box = combo([(t, t) for t in account_tiers(matrix)], "Choose…")
        self.text_edit = text_area(4, "What does the customer see? Since when? Where?")
        self.category_box = combo([(c.replace("_", " "), c) for c in categories(matrix)],
                                  "Choose…")
        self.workaround_box = combo(WORKAROUND_ITEMS, "Choose…")
        self.pct_box = combo([(p, p) for p in PCT_PRESETS], editable=True)
        self.pct_box.setCurrentIndex(-1)
        if (pct_line := self.pct_box.lineEdit()) is not None:  # editable: it has one
            pct_line.setPlaceholderText("0–100")
        self.pct_box.setValidator(QRegularExpressionValidator(
            QRegularExpression(r"\s*(100|\d{1,2})([.,]\d{0,2})?\s*%?\s*")))
        self.revenue_box = combo(YES_NO)
        self.breach_box = combo(YES_NO)

        req = INTAKE_REQUIRED
        fields = [
            self.add_field("title", "Issue &title", self.title_edit, required="title" in req),
            self.add_field("account", "&Customer / account", self.account_edit, required=True),
            self.add_field("account_tier", "Account t&ier", self.tier_box, required=True),
            self.add_field("text", "&Description", self.text_edit, required=True),
            self.add_field("category", "Cate&gory", self.category_box, required=True),
        ]
        impact = [
            self.add_field("workaround", "&Workaround", self.workaround_box, required=True),
            self.add_field("users_affected_pct", "&Users affected (%)", self.pct_box,
                           required=True),
            self.add_field("revenue_risk", "Re&venue at risk", self.revenue_box),
            self.add_field("security_breach", "Security or data &breach", self.breach_box),
        ]
        self.severity_box = combo(severity_items(matrix))
        self.severity_box.activated.connect(self._severity_picked)
        self.reason_edit = text_area(2, "Why does the suggestion not fit?")
        self.reason_edit.setMaximumHeight(self.reason_edit.minimumHeight() * 2)
        self.team_box = combo(team_items(matrix))
        self.team_box.activated.connect(self._team_picked)
        self._team_preselected = False  # the team box shows a suggestion, not a choice
        self.found: Any = None  # the triage Suggestions shown
        self.add_field("team", "&Team", self.team_box)
        self.add_field("severity", "&Severity to set", self.severity_box, watch=False)
        self.add_field("override_reason", "&Reason for the override", self.reason_edit,
                       required=True)

        self.triage_panel = TriagePanel(matrix)
        self.triage_panel.setVisible(matrix.triage.suggest)
        self.feed = service.triage.suggestions(self)
        self.feed.suggested.connect(self.guard(self._suggested))
        self._build(fields, impact)
        self.account_edit.editingFinished.connect(self._account_chosen)
        self.tier_box.activated.connect(lambda _=0: setattr(self, "_tier_from_account", False))
        self.on_fields_changed()
        service.forms.accounts(self.guard(self._accounts_loaded))
        self.start()
        self.fit_to_screen()

    def _build(self, fields: list[FormField], impact: list[FormField]) -> None:
        left = QVBoxLayout()
        for field in fields[:2]:
            left.addWidget(field)
        row = QHBoxLayout()
        row.addWidget(fields[2])
        row.addWidget(fields[4])
        left.addLayout(row)
        left.addWidget(fields[3], 1)
        grid = QGridLayout()
        for i, field in enumerate(impact):
            grid.addWidget(field, i // 2, i % 2)
        box = QGroupBox("Impact")
        box.setLayout(grid)
        left.addWidget(box)

        self.badge = named(QLabel(), "suggestedBadge")
        self.badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.suggested_name = named(QLabel(), "suggestedName")
        self.suggested_name.setWordWrap(True)
        self.reasons = named(QLabel(), "suggestionReasons")
        self.reasons.setWordWrap(True)
        self.reasons.setTextFormat(Qt.TextFormat.RichText)
        # the facts and the agent's own words behind the suggestion, so they can judge it
        self.drivers = named(QLabel(), "suggestionDrivers")
        self.drivers.setWordWrap(True)
        self.drivers.setTextFormat(Qt.TextFormat.RichText)
        self.drivers.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.provisional = named(QLabel(), "suggestionProvisional")
        self.provisional.setWordWrap(True)
        self.provisional.setStyleSheet("color: #8a5a00;")
        self.two_stage = named(QLabel(), "twoStageNote")
        self.two_stage.setWordWrap(True)
        self.two_stage.setStyleSheet("color: #57606a;")
        head = QHBoxLayout()
        head.addWidget(self.badge)
        head.addWidget(self.suggested_name, 1)
        panel = QVBoxLayout()
        panel.addWidget(QLabel("<b>Suggested by the matrix</b>"))
        panel.addLayout(head)
        panel.addWidget(self.drivers)
        panel.addWidget(self.reasons)
        panel.addWidget(self.provisional)
        panel.addSpacing(8)
        panel.addWidget(self.fields["severity"])
        panel.addWidget(self.two_stage)
        panel.addWidget(self.fields["override_reason"])
        panel.addStretch(1)
        side = QGroupBox("Severity")
        side.setObjectName("severityPanel")
        side.setLayout(panel)
        side.setMinimumWidth(self.fontMetrics().horizontalAdvance("x") * 32)

        # the team, and what this team's resolved tickets suggest: a column of its own
        triage = QVBoxLayout()
        triage.addWidget(self.fields["team"])
        triage.addWidget(self.triage_panel)
        triage.addStretch(1)
        columns = QHBoxLayout(self.body)
        columns.addLayout(left, 3)
        columns.addWidget(side, 2)
        columns.addLayout(triage, 2)
        self.preferred_chars = 140 if self.matrix.triage.suggest else 100
        order = [self.title_edit, self.account_edit, self.tier_box, self.category_box,
                 self.text_edit, self.workaround_box, self.pct_box, self.revenue_box,
                 self.breach_box, self.severity_box, self.reason_edit, self.team_box,
                 self.submit_button, self.close_button, self.discard_button]
        chain_tab_order(order)
        self.title_edit.setFocus()

    # -- live suggestion -----------------------------------------------------------------------
    def chosen_severity(self) -> str:
        return self.suggestion.severity if self._following else str(
            self.severity_box.currentData() or self.suggestion.severity)

    def decision(self) -> SeverityDecision:
        return SeverityDecision("support", self.chosen_severity(), self.suggestion.severity,
                                self.reason_edit.toPlainText(), None, self.suggestion.reasons)

    def on_matrix_changed(self) -> None:
        refill(self.severity_box, severity_items(self.matrix))
        refill(self.team_box, team_items(self.matrix))
        self.triage_panel.matrix = self.matrix
        self.triage_panel.setVisible(self.matrix.triage.suggest)
        refill(self.tier_box, [(t, t) for t in account_tiers(self.matrix)])
        refill(self.category_box, [(c.replace("_", " "), c) for c in categories(self.matrix)])

    def on_fields_changed(self) -> None:
        values = self.values()
        self.suggestion = score(self.matrix, to_intake(values))
        sev = self.matrix.severity(self.suggestion.severity)
        color = severity_color(self.matrix, sev.id)
        self.badge.setText(sev.id)
        self.badge.setStyleSheet(
            f"background: {color.name()}; color: {text_on(color).name()}; font-weight: bold;"
            " font-size: 15pt; border-radius: 6px; padding: 4px 14px;")
        self.suggested_name.setText(f"<b>{html.escape(sev.name)}</b><br>"
                                    f"{html.escape(sev.issue)}")
        self.reasons.setText("<b>Why:</b><ul style='margin:0 0 0 -20px'>" + "".join(
            f"<li>{html.escape(r)}</li>" for r in self.suggestion.reasons) + "</ul>")
        self.drivers.setText(f"<b>{html.escape(sev.id)} because:</b> " + "; ".join(
            html.escape(d, quote=False) for d in self.suggestion.drivers))
        self.drivers.setToolTip(self.suggestion.because())
        self.drivers.setVisible(bool(self.suggestion.drivers))
        missing = unknown_facts(values)
        self.provisional.setText(f"Provisional: {', '.join(missing)} not given yet."
                                 if missing else "")
        self.provisional.setVisible(bool(missing))
        if self._following:
            self._select_severity(self.suggestion.severity)
        self._update_override()
        if self.matrix.triage.suggest and (values.get("title") or values.get("text")):
            self.feed.request(str(values.get("title") or ""), str(values.get("text") or ""))
        elif self.found is not None:  # all typed away: no suggestion stands, none recorded
            self.feed.request("", "")
            self.found = None
            self.triage_panel.show_prompt()
            if self._team_preselected:
                self.team_box.setCurrentIndex(0)
                self._team_preselected = False

    # -- triage suggestion ---------------------------------------------------------------------
    def _team_picked(self, _index: int) -> None:
        """The agent's own pick: a suggestion no longer moves the team."""
        self._team_preselected = False
        self.triage_panel.set_preselected("")

    def _suggested(self, found: Any) -> None:
        if not (self.title_edit.text().strip() or self.text_edit.toPlainText().strip()):
            return  # asked before the agent cleared the text
        self.found = found
        self.triage_panel.show_suggestions(found)
        team = next((i for i in found.items if i.field == "team"), None)
        above = self.matrix.triage.preselect_team_above
        agent_chose = self.team_box.currentIndex() > 0 and not self._team_preselected
        if team is None or above is None or agent_chose:
            return
        index = self.team_box.findData(team.value)
        if team.confidence >= above and index >= 0:
            self.team_box.setCurrentIndex(index)
            self._team_preselected = True
            self.triage_panel.set_preselected(
                f"Team pre-selected from the suggestion ({team.confidence:.0%} ≥ "
                f"{above:.0%}); pick another if it is wrong.")
        elif self._team_preselected:  # the text changed: the suggestion no longer holds
            self.team_box.setCurrentIndex(0)
            self._team_preselected = False
            self.triage_panel.set_preselected("")

    def triage_record(self) -> dict[str, Any] | None:
        """What the ``opened`` event records of the suggestion the agent saw."""
        return triage_record(self.found, ["team"] if self._team_preselected else [])

    def _select_severity(self, severity: str) -> None:
        self.severity_box.blockSignals(True)
        self.severity_box.setCurrentIndex(self.severity_box.findData(severity))
        self.severity_box.blockSignals(False)

    def _severity_picked(self, _index: int) -> None:
        """Only the agent's own pick (not the suggestion moving it) stops following."""
        self._following = self.severity_box.currentData() == self.suggestion.severity
        self._changed()

    def _update_override(self) -> None:
        chosen = self.chosen_severity()
        override = chosen != self.suggestion.severity
        field = self.fields["override_reason"]
        field.setVisible(override)
        if override:
            field.set_hint(f"You override the suggested {self.suggestion.severity}; the override "
                           "and your reason are recorded on the ticket.")
        self.fields["severity"].set_hint("" if override else "Follows the suggestion; pick "
                                         "another severity to override it.")
        sev = self.matrix.severity(chosen)
        if sev.two_stage is not None:
            self.two_stage.setText(
                f"{chosen} is set in two stages: Support sets it within "
                f"{minutes(sev.two_stage.initial)} of opening (now), then Engineering confirms "
                f"or adjusts it within {minutes(sev.two_stage.confirm)}.")
        else:
            self.two_stage.setText(f"{chosen} needs no confirmation by Engineering.")

    # -- accounts ----------------------------------------------------------------------------
    def _accounts_loaded(self, accounts: dict[str, str]) -> None:
        self.known_accounts = accounts
        completer = QCompleter(sorted(accounts), self.account_edit)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.activated.connect(lambda _t: self._account_chosen())
        self.account_edit.setCompleter(completer)

    def _account_chosen(self) -> None:
        """A known account fills in its tier, unless the agent chose one."""
        name = self.account_edit.text().strip().lower()
        tier = next((t for a, t in self.known_accounts.items() if a.lower() == name), "")
        if tier and (self.tier_box.currentIndex() < 0 or self._tier_from_account):
            index = self.tier_box.findData(tier)
            if index < 0:
                self.tier_box.addItem(tier, tier)
                index = self.tier_box.count() - 1
            self.tier_box.setCurrentIndex(index)
            self._tier_from_account = True

    # -- drafts, checks, submit ----------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        values = super().values()
        values["severity"] = self.chosen_severity() if hasattr(self, "suggestion") else None
        return values

    def submitted_values(self) -> dict[str, Any]:
        """The values plus what submitting records besides: the suggestion seen, and the
        team (with its tier) when it is not the intake team."""
        values = self.values()
        record = self.triage_record()
        if record is not None:
            values["triage"] = record
        team = values.pop("team", None)
        if team and self.team_box.currentIndex() > 0:
            values["team"], values["team_tier"] = team, self.matrix.team(team).tier
        return values

    def snapshot(self) -> dict[str, Any]:
        return {**super().snapshot(), "_following": self._following,
                "_new_ticket": self.new_ticket, "_team_preselected": self._team_preselected}

    def restore(self, payload: dict[str, Any]) -> None:
        self.new_ticket = str(payload.get("_new_ticket") or self.new_ticket)
        self.setWindowTitle(f"New ticket {self.new_ticket} — intake")
        super().restore({k: v for k, v in payload.items() if k != "severity"})
        self._following = bool(payload.get("_following", True))
        self._team_preselected = bool(payload.get("_team_preselected", False))
        if not self._following and payload.get("severity"):
            self._select_severity(str(payload["severity"]))

    def after_restore(self) -> None:
        self.on_fields_changed()

    def clear(self) -> None:
        super().clear()
        self.revenue_box.setCurrentIndex(0)
        self.breach_box.setCurrentIndex(0)
        self._following = True
        self.on_fields_changed()

    def errors(self) -> dict[str, str]:
        errors = check_intake(self.values())
        for name, message in check_severity(self.decision(), self.matrix).items():
            errors["override_reason" if name == "reason" else name] = message
        return errors

    def submit(self) -> None:
        values = self.submitted_values()
        self.service.forms.submit_intake(
            values, self.decision(), self.new_ticket, self.submit_id,
            self.guard(self.submit_done), self.guard(self.submit_failed),
            draft_key=self.autosaver.key)

    def done_text(self, result: Submitted) -> str:
        sev = self.chosen_severity()
        if result.duplicate:
            return f"{result.ticket} was already opened; nothing was sent twice."
        return f"Opened {result.ticket} as {sev}."
