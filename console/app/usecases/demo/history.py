"""The demo's past: the tickets resolved over the last 90 days, so the reports tell a
story (docs/reports.md). Pure, like scenarios.py: deterministic for a seed and ``now``.

The story, as the Reports window shows it over 90 days:

- the matrix broadly works: under 10% of tickets escalate, and T1 resolves about half
  (P1 and P2 go to their owning Engineering teams once Engineering confirms them, and
  part of the P3 bugs and P4 requests to Product: routing, not escalation);
- one team stands out: Support Specialists pass on about a third of what reaches them
  to Engineering (integration problems they cannot diagnose: a product or a skills
  problem);
- one agent stands out: ``gus``, new on the team, escalates about a quarter of his
  tickets (a training gap), where the others escalate a few percent;
- Support and Engineering disagree on severity now and then, mostly because Support
  rated a ticket lower than Engineering then confirmed.

Owners keep their tickets through an escalation (the frontline agent keeps the
customer's communication), so an agent's rate is their own escalations.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from console.domain.matrix import Matrix
from console.domain.matrix.model import Severity
from console.store.local import NewEvent

from .data import DAY, ENGINEERS, HOUR, MAX_AGE, MINUTE, SPECIALISTS
from .scenarios import _between, _Ticket

SECOND = timedelta(seconds=1)
HISTORY_DAYS = 88  # inside a 90-day report, with room for "now" moving on a little
NEWCOMER = "gus"   # the agent whose escalations the reports flag
#: Chance that a frontline agent escalates a ticket that stays with T1.
AGENT_ESCALATION = 0.055
NEWCOMER_ESCALATION = 0.45
#: Chance that the Specialists pass a ticket on to Engineering.
SPECIALISTS_ONWARD = 0.40
#: Share of P3 bugs and P4 requests routed to Product (not escalated).
ROUTED_TO_PRODUCT = {"P3": 0.24, "P4": 0.12}
#: Of the tickets Engineering rates, how many it rates differently from Support.
DISAGREE = 0.16
#: P1 pages acknowledged (the others run their chain out); who is paged.
ACKNOWLEDGED = 0.8
ON_CALL = ("dana-eng", "omar-eng", "lena-eng")
PAGE_CHAIN = "p1-page"
ACK_TIMEOUT = 5 * MINUTE


def history_tickets(rng: random.Random, matrix: Matrix, now: datetime, count: int,
                    owners: tuple[str, ...], severities: list[Severity],
                    weights: list[int], newest: timedelta) -> list[_Ticket]:
    """``count`` resolved tickets opened between ``HISTORY_DAYS`` and ``newest`` ago."""
    out: list[_Ticket] = []
    for _ in range(count):
        sev = rng.choices(severities, weights)[0]
        t = _Past(rng, now, sev, matrix)
        t.plan_past(owners, newest)
        out.append(t)
    return out


class _Past(_Ticket):
    """A ticket opened, handled and resolved in the past."""

    def plan_past(self, owners: tuple[str, ...], newest: timedelta) -> None:
        rng = self.rng
        self.owner = self.agent = rng.choice(owners)
        intake = self._choose_intake()
        self.category = str(intake.get("category", ""))
        oldest = timedelta(days=HISTORY_DAYS)
        self.age = _between(rng, newest + DAY, oldest)
        self.opened_at = self.now - self.age
        self.scenario = "history"
        done = self._story()
        self._add(timedelta(0), "opened", intake, self.agent, first=True)
        self._add(done, "resolved", {"resolution": "fixed",
                                     "note": "Confirmed with the customer."}, self.agent)
        self._offsets.sort(key=lambda e: e[0])
        for offset, kind, payload, author in self._offsets:
            self.events.append((self.opened_at + offset, kind, payload, author))

    def _story(self) -> timedelta:
        """The ticket's handling; returns when it was resolved (after its open)."""
        rng, sev = self.rng, self.sev.id
        r = _between(rng, self.R * 0.1, self.R * (1.3 if rng.random() < 0.08 else 0.7))
        self._add(r, "responded", {"channel": "email"}, self.agent)
        span = self.S * _uniform(rng, 0.3, 1.1) if self.S is not None else \
            _between(rng, 4 * HOUR, (3 if sev == "P3" else 6) * DAY)
        done = max(r + 10 * MINUTE, span)
        at = r + (done - r) * 0.25
        escalates = rng.random() < (NEWCOMER_ESCALATION if self.agent == NEWCOMER
                                    else AGENT_ESCALATION)
        settled, severity = self._stages(at)
        if escalates:
            # a two-stage ticket goes to the specialists before Engineering confirms it,
            # so the engine never routes it (it routes only tickets without a handoff)
            self._escalate(max(settled - 20 * SECOND, 2 * SECOND) if settled else at, done)
        else:
            route = self.matrix.severity(severity).route_to
            if route and (self.two is not None
                          or rng.random() < ROUTED_TO_PRODUCT.get(sev, 0)):
                self._route(route, severity, settled + SECOND)
        if severity == "P1" and rng.random() < ACKNOWLEDGED:
            # the on-call engineer acknowledges the page (demo_pages: the chain's pages)
            self._add(_between(rng, 2 * MINUTE, 14 * MINUTE), "acknowledged",
                      {"by": rng.choice(ON_CALL), "alert": "page"}, "engineering")
        if rng.random() < 0.2:
            pause = _between(rng, r + MINUTE, at)
            self._add(pause, "status", {"status": "waiting_on_customer"}, self.agent)
            self._add(pause + (done - pause) * 0.3, "status", {"status": "open"}, "customer")
        self._updates(r, done)
        return done

    def _stages(self, latest: timedelta) -> tuple[timedelta, str]:
        """Engineering's confirmation of a two-stage severity: when, and which (the
        severity stays when there is no second stage)."""
        rng = self.rng
        if self.two is None:
            return timedelta(0), self.sev.id
        at = _between(rng, MINUTE, min(self.two.confirm - MINUTE, latest))
        confirmed = self.sev.id
        if rng.random() < DISAGREE:
            # Support mostly under-rates: Engineering raises a P2 to P1 far more often
            # than it lowers a P1
            confirmed = "P1" if self.sev.id == "P2" or rng.random() < 0.2 else "P2"
        reason = ("confirmed after triage" if confirmed == self.sev.id else
                  "more customers affected than reported" if confirmed < self.sev.id else
                  "a workaround exists; not an outage")
        self._add(at, "severity", {"severity": confirmed, "by": "engineering",
                                   "reason": reason}, rng.choice(ENGINEERS))
        return at, confirmed

    def _route(self, team_id: str, severity: str, at: timedelta) -> None:
        """The engine routes a settled severity to its owning team (not an escalation)."""
        team = self.matrix.team(team_id)
        self._add(at, "routed", {
            "team": team.id, "tier": team.tier, "severity": severity, "by": "engine",
            "from_team": self.matrix.intake_team or self.matrix.teams[0].id,
            "reason": f"{severity} is owned by {team.name}"}, "engine")

    def _move(self, team_id: str, at: timedelta, by: str, mode: str) -> None:
        team = self.matrix.team(team_id)
        self._add(at, "escalated", {"team": team.id, "tier": team.tier, "kind": mode,
                                    "by": by}, by)

    def _escalate(self, at: timedelta, done: timedelta) -> None:
        rng = self.rng
        team = "customer-success" if self.category == "billing" else "specialists"
        if not _has(self.matrix, team):
            team = self.matrix.teams[-1].id
        self._add(max(at - MINUTE, SECOND), "handoff_submitted", self._handoff(team),
                  self.agent)
        self._move(team, at, self.agent, "functional")
        onward = SPECIALISTS_ONWARD if team == "specialists" else 0.05
        if rng.random() < onward:
            target = "product-engineering" if _has(self.matrix, "product-engineering") \
                else team
            later = at + (done - at) * 0.4
            self._move(target, later, rng.choice(SPECIALISTS), "hierarchical")


@dataclass(frozen=True, slots=True)
class DemoPage:
    """A page the demo's past sent (a delivery of the outbox, status sent)."""

    key: str
    ticket: str
    contact: str
    sent_at: datetime
    payload: dict[str, Any]
    channel: str = "pagerduty"

    @property
    def not_before(self) -> datetime:
        return self.sent_at


def demo_pages(events: Iterable[NewEvent], now: datetime) -> list[DemoPage]:
    """The P1 chain's pages of the resolved tickets older than the live queue: the
    on-call engineer paged 30 s after the opening, and the backup too when nobody
    acknowledged within the step's timeout (the reports' paging load and MTTA)."""
    opened: dict[str, tuple[datetime, str]] = {}
    acked: dict[str, datetime] = {}
    severity: dict[str, str] = {}
    for e in events:
        if e.at is None:
            continue
        if e.kind == "opened":
            opened[e.ticket] = (e.at, str(e.payload.get("severity")))
        elif e.kind == "severity" and e.payload.get("by") == "engineering":
            severity.setdefault(e.ticket, str(e.payload.get("severity")))
        elif e.kind == "acknowledged" and e.payload.get("alert") == "page":
            acked.setdefault(e.ticket, e.at)
    pages = []
    for ticket, (at, initial) in opened.items():
        if severity.get(ticket, initial) != "P1" or now - at <= MAX_AGE:
            continue
        week = int((at - datetime(2026, 1, 5, 8, tzinfo=UTC)) / timedelta(days=7))
        people = [ON_CALL[week % len(ON_CALL)], ON_CALL[(week + 1) % len(ON_CALL)]]
        first = at + 30 * SECOND
        ack = acked.get(ticket)
        if ack is not None and ack - first <= ACK_TIMEOUT:
            people = people[:1]
        for step, person in enumerate(people):
            sent = first + step * ACK_TIMEOUT
            pages.append(DemoPage(
                f"demo|{ticket}|{PAGE_CHAIN}|r0|s{step}|{person}", ticket, person, sent,
                # the notifier's delivery payload (notify/plan.py): a chain step
                {"message": {"ticket": ticket, "chain": PAGE_CHAIN, "round": 0, "step": step,
                             "recipient": person, "severity": "P1",
                             "reason": "P1 notification chain"},
                 "target": {"contact": person, "contact_name": person},
                 "meta": {"kind": "notify"}}))
    return pages


def _has(matrix: Matrix, team: str) -> bool:
    return any(t.id == team for t in matrix.teams)


def _uniform(rng: random.Random, low: float, high: float) -> float:
    return low + (high - low) * rng.random()
