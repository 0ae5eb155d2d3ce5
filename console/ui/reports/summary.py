"""The report's headline: a row of large figures (escalation rate, T1 resolution,
disagreement, tickets) readable across a room, and the flags, red, with what they are
judged against. A rate over too few tickets is grey and says so, never red."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from console.app.report_words import team_name
from console.domain.matrix import Matrix
from console.domain.reports import Rate, Report

from ..theme import named

RED, GREY, INK = "#c62828", "#757575", "#212121"
TOO_FEW_TEXT = "too few to judge"


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def rate_state(rate: Rate) -> str:
    """``flagged``, ``too_few`` or ``ok``: how the window colours a rate."""
    return "flagged" if rate.flagged else "too_few" if rate.too_few else "ok"


def _threshold(rate: Rate) -> str:
    if rate.threshold is None:
        return ""
    return f"target {'≥' if rate.at_least else '≤'} {rate.threshold:.0%}"


class Tile(QFrame):
    """One headline figure: a caption, a large value and a line under it."""

    def __init__(self, name: str, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 8, 14, 8)
        layout.setSpacing(0)
        self.caption = QLabel(caption)
        self.caption.setStyleSheet(f"color: {GREY}; font-size: 13pt;")
        self.value = named(QLabel("–"), f"{name}_value")
        self.note = named(QLabel(""), f"{name}_note")
        self.note.setStyleSheet("font-size: 12pt;")
        for label in (self.caption, self.value, self.note):
            layout.addWidget(label)
        self.state = "ok"

    def show_count(self, count: int, note: str = "") -> None:
        self._paint(f"{count:,}", note, INK, "ok")

    def show_rate(self, rate: Rate) -> None:
        """The rate, red when flagged, grey and marked when over too few tickets."""
        state = rate_state(rate)
        note = f"{rate.numerator} of {rate.denominator}"
        if state == "too_few":
            note += f" · {TOO_FEW_TEXT}"
        elif _threshold(rate):
            note += f" · {_threshold(rate)}" + (" · FLAGGED" if state == "flagged" else "")
        colour = RED if state == "flagged" else GREY if state == "too_few" else INK
        self._paint(pct(rate.value), note, colour, state)

    def _paint(self, value: str, note: str, colour: str, state: str) -> None:
        self.state = state
        self.value.setText(value)
        self.value.setStyleSheet(f"color: {colour}; font-size: 30pt; font-weight: bold;")
        self.note.setText(note)
        self.note.setStyleSheet(f"color: {colour if state != 'ok' else GREY}; "
                                "font-size: 12pt;")


def _listing(rates: list[tuple[str, Rate]]) -> str:
    ranked = sorted(rates, key=lambda kv: (-(kv[1].value or 0), kv[0]))
    return ", ".join(f"{who} {pct(rate.value)} ({rate.numerator}/{rate.denominator})"
                     for who, rate in ranked)


def flag_lines(report: Report, matrix: Matrix) -> tuple[list[str], list[str]]:
    """(the flags, one sentence per kind; the team and agent rates with escalations
    over too few tickets to judge); teams by their names in ``matrix``."""
    flags: list[str] = []
    if report.escalation_rate.flagged:
        flags.append(f"Escalation rate {pct(report.escalation_rate.value)} "
                     f"(target ≤ {pct(report.escalation_rate.threshold)})")
    if report.t1_resolution.flagged:
        flags.append(f"{report.first_tier} resolution {pct(report.t1_resolution.value)} "
                     f"(target ≥ {pct(report.t1_resolution.threshold)})")
    few: list[tuple[str, Rate]] = []
    teams = {team_name(matrix, t): r.rate for t, r in report.teams.items()}
    for what, rates in (("Teams", teams),
                        ("Agents", report.agents)):
        over = [(who, r) for who, r in rates.items() if r.flagged]
        if over:
            threshold = over[0][1].threshold
            flags.append(f"{what} above {pct(threshold)}: {_listing(over)}")
        few += [(who, r) for who, r in rates.items() if r.too_few and r.numerator]
    return flags, [_listing(few)] if few else []


class Summary(QWidget):
    """The tiles and the flags of the report on screen."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        tiles = QHBoxLayout()
        self.escalation = Tile("escalationTile", "Escalation rate")
        self.t1 = Tile("t1Tile", "T1 resolution")
        self.disagreement = Tile("disagreementTile", "Severity disagreement")
        self.opened = Tile("openedTile", "Opened")
        self.resolved = Tile("resolvedTile", "Resolved")
        for tile in (self.escalation, self.t1, self.disagreement, self.opened, self.resolved):
            tiles.addWidget(tile)
        layout.addLayout(tiles)
        self.flags = named(QLabel(), "flags")
        self.flags.setWordWrap(True)
        self.flags.setStyleSheet(f"color: {RED}; font-size: 13pt; font-weight: bold;")
        self.few = named(QLabel(), "tooFew")
        self.few.setWordWrap(True)
        self.few.setStyleSheet(f"color: {GREY}; font-size: 11pt;")
        layout.addWidget(self.flags)
        layout.addWidget(self.few)

    def show_report(self, report: Report, matrix: Matrix) -> None:
        """Fill the tiles and the flags from ``report`` (teams named as in ``matrix``)."""
        self.escalation.show_rate(report.escalation_rate)
        self.t1.caption.setText(f"{report.first_tier} resolution")
        self.t1.show_rate(report.t1_resolution)
        self.disagreement.show_rate(report.disagreement)
        self.opened.show_count(report.opened, f"{report.escalated:,} escalated")
        self.resolved.show_count(report.resolved)
        flags, few = flag_lines(report, matrix)
        self.flags.setText("\n".join(f"⚑ {line}" for line in flags))
        self.flags.setVisible(bool(flags))
        self.few.setText(f"Too few to judge (under 10 tickets, never flagged): {few[0]}"
                         if few else "")
        self.few.setVisible(bool(few))
