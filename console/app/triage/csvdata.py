"""A labelled helpdesk export (CSV) read for ``triage evaluate``: any export, not only
ours. The caller names the text columns, the label column and, for a time split, the
time column. Every problem is a :class:`CsvProblem` whose message starts with
``FILE:LINE:`` and, where one column is at fault, the column's name.

The file is UTF-8 (a byte-order mark is allowed), comma-separated with RFC 4180
quoting (or separated by semicolons or tabs, as its header row shows). A literal
``\\n`` in a cell (as some exports write a line break) reads as a line break.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# a cell can be a whole e-mail thread; csv's default limit (128 KiB) is a guess we keep,
# raised only as far as a pasted conversation needs
FIELD_LIMIT = 1024 * 1024


class CsvProblem(ValueError):
    """The file cannot be evaluated; the message names file, line and column."""


@dataclass(frozen=True)
class LabelledTexts:
    texts: list[str]
    labels: list[str]
    times: list[datetime] | None   # with a time column
    rows: int


def read_labelled(path: str, text_columns: Sequence[str], label: str,
                  time: str | None = None) -> LabelledTexts:
    """The texts (the named columns joined by a line break), labels and times of
    ``path``; CsvProblem for anything that would make the evaluation wrong."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise CsvProblem(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise CsvProblem(f"{path}:{line}: not UTF-8 text (byte {exc.start + 1})") from None
    if not content.strip():
        raise CsvProblem(f"{path}:1: the file is empty: expected a header row naming "
                         f"the columns")
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=_delimiter(content))
    limit = csv.field_size_limit()
    csv.field_size_limit(FIELD_LIMIT)
    try:
        return _read(path, reader, text_columns, label, time)
    except csv.Error as exc:
        raise CsvProblem(f"{path}:{reader.line_num}: not CSV: {exc}") from None
    finally:
        csv.field_size_limit(limit)


def _read(path: str, reader: Any, text_columns: Sequence[str], label: str,
          time: str | None) -> LabelledTexts:
    header = next(reader)
    where = {name.strip(): i for i, name in reversed(list(enumerate(header)))}
    wanted = [*text_columns, label, *([time] if time else [])]
    for name in wanted:
        if name not in where:
            raise CsvProblem(f"{path}:1: no column {name!r} (the header names "
                             f"{', '.join(repr(h) for h in header)})")
    text_at = [where[c] for c in text_columns]
    label_at, time_at = where[label], (where[time] if time else None)
    texts: list[str] = []
    labels: list[str] = []
    times: list[datetime] = []
    line = reader.line_num + 1
    for row in reader:
        start, line = line, reader.line_num + 1
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # a blank line
        if len(row) != len(header):
            raise CsvProblem(f"{path}:{start}: {len(row)} fields, the header has "
                             f"{len(header)}")
        value = row[label_at].strip()
        if not value:
            raise CsvProblem(f"{path}:{start}:{label}: empty label")
        labels.append(value)
        texts.append("\n".join(row[i].replace("\\n", "\n") for i in text_at))
        if time_at is not None:
            times.append(_instant(path, start, str(time), row[time_at]))
    if not labels:
        raise CsvProblem(f"{path}:2: no rows under the header")
    if len(set(labels)) < 2:
        raise CsvProblem(f"{path}:2:{label}: every row has the same label ({labels[0]!r}): "
                         f"there is nothing to predict")
    return LabelledTexts(texts, labels, times if time_at is not None else None, len(labels))


def _delimiter(content: str) -> str:
    """The header row's separator: a comma, else the semicolon or tab an export
    localised for a decimal comma uses (whichever the header holds most of outside
    quotes)."""
    header = content.split("\n", 1)[0]
    bare = "".join(part for i, part in enumerate(header.split('"')) if i % 2 == 0)
    counts = {d: bare.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def _instant(path: str, line: int, column: str, value: str) -> datetime:
    """An ISO 8601 date or date and time; one without an offset is taken as UTC."""
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError:
        raise CsvProblem(f"{path}:{line}:{column}: not a date and time (ISO 8601, e.g. "
                         f"2026-11-26T09:00:00Z): {value!r}") from None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at
