"""GENERATED resolved tickets for the triage benchmark: a seeded generator whose text
follows its labels (each team, severity and category has its own words, mixed into
shared filler), with a share of labels flipped at random as noise. A model can learn
these rules, so figures on this data say how FAST training and suggesting are, not how
good the suggestions would be on a real team's tickets (docs/triage.md)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from console.app.triage.examples import Example
from console.domain.matrix import Matrix
from console.domain.tickets import TicketEvent

# the default matrix's teams (matrices/default.yaml), so the events below replay on it
TEAMS = {
    "frontline": ("password", "login", "reset", "account", "invite", "email"),
    "specialists": ("webhook", "integration", "salesforce", "sync", "api", "token"),
    "customer-success": ("invoice", "billing", "refund", "plan", "seat", "vat"),
    "product-engineering": ("crash", "exception", "migration", "database", "timeout", "500"),
    "incident-response": ("outage", "latency", "region", "dns", "certificate", "load"),
}
SEVERITIES = {
    "P1": ("down", "everyone", "all users", "urgent", "outage"),
    "P2": ("many users", "degraded", "blocked", "no workaround"),
    "P3": ("some users", "intermittent", "workaround", "annoying"),
    "P4": ("question", "cosmetic", "request", "when possible"),
}
CATEGORIES = {
    "bug": ("broken", "error", "fails"), "performance": ("slow", "seconds", "spikes"),
    "integration": ("connector", "mapping", "callback"), "billing": ("charged", "card"),
    "question": ("how do", "documentation"), "feature_request": ("would like", "feature"),
}
FILLER = ("the", "customer", "reports", "that", "since", "yesterday", "our", "team",
          "please", "help", "with", "this", "issue", "in", "production", "again", "today",
          "after", "update", "we", "see", "it", "on", "screen", "thanks")
NOISE = 0.1
START = datetime(2026, 1, 1, tzinfo=UTC)


def _pick(rng: random.Random, words: tuple[str, ...], n: int) -> list[str]:
    return [rng.choice(words) for _ in range(n)]


def generated_examples(count: int, seed: int = 17) -> list[Example]:
    """``count`` GENERATED resolved tickets, deterministic for ``seed``, resolved in
    time order over about a year."""
    rng = random.Random(seed)
    teams, sevs, cats = list(TEAMS), list(SEVERITIES), list(CATEGORIES)
    out = []
    step = timedelta(days=365) / max(count, 1)
    for n in range(count):
        team, sev, cat = rng.choice(teams), rng.choice(sevs), rng.choice(cats)
        words = (_pick(rng, TEAMS[team], 3) + _pick(rng, SEVERITIES[sev], 2)
                 + _pick(rng, CATEGORIES[cat], 2) + _pick(rng, FILLER, rng.randint(8, 30)))
        rng.shuffle(words)
        title = " ".join(words[:6]).capitalize()
        text = " ".join(words[6:]) + f". Ref {rng.randint(1000, 99999)}."
        if rng.random() < NOISE:
            team = rng.choice(teams)
        if rng.random() < NOISE:
            sev = rng.choice(sevs)
        opened = START + step * n
        out.append(Example(
            ticket=f"GEN-{n}", opened_at=opened, resolved_at=opened + timedelta(hours=5),
            title=title, text=text, category=cat, severity=sev, team=team,
            escalated=rng.random() < 0.1,
            resolution=f"resolved by the {team} team: {rng.choice(TEAMS[team])} fixed",
            resolved_severity=sev))
    return out


def example_events(examples: list[Example], matrix: Matrix) -> list[TicketEvent]:
    """The events that tell ``examples``: opened with the title and text, Engineering's
    confirmation where the matrix asks for one, an escalation to the team away from the
    intake team, the resolution. What ``resolved_examples`` reads back."""
    tiers = {t.id: t.tier for t in matrix.teams}
    intake = matrix.intake_team or matrix.teams[0].id
    two_stage = {s.id for s in matrix.severities if s.two_stage is not None}
    out = []
    for e in examples:
        at = e.opened_at
        out.append(TicketEvent(at, e.ticket, "opened", {
            "title": e.title, "text": e.text, "category": e.category,
            "severity": e.severity, "by": "support"}, "agent"))
        if e.severity in two_stage:
            out.append(TicketEvent(at + timedelta(minutes=10), e.ticket, "severity", {
                "severity": e.severity, "by": "engineering"}, "engineer"))
        if e.team != intake:
            out.append(TicketEvent(at + timedelta(minutes=20), e.ticket, "escalated", {
                "team": e.team, "tier": tiers[e.team], "kind": "functional"}, "agent"))
        out.append(TicketEvent(e.resolved_at, e.ticket, "resolved", {
            "note": e.resolution}, "agent"))
    return out
