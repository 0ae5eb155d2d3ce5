"""One matrix's replay of a window's tickets: what each figure counts, ticket by ticket.

The fires are ``simulate``'s (the same engine over the same events); the T1 resolution
and escalation rates are the reports' (``console.domain.reports``), computed over the
tickets' recorded human events plus the actions this replay's engine took, in place of
the actions the recorded engine took.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from itertools import groupby

from console.app.usecases.event_kinds import LOG_SEVERITY_SETTERS, Vocabulary, check_fields
from console.app.usecases.simulate import simulate
from console.domain.action_events import action_events, is_engine_action
from console.domain.engine import build_calendars
from console.domain.fires import Fire
from console.domain.matrix import Matrix
from console.domain.reports import Rate, report, ticket_facts
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
    """One matrix's replay: per ticket, the instants each row counted."""

    window_from: datetime
    window_to: datetime
    tickets: dict[str, dict[Row, tuple[datetime, ...]]]
    t1_resolution: Rate
    escalation_rate: Rate
    ticket_count: int = 0
    totals: dict[Row, int] = field(default_factory=dict)


def is_night(at: datetime) -> bool:
    """Outside working hours by default: from 22:00 to 07:00 UTC."""
    clock = at.astimezone(UTC).time()
    return clock >= NIGHT_START or clock < NIGHT_END


def rows_of(fire: Fire) -> list[Row]:
    """The rows one fire counts in."""
    x = fire.extra
    if fire.kind in ("breach", "pre_breach"):
        return [(fire.kind, str(fire.severity), str(fire.clock))]
    if fire.kind == "escalate":
        return [("escalation", str(x.get("team")), str(x.get("mode")))]
    if fire.kind == "notify":
        person = str(x.get("contact_name") or x.get("contact"))
        rows: list[Row] = [("page", person, str(x.get("channel")))]
        if is_night(fire.at):
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
    fires = list(simulate(matrix, chosen, window_to, sentiment)) if chosen else []
    tickets: dict[str, dict[Row, list[datetime]]] = defaultdict(lambda: defaultdict(list))
    totals: dict[Row, int] = defaultdict(int)
    for fire in fires:
        for row in rows_of(fire):
            tickets[fire.ticket][row].append(fire.at)
            totals[row] += 1
    t1, escalation = _rates(matrix, chosen, fires, window_from, window_to)
    return Outcome(window_from, window_to,
                   {t: {r: tuple(ats) for r, ats in rows.items()} for t, rows in tickets.items()},
                   t1, escalation, len({e.ticket for e in chosen}), dict(totals))


def _rates(matrix: Matrix, events: list[TicketEvent], fires: list[Fire],
           window_from: datetime, window_to: datetime) -> tuple[Rate, Rate]:
    """The reports' T1 resolution and escalation rates under this replay: the recorded
    engine's actions give way to the replaying engine's."""
    actions = [TicketEvent(a.at, a.ticket, a.kind, a.payload, "engine")
               for a in action_events(fires)]
    human = [e for e in events if not is_engine_action(e)]
    # an action follows the event that caused it at the same instant: stable sort
    merged = sorted([*human, *actions], key=lambda e: e.at)
    merged.sort(key=lambda e: e.ticket)
    calendars = build_calendars(matrix)
    facts = [f for _, group in groupby(merged, key=lambda e: e.ticket)
             if (f := ticket_facts(group, matrix, calendars)) is not None]
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
