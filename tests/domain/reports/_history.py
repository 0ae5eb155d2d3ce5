"""A hand-made week of tickets on the default matrix (24x7, UTC), whose metrics
tests/domain/reports/test_metrics.py states as computed by hand.

T0 is Monday 2026-03-02 10:00 UTC. Every ticket opens on the frontline team (T1).

- A (bug, P2): owned by ann; escalated twice, to specialists (T2) then to
  senior-engineering (T3, the second names bob as the new owner); resolved after 5h.
- B (billing, P3): owned by cat, who escalates it to specialists and then hands it off
  to dan; resolved after 3h.
- C (bug, P3): resolved after 4h, reopened a day later, resolved again 2h after that.
- D (how-to, P2): an update cadence with three cycles, the middle one breached.
- E (outage, P2 by Support): Engineering sets P1; the engine routes it to
  incident-response (not an escalation); its P1 response is late.
- G (how-to, P2): waits on the customer for 3h.
"""

from __future__ import annotations

from datetime import datetime

from console.domain.tickets import TicketEvent

from .._matrices import MIN, T0, D, H, event


def _open(at: datetime, ticket: str, severity: str, owner: str, category: str
          ) -> TicketEvent:
    return event(at, "opened", ticket, title=ticket, severity=severity, by="support",
                 owner=owner, category=category)


def _confirm(at: datetime, ticket: str, severity: str) -> TicketEvent:
    return event(at, "severity", ticket, severity=severity, by="engineering")


def _escalate(at: datetime, ticket: str, team: str, tier: str, mode: str, **data: str
              ) -> TicketEvent:
    """A person's escalation: its mode is written as ``kind``, as the handoff form does."""
    return TicketEvent(at, ticket, "escalated", {"team": team, "tier": tier, "kind": mode,
                                                 **data})


def ticket_a() -> list[TicketEvent]:
    t = T0
    return [_open(t, "A", "P2", "ann", "bug"), _confirm(t + 5 * MIN, "A", "P2"),
            event(t + 10 * MIN, "responded", "A"),
            _escalate(t + H, "A", "specialists", "T2", "functional", from_team="frontline",
                      by="ann"),
            _escalate(t + 2 * H, "A", "senior-engineering", "T3", "hierarchical",
                      from_team="specialists", owner="bob", by="ann"),
            event(t + 5 * H, "resolved", "A")]


def ticket_b() -> list[TicketEvent]:
    t = T0 + D
    return [_open(t, "B", "P3", "cat", "billing"), event(t + 30 * MIN, "responded", "B"),
            _escalate(t + H, "B", "specialists", "T2", "functional", from_team="frontline",
                      by="cat"),
            event(t + 2 * H, "handoff_submitted", "B", target="specialists", by="cat"),
            event(t + 2 * H, "assigned", "B", owner="dan"),
            event(t + 3 * H, "resolved", "B")]


def ticket_c() -> list[TicketEvent]:
    t = T0 + 2 * D
    return [_open(t, "C", "P3", "ann", "bug"), event(t + H, "responded", "C"),
            event(t + 4 * H, "resolved", "C"), event(t + D, "reopened", "C"),
            event(t + D + 2 * H, "resolved", "C")]


def ticket_d() -> list[TicketEvent]:
    t = T0 + 3 * D
    return [_open(t, "D", "P2", "eve", "how-to"), _confirm(t + 5 * MIN, "D", "P2"),
            event(t + 30 * MIN, "responded", "D"),
            event(t + H + 20 * MIN, "update_sent", "D"),
            event(t + 2 * H + 40 * MIN, "update_sent", "D"),
            event(t + 3 * H, "resolved", "D")]


def ticket_e() -> list[TicketEvent]:
    t = T0 + 4 * D
    return [_open(t, "E", "P2", "eve", "outage"), _confirm(t + 5 * MIN, "E", "P1"),
            event(t + 5 * MIN, "routed", "E", team="incident-response", tier="T3",
                  from_team="frontline", severity="P1", by="engine"),
            event(t + 20 * MIN, "responded", "E"),
            event(t + H + 30 * MIN, "resolved", "E")]


def ticket_g() -> list[TicketEvent]:
    t = T0 + 5 * D
    return [_open(t, "G", "P2", "eve", "how-to"), _confirm(t + 5 * MIN, "G", "P2"),
            event(t + 10 * MIN, "responded", "G"),
            event(t + H, "status", "G", status="waiting_on_customer"),
            event(t + 4 * H, "status", "G", status="open"),
            event(t + 4 * H + 5 * MIN, "update_sent", "G"),
            event(t + 5 * H, "update_sent", "G"),
            event(t + 6 * H, "resolved", "G")]


def week() -> dict[str, list[TicketEvent]]:
    return {"A": ticket_a(), "B": ticket_b(), "C": ticket_c(), "D": ticket_d(),
            "E": ticket_e(), "G": ticket_g()}
