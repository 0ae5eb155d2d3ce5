"""The events a handoff and an approval request record, decided without the app."""

from __future__ import annotations

from console.domain.actions import approval_events, handoff_events

from ._matrices import default_matrix

HANDOFF = {"summary": "EU card payments fail", "target": "payments-engineering",
           "mode": "hierarchical", "reason": "payment-bug trigger"}


def test_a_handoff_that_moves_the_ticket_records_the_escalation_to_the_target_team():
    events = handoff_events(default_matrix(), HANDOFF, "frontline", "ana", move=True)
    assert events == [
        ("handoff_submitted", {**HANDOFF, "by": "ana"}),
        ("escalated", {"team": "payments-engineering", "tier": "T3", "kind": "hierarchical",
                       "from_team": "frontline", "by": "ana",
                       "reason": "payment-bug trigger"})]


def test_a_handoff_that_stays_with_the_team_records_only_the_handoff():
    matrix = default_matrix()
    kept = handoff_events(matrix, HANDOFF, "frontline", "ana", move=False)
    same = handoff_events(matrix, HANDOFF, "payments-engineering", "ana", move=True)
    assert [k for k, _ in kept] == [k for k, _ in same] == ["handoff_submitted"]


def test_a_request_within_the_requesters_authority_is_granted_by_them_at_once():
    events = approval_events(default_matrix(), "req-1", "refund", 100, "t1_agent",
                             "double charge", "ana", "P3")
    assert [k for k, _ in events] == ["approval_requested", "approval_granted"]
    assert events[1][1] == {"request_id": "req-1", "by": "ana", "role": "t1_agent",
                            "within_limit": True}


def test_a_request_over_the_limit_is_routed_to_the_role_that_may_approve_it():
    [(kind, request)] = approval_events(default_matrix(), "req-2", "refund", 250, "t1_agent",
                                        "threatens to cancel", "ana", None)
    assert kind == "approval_requested"
    assert request["route_to_role"] == "t2_manager" and request["unit"] == "USD"
    assert request["approvers"] == ["t2_manager"]
    assert (request["requested_by"], request["amount"]) == ("ana", 250)
