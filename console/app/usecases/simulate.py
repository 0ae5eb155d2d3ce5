"""``escalation-console simulate``: replay ticket events through the engine.

Input is JSON Lines, one event a line: ``{"at": ISO-8601, "ticket": ID, "type": T, ...}``.
Output is what the engine fires, one JSON object a line, in time order.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from console.app.usecases.event_kinds import (
    INPUT_TYPES,
    LOG_SEVERITY_SETTERS,
    LOG_TYPES,
    MATRIX_STREAM,
    SEVERITY_SETTERS,
    Vocabulary,
    check_fields,
)
from console.domain.engine import Engine
from console.domain.fires import Fire
from console.domain.matrix import Matrix
from console.domain.matrix.yamlpos import format_path, lone_surrogate
from console.domain.scoring import SentimentScorer
from console.domain.tickets import TicketEvent


@dataclass(frozen=True, slots=True)
class BadLine:
    line: int
    reason: str


def parse_instant(value: Any, field: str = "at") -> datetime:
    """An ISO-8601 instant with a UTC offset; naive times are refused, not guessed."""
    if not isinstance(value, str):
        raise ValueError(f"{field}: expected an ISO-8601 time, got {value!r}")
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{field}: {value!r} is not an ISO-8601 time") from None
    if at.tzinfo is None:
        raise ValueError(f"{field}: {value!r} has no UTC offset; add one, e.g. +00:00")
    return at


def parse_event(obj: Any, matrix: Matrix, *, log: bool = False,
                vocabulary: Vocabulary | None = None) -> TicketEvent:
    """Validate one decoded line and turn it into a TicketEvent. ``log`` accepts every
    kind the app writes (LOG_TYPES: an event file); without it only INPUT_TYPES, what
    the outside world writes (the intake API). Names are checked against
    ``vocabulary`` (default: the matrix's)."""
    if not isinstance(obj, dict):
        raise ValueError("expected a JSON object")
    at = parse_instant(obj.get("at"))
    ticket = obj.get("ticket")
    if not isinstance(ticket, str | int) or isinstance(ticket, bool) or str(ticket) == "":
        raise ValueError(f"ticket: expected an id, got {ticket!r}")
    kind = obj.get("type")
    kinds = LOG_TYPES if log else INPUT_TYPES
    if not isinstance(kind, str) or kind not in kinds:
        raise ValueError(f"type: expected one of {', '.join(kinds)}, got {kind!r}")
    if (kind == "matrix_published") != (str(ticket) == MATRIX_STREAM):
        raise ValueError(f"ticket: matrix_published events, and only they, belong to "
                         f"{MATRIX_STREAM!r}; got {kind} on {str(ticket)!r}")
    data = {k: v for k, v in obj.items() if k not in ("at", "ticket", "type")}
    check_fields(kind, data, vocabulary or Vocabulary.of(matrix),
                 LOG_SEVERITY_SETTERS if log else SEVERITY_SETTERS)
    author = str(data.get("by") or "") if kind != "severity" else str(data.get("by") or "support")
    return TicketEvent(at, str(ticket), kind, data, author)


MAX_EVENT_ID = 200  # as the intake API's own ids
MAX_AUTHOR = 120  # the events table's author column


@dataclass(frozen=True, slots=True)
class FileEvent:
    """A line of an event file: the event, and the id and author it carries, if any
    (``export`` writes both, so a round trip keeps them)."""

    event: TicketEvent
    id: str | None = None
    author: str | None = None


def parse_line(obj: Any, matrix: Matrix, vocabulary: Vocabulary | None = None) -> FileEvent:
    """One decoded line of an event file (docs/import.md): any kind the log holds,
    with an optional ``id`` and ``author`` that are not part of the payload."""
    if not isinstance(obj, dict):
        raise ValueError("expected a JSON object")
    fields = dict(obj)
    eid, author = fields.pop("id", None), fields.pop("author", None)
    if eid is not None and (not isinstance(eid, str) or not eid.strip()
                            or len(eid) > MAX_EVENT_ID):
        raise ValueError(f"id: expected the event's id (a UUID, or text of at most "
                         f"{MAX_EVENT_ID} characters), got {eid!r}")
    if author is not None and (not isinstance(author, str) or not author.strip()
                               or len(author) > MAX_AUTHOR):
        raise ValueError(f"author: expected a name of at most {MAX_AUTHOR} characters, "
                         f"got {author!r}")
    return FileEvent(parse_event(fields, matrix, log=True, vocabulary=vocabulary), eid, author)


MAX_JSON_DEPTH = 32  # an event is a flat object; the cap keeps json.loads from recursing


def _too_deep_at(line: str) -> int | None:
    """The 1-based column where ``line`` nests deeper than MAX_JSON_DEPTH, if it does
    (brackets inside strings do not count)."""
    if line.count("[") + line.count("{") <= MAX_JSON_DEPTH:
        return None
    depth, in_string, escaped = 0, False, False
    for column, ch in enumerate(line, start=1):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return column
        elif ch in "]}":
            depth -= 1
    return None


def _not_text(value: str) -> str | None:
    if "\x00" in value:  # PostgreSQL text refuses it once the tickets are shared
        return "contains a NUL character (\\u0000)"
    return lone_surrogate(value)


def _check_text(value: Any, path: tuple[str | int, ...]) -> None:
    """Refuse strings that are not text: NUL characters and lone surrogates (from an
    escape such as ``\\udcff``; no file encoding, store or terminal can hold them)."""
    if isinstance(value, str):
        reason = _not_text(value)
        if reason:
            raise ValueError(f"{format_path(path)}: {reason}" if path else reason)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_text(item, (*path, i))
    elif isinstance(value, dict):
        for key, item in value.items():
            reason = _not_text(key)
            if reason:
                where = f" in {format_path(path)}" if path else ""
                raise ValueError(f"a key{where} {reason}")
            _check_text(item, (*path, key))


def load_json_line(line: str) -> Any:
    """One line of JSON, or ValueError with a reason worth printing after ``FILE:LINE:``:
    bad JSON, nesting deeper than MAX_JSON_DEPTH, or strings that are not text."""
    column = _too_deep_at(line)
    if column is not None:
        raise ValueError(f"nested more than {MAX_JSON_DEPTH} levels deep at column {column}; "
                         "an event is one flat JSON object")
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc.msg} at column {exc.colno}") from None
    _check_text(value, ())
    return value


def _decode(raw: str | bytes, first: bool) -> str:
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at column "
                             f"{exc.start + 1}); save the file as UTF-8") from None
    return raw.removeprefix("\ufeff") if first else raw


def read_events(lines: Iterable[str | bytes], matrix: Matrix, strict: bool = False,
                on_bad: Callable[[BadLine], None] | None = None) -> list[TicketEvent]:
    """Parse JSONL; bad lines go to ``on_bad``. In strict mode the first bad line stops.
    Lines may be bytes: one that is not UTF-8 is a bad line, so one stray byte does not
    lose the rest of the file. A text file is read through its bytes for the same reason
    (JSON Lines are UTF-8 whatever the file was opened with)."""
    if isinstance(lines, io.TextIOWrapper):
        lines = lines.buffer
    events: list[TicketEvent] = []
    for number, raw in enumerate(lines, start=1):
        try:
            line = _decode(raw, number == 1)
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            events.append(parse_line(load_json_line(line), matrix).event)
        except ValueError as exc:
            bad = BadLine(number, str(exc))
        else:
            continue
        if on_bad is not None:
            on_bad(bad)
        if strict:
            break
    # stable: events at the same instant keep their file order
    events.sort(key=lambda e: e.at)
    return events


def simulate(matrix: Matrix, events: list[TicketEvent], until: datetime | None = None,
             sentiment: SentimentScorer | None = None, *,
             engine: Engine | None = None) -> Iterator[Fire]:
    """Replay events in time order and yield every fire, up to ``until`` (default: the
    last event's time). ``engine``: a fresh one of ``matrix`` the caller reads after."""
    engine = engine or Engine(matrix, sentiment=sentiment)
    if until is None and events:
        until = events[-1].at
    for event in events:
        if until is not None and event.at > until:
            break
        yield from engine.apply(event)
    if until is not None:
        yield from engine.advance_to(until)
