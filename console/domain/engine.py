"""The escalation engine: SLA alerts, triggers, actions and notification chains.

Over 400 lines on purpose: one class, whose timer heap and the handlers that
reschedule it (timers, triggers, actions, chains) share each ticket's state; split,
they would hand that state back and forth. The rules it applies live in the pure
modules beside it (tickets, clocks, chains, scoring).

The engine keeps one heap of timers at exact instants. Events change a ticket and
reschedule only that ticket; ``next_fire()`` is the heap's top, so the app's scheduler
sleeps until then instead of polling. Time is always an argument: the engine never
reads a clock, so the live app, ``simulate``, the tests and the benchmarks share it.

What it keeps per ticket is plain data (``tracked.Ticket``: the fold without its
history, marks of what fired, chain positions), small because a console holds every
open ticket; clocks are recomputed from it, never stored.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from .action_events import is_engine_action
from .calendar import BusinessCalendar
from .chains import advance_chain, start_chain
from .clocks import Clock, ticket_clock, ticket_clocks
from .durations import format_duration
from .fires import Fire
from .matrix.model import (
    BumpSeverity,
    Escalate,
    Matrix,
    Notify,
    Prioritize,
    RequireHandoff,
    Team,
    Trigger,
)
from .scoring import Facts, SentimentScorer, effective_severity, match, score
from .tickets import (
    Intake,
    TicketCore,
    TicketEvent,
    TicketState,
    apply_event,
    message_text,
    raise_severity,
)
from .tracked import IntakeSource, Marks, SharedIntakes, Ticket, reads_text

_CLOCK_NEUTRAL = frozenset({"message", "acknowledged"})
# A heap entry: (instant, sequence, ticket id, ticket version, what). What is an SLA
# alert's mark (clock, cycle, threshold), shared; a time trigger's index; a chain's id.
Entry = tuple[datetime, int, str, int, Any]


def _criteria(matrix: Matrix) -> list[tuple[str, Any]]:
    """What scoring depends on: severity order and criteria (not targets)."""
    return [(s.id, s.criteria) for s in matrix.severities]


def build_calendars(matrix: Matrix) -> dict[str, BusinessCalendar]:
    return {cid: BusinessCalendar(spec) for cid, spec in matrix.calendars.items()}


class Engine:
    """Tracks open tickets and answers what fires, and when."""

    def __init__(self, matrix: Matrix, sentiment: SentimentScorer | None = None,
                 intakes: IntakeSource | None = None) -> None:
        """``intakes`` reads tickets' intakes back (title and text): given, the engine
        keeps only their shared words and reads the rest when a rule needs it."""
        self.matrix = matrix
        self.calendars = build_calendars(matrix)
        self.sentiment = sentiment
        self.tickets: dict[str, Ticket] = {}
        self.now: datetime | None = None
        self._marks = Marks()
        self._intakes = SharedIntakes(intakes)
        self._heap: list[Entry] = []
        self._heap_floor = 0  # the heap's size after its last compaction
        self._seq = itertools.count()
        self._index_triggers(matrix)

    # -- public API -------------------------------------------------------------
    def apply(self, event: TicketEvent) -> list[Fire]:
        """Fire what falls due before the event, then apply it and fire what it causes."""
        fires = self.advance_to(event.at, inclusive=False)
        self.now = max(self.now or event.at, event.at)
        ticket = self.tickets.get(event.ticket)
        if ticket is not None and is_engine_action(event):
            self._own_action(ticket, event)
            return fires
        state = apply_event(ticket.state if ticket else None, event, TicketCore)
        if state is None:
            return fires
        intake: Intake | None = None  # the whole intake, while a new ticket opens
        if ticket is None:
            intake = state.intake
            scored = score(self.matrix, intake)
            ticket = Ticket(state, scored.severity)
            self.tickets[event.ticket] = ticket
            self._place_new(ticket)
            if ticket.state.severity is None:
                fires.append(Fire(event.at, event.ticket, "severity_suggested",
                                  scored.explain(), severity=scored.severity))
        caused = self._after_event(ticket, event, intake)
        if intake is not None:
            state.intake = self._intakes.keep(intake)
        fires.extend(caused)
        # Customer messages and acknowledgements move no clock: unless a trigger acted,
        # the ticket's timers in the heap are still right.
        if caused or event.type not in _CLOCK_NEUTRAL:
            self._reschedule(ticket)
        return fires

    def advance_to(self, until: datetime, inclusive: bool = True) -> list[Fire]:
        """Fire every timer due at or before ``until`` (strictly before if not inclusive)."""
        fires: list[Fire] = []
        heap = self._heap
        while heap and (heap[0][0] <= until if inclusive else heap[0][0] < until):
            at, seq, tid, version, what = heapq.heappop(heap)
            ticket = self.tickets.get(tid)
            if ticket is None or ticket.version != version:
                continue  # stale: the ticket changed and was rescheduled
            self.now = max(self.now or at, at)
            if self._on_timer(ticket, at, seq, what, fires):
                self._reschedule(ticket)
        if inclusive:
            self.now = max(self.now or until, until)
        return fires

    def next_fire(self) -> datetime | None:
        """The next instant at which anything can fire, across all tickets."""
        heap = self._heap
        while heap:
            at, _, tid, version, _ = heap[0]
            ticket = self.tickets.get(tid)
            if ticket is not None and ticket.version == version:
                return at
            heapq.heappop(heap)
        return None

    def next_fire_for(self, ticket_id: str) -> datetime | None:
        ticket = self.tickets.get(ticket_id)
        if ticket is None:
            return None
        times = [at for at, _ in self._timers(ticket, self._clocks(ticket))]
        return min(times) if times else None

    def set_matrix(self, matrix: Matrix) -> int:
        """Switch to a new matrix version and recompute every open ticket's deadlines;
        return how many deadlines were computed."""
        old = self.matrix
        self.matrix = matrix
        self.calendars = build_calendars(matrix)
        self._index_triggers(matrix)
        rescore = (_criteria(old) != _criteria(matrix)
                   or old.default_severity != matrix.default_severity)
        count = 0
        heap: list[Entry] = []
        intakes = self._rescore_intakes(matrix) if rescore else {}
        for ticket in self.tickets.values():
            st = ticket.state
            if not st.open:
                continue
            if rescore:
                ticket.suggested = score(matrix, intakes.get(st.id, st.intake)).severity
            self._repair_chains(ticket)
            ticket.version += 1
            clocks = ticket_clocks(st, matrix, self.calendars, self._severity(ticket))
            heap.extend(self._entries(ticket, clocks))
            count += sum(1 for c in clocks if c.due is not None)
        heapq.heapify(heap)
        self._heap = heap
        self._heap_floor = len(heap)
        return count

    def _rescore_intakes(self, matrix: Matrix) -> dict[str, Intake]:
        """The whole intakes of the open tickets, when the new criteria read words."""
        if not any(reads_text(c.when, False) for s in matrix.severities for c in s.criteria):
            return {}
        return self._intakes.full_many([t.state for t in self.tickets.values()
                                        if t.state.open])

    def _repair_chains(self, ticket: Ticket) -> None:
        """Chains that the new matrix removed stop; shortened ones restart their round."""
        if not ticket.chains:
            return
        kept = []
        for run in ticket.chains:
            chain = self.matrix.chains.get(run.chain)
            if chain is None:
                run.next_at = None
                continue
            if run.step >= len(chain.steps) or (
                    run.stage == "backup" and chain.steps[run.step].backup is None):
                run.step, run.stage = 0, "primary"
            kept.append(run)
        ticket.chains = tuple(kept)

    def _index_triggers(self, matrix: Matrix) -> None:
        """Split triggers by what can make them fire, so an event only re-checks the
        triggers its kind of change can affect."""
        self._time_triggers = [t for t in matrix.triggers if t.when.unresolved_for]
        self._sla_triggers = [t for t in matrix.triggers if t.when.sla]
        self._triggers_on: dict[str, list[Trigger]] = {}
        for trig in matrix.triggers:
            if trig.when.sla:
                continue
            kinds = {"opened"}
            if trig.when.sentiment is not None:
                kinds.add("message")
            if trig.when.severity is not None or trig.when.unresolved_for is not None:
                kinds.add("severity")
            if trig.when.tier is not None or trig.when.unresolved_for is not None:
                kinds.update(("escalated", "assigned"))
            if trig.when.unresolved_for is not None:
                kinds.update(("reopened", "status", "message", "responded", "update_sent"))
            for kind in kinds:
                self._triggers_on.setdefault(kind, []).append(trig)

    def severity(self, ticket_id: str) -> str:
        """The severity the ticket is judged by under the current matrix."""
        return self._severity(self.tickets[ticket_id])

    def _severity(self, ticket: Ticket) -> str:
        return effective_severity(self.matrix, ticket.state.severity, ticket.suggested)

    def clocks(self, ticket_id: str) -> list[Clock]:
        """The ticket's clocks under the current matrix (none once it is resolved)."""
        return self._clocks(self.tickets[ticket_id])

    def _clocks(self, ticket: Ticket) -> list[Clock]:
        st = ticket.state
        if not st.open:
            return []
        return ticket_clocks(st, self.matrix, self.calendars, self._severity(ticket))

    # -- scheduling ---------------------------------------------------------------
    def _reschedule(self, ticket: Ticket) -> None:
        ticket.version += 1
        push, heap = heapq.heappush, self._heap
        for entry in self._entries(ticket, self._clocks(ticket)):
            push(heap, entry)
        if len(self._heap) > 2 * self._heap_floor + 1024:
            self.compact()

    def compact(self) -> None:
        """Drop the timers a reschedule superseded (also done as the heap grows). Each
        event leaves its ticket's old timers behind (popping skips them); replaying a
        store of 50,000 tickets left ten dead entries per live one. Entries are ordered
        by (instant, sequence), both unique, so the live ones pop in the same order
        from the rebuilt heap."""
        tickets = self.tickets
        heap = [e for e in self._heap
                if (t := tickets.get(e[2])) is not None and t.version == e[3]]
        heapq.heapify(heap)
        self._heap = heap
        self._heap_floor = len(heap)

    # -- checkpoints (console.notify.checkpoint saves and restores these) -----------
    def export_state(self) -> dict[str, Any]:
        """Everything the engine holds, as plain data: the tickets, the live timers
        (compacted), its instant and the next sequence number, so a restored engine
        pops the same timers in the same order."""
        self.compact()
        number = next(self._seq)
        self._seq = itertools.count(number)
        return {"tickets": self.tickets, "heap": self._heap, "now": self.now, "seq": number}

    def import_state(self, state: dict[str, Any]) -> None:
        """Take over what ``export_state`` gave (unpickled), sharing marks and intake
        words again."""
        shared = self._marks.shared
        self.tickets = state["tickets"]
        for ticket in self.tickets.values():
            self._share(ticket)
        self._heap = [(at, seq, tid, version, shared(what) if type(what) is tuple else what)
                      for at, seq, tid, version, what in state["heap"]]
        heapq.heapify(self._heap)
        self._heap_floor = len(self._heap)
        self.now = state["now"]
        self._seq = itertools.count(state["seq"])

    def drop_closed(self) -> list[str]:
        """Forget the resolved tickets (they have no timers); their ids. A later event
        for one needs it folded again from its events first (``adopt``)."""
        gone = [tid for tid, t in self.tickets.items() if not t.state.open]
        for tid in gone:
            del self.tickets[tid]
        if gone:
            self.compact()  # no entry of theirs may outlive them (versions restart)
        return gone

    def adopt(self, ticket: Ticket) -> None:
        """Hold ``ticket`` again, folded by another engine from its events."""
        self._share(ticket)
        self.tickets[ticket.state.id] = ticket
        self._reschedule(ticket)

    def _share(self, ticket: Ticket) -> None:
        ticket.fired = tuple(self._marks.shared(m) for m in ticket.fired)
        ticket.state.intake = self._intakes.keep(ticket.state.intake)

    def _entries(self, ticket: Ticket, clocks: list[Clock]) -> Iterator[Entry]:
        """The ticket's heap entries, one sequence number per timer. A clock's breach
        waits behind its pre-breach, which pushes it when it fires (``_on_sla``) under
        the number reserved for it here: the two pop in the same order, and the heap
        holds one entry per running clock, not two."""
        tid, version, seq = ticket.state.id, ticket.version, self._seq
        deferred: Any = None
        for at, what in self._timers(ticket, clocks):
            number = next(seq)
            if what is deferred:  # marks are shared: the same breach is the same tuple
                continue
            deferred = None
            if type(what) is tuple and what[2] == "pre_breach":
                deferred = self._marks.shared((what[0], what[1], "breach"))
            yield at, number, tid, version, what

    def _timers(self, ticket: Ticket, clocks: list[Clock]
                ) -> Iterable[tuple[datetime, Any]]:
        """(instant, what) of each timer the ticket has pending."""
        if not ticket.state.open:
            return
        now = self.now
        fired, shared = ticket.fired, self._marks.shared
        for c in clocks:
            if c.stopped_at is not None:
                # stopped after its due time, but never alerted: a severity change moved
                # the deadline back past the stop; alert once, late and retroactive
                if (now is not None and c.due is not None and c.stopped_at > c.due
                        and (c.name, c.cycle, "breach") not in fired):
                    yield now, shared((c.name, c.cycle, "breach"))
                continue
            if c.due is None:
                continue
            for threshold, at in (("pre_breach", c.pre_breach_at), ("breach", c.due)):
                if at is not None and (mark := (c.name, c.cycle, threshold)) not in fired:
                    yield (max(at, now) if now else at), shared(mark)
        for i, trig in enumerate(self._time_triggers):
            spent = ("timer", trig.id, trig.when.unresolved_for) in fired
            wait = trig.when.unresolved_for  # never None: only these are time triggers
            if trig.id not in fired and not spent and wait is not None:
                at = ticket.state.opened_at + wait
                yield (max(at, now) if now else at), i
        for run in ticket.chains:
            if run.next_at is not None:
                yield run.next_at, run.chain

    def _on_timer(self, ticket: Ticket, at: datetime, seq: int, what: Any,
                  fires: list[Fire]) -> bool:
        """Handle one due timer; True when the ticket changed (reschedule it)."""
        if type(what) is tuple:
            return self._on_sla(ticket, at, seq, what, fires)
        if type(what) is int:
            # The timer is spent even when the other conditions do not hold yet (events
            # re-check the trigger later); otherwise it would be rescheduled at `now`
            # and advance_to would loop forever.
            trig = self._time_triggers[what]
            self._marks.add(ticket, ("timer", trig.id, trig.when.unresolved_for))
            before = len(fires)
            self._run_triggers(ticket, at, [trig], fires)
            return len(fires) > before
        run = ticket.run(what)
        assert run is not None  # a chain timer belongs to a run the ticket keeps
        acked = ticket.state.acknowledged_at
        if acked is not None and acked >= run.started_at:
            run.next_at = None
            return False
        armed = {r.chain: r.next_at for r in ticket.chains}
        runs = ticket.runs()
        fires.extend(advance_chain(self.matrix, ticket.state.id, self._severity(ticket),
                                   runs, what, at, self._chain_context(ticket)))
        ticket.set_runs(runs)
        # push only the chain timers this step armed; every other entry is still valid
        for r in ticket.chains:
            if r.next_at is not None and (r.chain == what or armed.get(r.chain) != r.next_at):
                heapq.heappush(self._heap, (r.next_at, next(self._seq), ticket.state.id,
                                            ticket.version, r.chain))
        return False

    def _on_sla(self, ticket: Ticket, at: datetime, seq: int, mark: tuple[str, int, str],
                fires: list[Fire]) -> bool:
        """An SLA alert, judged by its clock as it was scheduled (the ticket and the
        matrix are unchanged, or the entry would be stale)."""
        clock, cycle, threshold = mark
        self._marks.add(ticket, mark)
        c = ticket_clock(ticket.state, self.matrix, self.calendars, self._severity(ticket),
                         clock)
        assert c is not None  # the entry is not stale: the clock it was made from is there
        due_at = c.pre_breach_at if threshold == "pre_breach" else c.due
        assert due_at is not None and c.due is not None
        extra: dict[str, Any] = {"due": c.due, "target": format_duration(c.target),
                                 "tier": ticket.state.tier, "team": ticket.state.team,
                                 "business": c.business}
        if clock == "update":
            extra["cycle"] = cycle
        if at > due_at:
            extra["late"] = True
        if c.stopped_at is not None:
            extra["retroactive"] = True  # a severity change moved the due time back
        label = "pre-breach" if threshold == "pre_breach" else "breach"
        reason = f"{clock} {label}: {format_duration(c.target)} target due {c.due.isoformat()}"
        if threshold == "pre_breach":
            reason += f" ({format_duration(c.lead)} lead)"
        fires.append(Fire(at, ticket.state.id, threshold, reason, clock,
                          self._severity(ticket), extra))
        state = "pre_breach" if threshold == "pre_breach" else "breached"
        before = len(fires)
        self._run_triggers(ticket, at, self._sla_triggers, fires, sla=(clock, state))
        # Only an action changes the ticket; otherwise its other timers stay valid.
        if len(fires) > before:
            return True
        breach = self._marks.shared((clock, cycle, "breach"))
        if threshold == "pre_breach" and breach not in ticket.fired:
            # the breach _entries held back, at the instant and number it had then
            # (self.now is this entry's instant: the reschedule's now, or later)
            assert self.now is not None
            heapq.heappush(self._heap, (max(c.due, self.now), seq + 1, ticket.state.id,
                                        ticket.version, breach))
        return False

    # -- events, triggers and actions ------------------------------------------------
    def _place_new(self, ticket: Ticket) -> None:
        st = ticket.state
        team_id = self.matrix.intake_team or self.matrix.teams[0].id
        st.team = st.team or team_id
        st.tier = st.tier or self.matrix.team(team_id).tier

    def _own_action(self, ticket: Ticket, event: TicketEvent) -> None:
        """An action of the engine come back as an event (``action_events``): this
        engine took it already, from the same events, so it fires nothing, runs no
        trigger and starts no chain. Folded all the same, so the engine and the
        projection agree; only if that changes the ticket (another instance acted on a
        ticket this one has seen move since) are its timers rescheduled."""
        st = ticket.state
        before = (st.team, st.tier, st.severity, st.severity_by, st.priority)
        apply_event(st, event, TicketCore)
        if (st.team, st.tier, st.severity, st.severity_by, st.priority) != before:
            self._reschedule(ticket)

    def _after_event(self, ticket: Ticket, event: TicketEvent,
                     intake: Intake | None) -> list[Fire]:
        """What the event causes; ``intake`` is the whole intake of a ticket opening."""
        fires: list[Fire] = []
        st = ticket.state
        if not st.open:
            for run in ticket.chains:
                run.next_at = None
            return fires
        if event.type == "acknowledged":
            for run in ticket.chains:
                run.next_at = None
        if event.type in ("opened", "severity"):
            self._severity_chain(ticket, event.at, fires)
            self._route_if_settled(ticket, event, fires)
        texts: tuple[str, ...] = ()
        if event.type == "opened":
            intake = intake or self._intakes.full(st)  # read back for a repeated opening
            texts = (f"{intake.title}. {intake.text}",)
        elif event.type == "message":
            texts = (message_text(event),)
        triggers = self._triggers_on.get(event.type)
        if triggers:
            self._run_triggers(ticket, event.at, triggers, fires, texts=texts, intake=intake)
        return fires

    def _start_chain(self, ticket: Ticket, severity: str, chain: str, at: datetime,
                     reason: str, fires: list[Fire]) -> None:
        runs = ticket.runs()
        fires.extend(start_chain(self.matrix, ticket.state.id, severity, runs, chain, at,
                                 reason, self._chain_context(ticket)))
        ticket.set_runs(runs)

    def _severity_chain(self, ticket: Ticket, at: datetime, fires: list[Fire]) -> None:
        severity = self._severity(ticket)
        chain = self.matrix.severity(severity).notify
        if chain and ticket.run(chain) is None:
            self._start_chain(ticket, severity, chain, at, f"{severity} notification chain",
                              fires)

    def _route_if_settled(self, ticket: Ticket, event: TicketEvent, fires: list[Fire]) -> None:
        """Route to the severity's owning team once the severity is settled: confirmed by
        Engineering, or set by Support for a severity that needs no confirmation."""
        st = ticket.state
        if st.severity is None or not self.matrix.has_severity(st.severity):
            return  # no severity chosen, or one the matrix no longer has
        sev = self.matrix.severity(st.severity)
        by = st.severity_by
        settled = by == "engineering" or (sev.two_stage is None and by != "trigger")
        if settled and sev.route_to and sev.route_to != st.team and st.handoffs == 0:
            team = self.matrix.team(sev.route_to)
            fires.append(Fire(event.at, st.id, "route", f"{sev.id} is owned by {team.name}",
                              severity=sev.id, extra={"from_team": st.team, "team": team.id,
                                                      "tier": team.tier}))
            st.team, st.tier = team.id, team.tier

    def _run_triggers(self, ticket: Ticket, at: datetime, triggers: list[Trigger],
                      fires: list[Fire], sla: tuple[str, str] | None = None,
                      texts: tuple[str, ...] = (), intake: Intake | None = None) -> None:
        """``intake``: the ticket's whole intake, when the caller has it at hand."""
        st = ticket.state
        for trig in triggers:
            if trig.id in ticket.fired or not st.open:
                continue
            if trig.when.sentiment is not None and not texts and sla is None:
                continue  # sentiment only judges new customer text
            if intake is None and reads_text(trig.when, bool(texts)):
                intake = self._intakes.full(st)  # the title and text this rule reads
            facts = Facts(st.intake if intake is None else intake, self._severity(ticket),
                          st.tier, texts, at - st.opened_at, sla)
            reasons = match(trig.when, facts, self.sentiment)
            if reasons is None:
                continue
            self._marks.add(ticket, trig.id)
            why = f"trigger {trig.id}: {', '.join(reasons)}"
            for action in trig.then:
                self._act(ticket, at, action, trig, why, fires)

    def _act(self, ticket: Ticket, at: datetime, action: Any, trig: Trigger, why: str,
             fires: list[Fire]) -> None:
        st, m = ticket.state, self.matrix
        severity = self._severity(ticket)
        base = {"trigger": trig.id}
        if isinstance(action, Escalate):
            team = self._escalation_team(st, action)
            if team is None or team.id == st.team:
                return
            fires.append(Fire(at, st.id, "escalate", why, severity=severity,
                              extra={**base, "mode": action.kind, "from_tier": st.tier,
                                     "from_team": st.team, "tier": team.tier,
                                     "team": team.id}))
            st.team, st.tier = team.id, team.tier
        elif isinstance(action, Notify):
            if ticket.run(action.chain) is None:
                self._start_chain(ticket, severity, action.chain, at, why, fires)
        elif isinstance(action, BumpSeverity):
            before = m.severity(severity)
            target = (m.severity(action.to) if action.to else
                      m.severities[max(0, before.rank - action.levels)])
            if target.rank >= before.rank:
                return
            raise_severity(st, at, target.id, why)
            fires.append(Fire(at, st.id, "severity_bump", why, severity=target.id,
                              extra={**base, "from": before.id}))
            self._severity_chain(ticket, at, fires)
        elif isinstance(action, RequireHandoff):
            fires.append(Fire(at, st.id, "handoff_required", why, severity=severity,
                              extra={**base, "tier": st.tier, "team": st.team}))
        elif isinstance(action, Prioritize):
            st.priority = action.level
            fires.append(Fire(at, st.id, "prioritize", why, severity=severity,
                              extra={**base, "priority": action.level}))

    def _escalation_team(self, st: TicketState, action: Escalate) -> Team | None:
        """The team an escalation moves the ticket to, or None when it cannot move."""
        m = self.matrix
        if action.kind == "functional" or (action.team and not action.to):
            return m.team(action.team) if action.team else None
        if action.to is None or st.tier is None:
            return None  # the matrix check requires `to` or `team`; tickets get a tier
        tier = m.tier_above(st.tier) if action.to == "up" else m.tier(action.to)
        if tier is None or tier.id == st.tier:
            return None
        function = m.team(st.team).function if st.team else None
        return m.first_team_in_tier(tier.id, function)

    def _chain_context(self, ticket: Ticket) -> dict[str, Any]:
        return {"tier": ticket.state.tier, "team": ticket.state.team}
