"""Training data for triage: the store's resolved tickets, each with its labels.

A team's own resolved tickets carry what a suggestion should predict: the severity
Engineering confirmed, the team that held the ticket when it was resolved and whether
it was escalated. The labels come from the reports' fold (``ticket_facts``), so they
mean what the reports mean; this module only picks them out, with the intake text the
models read and a one-line "how it was resolved" for similar tickets.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from console.domain.calendar import BusinessCalendar
from console.domain.engine import build_calendars
from console.domain.matrix import Matrix
from console.domain.reports import ticket_facts
from console.domain.tickets import TicketEvent

# the resolution line is for a list on screen, not the whole story
RESOLUTION_CHARS = 200
MODEL_CHARS = 10_000


@dataclass(frozen=True, slots=True)
class Example:
    """One resolved ticket, as training data."""

    ticket: str
    opened_at: datetime
    resolved_at: datetime
    title: str
    text: str             # intake text
    category: str
    severity: str | None  # label: Engineering's confirmed severity (None: never confirmed)
    team: str             # label: the team that held it when resolved
    escalated: bool       # label: an `escalated` event happened
    resolution: str       # how it was resolved, one line ('' if nothing says)
    # the severity in force when it was resolved: the label where Engineering never
    # confirmed one (a severity nobody had to confirm stood as it was)
    resolved_severity: str = ""


def resolved_examples(events: Iterable[TicketEvent], matrix: Matrix) -> list[Example]:
    """The tickets resolved (and not reopened since) among ``events`` (each ticket's
    in log order), oldest resolution first. Tickets never opened are skipped."""
    by_ticket: dict[str, list[TicketEvent]] = {}
    for event in events:
        by_ticket.setdefault(event.ticket, []).append(event)
    calendars = build_calendars(matrix)
    out: list[Example] = []
    for ticket, history in by_ticket.items():
        example = _example(ticket, history, matrix, calendars)
        if example is not None:
            out.append(example)
    out.sort(key=lambda e: (e.resolved_at, e.ticket))
    return out


def _example(ticket: str, history: list[TicketEvent], matrix: Matrix,
             calendars: dict[str, BusinessCalendar]) -> Example | None:
    if not any(e.type == "resolved" for e in history):
        return None  # most of a live store: skip the fold
    facts = ticket_facts(history, matrix, calendars)
    if facts is None or not facts.resolutions or not facts.holdings:
        return None
    resolved_at = facts.resolutions[-1][0]
    if any(at > resolved_at for at in facts.reopens):
        return None  # open again: its outcome is not known yet
    opened = next(e for e in history if e.type == "opened")
    return Example(
        ticket=ticket, opened_at=facts.opened_at, resolved_at=resolved_at,
        title=str(opened.data.get("title") or ""), text=str(opened.data.get("text") or ""),
        category=facts.category, severity=facts.confirmed_severity,
        team=facts.holdings[-1].team,
        escalated=any(e.type == "escalated" for e in history),
        resolution=_resolution(history), resolved_severity=facts.resolutions[-1][1])


def _resolution(history: list[TicketEvent]) -> str:
    """How the ticket was resolved, on one line: what the last handoff says was tried,
    then the resolving note."""
    tried = note = ""
    for event in history:
        d = event.data
        if event.type == "resolved":
            note = " ".join(str(v) for v in (d.get("note"), d.get("resolution_note"))
                            if isinstance(v, str) and v.strip()) or note
        elif event.type == "handoff_submitted":
            steps = d.get("steps_tried")
            if isinstance(steps, str) and steps.strip():
                tried = f"tried: {steps}"
    line = " ".join(" - ".join(p for p in (tried, note) if p).split())
    return line if len(line) <= RESOLUTION_CHARS else line[:RESOLUTION_CHARS - 1] + "…"


def label_of(example: Example, kind: str) -> str | None:
    """The label a text model of ``kind`` learns from ``example`` (None: it has none)."""
    if kind == "severity":
        return example.severity or example.resolved_severity or None
    if kind == "team":
        return example.team
    if kind == "category":
        return example.category or None
    raise ValueError(f"no text label {kind!r}")


def model_text(title: str, text: str) -> str:
    """What the text models read of a ticket: its title, then its intake text, cut at
    ``MODEL_CHARS`` (a pasted log says nothing more about the team past that) and as
    valid UTF-8 (a lone surrogate, which a file name or terminal can hand us, becomes
    '?': the hashing of n-grams encodes every term)."""
    full = f"{title}\n{text}"[:MODEL_CHARS]
    return full.encode("utf-8", "replace").decode("utf-8")
