"""The impact preview's table in words: one ``Line`` a figure, rate or person's weekly
pages, with its difference and whether that difference is worse or better.

More breaches, pages, night pages, pages a week or exhausted chains is worse; a higher
T1 resolution rate is better; the rest (pre-breach alerts, escalations to a team, the
escalation rate) says where work moves and is shown without a verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from console.app.report_words import team_name
from console.app.usecases.whatif import Change, Figure, Impact
from console.domain.matrix import Matrix
from console.domain.reports import Rate

WORSE, BETTER, NEUTRAL, SAME = "worse", "better", "neutral", "same"
MINUS = "−"  # a real minus sign: "−3" reads as a number, "-3" as a dash
MORE_IS_WORSE = frozenset({"breach", "page", "night_page", "chain_exhausted", "per_week"})
MORE_IS_BETTER = frozenset({"t1_resolution"})
KIND_WORDS = {"breach": "Breaches", "pre_breach": "Pre-breach alerts",
              "escalation": "Escalations to a team", "page": "Pages",
              "night_page": "Pages at night", "chain_exhausted": "Chains nobody acknowledged",
              "t1_resolution": "T1 resolution rate", "escalation_rate": "Escalation rate",
              "per_week": "Pages per on-call week"}


@dataclass(frozen=True, slots=True)
class Line:
    """One row of the table: ``kind`` (a figure's, ``t1_resolution``,
    ``escalation_rate`` or ``per_week``), the words shown, its ``tone`` and the tickets
    it changed."""

    kind: str
    figure: str
    about: str
    active: str
    draft: str
    change: str
    tone: str
    changed: tuple[Change, ...] = ()
    note: str = ""  # why a row lists no tickets


def signed(delta: float, digits: int = 0) -> str:
    """``+12``, ``−3`` (a minus sign) or ``0``."""
    text = f"{abs(delta):.{digits}f}"
    if float(text) == 0:
        return "0"
    return ("+" if delta > 0 else MINUS) + text


def tone(kind: str, delta: float) -> str:
    """``worse``, ``better``, ``neutral`` (moved, without a verdict) or ``same``."""
    if not delta:
        return SAME
    if kind in MORE_IS_WORSE:
        return WORSE if delta > 0 else BETTER
    if kind in MORE_IS_BETTER:
        return BETTER if delta > 0 else WORSE
    return NEUTRAL


def _about(f: Figure, matrix: Matrix | None) -> str:
    kind, *about = f.row
    if kind in ("breach", "pre_breach"):
        return f"{about[0]} {about[1]}"
    if kind == "escalation":
        return f"{team_name(matrix, about[0])} ({about[1]})"
    if kind == "page":
        return f"{about[0]} by {about[1]}"
    return about[0]


def _figure_line(f: Figure, matrix: Matrix | None) -> Line:
    kind = f.row[0]
    return Line(kind, KIND_WORDS.get(kind, kind), _about(f, matrix), str(f.active),
                str(f.draft), signed(f.delta), tone(kind, f.delta), f.changed)


def _pct(rate: Rate) -> str:
    return "–" if rate.value is None else f"{rate.value:.1%} ({rate.numerator}/{rate.denominator})"


def _rate_line(name: str, draft: Rate, active: Rate) -> Line:
    if draft.value is None or active.value is None:
        change, delta = "–", 0.0
    else:
        delta = (draft.value - active.value) * 100
        change = "0" if signed(delta, 1) == "0" else f"{signed(delta, 1)} pts"
    return Line(name, KIND_WORDS[name], "all tickets", _pct(active),
                _pct(draft), change, tone(name, round(delta, 1)),
                note="A rate counts every ticket of the window: it lists none.")


def lines(result: Impact, matrix: Matrix | None = None) -> list[Line]:
    """Every row of the table: the figures in ``Impact`` order, the two rates, then each
    person's pages per week (with the tickets of that person's changed pages)."""
    out = [_figure_line(f, matrix) for f in result.figures]
    out += [_rate_line(name, d, a) for name, (d, a) in result.rates.items()]
    for person, (d, a) in result.pages_per_week.items():
        changed = tuple(c for f in result.figures if f.row[:2] == ("page", person)
                        for c in f.changed)
        out.append(Line("per_week", KIND_WORDS["per_week"], person, f"{a:.1f}", f"{d:.1f}",
                        signed(d - a, 1), tone("per_week", round(d - a, 1)), changed))
    return out


def instant(at: datetime) -> str:
    """An instant as the lists show it: ``Tue 02 Nov 09:45`` (UTC)."""
    return at.astimezone(UTC).strftime("%a %d %b %H:%M")


def instants(ats: tuple[datetime, ...]) -> str:
    """The instants a version counted, or that it did not count at all."""
    return ", ".join(instant(a) for a in ats) if ats else "not at all"


def window_text(result: Impact) -> str:
    """``412 tickets opened 03 Nov 10:40 – 03 Dec 10:40 UTC``."""
    days = round((result.window_to - result.window_from).total_seconds() / 86400)
    count = f"{result.tickets} ticket{'s' if result.tickets != 1 else ''}"
    return (f"{count} opened in the last {days} day{'s' if days != 1 else ''} "
            f"({result.window_from:%d %b %H:%M} – {result.window_to:%d %b %H:%M} UTC), "
            "replayed under both versions")
