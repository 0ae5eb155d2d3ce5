"""Sentences cut out of free text, verbatim, and what each one is about.

The summary and the knowledge-base draft quote the ticket's own words, never rewrite
them, so a sentence here is always a slice of the text it came from (``text[start:end]``).
Splitting copes with what tickets hold: abbreviations (``e.g.``, ``z.B.``), version
numbers (``2.3.1``), URLs and addresses, numbered and bulleted lists, one step per line.

Cue words (English, some German) say whether a sentence tells what was tried or what
the customer was promised; anything else is what the customer said or plain history,
depending on who wrote it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

KINDS = ("tried", "promised", "said", "history")

# a period after one of these does not end a sentence (lower case, without the last dot)
ABBREVIATIONS = frozenset({
    "e.g", "i.e", "etc", "vs", "approx", "incl", "excl", "no", "nr", "dr", "mr", "mrs", "ms",
    "prof", "st", "min", "max", "sec", "fig", "cf", "ca", "resp", "dept", "jan", "feb", "mar",
    "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mon", "tue", "wed",
    "thu", "fri", "sat", "sun", "ver", "vol", "corp", "inc", "ltd", "co", "jr", "sr",
    # German
    "z.b", "bzw", "usw", "d.h", "u.a", "evtl", "ggf", "inkl", "zzgl", "bspw", "sog", "vgl",
    "s.o", "s.u", "u.u", "z.t", "o.ä", "hr", "fr", "str", "tel",
})
# ...except these, which end a sentence when a capital letter follows ("..., etc. Then")
ENDS_WHEN_CAPITAL = frozenset({"etc", "usw", "inc", "ltd", "corp", "co"})

# a candidate end: terminal punctuation, closing quotes or brackets, then white space
_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)|\n")
_BULLET = re.compile(r"[ \t]*(?:[-*•–]|\d{1,2}[.)])[ \t]+")
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)

TRIED_CUES = re.compile(
    r"\b(?:tried|try(?:ing)?|attempted|restart(?:ed|ing)?|reboot(?:ed)?|rebooting|"
    r"clear(?:ed|ing)|flush(?:ed|ing)|reset(?:ting)?|reinstall(?:ed|ing)?|reproduc(?:ed|ing)|"
    r"checked|verified|re-?synced|rolled back|roll(?:ing)? back|collected|tested|"
    r"upgraded|downgraded|updated|rotated|re-?indexed|re-?ran|ran|applied|disabled|enabled|"
    r"removed|replaced|searched|"
    # German
    r"versucht|probiert|neu ?gestartet|neugestartet|geleert|gelöscht|zurückgesetzt|"
    r"geprüft|überprüft|neu installiert|aktualisiert|getestet|reproduziert)\b",
    re.IGNORECASE)
PROMISED_CUES = re.compile(
    r"\b(?:we(?:'ll| will| shall)|i(?:'ll| will)|will (?:send|update|call|confirm|follow|"
    r"get back|let you know|keep you|share|provide|deploy|fix)|promised?|committed|"
    r"next update|update (?:by|within|before)|eta|by (?:the )?end of (?:the )?day|"
    r"by (?:tomorrow|monday|tuesday|wednesday|thursday|friday|eod|noon)|within (?:the |an? )?"
    r"(?:hour|day|minutes?|hours|days)|call (?:you )?back|follow[- ]up|"
    # German
    r"wir werden|ich werde|melden (?:uns|mich)|versprochen|zugesagt|rückruf|bis morgen|"
    r"bis (?:heute|ende)|innerhalb (?:der|einer|von))\b",
    re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Span:
    """One sentence of a text: ``text == source[start:end]``."""

    text: str
    start: int
    end: int


def _token_before(text: str, end: int) -> str:
    """The word that ends at ``end`` (the dot excluded), as it was written."""
    start = end
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    return text[start:end]


def _not_an_end(text: str, dot: int, after: int) -> bool:
    """Whether the single period at ``dot`` is inside a sentence, not at its end."""
    word = _token_before(text, dot).lstrip("(\"'“‘[")
    low = word.lower()
    nxt = text[after:].lstrip()[:1]
    if low in ABBREVIATIONS:
        return not (low in ENDS_WHEN_CAPITAL and nxt.isupper())
    if len(word) == 1 and word.isupper() and nxt.isupper():  # an initial: "J. Smith"
        return True
    line_start = text.rfind("\n", 0, dot) + 1
    # a list number at the start of a line: "1. Restarted the sync"
    return word.isdigit() and not text[line_start:dot - len(word)].strip()


def split_sentences(text: str) -> list[Span]:
    """The sentences of ``text``, in order, each a verbatim slice without the white
    space, bullets or list numbers around it. Pieces with no letter are left out."""
    out: list[Span] = []
    start = 0
    for m in _END.finditer(text):
        mark = m.group()
        if mark == "\n":
            end = m.start()
        elif mark.rstrip("\"'”’)]") == "." and _not_an_end(text, m.start(), m.end()):
            continue
        else:
            end = m.end()
        out.extend(_span(text, start, end))
        start = m.end()
    out.extend(_span(text, start, len(text)))
    return out


def _span(text: str, start: int, end: int) -> Iterator[Span]:
    piece = text[start:end]
    lead = len(piece) - len(piece.lstrip())
    start += lead
    bullet = _BULLET.match(text, start, end)
    if bullet:
        start = bullet.end()
    piece = text[start:end].rstrip()
    if piece and _LETTER.search(piece):
        yield Span(piece, start, start + len(piece))


def classify(sentence: str, default: str, *, ours: bool) -> str:
    """``tried``, ``promised``, or ``default`` (``said`` or ``history``). Only our own
    side's words can promise something; a customer's "by the end of the day" is a wish."""
    if ours and PROMISED_CUES.search(sentence):
        return "promised"
    if TRIED_CUES.search(sentence):
        return "tried"
    return default


def normalised(sentence: str) -> str:
    """The sentence for comparing: case-folded words, no punctuation."""
    return " ".join(re.findall(r"\w+", sentence.casefold()))
