"""Recurring issues: resolved tickets grouped by the steps that resolved them.

"7 tickets this month resolved by clearing the SSO cache" is worth a knowledge-base
article, or a bug report. Each ticket's resolution line (``examples.Example.resolution``)
is normalised: lower case; ids, numbers and versions dropped; stop words (English and
German) dropped; a crude stem (``cleared``, ``clearing`` and ``clears`` are one word).
Tickets with the same normalised steps form a group first; then groups whose steps are
near-identical (TF-IDF cosine at or above ``THRESHOLD``) are merged. A group is named by
its most common step, as someone wrote it. Closing words that are not steps ("Fixed.",
"Confirmed with the customer.") group nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from .sentences import split_sentences

THRESHOLD = 0.7
MIN_TICKETS = 2  # one ticket is not a recurring issue
_CHUNK = 2000    # rows of the similarity matrix computed at once

_STOP = """
a an the and or but of to in on for with by at from as is was were be been it its this that
these those we i they he she you our their his her them us me my your after before again
then also so not no yes did do does done has have had all any some per via into onto out
up down over under there here which who what when where how why can could would should
will shall may might must just only still very too more most less same other each both
der die das den dem des ein eine einen einem und oder aber mit von zu im in am an auf für
ist war wurde wurden wir ich sie er es bei nach vor aus dann auch noch nicht kein keine
"""
STOP_WORDS = frozenset(_STOP.split())
_ID = re.compile(r"^(?:[a-z]+-\d+|[0-9a-f]{6,}|v?\d[\w.:/-]*)$")  # INC-1002, hashes, numbers
_IRREGULAR = {"reset": "resetting", "set": "setting", "ran": "running", "run": "running",
              "re-ran": "re-running", "reran": "rerunning", "sent": "sending",
              "send": "sending", "rebuilt": "rebuilding", "made": "making", "put": "putting",
              "got": "getting", "rewrote": "rewriting", "took": "taking"}
# imperatives a step may start with ("Clear the SSO cache")
_VERBS = frozenset({"clear", "restart", "reinstall", "update", "upgrade", "downgrade",
                    "rotate", "flush", "resync", "re-sync", "disable", "enable", "remove",
                    "replace", "roll", "reboot", "reindex", "re-index", "renew", "refresh",
                    "apply", "revoke", "reconnect", "delete", "purge", "restore", "patch"})
_NOT_STEPS = ("fixed", "resolved", "done", "closed", "solved", "no action needed", "duplicate",
              "confirmed with the customer", "customer confirmed", "works now", "erledigt",
              "gelöst", "behoben", "tried")


class Resolved(Protocol):
    """What grouping reads of a resolved ticket (``examples.Example`` fits)."""

    @property
    def ticket(self) -> str: ...
    @property
    def resolved_at(self) -> datetime: ...
    @property
    def resolution(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Group:
    """Tickets resolved by near-identical steps, named by their most common step."""

    phrase: str                # the step as someone wrote it: "Cleared the SSO cache"
    tickets: tuple[str, ...]   # oldest resolution first
    first: datetime
    last: datetime

    def describe(self, period: str = "this month") -> str:
        """``7 tickets this month resolved by clearing the SSO cache``."""
        return f"{len(self.tickets)} tickets {period} resolved {by_phrase(self.phrase)}"


def _stem(word: str) -> str:
    for end in ("ing", "ed", "es", "s"):
        if word.endswith(end) and len(word) - len(end) >= 3:
            return word[:-len(end)]
    return word


def normalise_step(step: str) -> str:
    """The words of a step that say what was done, for comparing: ``Cleared the SSO
    cache for INC-1002`` → ``clear sso cache``."""
    words = re.findall(r"[^\W_][\w.:/-]*", step.casefold())
    kept = [w.rstrip(".:/-") for w in words]
    return " ".join(_stem(w) for w in kept if w and w not in STOP_WORDS and not _ID.match(w))


_GENERIC = frozenset(normalise_step(s) for s in _NOT_STEPS)


def steps_of(resolution: str) -> list[str]:
    """The steps a resolution line names, as written (``tried:`` left out): its
    sentences, and the parts of a sentence separated by semicolons."""
    text = re.sub(r"^\s*tried:\s*", "", resolution, flags=re.IGNORECASE)
    out = []
    for span in split_sentences(text):
        for part in span.text.split(";"):
            part = part.strip().rstrip(".!").strip()
            if part and normalise_step(part) not in _GENERIC:
                out.append(part)
    return out


def by_phrase(phrase: str) -> str:
    """``Cleared the SSO cache`` → ``by clearing the SSO cache``; a step that does not
    start with a verb we know is quoted instead: ``with “Vendor patch 4”``."""
    first, _, rest = phrase.partition(" ")
    word = first.lower()
    if word in _IRREGULAR:
        verb = _IRREGULAR[word]
    elif word.endswith("ied") and len(word) > 4:
        verb = word[:-3] + "ying"
    elif (word.endswith("ed") and len(word) > 4) or word in _VERBS:
        base = word[:-2] if word.endswith("ed") and word not in _VERBS else word
        verb = (base[:-1] if base.endswith("e") and not base.endswith("ee") else base) + "ing"
    elif word.endswith("ing"):
        verb = word
    else:
        return f"with “{phrase}”"
    return f"by {verb} {rest}".rstrip()


def _merge(keys: list[str], threshold: float) -> list[int]:
    """A group number for each key: keys whose TF-IDF cosine is at least ``threshold``
    (directly or through others) share one."""
    parent = list(range(len(keys)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if len(keys) > 1:
        from sklearn.feature_extraction.text import TfidfVectorizer  # slow to import

        matrix = TfidfVectorizer(token_pattern=r"\S+", sublinear_tf=True).fit_transform(keys)
        for start in range(0, len(keys), _CHUNK):
            block = (matrix[start:start + _CHUNK] @ matrix.T).tocoo()
            for i, j, value in zip(block.row, block.col, block.data, strict=True):
                a, b = root(int(i) + start), root(int(j))
                if value >= threshold and a != b:
                    parent[max(a, b)] = min(a, b)
    return [root(i) for i in range(len(keys))]


def recurring(examples: Iterable[Resolved], since: datetime, threshold: float = THRESHOLD,
              minimum: int = MIN_TICKETS) -> list[Group]:
    """Groups of at least ``minimum`` tickets resolved at or after ``since`` by
    near-identical steps, the largest first (then the most recent)."""
    steps: dict[str, list[str]] = {}  # normalised resolution -> tickets' steps
    members: dict[str, list[Resolved]] = {}
    for e in sorted((e for e in examples if e.resolved_at >= since),
                    key=lambda e: (e.resolved_at, e.ticket)):
        written = steps_of(e.resolution)
        key = " ".join(sorted({normalise_step(s) for s in written} - {""}))
        if key:
            members.setdefault(key, []).append(e)
            steps.setdefault(key, []).extend(written)
    keys = list(members)
    merged: dict[int, list[str]] = {}
    for key, group in zip(keys, _merge(keys, threshold), strict=True):
        merged.setdefault(group, []).append(key)
    out = []
    for group_keys in merged.values():
        tickets = sorted((e for k in group_keys for e in members[k]),
                         key=lambda e: (e.resolved_at, e.ticket))
        if len(tickets) < minimum:
            continue
        out.append(Group(_name([s for k in group_keys for s in steps[k]]),
                         tuple(e.ticket for e in tickets), tickets[0].resolved_at,
                         tickets[-1].resolved_at))
    out.sort(key=lambda g: (-len(g.tickets), -g.last.timestamp(), g.phrase))
    return out


def _name(written: Sequence[str]) -> str:
    """The most common step (by its normalised words), in its most common spelling (the
    shortest of those: the one without a ticket's particulars)."""
    common = Counter(normalise_step(s) for s in written).most_common(1)[0][0]
    spellings = Counter(s for s in written if normalise_step(s) == common)
    return min(spellings, key=lambda s: (-spellings[s], len(s), s))
