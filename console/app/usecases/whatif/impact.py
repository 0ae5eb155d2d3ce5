"""Two replays side by side: each figure under the draft and the version in force, the
difference, the tickets each row changed, and the headlines in plain words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from console.domain.reports import Page, Rate, paging_load

from .replay import Outcome, Row

# the order figures are listed (and headlines picked) in
FIGURE_ORDER = ("breach", "pre_breach", "escalation", "page", "night_page", "chain_exhausted")
HEADLINES = 3


@dataclass(frozen=True, slots=True)
class Change:
    """A ticket a row counted differently: when it counted under each version."""

    ticket: str
    draft: tuple[datetime, ...]
    active: tuple[datetime, ...]

    def to_json(self) -> dict[str, Any]:
        return {"ticket": self.ticket, "draft": [a.isoformat() for a in self.draft],
                "active": [a.isoformat() for a in self.active]}


@dataclass(frozen=True, slots=True)
class Figure:
    row: Row
    draft: int
    active: int
    changed: tuple[Change, ...]

    @property
    def delta(self) -> int:
        return self.draft - self.active

    def to_json(self) -> dict[str, Any]:
        kind, *about = self.row
        return {"figure": kind, "about": about, "draft": self.draft, "active": self.active,
                "delta": self.delta, "changed": [c.to_json() for c in self.changed]}


@dataclass(frozen=True, slots=True)
class Impact:
    window_from: datetime
    window_to: datetime
    tickets: int
    figures: tuple[Figure, ...]
    rates: dict[str, tuple[Rate, Rate]]  # name -> (draft, active)
    headlines: tuple[str, ...]
    # per person: pages per week (the reports' paging load: a burst within 60 s is one)
    pages_per_week: dict[str, tuple[float, float]]  # person -> (draft, active)
    # breaches per day of the window (days from window_from): (day start, draft, active)
    daily_breaches: tuple[tuple[datetime, int, int], ...]

    @property
    def unchanged(self) -> bool:
        return all(f.delta == 0 and not f.changed for f in self.figures) and all(
            d.numerator == a.numerator and d.denominator == a.denominator
            for d, a in self.rates.values())

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data; docs/whatif.md documents every field."""
        def rate(r: Rate) -> dict[str, Any]:
            return {"numerator": r.numerator, "denominator": r.denominator, "value": r.value}

        def delta(d: Rate, a: Rate) -> float | None:
            return None if d.value is None or a.value is None else d.value - a.value

        return {"window": {"from": self.window_from.isoformat(),
                           "to": self.window_to.isoformat()},
                "tickets": self.tickets, "unchanged": self.unchanged,
                "headlines": list(self.headlines),
                "figures": [f.to_json() for f in self.figures],
                "rates": {name: {"draft": rate(d), "active": rate(a), "delta": delta(d, a)}
                          for name, (d, a) in self.rates.items()},
                "pages_per_week": {p: {"draft": d, "active": a, "delta": d - a}
                                   for p, (d, a) in self.pages_per_week.items()},
                "daily_breaches": [{"day": day.isoformat(), "draft": d, "active": a}
                                   for day, d, a in self.daily_breaches]}


def _sort_key(row: Row) -> tuple[int, Row]:
    return FIGURE_ORDER.index(row[0]) if row[0] in FIGURE_ORDER else len(FIGURE_ORDER), row


def impact(draft: Outcome, active: Outcome) -> Impact:
    """Compare the draft's replay with the version in force's (same window)."""
    rows = sorted(set(draft.totals) | set(active.totals), key=_sort_key)
    changes: dict[Row, list[Change]] = {row: [] for row in rows}
    if draft is not active:
        for ticket in sorted(set(draft.tickets) | set(active.tickets)):
            d, a = draft.tickets.get(ticket, {}), active.tickets.get(ticket, {})
            for row in set(d) | set(a):
                if d.get(row, ()) != a.get(row, ()):
                    changes[row].append(Change(ticket, d.get(row, ()), a.get(row, ())))
    figures = tuple(Figure(row, draft.totals.get(row, 0), active.totals.get(row, 0),
                           tuple(changes[row])) for row in rows)
    days = round((draft.window_to - draft.window_from).total_seconds() / 86400)
    return Impact(draft.window_from, draft.window_to, draft.ticket_count, figures,
                  {"t1_resolution": (draft.t1_resolution, active.t1_resolution),
                   "escalation_rate": (draft.escalation_rate, active.escalation_rate)},
                  headlines(figures, days), _per_week(draft, active), _daily(draft, active))


def _per_week(draft: Outcome, active: Outcome) -> dict[str, tuple[float, float]]:
    def load(o: Outcome) -> dict[str, float]:
        pages = [Page(person, at, "") for person, ats in o.page_instants().items()
                 for at in ats]
        return paging_load(pages, o.window_from, o.window_to).per_week()

    d, a = load(draft), load(active)
    return {p: (d.get(p, 0.0), a.get(p, 0.0)) for p in sorted(set(d) | set(a))}


def _daily(draft: Outcome, active: Outcome) -> tuple[tuple[datetime, int, int], ...]:
    start, day = draft.window_from, timedelta(days=1)
    count = max(1, -(-(draft.window_to - start) // day))

    def per_day(o: Outcome) -> list[int]:
        days = [0] * count
        for at in o.breach_instants():
            if start <= at <= o.window_to:  # the clocks run on to its end
                days[min(count - 1, (at - start) // day)] += 1
        return days

    d, a = per_day(draft), per_day(active)
    return tuple((start + i * day, d[i], a[i]) for i in range(count))


def share(done: int, total: int) -> str:
    """The share of the tickets behind provisional figures, as the lead reads it:
    ``0.6%`` under a tenth (never a bare ``0%``), else whole percent rounded down
    (``23%``, as the progress bar)."""
    if done * 10 < total:
        return f"{done * 100 / total:.1f}%"
    return f"{done * 100 // total}%"


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


def _span(days: int) -> str:
    return "in the last day" if days == 1 else f"in the last {days} days"


def _sentence(f: Figure, days: int) -> str:
    more = "more" if f.delta > 0 else "fewer"
    n = abs(f.delta)
    kind, *about = f.row
    span = _span(days)
    counts = f"({f.active} → {f.draft})"
    if kind in ("breach", "pre_breach"):
        severity, clock = about
        what = "breach" if kind == "breach" else "pre-breach alert"
        plural = what if n == 1 else f"{what}es" if what == "breach" else f"{what}s"
        return f"{n} {more} {severity} {clock} {plural} {span} {counts}"
    if kind == "escalation":
        team, mode = about
        return (f"{n} {more} {mode} escalation{'s' if n != 1 else ''} to {team} "
                f"{counts}")
    if kind == "page":
        person, channel = about
        return f"{person} would have been paged {_times(n)} {more} by {channel} {counts}"
    if kind == "night_page":
        return f"{about[0]} would have been paged {_times(n)} {more} at night {counts}"
    return (f"{n} {more} chain{'s' if n != 1 else ''} {about[0]} exhausted with nobody "
            f"acknowledging {counts}")


def headlines(figures: tuple[Figure, ...], days: int) -> tuple[str, ...]:
    """The biggest differences in plain words, breaches first; none when nothing
    changed."""
    moved = [f for f in figures if f.delta]
    if not moved:
        return (f"With this draft, nothing would have changed {_span(days)}.",)
    # a person's night pages say more than their pages: one sentence a person
    night = {f.row[1] for f in moved if f.row[0] == "night_page"}
    moved = [f for f in moved if not (f.row[0] == "page" and f.row[1] in night)]
    moved.sort(key=lambda f: (f.row[0] != "breach", -abs(f.delta), _sort_key(f.row)))
    parts = [_sentence(f, days) for f in moved[:HEADLINES]]
    first = f"With this draft, {parts[0]}"
    return tuple([first + ".", *(p[0].upper() + p[1:] + "." for p in parts[1:])])
