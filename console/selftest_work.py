"""The self-test's checks of work done beside the engine: what-if's worker processes
and triage's models (scikit-learn and skops), the parts a frozen bundle can lose
without any import failing (both are imported only when used)."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any


class CheckFailed(Exception):
    """A check ran but found something wrong (the message says what)."""


def require(condition: object, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


#: A P1 outage, as in examples/p1-outage.jsonl (which a bundle does not ship).
SAMPLE_EVENTS = (
    {"at": "2026-11-26T09:00:00+00:00", "ticket": "SELFTEST-1", "type": "opened",
     "title": "Checkout down for all users",
     "text": "Card payments fail at checkout for everyone since 08:55.",
     "account": "Globex", "account_tier": "enterprise", "users_affected_pct": 60,
     "workaround": "none", "revenue_risk": True, "category": "bug"},
    {"at": "2026-11-26T09:04:00+00:00", "ticket": "SELFTEST-1", "type": "severity",
     "severity": "P1", "by": "support"},
    {"at": "2026-11-26T09:07:00+00:00", "ticket": "SELFTEST-1", "type": "acknowledged",
     "by": "oncall-primary"},
    {"at": "2026-11-26T09:11:00+00:00", "ticket": "SELFTEST-1", "type": "responded"},
    {"at": "2026-11-26T09:25:00+00:00", "ticket": "SELFTEST-1", "type": "message",
     "text": "This is unacceptable. We are losing sales every minute and will cancel "
             "our contract."},
    {"at": "2026-11-26T09:38:00+00:00", "ticket": "SELFTEST-1", "type": "update_sent"},
    {"at": "2026-11-26T10:40:00+00:00", "ticket": "SELFTEST-1", "type": "resolved"},
)


def check_whatif_workers(ctx: dict[str, Any]) -> str:
    """What-if's replay in worker processes: spawned processes must start in a bundle
    (``multiprocessing.freeze_support`` in the entry script) and give the replay of
    this process."""
    from datetime import timedelta

    from console.app.usecases.simulate import read_events
    from console.app.usecases.whatif import replay
    from console.app.usecases.whatif.parallel import parallel_replay

    matrix = ctx["matrix"]
    lines = [json.dumps({**e, "ticket": f"SELFTEST-{n}"}) for n in (1, 2) for e in SAMPLE_EVENTS]
    events = read_events(lines, matrix, strict=True)
    start = events[0].at
    window = (start, start + timedelta(days=1))
    here = replay(matrix, events, *window)
    [there] = parallel_replay((matrix,), events, *window, workers=2)
    require(there == here, "the worker processes' replay differs from this process's")
    return (f"what-if workers ok: 2 worker processes replayed {here.ticket_count} tickets "
            f"({sum(here.totals.values())} counts), as this process does")


def check_triage(ctx: dict[str, Any]) -> str:
    """Train the text models on 240 tickets whose team follows from a word, save and
    load them in skops' safe format, and ask for a suggestion."""
    from console.app.triage.examples import Example
    from console.app.triage.registry import Registry
    from console.app.triage.suggest import Suggester
    from console.app.triage.train import train_text_models

    words = {"billing": "invoice refund charge", "sre": "outage down unreachable",
             "frontline": "password login reset"}
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    examples = [Example(f"ST-{n}", start + timedelta(hours=n),
                        start + timedelta(hours=n, minutes=30), f"{words[team]} help",
                        "the customer writes again", "bug", None, team, False, "")
                for n in range(240) for team in [list(words)[n % 3]]]
    with tempfile.TemporaryDirectory(prefix="escalation-console-triage-") as tmp:
        registry = Registry(Path(tmp))
        result = train_text_models(examples, registry, start + timedelta(days=30))
        suggestions = Suggester.load(registry).suggest("Refund for a double charge", "")
    team = next((s for s in suggestions.items if s.field == "team"), None)
    require(team is not None, f"no team suggested ({suggestions.declined or result.skipped})")
    assert team is not None
    require(team.value == "billing", f"suggested team {team.value!r}, not 'billing'")
    return (f"triage models ok: trained on {result.resolved} tickets, saved and loaded "
            f"safely; 'Refund for a double charge' -> {team.value} "
            f"({team.confidence:.0%})")
