"""The words of a report shared by its outputs (the command's table, the PDF's title
page, the Reports window): the window, the filters and the flags as sentences. No
matplotlib, no Qt: the table prints without loading either."""

from __future__ import annotations

from datetime import UTC, datetime

from console.domain.matrix.model import Matrix
from console.domain.reports import Report

FLAG_WORDS = {"escalation_rate": "Escalation rate", "team": "Team", "agent": "Agent",
              "t1_resolution": "T1 resolution rate"}


def window_text(report: Report) -> str:
    """``2026-11-02 09:00 – 2026-11-16 09:00 UTC`` (the window in UTC, ``to`` excluded)."""
    def when(at: datetime) -> str:
        return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    return f"{when(report.window_from)} – {when(report.window_to)} UTC"


def team_name(matrix: Matrix | None, team_id: str) -> str:
    """The name people read for a team (``Support Specialists``); its id when the matrix
    in force no longer has it (a report over history can name a team since removed)."""
    names = {t.id: t.name for t in matrix.teams} if matrix is not None else {}
    return names.get(team_id) or team_id


def filters_text(report: Report, matrix: Matrix | None = None) -> str:
    """``team Frontline Support, severity P1`` or ``all tickets`` (ids without a matrix)."""
    parts = [f"team {team_name(matrix, report.team)}" if report.team else "",
             f"severity {report.severity}" if report.severity else ""]
    return ", ".join(p for p in parts if p) or "all tickets"


def flag_lines(report: Report, matrix: Matrix | None = None) -> list[str]:
    """One sentence per flag: ``Team Support Specialists: 32%, above the threshold of
    15%`` (a team by its name in ``matrix``; by its id without one)."""
    lines = []
    for flag in report.flags():
        what = FLAG_WORDS.get(flag["kind"], flag["kind"])
        name = team_name(matrix, flag["id"]) if flag["kind"] == "team" else flag["id"]
        who = f" {name}" if flag["id"] else ""
        at_least = flag["kind"] == "t1_resolution"
        side = "below the target of" if at_least else "above the threshold of"
        lines.append(f"{what}{who}: {flag['value']:.0%}, {side} {flag['threshold']:.0%}")
    return lines
