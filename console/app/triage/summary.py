"""The extractive summary that pre-fills a handoff's "Triage context".

Every sentence is quoted verbatim from one of the ticket's events (the intake's title
and text, the customer's messages, updates sent, handoff fields, notes and reasons) and
keeps that event's id and time, so the next person can find where it came from. Nothing
is paraphrased: the agent edits the text in the form before sending.

What gets in, at most ``limit`` sentences and ``max_chars`` characters of them: what was
tried and what the customer was promised first, then what the customer said, then the
rest of the history, later events before earlier ones; a sentence said twice is quoted
once, from the event that said it first.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from console.domain.handoff import IdentifiedEvent

from .sentences import KINDS, classify, normalised, split_sentences

LIMIT = 8
MAX_CHARS = 1200
LONGEST = 400  # a longer "sentence" is a pasted log or a wall of text: not quoted
LABELS = {"tried": "Tried", "promised": "Promised", "said": "Customer said",
          "history": "History"}
_WEIGHT = {"tried": 4.0, "promised": 4.0, "said": 3.0, "history": 1.0}
# handoff fields quoted, with the kind a sentence has when no cue word says otherwise;
# ``customer`` (who they are) and ``context`` (an earlier summary) are not quoted
_HANDOFF = (("steps_tried", "tried"), ("next_steps", "history"), ("summary", "history"),
            ("details", "history"), ("history", "history"), ("reason", "history"))
_GENERIC = ("note", "text", "reason")  # what any other kind of event may say


@dataclass(frozen=True, slots=True)
class Sentence:
    """One quoted sentence: ``text`` is a verbatim slice of a field of event ``event_id``."""

    text: str
    event_id: str
    at: datetime
    kind: str  # one of KINDS


@dataclass(frozen=True, slots=True)
class _Candidate:
    sentence: Sentence
    score: float
    order: tuple[int, int, int]  # event, field, position: the chronological order


def _fields(kind: str, p: dict[str, Any]) -> Iterator[tuple[str, str, bool]]:
    """(text, default kind, written by our side) for each quotable field of an event."""
    def text(key: str) -> str:
        value = p.get(key)
        return value if isinstance(value, str) else ""

    if kind == "opened":
        yield text("title"), "history", False
        yield text("text"), "said", False
    elif kind == "message":
        customer = (p.get("from") or "customer") == "customer"
        yield text("text"), "said" if customer else "history", not customer
    elif kind == "update_sent":
        yield text("text"), "history", True
    elif kind == "handoff_submitted":
        for key, default in _HANDOFF:
            yield text(key), default, True
    elif kind == "resolved":
        yield text("note"), "history", True
        yield text("resolution_note"), "history", True
        if " " in text("resolution").strip():  # a sentence, not a code such as "fixed"
            yield text("resolution"), "history", True
    elif kind == "severity":
        if p.get("by") not in ("intake", "trigger"):  # the engine's own words: no news
            yield text("reason"), "history", True
    elif kind != "matrix_published":
        for key in _GENERIC:
            yield text(key), "history", True


def _candidates(history: Sequence[IdentifiedEvent]) -> list[_Candidate]:
    events = sorted(enumerate(history), key=lambda ie: (ie[1].at, ie[0]))
    n = max(len(events) - 1, 1)
    out: list[_Candidate] = []
    seen: set[str] = set()
    for rank, (_, event) in enumerate(events):
        for f, (text, default, ours) in enumerate(_fields(event.kind, event.payload)):
            for position, span in enumerate(split_sentences(text)):
                key = normalised(span.text)
                if key in seen or len(span.text) > LONGEST:
                    continue
                seen.add(key)  # the first event to say it is its source
                kind = "tried" if default == "tried" else classify(span.text, default,
                                                                   ours=ours)
                score = _WEIGHT[kind] + rank / n - (0.5 if len(key.split()) < 3 else 0)
                out.append(_Candidate(Sentence(span.text, event.id, event.at, kind), score,
                                      (rank, f, position)))
    return out


def summarise(history: Sequence[IdentifiedEvent], limit: int = LIMIT,
              max_chars: int = MAX_CHARS) -> list[Sentence]:
    """The ticket's most useful sentences, oldest first: at most ``limit`` of them and
    ``max_chars`` characters of text in all. Each is a verbatim sentence of one event
    (a StoredEvent fits), linked to it by id."""
    chosen: list[_Candidate] = []
    used = 0
    keys: list[str] = []
    for c in sorted(_candidates(history), key=lambda c: (-c.score, c.order)):
        if len(chosen) >= limit:
            break
        key = normalised(c.sentence.text)
        if used + len(c.sentence.text) > max_chars or any(key in k or k in key for k in keys):
            continue  # too long for what is left, or it repeats a chosen sentence
        chosen.append(c)
        keys.append(key)
        used += len(c.sentence.text)
    return [c.sentence for c in sorted(chosen, key=lambda c: c.order)]


def reference(sentence: Sentence, tz: tzinfo | None = None, *, with_date: bool = False
              ) -> str:
    """``[event 3f2a1b2c, 14:05]``: the event's id (its first 8 characters) and time."""
    when = sentence.at.astimezone(tz).strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")
    return f"[event {sentence.event_id[:8]}, {when}]"


def summary_text(sentences: Sequence[Sentence], tz: tzinfo | None = None) -> str:
    """The summary as the handoff form's plain text: one line per sentence, what was
    tried first, then what was promised, what the customer said and the history, each
    line ending with its event's reference (with the date when the sentences span
    more than one day)."""
    days = {s.at.astimezone(tz).date() for s in sentences}
    lines = [f"{LABELS[kind]}: {s.text} {reference(s, tz, with_date=len(days) > 1)}"
             for kind in KINDS for s in sentences if s.kind == kind]
    return "\n".join(lines)
