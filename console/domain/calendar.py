"""Business-hours calendars for SLA clocks.

Pure domain code: no I/O and no wall-clock reads.  All public methods take
timezone-aware datetimes and return aware datetimes in UTC.

Open time is modelled as half-open UTC intervals ``[start, end)`` computed
per *local* date and cached, so the hot paths (``add``/``subtract``/
``between``) are plain datetime comparisons and timedelta arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

__all__ = ["BusinessCalendar", "CalendarSpec", "always_open"]

_ZERO = timedelta(0)
_MIDNIGHT = time(0, 0)
# Give up after this many consecutive closed days (~2 years) so a calendar
# without open hours cannot loop forever.
_MAX_CLOSED_DAYS = 732

_Interval = tuple[datetime, datetime]


@dataclass(frozen=True, slots=True)
class CalendarSpec:
    """Declarative description of a calendar (see ``BusinessCalendar``)."""

    id: str
    timezone: str
    always: bool = False
    weekly: tuple[tuple[int, time, time], ...] = ()
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    holiday_dates: frozenset[date] = frozenset()


def _utc(t: datetime) -> datetime:
    """Convert an aware datetime to UTC; reject naive ones."""
    if t.tzinfo is UTC:
        return t
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"naive datetime not allowed: {t!r}")
    return t.astimezone(UTC)


class BusinessCalendar:
    """Answers "how much open time" questions for one ``CalendarSpec``.

    Weekly hours are local wall-clock times in ``spec.timezone``.  An interval
    end of ``time(0, 0)`` means midnight at the end of that day.  Local bounds
    are mapped to UTC with ``fold=0`` (first occurrence of an ambiguous time);
    a bound inside a spring-forward gap maps to the instant the gap ends.
    Holidays close the whole local day.
    """

    __slots__ = ("_always", "_days", "_tz", "_weekly", "_years", "spec")

    def __init__(self, spec: CalendarSpec) -> None:
        self.spec = spec
        try:
            self._tz = ZoneInfo(spec.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"calendar {spec.id}: unknown time zone {spec.timezone!r}") from exc
        self._always = spec.always
        weekly: list[list[tuple[time, time | None]]] = [[] for _ in range(7)]
        for weekday, start, end in spec.weekly:
            if not 0 <= weekday <= 6:
                raise ValueError(f"calendar {spec.id}: weekday {weekday} not in 0..6")
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError(f"calendar {spec.id}: weekly times must be naive wall-clock times")
            if end != _MIDNIGHT and end <= start:
                raise ValueError(f"calendar {spec.id}: interval {start}-{end} ends too early")
            # None marks "midnight at the end of the day".
            weekly[weekday].append((start, None if end == _MIDNIGHT else end))
        self._weekly = tuple(tuple(sorted(day, key=lambda iv: iv[0])) for day in weekly)
        if spec.holiday_country is not None:
            try:  # validate country/subdivision eagerly; no years -> cheap
                holidays.country_holidays(spec.holiday_country, subdiv=spec.holiday_subdivision)
            except NotImplementedError as exc:
                raise ValueError(f"calendar {spec.id}: {exc}") from exc
        # local date ordinal -> (sorted disjoint UTC intervals, total open time)
        self._days: dict[int, tuple[tuple[_Interval, ...], timedelta]] = {}
        self._years: dict[int, frozenset[date]] = {}

    # -- queries -----------------------------------------------------------

    @property
    def is_24x7(self) -> bool:
        """True if the calendar is always open (plain time arithmetic)."""
        return self._always

    def is_holiday(self, d: date) -> bool:
        """Whether local date ``d`` is a holiday per the spec.

        This is a pure lookup; a 24x7 calendar still ignores holidays.
        """
        if d in self.spec.holiday_dates:
            return True
        if self.spec.holiday_country is None:
            return False
        closed = self._years.get(d.year)
        if closed is None:
            closed = frozenset(
                holidays.country_holidays(
                    self.spec.holiday_country, subdiv=self.spec.holiday_subdivision, years=d.year
                ).keys()
            )
            self._years[d.year] = closed
        return d in closed

    def is_open(self, t: datetime) -> bool:
        """Whether ``t`` lies inside an open interval (closing instant excluded)."""
        t = _utc(t)
        if self._always:
            return True
        return any(s <= t < e for s, e in self._day(self._ordinal(t))[0])

    def next_open(self, t: datetime) -> datetime:
        """``t`` itself if open, else the next opening instant (in UTC)."""
        t = _utc(t)
        if self._always:
            return t
        o = self._ordinal(t)
        closed = 0
        while True:
            ivs = self._day(o)[0]
            for s, e in ivs:
                if e > t:
                    return s if s > t else t
            closed = closed + 1 if not ivs else 0
            self._guard(closed)
            o += 1

    def add(self, start: datetime, amount: timedelta) -> datetime:
        """Earliest instant at which ``amount`` of open time has elapsed since ``start``.

        ``amount == 0`` returns ``start`` unchanged (as UTC), even when closed.
        A negative amount is delegated to ``subtract``.  A positive amount can
        end exactly on a closing instant.
        """
        t = _utc(start)
        if amount <= _ZERO:
            return t if amount == _ZERO else self.subtract(t, -amount)
        if self._always:
            return t + amount
        remaining = amount
        o = self._ordinal(t)
        days = self._days
        closed = 0
        while True:
            entry = days.get(o)
            if entry is None:
                entry = self._day(o)
            ivs = entry[0]
            for s, e in ivs:
                if e <= t:
                    continue
                if s > t:
                    t = s
                avail = e - t
                if remaining <= avail:
                    return t + remaining
                remaining -= avail
                t = e
            closed = closed + 1 if not ivs else 0
            self._guard(closed)
            o += 1

    def subtract(self, end: datetime, amount: timedelta) -> datetime:
        """Latest instant ``t <= end`` with exactly ``amount`` of open time in ``[t, end]``.

        ``amount == 0`` returns ``end`` (as UTC); negative amounts go to ``add``.
        """
        t = _utc(end)
        if amount <= _ZERO:
            return t if amount == _ZERO else self.add(t, -amount)
        if self._always:
            return t - amount
        remaining = amount
        o = self._ordinal(t)
        days = self._days
        closed = 0
        while True:
            entry = days.get(o)
            if entry is None:
                entry = self._day(o)
            ivs = entry[0]
            for s, e in reversed(ivs):
                if s >= t:
                    continue
                if e < t:
                    t = e
                avail = t - s
                if remaining <= avail:
                    return t - remaining
                remaining -= avail
                t = s
            closed = closed + 1 if not ivs else 0
            self._guard(closed)
            o -= 1

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Open time within ``[a, b]``; zero if ``b <= a``."""
        a = _utc(a)
        b = _utc(b)
        if b <= a:
            return _ZERO
        if self._always:
            return b - a
        first = self._ordinal(a)
        last = self._ordinal(b)
        total = _ZERO
        for o in range(first, last + 1):
            ivs, day_total = self._day(o)
            if first < o < last:
                total += day_total  # whole day inside [a, b]
                continue
            for s, e in ivs:
                lo = s if s > a else a
                hi = e if e < b else b
                if hi > lo:
                    total += hi - lo
        return total

    # -- internals ---------------------------------------------------------

    def _guard(self, closed_days: int) -> None:
        if closed_days >= _MAX_CLOSED_DAYS:
            raise ValueError(f"calendar {self.spec.id} has no open hours")

    def _ordinal(self, t: datetime) -> int:
        """Proleptic ordinal of the local date of UTC instant ``t``."""
        return t.astimezone(self._tz).toordinal()

    def _day(self, o: int) -> tuple[tuple[_Interval, ...], timedelta]:
        """Cached open UTC intervals of local date ordinal ``o``."""
        entry = self._days.get(o)
        if entry is not None:
            return entry
        d = date.fromordinal(o)
        ivs: list[_Interval] = []
        if not self.is_holiday(d):
            for start, end in self._weekly[d.weekday()]:
                s = self._local_to_utc(d, start)
                if end is None:
                    e = self._local_to_utc(d + timedelta(days=1), _MIDNIGHT)
                else:
                    e = self._local_to_utc(d, end)
                if e <= s:
                    continue  # interval vanished in a DST gap
                if ivs and s <= ivs[-1][1]:  # merge overlapping/touching intervals
                    if e > ivs[-1][1]:
                        ivs[-1] = (ivs[-1][0], e)
                else:
                    ivs.append((s, e))
        entry = (tuple(ivs), sum((e - s for s, e in ivs), _ZERO))
        self._days[o] = entry
        return entry

    def _local_to_utc(self, d: date, t: time) -> datetime:
        """Map a local wall-clock time to UTC (fold=0; gap -> end of gap)."""
        naive = datetime.combine(d, t)
        u = naive.replace(tzinfo=self._tz).astimezone(UTC)
        if u.astimezone(self._tz).replace(tzinfo=None) == naive:
            return u
        # Non-existent local time: fold=1 lands before the transition and
        # fold=0 after it; bisect (whole seconds) for the transition instant.
        lo = naive.replace(tzinfo=self._tz, fold=1).astimezone(UTC)
        hi = u
        after = hi.astimezone(self._tz).utcoffset()
        while hi - lo > timedelta(seconds=1):
            mid = lo + timedelta(seconds=(hi - lo).total_seconds() // 2)
            if mid.astimezone(self._tz).utcoffset() == after:
                hi = mid
            else:
                lo = mid
        return hi


def always_open(calendar_id: str = "24x7") -> BusinessCalendar:
    """A 24x7 calendar in UTC (no weekly hours, no holidays)."""
    return BusinessCalendar(CalendarSpec(id=calendar_id, timezone="UTC", always=True))
