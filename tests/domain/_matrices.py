"""Matrices and small builders shared by the domain tests.

Every variant is the shipped default matrix with a few lines edited, so the tests
follow the real file. ``edit`` insists that each edited line is present, so a change
to ``matrices/default.yaml`` breaks loudly here instead of silently testing nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from console.domain.calendar import BusinessCalendar
from console.domain.engine import build_calendars
from console.domain.matrix import parse_matrix_text
from console.domain.matrix.model import Matrix
from console.domain.tickets import TicketEvent, TicketState, apply_event
from console.paths import default_matrix_path, matrices_dir

BERLIN = ZoneInfo("Europe/Berlin")
MIN = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)
# Mon 2026-03-02 10:00 UTC: a plain working Monday, far from DST and holidays.
T0 = datetime(2026, 3, 2, 10, tzinfo=UTC)

BUSINESS_CALENDAR = """\
  berlin-business:
    timezone: Europe/Berlin
    hours:
      mon: 09:00-17:00
      tue: 09:00-17:00
      wed: 09:00-17:00
      thu: 09:00-17:00
      fri: 09:00-17:00
    holidays: {country: DE}
"""
P3_TARGETS = "    targets: {calendar: 24x7, response: 24h, update: 7d}\n"
P4_TARGETS = "    targets: {calendar: 24x7, response: 48h, update: 30d}\n"


def berlin(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """A Berlin wall-clock instant."""
    return datetime(y, mo, d, h, mi, tzinfo=BERLIN)


@cache
def default_text() -> str:
    return default_matrix_path().read_text(encoding="utf-8")


def edit(text: str, *replacements: tuple[str, str]) -> str:
    for old, new in replacements:
        assert text.count(old) == 1, f"expected exactly one {old!r} in the matrix text"
        text = text.replace(old, new)
    return text


@cache
def matrix_from(text: str) -> Matrix:
    return parse_matrix_text(text)


def variant(*replacements: tuple[str, str]) -> Matrix:
    """The default matrix with lines replaced."""
    return matrix_from(edit(default_text(), *replacements))


def default_matrix() -> Matrix:
    return matrix_from(default_text())


def business_text(p3_resolution: str | None = None, p4_resolution: str | None = None) -> str:
    """The business-hours variant: P3/P4 on Mon-Fri 09:00-17:00 Berlin with DE holidays.

    The default P3/P4 have no resolution target; the optional arguments add one."""
    p3 = "    targets: {calendar: berlin-business, response: 24h, update: 7d"
    p4 = "    targets: {calendar: berlin-business, response: 48h, update: 30d"
    p3 += f", resolution: {p3_resolution}}}\n" if p3_resolution else "}\n"
    p4 += f", resolution: {p4_resolution}}}\n" if p4_resolution else "}\n"
    return edit(default_text(),
                ("    hours: always\n", "    hours: always\n" + BUSINESS_CALENDAR),
                (P3_TARGETS, p3), (P4_TARGETS, p4))


def business_matrix() -> Matrix:
    """matrices/business-hours.yaml once it ships; until then the same edit of the default."""
    shipped = matrices_dir() / "business-hours.yaml"
    if shipped.is_file():
        return matrix_from(shipped.read_text(encoding="utf-8"))
    return matrix_from(business_text())


def business_with_resolution() -> Matrix:
    """The business variant with resolution targets for P3 (40h) and P4 (80h)."""
    return matrix_from(business_text("40h", "80h"))


_CALENDARS: dict[int, tuple[Matrix, dict[str, BusinessCalendar]]] = {}


def calendars(matrix: Matrix) -> dict[str, BusinessCalendar]:
    """The matrix's calendars, built once per matrix object (their day caches are warm)."""
    entry = _CALENDARS.get(id(matrix))
    if entry is None or entry[0] is not matrix:
        entry = _CALENDARS[id(matrix)] = (matrix, build_calendars(matrix))
    return entry[1]


def event(at: datetime, kind: str, ticket: str = "T-1", author: str = "", **data: object
          ) -> TicketEvent:
    return TicketEvent(at, ticket, kind, dict(data), author)


def fold(*events: TicketEvent) -> TicketState:
    state: TicketState | None = None
    for e in events:
        state = apply_event(state, e)
    assert state is not None
    return state
