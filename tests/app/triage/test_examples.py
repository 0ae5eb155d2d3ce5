"""Training data from the event log: only resolved tickets, each labelled with
Engineering's confirmed severity, the team that held it when resolved, whether it was
escalated, and how it was resolved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from console.app.matrices import load_matrix_file
from console.app.triage.examples import label_of, resolved_examples
from console.domain.tickets import TicketEvent
from console.paths import default_matrix_path

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
MATRIX = load_matrix_file(default_matrix_path())


def ev(minutes: float, ticket: str, type_: str, **data: object) -> TicketEvent:
    return TicketEvent(T0 + timedelta(minutes=minutes), ticket, type_, dict(data), "ana")


def opened(ticket: str, title: str, severity: str = "P3", minutes: float = 0) -> TicketEvent:
    return ev(minutes, ticket, "opened", title=title, text=f"{title}: details",
              category="integration", severity=severity, by="support")


def test_an_escalated_ticket_is_labelled_with_engineering_s_severity_and_the_last_team():
    events = [
        opened("INC-1", "Webhook deliveries failing", "P2"),
        ev(5, "INC-1", "severity", severity="P1", by="engineering", reason="confirmed"),
        ev(10, "INC-1", "handoff_submitted", target="specialists",
           steps_tried="Re-sent the webhook"),
        ev(11, "INC-1", "escalated", team="specialists", tier="T2", kind="functional"),
        ev(90, "INC-1", "resolved", note="Rotated the signing secret"),
    ]
    [example] = resolved_examples(events, MATRIX)
    assert (example.ticket, example.title, example.text) == (
        "INC-1", "Webhook deliveries failing", "Webhook deliveries failing: details")
    assert (example.severity, example.team, example.escalated, example.category) == (
        "P1", "specialists", True, "integration")
    assert example.resolution == "tried: Re-sent the webhook - Rotated the signing secret"
    assert example.opened_at == T0 and example.resolved_at == T0 + timedelta(minutes=90)


def test_a_ticket_nobody_escalated_keeps_the_intake_team_and_no_confirmed_severity():
    events = [opened("INC-2", "Typo in the checklist", "P4"),
              ev(30, "INC-2", "resolved", note="Fixed the text")]
    [example] = resolved_examples(events, MATRIX)
    assert (example.severity, example.team, example.escalated) == (None, "frontline", False)
    # the severity model learns from the severity that stood when nobody had to confirm
    assert label_of(example, "severity") == "P4"


def test_open_and_reopened_tickets_are_not_training_data():
    events = [opened("INC-3", "Still open"),
              opened("INC-4", "Reopened", minutes=1),
              ev(10, "INC-4", "resolved", note="done"),
              ev(20, "INC-4", "reopened"),
              ev(30, "INC-5", "resolved", note="never opened"),
              opened("INC-6", "Done", minutes=2),
              ev(40, "INC-6", "resolved")]
    assert [e.ticket for e in resolved_examples(events, MATRIX)] == ["INC-6"]


def test_examples_come_oldest_resolution_first():
    events = [opened("INC-7", "A"), opened("INC-8", "B", minutes=1),
              ev(50, "INC-7", "resolved"), ev(20, "INC-8", "resolved")]
    assert [e.ticket for e in resolved_examples(events, MATRIX)] == ["INC-8", "INC-7"]
