"""Who "primary" means right now: on-call lookup from a matrix rotation or an
iCalendar file.

A contact with ``on_call: ROTATION`` stands for whoever that rotation has on call
(``on_call_offset: 1`` = the next in turn, the usual secondary). A rotation either
lists members with a shift length and a start (the matrix computes the turn), or
names an ``ical`` file: each event (recurring ones too) is a shift, and its SUMMARY
names the contact on call (by id or display name), or an ATTENDEE by email. Offset 1
in a calendar is whoever has the next shift after the current one.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from console.domain.matrix.model import Contact, Matrix, Rotation

if TYPE_CHECKING:  # icalendar is imported when a calendar is first read
    from icalendar.cal import Component

log = logging.getLogger(__name__)
LOOKAHEAD = timedelta(days=62)


@dataclass(frozen=True, slots=True)
class Shift:
    start: datetime
    end: datetime
    who: str  # a contact id


def _aware(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


class IcalRotation:
    """Shifts from one .ics file, re-read when the file changes."""

    def __init__(self, path: Path, matrix: Matrix) -> None:
        self.path = path
        self.matrix = matrix
        self._mtime: float | None = None
        self._events: list[Component] = []
        self._lock = threading.Lock()

    def _who(self, event: Component) -> str | None:
        summary = str(event.get("SUMMARY") or "").strip()
        for c in self.matrix.contacts:
            if summary and summary.lower() in (c.id.lower(), c.name.lower()):
                return c.id
        attendees = event.get("ATTENDEE") or []
        if not isinstance(attendees, list):
            attendees = [attendees]
        emails = {str(a).lower().removeprefix("mailto:") for a in attendees}
        for c in self.matrix.contacts:
            if c.addresses.get("email", "").lower() in emails and emails:
                return c.id
        return None

    def _load(self) -> list[Component]:
        import icalendar

        mtime = self.path.stat().st_mtime
        if mtime != self._mtime:
            cal = icalendar.Calendar.from_ical(self.path.read_bytes())
            self._events = [e for e in cal.walk("VEVENT")]
            self._mtime = mtime
        return self._events

    def shifts(self, start: datetime, end: datetime) -> list[Shift]:
        """Shifts overlapping [start, end), expanded from RRULEs, in start order."""
        from dateutil.rrule import rrulestr

        with self._lock:
            events = self._load()
        out: list[Shift] = []
        for event in events:
            who = self._who(event)
            if who is None or event.get("DTSTART") is None:
                continue
            first = _aware(event.decoded("DTSTART"))
            if event.get("DTEND") is not None:
                length = _aware(event.decoded("DTEND")) - first
            elif event.get("DURATION") is not None:
                length = event.decoded("DURATION")
            else:
                length = timedelta(days=1)
            starts = [first]
            if event.get("RRULE") is not None:
                text = event["RRULE"].to_ical()
                rule = rrulestr(text.decode() if isinstance(text, bytes) else text,
                                dtstart=first)
                starts = rule.between(start - length, end, inc=True)
                exdates = event.get("EXDATE") or []
                if not isinstance(exdates, list):
                    exdates = [exdates]
                excluded = {_aware(d.dt) for ex in exdates for d in ex.dts}
                starts = [s for s in starts if s not in excluded]
            out.extend(Shift(s, s + length, who) for s in starts
                       if s < end and s + length > start)
        return sorted(out, key=lambda s: (s.start, s.who))

    def on_call(self, at: datetime, offset: int = 0) -> str | None:
        shifts = self.shifts(at - LOOKAHEAD, at + LOOKAHEAD)
        current = [s for s in shifts if s.start <= at < s.end]
        if not current:
            return None
        pick = current[0]
        for _ in range(offset):
            later = [s for s in shifts if s.start >= pick.end - timedelta(seconds=1)
                     and s.who != pick.who]
            if not later:
                return None
            pick = later[0]
        return pick.who


class OnCall:
    """Resolves contacts with ``on_call`` to whoever is on call at an instant."""

    def __init__(self, matrix: Matrix, base_dir: Path | None = None) -> None:
        self.matrix = matrix
        self.base_dir = base_dir
        self._ical: dict[str, IcalRotation] = {}

    def _calendar(self, rotation: Rotation) -> IcalRotation | None:
        if not rotation.ical:
            return None
        path = Path(rotation.ical).expanduser()
        if not path.is_absolute() and self.base_dir is not None:
            path = self.base_dir / path
        cal = self._ical.get(rotation.id)
        if cal is None or cal.path != path:
            cal = self._ical[rotation.id] = IcalRotation(path, self.matrix)
        return cal

    def member(self, rotation_id: str, at: datetime, offset: int = 0) -> str | None:
        """The contact id on call in a rotation at ``at``, or None."""
        rotation = self.matrix.rotations.get(rotation_id)
        if rotation is None:
            return None
        if rotation.ical:
            cal = self._calendar(rotation)
            try:
                return cal.on_call(at, offset) if cal is not None else None
            except (OSError, ValueError) as exc:
                log.warning("on-call calendar %s unreadable: %s", rotation.ical, exc)
                return None
        return rotation.on_call(at, offset)

    def resolve(self, contact_id: str, at: datetime) -> tuple[Contact | None, Contact | None]:
        """(the matrix contact, the person on call behind it or None)."""
        try:
            contact = self.matrix.contact(contact_id)
        except StopIteration:
            return None, None
        if not contact.on_call:
            return contact, None
        member = self.member(contact.on_call, at, contact.on_call_offset)
        if member is None or member == contact.id:
            return contact, None
        try:
            return contact, self.matrix.contact(member)
        except StopIteration:
            return contact, None

    def addresses(self, contact_id: str, at: datetime) -> tuple[dict[str, str], str, str]:
        """(channel -> address, display name, on-call person's name or "").

        The on-call person's own addresses win; the role contact's fill the gaps (a
        shared PagerDuty service, say)."""
        contact, person = self.resolve(contact_id, at)
        if contact is None:
            return {}, contact_id, ""
        merged = dict(contact.addresses)
        if person is not None:
            merged.update(person.addresses)
            return merged, contact.name, person.name
        return merged, contact.name, ""
