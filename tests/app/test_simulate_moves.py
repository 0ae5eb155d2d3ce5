"""``simulate`` replays the log's moves: escalations, routing and assignments change
the ticket's team and tier, and so which triggers fire."""

from __future__ import annotations

import json
from datetime import datetime

from console.app.usecases.simulate import BadLine, read_events, simulate
from console.domain.matrix import check_matrix_text
from console.paths import default_matrix_path

# the default matrix with one more trigger: a ticket at T3 gets the queue's priority
T3_TRIGGER = """triggers:
  - id: t3-priority
    description: Work that reached Engineering goes first
    when: {tier: [T3]}
    then:
      - prioritize: high
"""
OPENED = {"at": "2026-11-26T09:00:00+00:00", "ticket": "INC-1", "type": "opened",
          "title": "Export button greyed out", "text": "The export button does nothing.",
          "account": "Initech", "account_tier": "starter", "users_affected_pct": 5,
          "workaround": "full", "category": "question"}


def matrix():
    text = default_matrix_path().read_text(encoding="utf-8").replace("triggers:\n", T3_TRIGGER, 1)
    parsed, problems = check_matrix_text(text)
    assert parsed is not None, problems
    return parsed


def replay(*lines: dict, until: str | None = None) -> list:
    bad: list[BadLine] = []
    events = read_events([json.dumps(line) for line in lines], matrix(), on_bad=bad.append)
    assert bad == []
    end = datetime.fromisoformat(until) if until else events[-1].at
    return list(simulate(matrix(), events, until=end, sentiment=None))


def test_a_simulated_escalation_moves_the_ticket_and_fires_the_trigger_on_its_new_tier():
    escalated = {"at": "2026-11-26T09:10:00+00:00", "ticket": "INC-1", "type": "escalated",
                 "team": "product-engineering", "tier": "T3", "from_team": "frontline",
                 "kind": "functional", "by": "priya", "author": "priya"}
    fires = replay(OPENED, escalated)
    prioritized = [f for f in fires if f.kind == "prioritize"]
    assert [(f.at.isoformat(), f.extra["trigger"]) for f in prioritized] == [
        ("2026-11-26T09:10:00+00:00", "t3-priority")]
    # without the escalation the ticket stays at T1 and nothing raises its priority
    assert [f for f in replay(OPENED, {**escalated, "type": "responded"})
            if f.kind == "prioritize"] == []


def test_an_assignment_to_a_t3_team_fires_the_tier_trigger_too():
    assigned = {"at": "2026-11-26T09:20:00+00:00", "ticket": "INC-1", "type": "assigned",
                "team": "incident-response", "tier": "T3", "owner": "dana", "by": "dana"}
    fires = replay(OPENED, assigned)
    assert [f.at.isoformat() for f in fires if f.kind == "prioritize"] == [
        "2026-11-26T09:20:00+00:00"]


def test_the_engines_recorded_actions_replay_as_its_own_and_fire_nothing_twice():
    """A recorded engine escalation is the engine's own action: folded, not re-fired."""
    by_engine = {"at": "2026-11-26T09:10:00+00:00", "ticket": "INC-1", "type": "escalated",
                 "team": "product-engineering", "tier": "T3", "from_team": "frontline",
                 "from_tier": "T1", "mode": "functional", "kind": "functional", "by": "engine"}
    by_engine_at = datetime.fromisoformat(by_engine["at"])
    fires = replay(OPENED, by_engine, until="2026-11-28T00:00:00+00:00")
    assert [f for f in fires if f.at == by_engine_at] == []
    # but the ticket moved: a day later the unresolved-24h trigger escalates it from there
    assert [(f.extra["trigger"], f.extra["from_team"], f.extra["from_tier"], f.extra["tier"])
            for f in fires if f.kind == "escalate"] == [
        ("unresolved-24h", "product-engineering", "T3", "L4")]
