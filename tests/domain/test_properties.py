"""Properties of the clocks, the fold and the engine, over generated tickets.

Derandomized with a fixed number of examples: the same cases every run, a few seconds
in total."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from console.domain.clocks import ticket_clocks
from console.domain.engine import Engine
from console.domain.tickets import TicketEvent, TicketState, apply_event

from ._matrices import (
    MIN,
    business_with_resolution,
    calendars,
    default_matrix,
    event,
    fold,
    variant,
)

US = timedelta(microseconds=1)
YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
SEVERITIES = ("P1", "P2", "P3", "P4")
PROPERTY = settings(max_examples=150, derandomize=True, deadline=None)
ENGINE_PROPERTY = settings(max_examples=100, derandomize=True, deadline=None)

# Any minute of 2026: nights, weekends, DE holidays and both DST changes included.
instants = st.integers(0, 365 * 24 * 60 - 1).map(lambda m: YEAR_START + m * MIN)
# Closed pauses as (gap since the previous pause or the opening, length), in minutes.
pause_plans = st.lists(st.tuples(st.integers(1, 4 * 24 * 60), st.integers(1, 4 * 24 * 60)),
                       max_size=5)


def pauses_from(opened: datetime, plan: list[tuple[int, int]]) -> list[tuple[datetime, datetime]]:
    out, t = [], opened
    for gap, length in plan:
        start = t + gap * MIN
        t = start + length * MIN
        out.append((start, t))
    return out


def ticket(opened: datetime, severity: str, pauses: list[tuple[datetime, datetime]],
           responded: bool = True) -> TicketState:
    events = [event(opened, "opened", severity=severity, by="support", title="x")]
    if responded:
        events.append(event(opened, "responded"))
    for start, end in pauses:
        events += [event(start, "status", status="waiting_on_customer"),
                   event(end, "status", status="open")]
    return fold(*events)


def due_of(state: TicketState, matrix, severity: str, clock: str) -> datetime | None:
    found = [c for c in ticket_clocks(state, matrix, calendars(matrix), severity)
             if c.name == clock]
    return found[0].due if found else None


# -- (1) a pause never makes a deadline earlier --------------------------------------------


@PROPERTY
@given(opened=instants, severity=st.sampled_from(SEVERITIES), plan=pause_plans)
def test_a_pause_never_makes_a_deadline_earlier(opened, severity, plan):
    # P1/P2 run on 24x7, P3/P4 on Berlin business hours; all four have a resolution target.
    m = business_with_resolution()
    pauses = pauses_from(opened, plan)
    for clock in ("resolution", "update", "response"):
        dues = [due_of(ticket(opened, severity, pauses[:k]), m, severity, clock)
                for k in range(len(pauses) + 1)]
        assert None not in dues
        assert dues == sorted(dues), (clock, dues)
    # The response clock never pauses at all.
    unpaused = due_of(ticket(opened, severity, []), m, severity, "response")
    assert due_of(ticket(opened, severity, pauses), m, severity, "response") == unpaused


# -- (2) paused time survives any severity change ------------------------------------------


@PROPERTY
@given(opened=instants, first=st.sampled_from(SEVERITIES), then=st.sampled_from(SEVERITIES),
       plan=pause_plans, change_at=st.integers(0, 12 * 24 * 60))
def test_paused_time_survives_any_severity_change(opened, first, then, plan, change_at):
    m = business_with_resolution()
    new = m.severity(then)
    cal = calendars(m)[new.targets.calendar]
    target = new.targets.resolution
    assert target is not None
    # Pauses that begin after the deadline do not matter (the clock had breached), so keep
    # the ones that begin before the unpaused deadline under the new severity.
    limit = cal.add(opened, target)
    pauses = [p for p in pauses_from(opened, plan) if p[0] < limit]
    change = opened + change_at * MIN  # often in the middle of a pause
    events = [event(opened, "opened", severity=first, by="support", title="x")]
    for start, end in pauses:
        events += [event(start, "status", status="waiting_on_customer"),
                   event(end, "status", status="open")]
    events.append(event(change, "severity", severity=then, by="engineering"))
    events.sort(key=lambda e: e.at)
    state = fold(*events)
    assert state.severity == then
    resolution = next(c for c in ticket_clocks(state, m, calendars(m), then)
                      if c.name == "resolution")
    paused = sum((cal.between(s, e) for s, e in pauses), timedelta(0))
    assert resolution.start == opened
    assert resolution.paused_total == paused
    assert resolution.due == cal.add(opened, target + paused)


# -- (3) a business-time deadline falls inside business hours ------------------------------


@PROPERTY
@given(opened=instants, severity=st.sampled_from(("P3", "P4")), plan=pause_plans)
def test_a_business_deadline_falls_inside_business_hours_or_at_closing(opened, severity, plan):
    m = business_with_resolution()
    state = ticket(opened, severity, pauses_from(opened, plan))
    clocks = ticket_clocks(state, m, calendars(m), severity)
    assert {c.name for c in clocks} >= {"response", "resolution", "update"}
    for c in clocks:
        assert c.business
        cal = c.calendar
        assert c.due is not None and c.pre_breach_at is not None
        closing = cal.is_open(c.due - US) and not cal.is_open(c.due)
        assert cal.is_open(c.due) or closing, (c.name, c.due)
        assert cal.is_open(c.pre_breach_at), (c.name, c.pre_breach_at)
        assert c.pre_breach_at < c.due


# -- generated event streams ---------------------------------------------------------------

INTAKES = (
    dict(title="Data exposed", security_breach=True),
    dict(title="Exports fail", users_affected_pct=10, workaround="partial"),
    dict(title="Checkout broken", category="bug", workaround="full"),
    dict(title="Typo", category="ui", account_tier="enterprise"),
    dict(title="Slow report", category="performance", workaround="partial"),
)
TEXTS = ("thanks", "any news?", "this is unacceptable", "we will cancel", "")


@st.composite
def ticket_events(draw, ticket_id: str) -> list[TicketEvent]:
    """One ticket's events: opened first, then up to 12 at distinct later minutes."""
    opened_at = YEAR_START + draw(st.integers(0, 60)) * MIN
    data = dict(draw(st.sampled_from(INTAKES)))
    if draw(st.booleans()):
        data.update(severity=draw(st.sampled_from(SEVERITIES)),
                    by=draw(st.sampled_from(("support", "engineering"))))
    events = [event(opened_at, "opened", ticket_id, **data)]
    offsets = draw(st.lists(st.integers(1, 3 * 24 * 60), max_size=12, unique=True))
    for offset in sorted(offsets):
        at = opened_at + offset * MIN
        kind = draw(st.sampled_from(("severity", "responded", "update_sent", "waiting", "open",
                                     "message", "acknowledged", "resolved", "reopened",
                                     "assigned", "handoff_submitted")))
        if kind == "severity":
            e = event(at, kind, ticket_id, severity=draw(st.sampled_from(SEVERITIES)),
                      by=draw(st.sampled_from(("support", "engineering", "trigger"))))
        elif kind in ("waiting", "open"):
            status = "waiting_on_customer" if kind == "waiting" else "open"
            e = event(at, "status", ticket_id, status=status)
        elif kind == "message":
            e = event(at, kind, ticket_id, text=draw(st.sampled_from(TEXTS)))
        elif kind == "assigned":
            e = event(at, kind, ticket_id, owner="kim")
        else:
            e = event(at, kind, ticket_id)
        events.append(e)
    return events


streams = st.tuples(ticket_events("A"), ticket_events("B"), ticket_events("C"))


def by_time(events: list[TicketEvent]) -> list[TicketEvent]:
    return sorted(events, key=lambda e: e.at)  # stable: ties keep their arrival order


def fold_all(events: list[TicketEvent]) -> dict[str, TicketState]:
    states: dict[str, TicketState] = {}
    for e in events:
        state = apply_event(states.get(e.ticket), e)
        if state is not None:
            states[e.ticket] = state
    return states


def run_engine(matrix, events: list[TicketEvent], end: datetime) -> list:
    eng = Engine(matrix, sentiment=lambda text: -0.9 if "cancel" in text else 0.2)
    fires = []
    for e in events:
        fires += eng.apply(e)
    fires += eng.advance_to(end)
    return fires


# -- (4) the fold does not depend on the order of arrival ----------------------------------


@PROPERTY
@given(stream=streams, arrival=st.randoms(use_true_random=False))
def test_folding_in_any_arrival_order_sorted_by_time_gives_the_same_state(stream, arrival):
    events = [e for ticket_stream in stream for e in ticket_stream]
    shuffled = list(events)
    arrival.shuffle(shuffled)
    # An event for a ticket not opened yet (it arrived first) is ignored, never a crash.
    orphan = [e for e in shuffled if e.type != "opened"][:1]
    assert fold_all(orphan) == {}
    # Times are distinct within a ticket; different tickets may share an instant, and
    # their relative order must not matter.
    assert fold_all(by_time(shuffled)) == fold_all(by_time(events))


@ENGINE_PROPERTY
@given(stream=streams, arrival=st.randoms(use_true_random=False))
def test_the_engine_gives_each_ticket_the_same_fires_in_any_arrival_order(stream, arrival):
    events = [e for ticket_stream in stream for e in ticket_stream]
    shuffled = list(events)
    arrival.shuffle(shuffled)
    end = max(e.at for e in events) + timedelta(days=2)
    per_ticket: list[dict[str, list]] = []
    for order in (by_time(events), by_time(shuffled)):
        grouped = defaultdict(list)
        for f in run_engine(default_matrix(), order, end):
            grouped[f.ticket].append(f)
        per_ticket.append(dict(grouped))
    assert per_ticket[0] == per_ticket[1]


# -- (5) each SLA alert fires at most once -------------------------------------------------

MATRICES = (
    default_matrix,
    business_with_resolution,
    # A time trigger with a second condition that usually fails: its timer must not spin.
    lambda: variant(("    when: {unresolved_for: 24h}\n",
                     "    when: {unresolved_for: 24h, severity: [P1]}\n")),
)


@ENGINE_PROPERTY
@given(stream=streams, which=st.sampled_from(range(len(MATRICES))),
       advances=st.lists(st.integers(0, 4 * 24 * 60), max_size=6))
def test_the_engine_fires_each_ticket_clock_cycle_and_threshold_at_most_once(
        stream, which, advances):
    matrix = MATRICES[which]()
    eng = Engine(matrix, sentiment=lambda text: -0.9 if "cancel" in text else 0.2)
    timeline: list[tuple[datetime, TicketEvent | None]] = [
        (e.at, e) for ticket_stream in stream for e in ticket_stream]
    timeline += [(YEAR_START + m * MIN, None) for m in advances]  # bare advance_to calls
    timeline.sort(key=lambda item: item[0])
    fires = []
    for at, e in timeline:
        fires += eng.apply(e) if e is not None else eng.advance_to(at)
    fires += eng.advance_to(timeline[-1][0] + timedelta(days=40))
    sla = [f for f in fires if f.kind in ("pre_breach", "breach")]
    keys = Counter((f.ticket, f.clock, f.extra.get("cycle", 0), f.kind) for f in sla)
    assert all(n == 1 for n in keys.values()), [k for k, n in keys.items() if n > 1]
    assert [f.at for f in fires] == sorted(f.at for f in fires)  # never back in time
    assert eng.next_fire() is None or eng.next_fire() > timeline[-1][0] + timedelta(days=40)
