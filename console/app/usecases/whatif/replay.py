"""One matrix's replay of a window's tickets: what each figure counts, ticket by ticket.

The fires are ``simulate``'s (the same engine over the same events); the T1 resolution
and escalation rates are the reports' (``console.domain.reports``), computed over the
tickets' recorded human events plus the actions this replay's engine took, in place of
the actions the recorded engine took.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, time
from itertools import groupby

from console.app.usecases.event_kinds import LOG_SEVERITY_SETTERS, Vocabulary, check_fields
from console.app.usecases.simulate import simulate
from console.domain.action_events import action_events, is_engine_action
from console.domain.calendar import BusinessCalendar
from console.domain.engine import Engine, build_calendars
from console.domain.fires import Fire
from console.domain.matrix import Matrix
from console.domain.reports import Rate, TicketFacts, report, ticket_facts
from console.domain.scoring import SentimentScorer
from console.domain.tickets import TicketEvent

# Night, when the matrix does not say a person's working hours: 22:00-07:00 UTC.
NIGHT_START = time(22, 0)
NIGHT_END = time(7, 0)

# A row of the comparison: (figure, *what it is about), e.g. ("breach", "P2", "response"),
# ("escalation", "tier2", "hierarchical"), ("page", "Dana", "sms"), ("night_page", "Dana"),
# ("chain_exhausted", "p1-chain").
Row = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Outcome:
    """One matrix's replay: per ticket, the instants each row counted. A compacted one
    (``compacted``) keeps only the tickets the other version counted differently; of
    the others it keeps what the comparison still reads: their pages (per person) and
    their breaches, as instants."""

    window_from: datetime
    window_to: datetime
    tickets: dict[str, dict[Row, tuple[datetime, ...]]]
    t1_resolution: Rate
    escalation_rate: Rate
    ticket_count: int = 0
    totals: dict[Row, int] = field(default_factory=dict)
    pages: dict[str, tuple[datetime, ...]] = field(default_factory=dict)
    breaches: tuple[datetime, ...] = ()

    def page_instants(self) -> dict[str, list[datetime]]:
        """Every page's instant, per person: the kept tickets' and the others'."""
        out: dict[str, list[datetime]] = defaultdict(list)
        for person, ats in self.pages.items():
            out[person].extend(ats)
        for rows in self.tickets.values():
            for row, ats in rows.items():
                if row[0] == "page":
                    out[row[1]].extend(ats)
        return out

    def breach_instants(self) -> list[datetime]:
        """Every breach's instant: the kept tickets' and the others'."""
        return [*self.breaches, *(at for rows in self.tickets.values()
                                  for row, ats in rows.items() if row[0] == "breach"
                                  for at in ats)]


def compacted(draft: Outcome, active: Outcome) -> tuple[Outcome, Outcome]:
    """Both replays without what they counted alike (the comparison lists only the
    rest): of each ticket only the rows the two versions counted differently are kept,
    and a ticket with none is dropped; the pages and breaches of the rows dropped are
    kept as instants, everything else was summed already. What a worker sends, and the
    parent holds, for a long window (a ticket whose response breach moved keeps that
    row, not its hundreds of update alerts, which are the same under both)."""
    def without(o: Outcome, other: Outcome) -> Outcome:
        pages: dict[str, list[datetime]] = defaultdict(list)
        for person, ats in o.pages.items():
            pages[person].extend(ats)
        breaches = list(o.breaches)
        kept: dict[str, dict[Row, tuple[datetime, ...]]] = {}
        for ticket, rows in o.tickets.items():
            theirs = other.tickets.get(ticket, {})
            differ: dict[Row, tuple[datetime, ...]] = {}
            for row, ats in rows.items():
                if theirs.get(row) != ats:
                    differ[row] = ats
                elif row[0] == "page":
                    pages[row[1]].extend(ats)
                elif row[0] == "breach":
                    breaches.extend(ats)
            if differ:
                kept[ticket] = differ
        return replace(o, tickets=kept, pages={p: tuple(a) for p, a in pages.items()},
                       breaches=tuple(breaches))

    return without(draft, active), without(active, draft)


def is_night(at: datetime) -> bool:
    """Outside working hours by default: from 22:00 to 07:00 UTC."""
    clock = at.astimezone(UTC).time()
    return clock >= NIGHT_START or clock < NIGHT_END


class Nights:
    """Whether a page reached a person outside their working hours: the calendar their
    contact names (``hours:``, with its time zone, days and holidays), else 22:00-07:00
    UTC."""

    def __init__(self, matrix: Matrix) -> None:
        calendars = {cid: BusinessCalendar(spec) for cid, spec in matrix.calendars.items()}
        self._hours = {c.id: calendars[c.hours] for c in matrix.contacts
                       if c.hours is not None and c.hours in calendars}

    def __call__(self, contact: str, at: datetime) -> bool:
        hours = self._hours.get(contact)
        return is_night(at) if hours is None else not hours.is_open(at)


def rows_of(fire: Fire, night: Callable[[str, datetime], bool] | None = None) -> list[Row]:
    """The rows one fire counts in; ``night(contact, at)`` says a page's night (default
    22:00-07:00 UTC for everyone)."""
    x = fire.extra
    if fire.kind in ("breach", "pre_breach"):
        return [(fire.kind, str(fire.severity), str(fire.clock))]
    if fire.kind == "escalate":
        return [("escalation", str(x.get("team")), str(x.get("mode")))]
    if fire.kind == "notify":
        person = str(x.get("contact_name") or x.get("contact"))
        rows: list[Row] = [("page", person, str(x.get("channel")))]
        contact = str(x.get("contact") or "")
        if night(contact, fire.at) if night is not None else is_night(fire.at):
            rows.append(("night_page", person))
        return rows
    if fire.kind == "chain_exhausted":
        return [("chain_exhausted", str(x.get("chain")))]
    return []


def window_events(events: Iterable[TicketEvent], window_from: datetime,
                  window_to: datetime) -> list[TicketEvent]:
    """The events, up to ``window_to``, of the tickets opened in the window (in order)."""
    events = [e for e in events if e.at <= window_to]
    opened = {e.ticket for e in events
              if e.type == "opened" and window_from <= e.at < window_to}
    return [e for e in events if e.ticket in opened]


def replay(matrix: Matrix, events: Sequence[TicketEvent], window_from: datetime,
           window_to: datetime, sentiment: SentimentScorer | None = None) -> Outcome:
    """Replay the tickets opened in ``[window_from, window_to)`` through ``matrix``, with
    their events up to ``window_to`` and the clocks run on to it. ``events`` in time
    order, as ``read_events`` gives them."""
    chosen = window_events(events, window_from, window_to)
    return _replay(matrix, chosen, window_from, window_to, sentiment).outcome


def replay_pair(draft: Matrix, active: Matrix, events: Sequence[TicketEvent],
                window_from: datetime, window_to: datetime,
                sentiment: SentimentScorer | None = None) -> tuple[Outcome, Outcome]:
    """``(replay(draft, ...), replay(active, ...))``, with the unchanged tickets' results
    reused: when the draft differs from the version in force only in some severities'
    entries (their targets, pre-breach leads, chains, routing; not their ids, ranks or
    criteria), a ticket never judged by one of those severities under the version in
    force takes every lookup of the draft from an equal entry, so its replay under the
    draft is its replay under the version in force; only the others are replayed
    again."""
    chosen = window_events(events, window_from, window_to)
    active_run = _replay(active, chosen, window_from, window_to, sentiment)
    changed = changed_severities(draft, active)
    if changed is None:
        return _replay(draft, chosen, window_from, window_to, sentiment).outcome, \
            active_run.outcome
    touched = {t for t, judged in active_run.judged.items() if judged & changed}
    draft_run = _replay(draft, [e for e in chosen if e.ticket in touched], window_from,
                        window_to, sentiment)
    tickets = {t: rows for t, rows in active_run.outcome.tickets.items() if t not in touched}
    tickets.update(draft_run.outcome.tickets)
    totals: dict[Row, int] = defaultdict(int)
    for rows in tickets.values():
        for row, ats in rows.items():
            totals[row] += len(ats)
    facts = [f for t, f in active_run.facts.items() if t not in touched]
    t1, escalation = _rates(draft, [*facts, *draft_run.facts.values()], window_from,
                            window_to)
    return (Outcome(window_from, window_to, tickets, t1, escalation,
                    active_run.outcome.ticket_count, dict(totals)), active_run.outcome)


# what the engine and the reports never read
_PRESENTATION = frozenset({"severities", "name", "description", "layout"})


def changed_severities(draft: Matrix, active: Matrix) -> frozenset[str] | None:
    """The ids of the severities whose entries the draft changed, when that is all it
    changed (besides its name, description and layout); None otherwise, and when a
    severity's id, rank or criteria changed (scoring could judge any ticket anew)."""
    if len(draft.severities) != len(active.severities):
        return None
    changed = set()
    for d, a in zip(draft.severities, active.severities, strict=True):
        if (d.id, d.rank, d.criteria) != (a.id, a.rank, a.criteria):
            return None
        if d != a:
            changed.add(d.id)
    # field by field: ``replace`` would share the draft's severity index with the copy
    same = all(getattr(draft, f.name) == getattr(active, f.name) for f in fields(Matrix)
               if f.compare and f.name not in _PRESENTATION)
    return frozenset(changed) if same else None


@dataclass(frozen=True, slots=True)
class _Run:
    outcome: Outcome
    facts: dict[str, TicketFacts]        # per ticket, for the reports' rates
    judged: dict[str, frozenset[str]]    # per ticket, every severity it was judged by


def _replay(matrix: Matrix, chosen: list[TicketEvent], window_from: datetime,
            window_to: datetime, sentiment: SentimentScorer | None) -> _Run:
    engine = Engine(matrix, sentiment=sentiment)
    fires = (list(simulate(matrix, chosen, window_to, sentiment, engine=engine))
             if chosen else [])
    tickets: dict[str, dict[Row, list[datetime]]] = defaultdict(lambda: defaultdict(list))
    totals: dict[Row, int] = defaultdict(int)
    night = Nights(matrix)
    for fire in fires:
        for row in rows_of(fire, night):
            tickets[fire.ticket][row].append(fire.at)
            totals[row] += 1
    facts = _facts(matrix, chosen, fires, engine)
    t1, escalation = _rates(matrix, facts.values(), window_from, window_to)
    outcome = Outcome(
        window_from, window_to,
        {t: {r: tuple(ats) for r, ats in rows.items()} for t, rows in tickets.items()},
        t1, escalation, len({e.ticket for e in chosen}), dict(totals))
    return _Run(outcome, facts, _judged(chosen, fires, engine))


def _judged(events: list[TicketEvent], fires: list[Fire], engine: Engine
            ) -> dict[str, frozenset[str]]:
    """Every severity each ticket was judged by: the effective severity is always the
    one an event or a trigger's bump set (each fire names the one it judged by) or the
    intake's scored suggestion."""
    judged: dict[str, set[str]] = defaultdict(set)
    for e in events:
        if isinstance(severity := e.data.get("severity"), str):
            judged[e.ticket].add(severity)
    for fire in fires:
        if fire.severity:
            judged[fire.ticket].add(str(fire.severity))
    for tid, ticket in engine.tickets.items():
        judged[tid].add(ticket.suggested)
    return {t: frozenset(s) for t, s in judged.items()}


def _facts(matrix: Matrix, events: list[TicketEvent], fires: list[Fire], engine: Engine
           ) -> dict[str, TicketFacts]:
    """Each ticket's report facts under this replay, as the rates need them (no clock
    instances; the intake's score as the engine made it): the recorded engine's actions
    give way to the replaying engine's."""
    actions = [TicketEvent(a.at, a.ticket, a.kind, a.payload, "engine")
               for a in action_events(fires)]
    human = [e for e in events if not is_engine_action(e)]
    # an action follows the event that caused it at the same instant: stable sort
    merged = sorted([*human, *actions], key=lambda e: e.at)
    merged.sort(key=lambda e: e.ticket)
    calendars = build_calendars(matrix)
    tracked = engine.tickets
    return {tid: f for tid, group in groupby(merged, key=lambda e: e.ticket)
            if (f := ticket_facts(group, matrix, calendars, clocks=False,
                                  suggested=tracked[tid].suggested if tid in tracked else None)
                ) is not None}


def _rates(matrix: Matrix, facts: Iterable[TicketFacts], window_from: datetime,
           window_to: datetime) -> tuple[Rate, Rate]:
    """The reports' T1 resolution and escalation rates over these tickets."""
    r = report(facts, window_from, window_to, matrix.kpis)
    return r.t1_resolution, r.escalation_rate


def strangers(events: Iterable[TicketEvent], matrix: Matrix) -> list[str]:
    """What the events name that ``matrix`` does not have (a severity, team or tier a
    draft renamed or dropped), one line an event: the engine replays such an event
    anyway, but its figures for that ticket mean little."""
    vocabulary = Vocabulary.of(matrix)
    found = []
    for event in events:
        try:
            check_fields(event.type, event.data, vocabulary, LOG_SEVERITY_SETTERS)
        except ValueError as exc:
            found.append(f"{event.ticket} {event.type} at {event.at.isoformat()}: {exc}")
    return found
