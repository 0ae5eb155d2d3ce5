"""The Zendesk preset: a Zendesk trigger's webhook body becomes console events.

The body is the JSON the trigger is told to send (docs/service.md, "Zendesk"):
``{"event": "ticket_created" | "ticket_updated" | "comment_added", "ticket": {...},
"comment": {...}}`` with Zendesk placeholders as values. The mapping yields event
objects in the documented format, which then go through the intake's own checks
(``intake.plan``), so there is one parser of events, not two.

Ticket ids are Zendesk's, as ``import --preset zendesk`` uses them, so a ticket
imported from an export and then updated live is one ticket.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from console.app.usecases.simulate import parse_instant
from console.store.records import TicketRecord

from .intake import Problem, Rejected

EVENTS = ("ticket_created", "ticket_updated", "comment_added")
# Zendesk priority -> the matrix's severity id (used only when the matrix has that id)
PRIORITIES = {"urgent": "P1", "high": "P2", "normal": "P3", "low": "P4"}
WAITING = ("pending",)
SOLVED = ("solved", "closed")


def digest(text: str) -> str:
    """A stable id for an event of the preset (its content can be long)."""
    return "zendesk:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _text(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    return "" if value is None else str(value).strip()


def _time(raw: str, fallback: datetime, field: str, problems: list[Problem]) -> datetime:
    if not raw:
        return fallback
    try:
        return parse_instant(raw, field)
    except ValueError as exc:
        problems.append(Problem(None, field, str(exc)))
        return fallback


def map_payload(body: Any, *, now: datetime, severities: set[str],
                current: Callable[[str], TicketRecord | None]) -> list[dict[str, Any]]:
    """Events (in the intake format, each with a stable ``id``) for one Zendesk webhook
    body; ``current`` reads the ticket as this instance knows it (a status or priority
    change becomes an event only when it changes something). Rejected(400) names the
    fields that are wrong."""
    problems: list[Problem] = []
    if not isinstance(body, dict):
        raise Rejected(400, [Problem(None, "", "expected a JSON object with event and ticket")])
    event = body.get("event")
    ticket = body.get("ticket")
    if event not in EVENTS:
        problems.append(Problem(None, "event", f"event: expected one of {', '.join(EVENTS)}, "
                                               f"got {event!r:.60}"))
    if not isinstance(ticket, dict):
        problems.append(Problem(None, "ticket", "ticket: expected an object of the ticket's "
                                                "placeholders"))
        raise Rejected(400, problems)
    tid = _text(ticket, "id")
    if not tid:
        problems.append(Problem(None, "ticket.id", "ticket.id: empty; send {{ticket.id}}"))
    opened_at = _time(_text(ticket, "created_at"), now, "ticket.created_at", problems)
    updated = _text(ticket, "updated_at")
    comment = body.get("comment")
    if event == "comment_added":
        if not isinstance(comment, dict):
            problems.append(Problem(None, "comment", "comment: expected an object with text "
                                                     "and from"))
        elif comment.get("from") not in ("customer", "agent"):
            got = f"{comment.get('from')!r:.40}"
            problems.append(Problem(None, "comment.from",
                                    f"comment.from: expected customer or agent, got {got}"))
    if problems:
        raise Rejected(400, problems)
    known = current(tid)
    status = _text(ticket, "status").lower()
    severity = PRIORITIES.get(_text(ticket, "priority").lower())
    severity = severity if severity in severities else None
    out: list[dict[str, Any]] = []

    def add(kind: str, at: datetime, **fields: Any) -> None:
        key = "\x1f".join(("zendesk", str(event), tid, updated, kind,
                           repr(sorted(fields.items()))))
        out.append({"id": digest(key), "at": at.isoformat(), "ticket": tid, "type": kind, **fields})

    if known is None:  # created, or the trigger was set up after the ticket was opened
        facts = {"title": _text(ticket, "title"), "text": _text(ticket, "description"),
                 "account": _text(ticket, "organization"),
                 "category": _text(ticket, "type").lower(), "owner": _text(ticket, "assignee")}
        if severity:
            facts["severity"] = severity
        add("opened", min(opened_at, now), **{k: v for k, v in facts.items() if v})
    elif event == "ticket_updated" and severity and not known.confirmed \
            and severity != known.severity:
        add("severity", now, severity=severity, by="support",
            reason=f"Zendesk priority {_text(ticket, 'priority')}")
    was_resolved = known is not None and known.status == "resolved"
    was_waiting = known is not None and known.status == "waiting_on_customer"
    if status in SOLVED and not was_resolved:
        add("resolved", now)
    elif status and status not in SOLVED:
        if was_resolved:
            add("reopened", now)
        if status in WAITING and not was_waiting:
            add("status", now, status="waiting_on_customer")
        elif status not in WAITING and was_waiting:
            add("status", now, status="open")
    if event == "comment_added" and isinstance(comment, dict):
        text = _text(comment, "text")
        if comment["from"] == "customer":
            add("message", now, text=text)
        else:  # an agent's public reply: an update to the customer (the first is the response)
            add("update_sent", now)
    return out
