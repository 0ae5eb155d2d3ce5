"""The demo's tickets, planned so that each is in a chosen SLA situation at ``now``
(running, about to breach, breached, waiting on the customer, awaiting Engineering's
confirmation, resolved), and turned into events oldest first. Pure: no store, no
clock read; deterministic for a seed and a ``now``."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from console.domain.matrix import Matrix
from console.domain.matrix.model import Severity
from console.store.local import NewEvent

from .data import (
    ACCOUNTS,
    AGENTS,
    ASKS,
    CONTACTS,
    CUSTOMER_MESSAGES,
    DAY,
    DEFAULT_TICKETS,
    ENGINEERS,
    ESCALATION_RATE,
    HISTORY_MAX,
    HISTORY_PER_TICKET,
    HOUR,
    IMPACT,
    MAX_AGE,
    MINUTE,
    NEXT_STEPS,
    P1_TITLES,
    P2_CATEGORIES,
    P3_CATEGORIES,
    P4_CATEGORIES,
    SCENARIOS,
    SCENARIOS_TWO_STAGE,
    SEVERITY_MIX,
    STEPS_TRIED,
    TITLES,
    UPDATE_TEXTS,
    URGENCY,
)

ProgressCallback = Callable[[int, int], None]


def demo_events(matrix: Matrix, now: datetime, tickets: int = DEFAULT_TICKETS, seed: int = 7,
                *, progress: ProgressCallback | None = None, user: str = "me",
                include_resolved: bool = True, history: int | None = None
                ) -> list[NewEvent]:
    """The demo's events, oldest first (so their HLC order is their time order):
    ``tickets`` in the live queue, and ``history`` tickets resolved over the last 90
    days, which the reports read (history.py; default ``HISTORY_PER_TICKET`` per live
    ticket, at most ``HISTORY_MAX``; none without ``include_resolved``)."""
    rng = random.Random(seed)
    ids = random.Random(seed * 7919 + 1)
    severities = list(matrix.severities)
    weights = [SEVERITY_MIX.get(s.id, 10) for s in severities]
    teams = [t for t in matrix.teams if t.tier in ("T2", "T3")] or list(matrix.teams)
    owners = (*AGENTS, user)
    planned: list[_Ticket] = []
    step = max(1, tickets // 100)
    for n in range(tickets):
        sev = rng.choices(severities, weights)[0]
        t = _Ticket(rng, now, sev, matrix)
        t.plan(owners, teams, include_resolved)
        planned.append(t)
        if progress is not None and n % step == 0 and n:
            progress(n, tickets)
    if history is None:
        history = min(HISTORY_PER_TICKET * tickets, HISTORY_MAX) if include_resolved else 0
    from .history import history_tickets  # it builds on _Ticket, defined below

    planned += history_tickets(random.Random(seed * 31 + 5), matrix, now, history, owners,
                               severities, weights, MAX_AGE)
    planned.sort(key=lambda t: t.opened_at)
    width = max(5, len(str(len(planned) + 10_000)))
    flat: list[tuple[datetime, int, int, str, str, dict[str, Any], str]] = []
    for number, t in enumerate(planned):
        ticket = f"INC-{10_001 + number:0{width}d}"
        for seq, (at, kind, payload, author) in enumerate(t.events):
            flat.append((at, number, seq, ticket, kind, payload, author))
    flat.sort(key=lambda e: (e[0], e[1], e[2]))
    return [NewEvent(ticket, kind, payload, author, at,
                     str(uuid.UUID(int=ids.getrandbits(128), version=4)))
            for at, _, _, ticket, kind, payload, author in flat]


def _between(rng: random.Random, low: timedelta, high: timedelta) -> timedelta:
    """A whole number of seconds in [low, high] (low when the range is empty)."""
    if high <= low:
        return low
    return timedelta(seconds=round((low + (high - low) * rng.random()).total_seconds()))


class _Ticket:
    """Plans one ticket's events so that it is in a chosen SLA situation at ``now``."""

    def __init__(self, rng: random.Random, now: datetime, sev: Severity, matrix: Matrix) -> None:
        self.rng, self.now, self.sev, self.matrix = rng, now, sev, matrix
        targets = sev.targets
        self.R = targets.response or DAY
        self.U = targets.update
        self.S = targets.resolution
        self.lead_r = sev.lead_time("response") or 15 * MINUTE
        self.lead_u = sev.lead_time("update") or 15 * MINUTE
        self.lead_s = sev.lead_time("resolution") or 15 * MINUTE
        self.two = sev.two_stage
        # the widest gap between updates that keeps the update clock out of pre-breach
        self.max_gap = None if self.U is None else max(
            MINUTE, min(self.U * 0.6, self.U - self.lead_u - MINUTE))
        self.opened_at = now
        self.age = timedelta(0)
        self.scenario = self.owner = self.agent = self.title = self.account = ""
        self.events: list[tuple[datetime, str, dict[str, Any], str]] = []
        self._offsets: list[tuple[timedelta, str, dict[str, Any], str]] = []

    # -- the plan -------------------------------------------------------------------------
    def plan(self, owners: tuple[str, ...], teams: list[Any], resolved: bool = True) -> None:
        rng = self.rng
        mix = SCENARIOS_TWO_STAGE if self.two is not None else SCENARIOS
        if not resolved:
            mix = {k: v for k, v in mix.items() if k != "resolved"}
        scenario = rng.choices(list(mix), list(mix.values()))[0]
        self.owner = "" if rng.random() < 0.08 else (
            owners[-1] if rng.random() < 0.15 else rng.choice(owners[:-1]))
        self.agent = self.owner or rng.choice(owners[:-1])
        intake = self._choose_intake()
        getattr(self, f"_{scenario}")()
        self.scenario = scenario
        self._decorate(teams)
        self.opened_at = self.now - self.age
        self._add(timedelta(0), "opened", intake, self.agent, first=True)
        self._offsets.sort(key=lambda e: e[0])
        for offset, kind, payload, author in self._offsets:
            assert offset <= self.age, (self.sev.id, scenario, kind)
            self.events.append((self.opened_at + offset, kind, payload, author))

    def _add(self, offset: timedelta, kind: str, payload: dict[str, Any], author: str,
             first: bool = False) -> None:
        item = (offset, kind, payload, author)
        if first:
            self._offsets.insert(0, item)
        else:
            self._offsets.append(item)

    def _confirm(self, latest: timedelta) -> None:
        """Engineering confirms the severity inside the confirmation window."""
        if self.two is None:
            return
        high = min(self.two.confirm - MINUTE, latest)
        at = _between(self.rng, min(MINUTE, high * 0.5), high)
        self._add(at, "severity", {"severity": self.sev.id, "by": "engineering",
                                   "reason": "confirmed after triage"},
                  self.rng.choice(ENGINEERS))

    def _respond(self, latest: timedelta) -> timedelta:
        r = _between(self.rng, self.R * 0.1, self.R * 0.6)
        r = min(r, latest)
        self._add(r, "responded", {"channel": "email"}, self.agent)
        return r

    def _updates(self, start: timedelta, end: timedelta) -> None:
        """update_sent events from ``start`` up to ``end``, never further apart than the
        cadence allows, so the update clock is running, not pre-breach, at ``end``."""
        if self.max_gap is None:
            return
        t = start
        while True:
            t += _between(self.rng, self.max_gap * 0.6, self.max_gap)
            if t >= end:
                return
            self._update(t)

    def _update(self, at: timedelta) -> None:
        self._add(at, "update_sent", {"text": self.rng.choice(UPDATE_TEXTS)}, self.agent)

    def _ok_age_limit(self) -> timedelta:
        if self.S is not None:
            return self.S - self.lead_s - 5 * MINUTE
        return min(MAX_AGE, 6 * DAY)

    # -- scenarios ------------------------------------------------------------------------
    def _ok(self) -> None:
        rng = self.rng
        if rng.random() < 0.2:  # new, not answered yet
            self.age = _between(rng, 30 * timedelta(seconds=1),
                                max(MINUTE, self.R - self.lead_r - MINUTE))
            self._confirm(self.age * 0.8)
            return
        self.age = _between(rng, max(5 * MINUTE, self.R * 0.2), self._ok_age_limit())
        r = self._respond(self.age * 0.5)
        self._confirm(self.age)
        self._updates(r, self.age)

    def _pre_breach(self) -> None:
        rng = self.rng
        options = ["response"]
        if self.U is not None and self.U + self.R < MAX_AGE:
            options.append("update")
        if self.S is not None:
            options.append("resolution")
        clock = rng.choice(options)
        if clock == "response":
            left = _between(rng, 30 * timedelta(seconds=1), self.lead_r - 30 * timedelta(seconds=1))
            self.age = self.R - left
            self._confirm(self.age - MINUTE)
        elif clock == "update":
            assert self.U is not None and self.max_gap is not None
            left = _between(rng, 30 * timedelta(seconds=1), self.lead_u - 30 * timedelta(seconds=1))
            since_last = self.U - left
            limit = (self.S - self.lead_s - 2 * MINUTE) if self.S else MAX_AGE
            r = _between(rng, self.R * 0.1, self.R * 0.6)
            room = max(timedelta(0), limit - since_last - r)
            between = _between(rng, timedelta(0), min(room, 3 * self.max_gap))
            self.age = r + between + since_last
            self._add(r, "responded", {"channel": "email"}, self.agent)
            last = r + between
            self._updates(r, last)
            if last > r:
                self._update(last)
            self._confirm(self.age)
        else:
            assert self.S is not None
            left = _between(rng, MINUTE, self.lead_s - 30 * timedelta(seconds=1))
            self.age = self.S - left
            r = self._respond(self.R * 0.6)
            self._confirm(self.age)
            self._updates(r, self.age)

    def _breached(self) -> None:
        rng = self.rng
        options = ["response", "response"]
        if self.U is not None and self.U * 1.5 + self.R < MAX_AGE:
            options.append("update")
        if self.S is not None:
            options.append("resolution")
        clock = rng.choice(options)
        if clock == "response":
            # recently breached: what a commander acts on (not days-old neglect)
            over = _between(rng, MINUTE, min(self.R * 0.25, 3 * HOUR))
            self.age = self.R + over
            self._confirm(self.age)
        elif clock == "update":
            assert self.U is not None and self.max_gap is not None
            over = _between(rng, MINUTE, min(self.U * 0.25, 3 * HOUR))
            r = self._respond(self.R)
            between = _between(rng, timedelta(0), 2 * self.max_gap)
            last = r + between
            self._updates(r, last)
            if last > r:
                self._update(last)
            self.age = last + self.U + over
            self._confirm(self.age)
        else:
            assert self.S is not None
            over = _between(rng, 5 * MINUTE, min(self.S * 0.25, 3 * HOUR))
            self.age = self.S + over
            r = self._respond(self.R * 0.6)
            self._confirm(self.age)
            self._updates(r, self.age)
        if rng.random() < 0.3:
            self._add(self.age - _between(rng, timedelta(0), min(self.age, 5 * MINUTE)),
                      "acknowledged", {"by": self.agent, "alert": "breach"}, self.agent)

    def _paused(self) -> None:
        rng = self.rng
        r = _between(rng, self.R * 0.1, self.R * 0.6)
        self._add(r, "responded", {"channel": "email"}, self.agent)
        if self.S is not None:
            pause = _between(rng, r + 2 * MINUTE, max(r + 2 * MINUTE, self.S - 5 * MINUTE))
            waited = _between(rng, 5 * MINUTE, self.S * 3)
        else:
            pause = _between(rng, r + 10 * MINUTE, r + 3 * DAY)
            waited = _between(rng, 2 * HOUR, 5 * DAY)
        self._updates(r, pause)
        self._add(pause, "status", {"status": "waiting_on_customer"}, self.agent)
        self.age = pause + waited
        self._confirm(pause)

    def _unconfirmed(self) -> None:
        rng = self.rng
        assert self.two is not None
        window = self.two.confirm
        lead = self.sev.lead_time("confirmation") or window / 3
        second = timedelta(seconds=1)
        roll = rng.random()
        if roll < 0.5:
            self.age = _between(rng, 30 * second, window - lead - 30 * second)
        elif roll < 0.8:
            self.age = _between(rng, window - lead + 15 * second, window - 15 * second)
        else:
            self.age = _between(rng, window + MINUTE, window + 30 * MINUTE)
        if rng.random() < 0.5:
            self._respond(self.age * 0.8)

    def _resolved(self) -> None:
        rng = self.rng
        r = _between(rng, self.R * 0.1, self.R * 0.6)
        self._add(r, "responded", {"channel": "email"}, self.agent)
        high = self.S * 0.9 if self.S is not None else r + 3 * DAY
        done = _between(rng, r + 10 * MINUTE, max(r + 10 * MINUTE, high))
        self._updates(r, done)
        ago = _between(rng, 5 * MINUTE, 8 * HOUR)
        self.age = done + ago
        self._confirm(done)
        self._add(done, "resolved", {"resolution": "fixed", "note": "Confirmed with the customer."},
                  self.agent)

    # -- the rest of the story ------------------------------------------------------------
    def _decorate(self, teams: list[Any]) -> None:
        rng, age = self.rng, self.age
        if rng.random() < ESCALATION_RATE.get(self.sev.id, 0.2) and age > 2 * MINUTE:
            route = self.sev.route_to
            at = _between(rng, min(2 * MINUTE, age), age * 0.9)
            if route and rng.random() < 0.7:
                # the engine routes the ticket to the team owning its severity: a move,
                # not an escalation (the reports tell them apart)
                team = self.matrix.team(route)
                self._add(at, "routed", {
                    "team": team.id, "tier": team.tier, "severity": self.sev.id,
                    "by": "engine", "from_team": self.matrix.intake_team or
                    self.matrix.teams[0].id, "reason": f"{self.sev.id} is owned by "
                    f"{team.name}"}, "engine")
                return self._message(age)
            team = rng.choice(teams)
            if rng.random() < 0.6:
                self._add(max(at - MINUTE, timedelta(seconds=1)), "handoff_submitted",
                          self._handoff(team.id), self.agent)
            self._add(at, "escalated", {"team": team.id, "tier": team.tier,
                                        "kind": "functional", "by": self.agent}, self.agent)
        self._message(age)

    def _message(self, age: timedelta) -> None:
        rng = self.rng
        if rng.random() < 0.25 and age > MINUTE:
            self._add(_between(rng, MINUTE, age), "message",
                      {"text": rng.choice(CUSTOMER_MESSAGES), "from": "customer"}, "customer")

    def _handoff(self, team: str) -> dict[str, Any]:
        rng = self.rng
        steps = rng.sample(STEPS_TRIED, rng.randint(2, 4))
        return {
            "summary": f"{self.title} ({self.account}); customer impact confirmed, "
                       "needs specialist investigation.",
            "steps_tried": "\n".join(steps),
            "next_steps": rng.choice(NEXT_STEPS),
            "target_team": team,
            "from_team": self.matrix.intake_team or self.matrix.teams[0].id,
            "urgency": URGENCY.get(self.sev.id, "normal"),
            "by": self.agent,
        }

    def _choose_intake(self) -> dict[str, Any]:
        """Title, account and the intake facts, consistent with the severity."""
        rng, sev = self.rng, self.sev.id
        account, tier = rng.choice(ACCOUNTS)
        pct, workaround, revenue, breach = 0.0, "full", False, False
        if sev == "P1":
            title = rng.choice(P1_TITLES)
            category = "bug"
            breach = "breach" in title or "exposed" in title
            pct = float(rng.randint(30, 100))
            workaround, revenue = "none", rng.random() < 0.7
        elif sev == "P2":
            category = rng.choice(P2_CATEGORIES)
            title = rng.choice(TITLES[category])
            pct = float(rng.randint(1, 25))
            workaround = rng.choice(("none", "partial"))
            revenue = category == "billing" or rng.random() < 0.2
            # revenue at risk with no workaround at all is a P1 in the matrix
            revenue = revenue and workaround == "partial"
        elif sev == "P4":
            category = rng.choice(P4_CATEGORIES)
            title = rng.choice(TITLES[category])
        else:
            category = rng.choice(P3_CATEGORIES)
            title = rng.choice(TITLES[category])
            pct = float(rng.randint(0, 5))
        contact = rng.choice(CONTACTS)
        text = (f"{contact} at {account} reports: {title[0].lower()}{title[1:]}. "
                f"{rng.choice(IMPACT)} {rng.choice(ASKS)}")
        self.title, self.account = title, account
        data: dict[str, Any] = {
            "title": title, "text": text, "account": account, "account_tier": tier,
            "users_affected_pct": pct, "workaround": workaround, "revenue_risk": revenue,
            "security_breach": breach, "category": category,
            "severity": sev, "by": "support", "reason": "set at intake",
        }
        if self.owner:
            data["owner"] = self.owner
        return data
