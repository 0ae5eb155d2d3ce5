"""What the wall screen shows, in what order: "what must someone act on in the next minutes?"

Pure and Qt-free: open queue rows and an instant in, a WallPlan out (rows pinned above
the pages, the pages, and a one-line summary of what did not fit). The widget only
paints the plan and turns its pages.

Every ticket is ranked by its lead clock: of its running clocks (all five: response,
update, resolution, initial severity, confirmation) the one whose deadline comes first
in wall time. Business clocks count business time on their countdowns, but "in the
next minutes" is wall time. Clocks stopped late are history, not action.

Lanes, in order:
1. urgent:   a top severity (P1, P2) breached or inside its pre-breach lead; the most
             severe first, then the least time left.
2. at risk:  any other ticket inside a pre-breach lead or due within AT_RISK_WITHIN;
             the least time left first.
3. breached: the other severities past a deadline; the most severe first, then the
             most recent breach (old breaches are known; fresh ones are news).
4. on track: the rest, only to fill a page when the queue is quiet.

So a P1 or P2 that needs action is never below a breached P3 or P4. Lanes 1 and 2 get
as many pages as they need up to ``max_pages``; lanes 3 and 4 only fill the room left
on the last of them, and what does not fit is counted in the summary
("+41 breached P3/P4") instead of being paged through. A ticket whose deadline falls
within ``pin_within`` (a full paging cycle and then some) is pinned above the pages,
so it is on screen whichever page is up; that holds for its next deadline too, when
another of its clocks has breached already.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from console.app.runtime.rows import QueueRow
from console.domain.projection import ClockView

AT_RISK_WITHIN = timedelta(hours=2)
URGENT_SEVERITIES = 2  # how many of the matrix's most severe levels lead the wall
URGENT, AT_RISK, BREACHED, ON_TRACK = range(4)
_NEVER = float("inf")


@dataclass(frozen=True, slots=True)
class WallEntry:
    """One ticket on the wall: the clock to show and how it ranks."""

    row: QueueRow
    clock: str      # the lead clock's name; "" when the ticket has no clock to show
    lane: int       # URGENT, AT_RISK, BREACHED or ON_TRACK
    left: float     # wall seconds until the lead clock's deadline (negative: breached)
    pinned: bool = False


@dataclass(frozen=True, slots=True)
class WallPlan:
    pinned: tuple[WallEntry, ...]             # above the pages, on every page
    pages: tuple[tuple[WallEntry, ...], ...]  # at least one (maybe empty) page
    summary: str                              # what is not shown, e.g. "+41 breached P3/P4"
    at_risk: int                              # tickets in lanes 1 to 3
    total_open: int

    def entries(self) -> list[WallEntry]:
        """Everything on screen over one paging cycle, in rank order (pinned first)."""
        return [*self.pinned, *(e for page in self.pages for e in page)]


def urgent_severities(ranks: Mapping[str, int], count: int = URGENT_SEVERITIES) -> frozenset[str]:
    """The ``count`` most severe severity ids (rank 0 is the most severe)."""
    return frozenset(sorted(ranks, key=lambda s: (ranks[s], s))[:count])


def lead_clock(row: QueueRow, now: datetime) -> tuple[ClockView | None, float, bool]:
    """(clock, wall seconds to its deadline, inside a pre-breach lead) for a row.

    The lead clock is the running clock due first; without one, a paused clock (its
    countdown is frozen, so it ranks last) or None."""
    lead: ClockView | None = None
    paused: ClockView | None = None
    warned = False
    for c in row.clocks:
        if c.stopped_at is not None:
            continue
        state = c.state(now)
        if c.due is None or state == "paused":
            paused = paused or c
            continue
        warned = warned or state in ("pre_breach", "breached")
        if lead is None or lead.due is None or c.due < lead.due:
            lead = c
    if lead is None or lead.due is None:
        return paused, _NEVER, False
    return lead, (lead.due - now).total_seconds(), warned


def next_deadline(row: QueueRow, now: datetime) -> tuple[ClockView | None, float]:
    """(clock, wall seconds left) of the row's running clock that falls due next, after
    ``now``: a ticket breached on one clock can still be about to breach another."""
    found: ClockView | None = None
    for c in row.clocks:
        if c.stopped_at is None and c.due is not None and c.due > now and (
                found is None or found.due is None or c.due < found.due):
            found = c
    if found is None or found.due is None:
        return None, _NEVER
    return found, (found.due - now).total_seconds()


def _entry(row: QueueRow, now: datetime, urgent: Collection[str],
           at_risk_within: float) -> WallEntry:
    clock, left, warned = lead_clock(row, now)
    name = clock.name if clock is not None else ""
    if (warned or left <= 0) and row.severity in urgent:
        lane = URGENT
    elif (warned and left > 0) or 0 < left <= at_risk_within:
        lane = AT_RISK
    elif left <= 0:
        lane = BREACHED
    else:
        lane = ON_TRACK
    return WallEntry(row, name, lane, left)


def _severity_list(entries: Iterable[WallEntry], ranks: Mapping[str, int]) -> str:
    found = {e.row.severity for e in entries}
    return "/".join(sorted(found, key=lambda s: (ranks.get(s, 99), s)))


def _hours(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    return f"{minutes // 60} h" if minutes % 60 == 0 else f"{minutes} min"


def plan_wall(rows: Iterable[QueueRow], now: datetime, *, ranks: Mapping[str, int],
              rows_per_page: int, max_pages: int, pin_within: timedelta,
              urgent: Collection[str] | None = None,
              at_risk_within: timedelta = AT_RISK_WITHIN) -> WallPlan:
    """Rank the open ``rows`` at ``now`` into pinned rows, pages and a summary.

    ``rows_per_page`` is how many rows the screen shows (pinned ones included);
    ``ranks`` maps severity ids to their rank (0 = most severe); ``urgent`` are the
    severities that lead (default: the two most severe)."""
    if rows_per_page < 1 or max_pages < 1:
        raise ValueError("a wall page holds at least one row, and there is at least one page")
    urgent = urgent_severities(ranks) if urgent is None else urgent
    lanes: list[list[WallEntry]] = [[], [], [], []]
    for row in rows:
        if row.open:
            entry = _entry(row, now, urgent, at_risk_within.total_seconds())
            lanes[entry.lane].append(entry)

    def rank(e: WallEntry) -> int:
        return ranks.get(e.row.severity, 99)

    lanes[URGENT].sort(key=lambda e: (rank(e), e.left, e.row.id))
    lanes[AT_RISK].sort(key=lambda e: (e.left, rank(e), e.row.id))
    lanes[BREACHED].sort(key=lambda e: (rank(e), -e.left, e.row.id))
    lanes[ON_TRACK].sort(key=lambda e: (e.left, rank(e), e.row.id))

    at_risk = sum(len(lanes[i]) for i in (URGENT, AT_RISK, BREACHED))
    total_open = at_risk + len(lanes[ON_TRACK])

    # Pin what falls due before its page could come round again, showing the clock
    # about to breach; keep at least one row to page.
    horizon = pin_within.total_seconds()
    due_soon = []
    for entries in lanes:
        for e in entries:
            clock, left = next_deadline(e.row, now)
            if clock is not None and left <= horizon:
                due_soon.append(WallEntry(e.row, clock.name, e.lane, left, pinned=True))
    due_soon.sort(key=lambda e: (e.left, rank(e), e.row.id))
    pinned = due_soon[:rows_per_page - 1]
    pinned_ids = {e.row.id for e in pinned}
    lanes = [[e for e in lane if e.row.id not in pinned_ids] for lane in lanes]

    per_page = max(rows_per_page - len(pinned), 1)
    needed = lanes[URGENT] + lanes[AT_RISK]
    page_count = min(max(-(-len(needed) // per_page), 1), max_pages)
    room = page_count * per_page
    shown = (needed + lanes[BREACHED] + lanes[ON_TRACK])[:room]
    pages = tuple(tuple(shown[i:i + per_page]) for i in range(0, room, per_page)
                  if shown[i:i + per_page]) or ((),)

    shown_ids = {e.row.id for e in shown}
    parts = []
    for lane in (URGENT, AT_RISK, BREACHED, ON_TRACK):
        hidden = [e for e in lanes[lane] if e.row.id not in shown_ids]
        if hidden:
            severities = _severity_list(hidden, ranks)
            soon = all(e.left <= at_risk_within.total_seconds() for e in hidden)
            parts.append(f"+{len(hidden)} " + {
                URGENT: f"{severities} needing action",
                AT_RISK: f"due within {_hours(at_risk_within)}" if soon else "more at risk",
                BREACHED: f"breached {severities}", ON_TRACK: "on track"}[lane])
    return WallPlan(
        pinned=tuple(pinned),
        pages=pages, summary=" · ".join(parts), at_risk=at_risk,
        total_open=total_open)
