"""The ticket fold keeps one copy of the words tickets share."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from console.domain.tickets import TicketEvent, apply_event

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
PAYLOAD = ('{"title": "Export slow", "account": "Acme", "account_tier": "enterprise", '
           '"workaround": "partial", "category": "bug", "owner": "ana", '
           '"severity": "P2", "by": "support"}')


def _opened(ticket: str):  # type: ignore[no-untyped-def]
    # decoded separately, as the store decodes each event's payload
    return apply_event(None, TicketEvent(T0, ticket, "opened", json.loads(PAYLOAD)))


def test_tickets_folded_from_separate_payloads_share_their_enumerated_words():
    a, b = _opened("T1"), _opened("T2")
    assert a is not None and b is not None
    for name in ("account", "account_tier", "workaround", "category"):
        assert getattr(a.intake, name) is getattr(b.intake, name), name
    assert a.owner is b.owner
    assert a.severity is b.severity
    assert a.severity_history[-1].by is b.severity_history[-1].by
    moved = {"team": "tier2-apps", "tier": "L2", "owner": "bo"}
    for state, ticket in ((a, "T1"), (b, "T2")):
        apply_event(state, TicketEvent(T0, ticket, "assigned", json.loads(json.dumps(moved))))
    assert a.team is b.team and a.tier is b.tier and a.owner is b.owner
