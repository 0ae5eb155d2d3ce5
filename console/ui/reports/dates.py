"""The Reports window's dates: the user picks days in their own time zone, the report
runs over ``[from, to)`` in UTC (docs/reports.md, *Windows and cohorts*)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from PySide6.QtCore import QDate, QDateTime, QTime, QTimeZone

PRESETS = (("Last 7 days", 7), ("Last 28 days", 28), ("Last 90 days", 90))
DEFAULT_DAYS = 28


def _midnight_utc(day: date, zone: QTimeZone) -> datetime:
    local = QDateTime(QDate(day.year, day.month, day.day), QTime(0, 0), zone)
    return datetime.fromtimestamp(local.toSecsSinceEpoch(), UTC)


def day_window(first: date, last: date, zone: QTimeZone) -> tuple[datetime, datetime]:
    """The UTC window from the start of ``first`` to the end of ``last`` (both days
    included), as midnights in ``zone`` (so a daylight-saving change is kept)."""
    if last < first:
        first, last = last, first
    return _midnight_utc(first, zone), _midnight_utc(last + timedelta(days=1), zone)


def preset_days(today: date, days: int) -> tuple[date, date]:
    """The ``days`` days ending today, today included."""
    return today - timedelta(days=days - 1), today


def local_today(now: datetime, zone: QTimeZone) -> date:
    """The date it is now in ``zone``."""
    moment = QDateTime.fromSecsSinceEpoch(int(now.timestamp()), zone)
    day = moment.date()
    return date(day.year(), day.month(), day.day())
