"""Labelled tickets whose labels follow from their text by a rule the tests know: the
team is the one whose keyword the text holds, the severity the one whose phrase it
holds, the category the one whose word it holds; everything else is shared filler.
Seeded, so each test sees the same tickets."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from console.app.triage.examples import Example

TEAM_WORDS = {"billing": "invoice", "specialists": "webhook", "frontline": "password",
              "sre": "outage"}
SEVERITY_WORDS = {"P1": "everyone blocked", "P2": "many users", "P3": "one user",
                  "P4": "cosmetic detail"}
CATEGORY_WORDS = {"bug": "broken", "question": "wondering", "performance": "sluggish"}
FILLER = ("the", "customer", "says", "since", "monday", "our", "app", "please", "help",
          "with", "this", "again", "today", "after", "update", "we", "see", "it")
START = datetime(2026, 1, 5, 9, tzinfo=UTC)


def rule_examples(count: int, seed: int = 3, shuffled: bool = False) -> list[Example]:
    """``count`` resolved tickets, an hour apart, whose labels follow the rule; with
    ``shuffled`` the same texts with every label column shuffled (no rule left)."""
    rng = random.Random(seed)
    rows = []
    for n in range(count):
        team = rng.choice(list(TEAM_WORDS))
        sev = rng.choice(list(SEVERITY_WORDS))
        cat = rng.choice(list(CATEGORY_WORDS))
        words = [TEAM_WORDS[team], SEVERITY_WORDS[sev], CATEGORY_WORDS[cat],
                 *rng.choices(FILLER, k=rng.randint(6, 14))]
        rng.shuffle(words)
        rows.append((n, " ".join(words[:4]), " ".join(words[4:]), team, sev, cat))
    if shuffled:
        for column in (3, 4, 5):
            values = [r[column] for r in rows]
            rng.shuffle(values)
            rows = [(*r[:column], v, *r[column + 1:]) for r, v in zip(rows, values, strict=True)]
    return [Example(ticket=f"INC-{n}", opened_at=START + timedelta(hours=n),
                    resolved_at=START + timedelta(hours=n, minutes=30), title=title,
                    text=text, category=cat, severity=sev, team=team, escalated=False,
                    resolution=f"fixed by {team}")
            for n, title, text, team, sev, cat in rows]
