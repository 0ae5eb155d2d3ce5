"""``escalation-console import``: bring tickets into the local store from a file.

Two formats: the ``simulate`` JSON Lines format (one event a line), and CSV with one
ticket a row, typically a helpdesk export (see docs/import.md). Everything is parsed and
checked first; the events are then written with one ``append_many``, one transaction,
so an import lands whole or not at all. Event ids are deterministic (uuid5 of the
ticket, the event type, its time and its content, unless an event file gives them), so
importing a file twice adds nothing the second time. The JSON Lines reader is in
``import_events``.
"""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, cast

from console.app.usecases.event_kinds import MATRIX_STREAM

# plan_jsonl and the plan's types: the command line, the intake API and the tests
# find them here (``as``: an explicit re-export)
from console.app.usecases.import_events import plan_jsonl as plan_jsonl
from console.app.usecases.import_plan import BadRow as BadRow
from console.app.usecases.import_plan import ImportFailure as ImportFailure
from console.app.usecases.import_plan import ImportResult as ImportResult
from console.app.usecases.import_plan import Plan as Plan
from console.app.usecases.import_plan import event_id as event_id
from console.app.usecases.import_values import (
    FACTS,
    check_ticket_id,
    parse_severity,
    parse_status,
    parse_time,
    resolve_timezone,  # noqa: F401 - the command line finds it here
)
from console.app.usecases.progress import Progress
from console.domain.matrix import Matrix
from console.store.local import LocalStore, NewEvent
from console.store.projector import Projector

FIELDS = ("id", "title", "text", "account", "account_tier", "users_affected_pct",
          "workaround", "revenue_risk", "security_breach", "category", "severity",
          "opened_at", "responded_at", "resolved_at", "status", "updated_at", "owner")
REQUIRED = ("id", "opened_at")
PRESETS: dict[str, dict[str, str]] = {
    "zendesk": {
        "id": "Ticket ID", "title": "Subject", "text": "Description",
        "account": "Organization", "account_tier": "Account tier",
        "users_affected_pct": "Users affected", "workaround": "Workaround",
        "revenue_risk": "Revenue risk", "security_breach": "Security breach",
        "category": "Type", "opened_at": "Created at", "responded_at": "First reply at",
        "resolved_at": "Solved at", "status": "Status", "updated_at": "Updated at",
        "owner": "Assignee",
    },
}
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


# -- options --------------------------------------------------------------------------
def infer_format(path: str) -> str:
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise ValueError(f"cannot tell the format of {path} from its extension "
                         "(.csv, .jsonl or .ndjson); add --format csv or --format jsonl")
    return fmt


def parse_mapping(values: Iterable[str]) -> dict[str, str]:
    """``--map our_field=Their Column,...`` (repeatable); ``field=`` drops a column."""
    mapping: dict[str, str] = {}
    for value in values:
        for item in next(csv.reader([value], skipinitialspace=True), []):
            if not item.strip():
                continue
            ours, sep, theirs = item.partition("=")
            ours = ours.strip()
            if not sep:
                raise ValueError(f"--map: expected our_field=TheirColumn, got {item!r}")
            if ours not in FIELDS:
                close = difflib.get_close_matches(ours, FIELDS, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise ValueError(f"--map: unknown field {ours!r}; {hint}the fields are "
                                 f"{', '.join(FIELDS)}")
            theirs = theirs.strip()
            if len(theirs) >= 2 and theirs[0] == theirs[-1] and theirs[0] in "'\"":
                theirs = theirs[1:-1]  # id="Ticket ID" typed inside single quotes
            mapping[ours] = theirs
    return mapping


def columns_for(preset: str | None, mapping: dict[str, str]) -> tuple[dict[str, str], set[str]]:
    """Our field -> their column name, and the fields the user named explicitly."""
    columns = dict(PRESETS[preset]) if preset is not None else {f: f for f in FIELDS}
    columns.update(mapping)
    return {f: c for f, c in columns.items() if c}, {f for f, c in mapping.items() if c}


def decode(data: bytes, name: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFailure(f"{name}: UTF-16 text; re-export the file as UTF-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ImportFailure(f"{name}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); "
                            "re-export the file as UTF-8") from None
    if "\x00" in text:
        raise ImportFailure(f"{name}: contains NUL bytes; this looks like a binary file, "
                            "not CSV or JSON Lines")
    if not text.strip():
        raise ImportFailure(f"{name}: the file is empty")
    return text


_KIND_ORDER = {"opened": 0, "status": 1, "responded": 1, "resolved": 2}


# -- CSV ------------------------------------------------------------------------------
def _header_index(header: list[str], columns: dict[str, str], explicit: Iterable[str],
                  name: str, plan: Plan) -> dict[str, int]:
    exact = {h.strip(): i for i, h in reversed(list(enumerate(header)))}
    folded = {h.strip().lower(): i for i, h in reversed(list(enumerate(header)))}
    index: dict[str, int] = {}
    missing: list[str] = []
    for ours, theirs in columns.items():
        i = exact.get(theirs, folded.get(theirs.lower()))
        if i is not None:
            index[ours] = i
        elif ours in REQUIRED or ours in explicit:
            missing.append(f"{theirs!r} (for {ours})")
    if missing:
        shown = ", ".join(repr(h) for h in header[:12]) + (", ..." if len(header) > 12 else "")
        raise ImportFailure(f"{name}:1: header: no column {', '.join(missing)}; the header "
                            f"has {shown}. Name the columns with --map or --preset")
    absent = [f for f in FIELDS if f not in index and f in columns and f != "updated_at"]
    if absent:
        plan.notes.append(f"{name}: no column for {', '.join(absent)}; "
                          "those fields are left empty")
    return index


def _csv_row(line: int, cells: list[str], index: dict[str, int], columns: dict[str, str],
             matrix: Matrix, tz: tzinfo | None
             ) -> tuple[list[tuple[str, datetime, dict[str, Any]]], list[BadRow]]:
    bad: list[BadRow] = []
    get = {f: cells[i] for f, i in index.items()}

    def fail(f: str, exc: ValueError) -> None:
        col = f" (column {columns[f]!r})" if columns[f] != f else ""
        bad.append(BadRow(line, f, f"{exc}{col}"))

    try:
        check_ticket_id(get["id"].strip())
    except ValueError as exc:
        fail("id", exc)
    times: dict[str, datetime] = {}
    for f in ("opened_at", "responded_at", "resolved_at", "updated_at"):
        raw = get.get(f, "")
        if not raw.strip():
            if f == "opened_at":
                fail(f, ValueError("the time the ticket was opened is empty"))
            continue
        try:
            times[f] = parse_time(raw, tz)
        except ValueError as exc:
            fail(f, exc)
    opened = times.get("opened_at")
    for f in ("responded_at", "resolved_at", "updated_at"):
        if opened and f in times and times[f] < opened:
            fail(f, ValueError(f"{get[f].strip()!r} is before opened_at {get['opened_at']!r}"))
    payload: dict[str, Any] = {}
    for f, convert in FACTS.items():
        raw = get.get(f, "")
        if raw.strip():
            try:
                payload[f] = convert(raw)
            except ValueError as exc:
                fail(f, exc)
    if get.get("severity", "").strip():
        try:
            payload["severity"] = parse_severity(get["severity"], matrix)
        except ValueError as exc:
            fail("severity", exc)
    status = None
    try:
        status = parse_status(get.get("status", ""))
    except ValueError as exc:
        fail("status", exc)
    if bad or opened is None:
        return [], bad
    events = [("opened", opened, payload)]
    if status is not None:
        events.append(("status", times.get("updated_at", opened), {"status": status}))
    for f, kind in (("responded_at", "responded"), ("resolved_at", "resolved")):
        if f in times:
            events.append((kind, times[f], {}))
    return events, bad


def plan_csv(text: str, name: str, matrix: Matrix, *, columns: dict[str, str],
             explicit: Iterable[str] = (), tz: tzinfo | None = None,
             author: str = "import", progress: Callable[[int], Progress] | None = None
             ) -> Plan:
    """Parse and check a CSV file; one row is one ticket."""
    plan = Plan()
    csv.field_size_limit(max(csv.field_size_limit(), 16 * 1024 * 1024))
    first = text.split("\n", 1)[0]
    delimiter = next((d for d in (",", ";", "\t") if d in first), ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                rows.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ImportFailure(f"{name}:{start}: not valid CSV: {exc}") from None
    if not rows:
        raise ImportFailure(f"{name}: the file has no header line")
    header = rows[0][1]
    index = _header_index(header, columns, set(explicit), name, plan)
    bar = progress(len(rows) - 1) if progress else None
    seen: dict[str, int] = {}
    planned: list[tuple[datetime, int, int, NewEvent]] = []
    for n, (line, cells) in enumerate(rows[1:], start=1):
        plan.rows += 1
        if bar:
            bar.update(n)
        if len(cells) != len(header):
            plan.bad.append(BadRow(line, "row", f"has {len(cells)} fields, the header has "
                                   f"{len(header)}; check the quoting"))
            continue
        ticket = cells[index["id"]].strip()
        if ticket in seen:
            plan.bad.append(BadRow(line, "id", f"ticket {ticket!r} already appears on line "
                                   f"{seen[ticket]}"))
            continue
        if ticket:
            seen[ticket] = line
        events, bad = _csv_row(line, cells, index, columns, matrix, tz)
        plan.bad.extend(bad)
        for kind, at, payload in events:
            new = NewEvent(ticket, kind, payload, author, at, event_id(ticket, kind, at, payload))
            planned.append((at, _KIND_ORDER[kind], len(planned), new))
    if bar:
        bar.update(len(rows) - 1)
    # one HLC per event, in append order: the fold must see each ticket's events in time
    planned.sort(key=lambda p: p[:3])
    plan.events = [p[3] for p in planned]
    return plan


# -- writing --------------------------------------------------------------------------
class _ReportingProjector:
    """Stands in for the store's projector during an import, refreshing the touched
    tickets one at a time (the same work) so the bar can follow the slow part."""

    def __init__(self, inner: Projector, progress: Progress) -> None:
        self._inner, self._progress = inner, progress

    def refresh(self, session: Any, tickets: Iterable[str]) -> None:
        todo = sorted(set(tickets))
        self._progress.total = len(todo)
        for done, ticket in enumerate(todo, start=1):
            self._inner.refresh(session, (ticket,))
            self._progress.update(done)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def apply_plan(store: LocalStore, plan: Plan, *, skip_bad: bool = False,
               progress: Progress | None = None) -> ImportResult:
    """Write the plan's events in one transaction. With bad rows and no ``skip_bad``,
    nothing is written. Raises StoreError when the store fails (nothing is written)."""
    if plan.bad and not skip_bad:
        return ImportResult(0, 0, 0, plan.bad_rows)
    inner = store.projector
    if progress is not None and progress.enabled and plan.events:
        progress.note(f"writing {len(plan.events):,} events to the local store...")
        # a stand-in: it refreshes as the projector does and delegates the rest to it
        store.projector = cast(Projector, _ReportingProjector(inner, progress))
    try:
        stored = store.append_many(plan.events) if plan.events else []
    finally:
        store.projector = inner
        if progress is not None:
            progress.finish()
    # the matrix's own stream is not a ticket
    return ImportResult(len({e.ticket for e in stored if e.ticket != MATRIX_STREAM}), len(stored),
                        len(plan.events) - len(stored), plan.bad_rows)


def summary(result: ImportResult, name: str) -> str:
    def plural(n: int, word: str) -> str:
        return f"{n:,} {word}{'' if n == 1 else 's'}"

    return (f"imported {plural(result.tickets, 'ticket')} ({plural(result.events, 'event')}) "
            f"from {name}; {plural(result.duplicates, 'duplicate')} skipped")


def describe_bad(plan: Plan, name: str) -> Sequence[str]:
    return [b.describe(name) for b in sorted(plan.bad, key=lambda b: b.line)]
