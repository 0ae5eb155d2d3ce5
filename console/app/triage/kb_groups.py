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

import functools
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
# where one step ends and the next begins in a line: a semicolon, a spaced dash, or a
# capitalised word right after a lower-case one ("...a test account Cleared the cache":
# the one-line form, examples.Example.resolution, joins the handoff's lines with spaces)
_PARTS = re.compile(r"\s*;\s*|\s+[-–]\s+|(?<=[a-z])\s+(?=[A-Z][a-z])")
_NOT_STEPS = ("fixed", "resolved", "done", "closed", "solved", "no action needed", "duplicate",
              "confirmed with the customer", "customer confirmed", "confirmed", "works now",
              "erledigt", "gelöst", "behoben", "tried")


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
    """Tickets resolved by near-identical steps, named by their most common steps."""

    steps: tuple[str, ...]     # as someone wrote them: ("Cleared the SSO cache",)
    tickets: tuple[str, ...]   # oldest resolution first
    first: datetime
    last: datetime

    @property
    def phrase(self) -> str:
        """The steps on one line: ``Cleared the SSO cache; Restarted the IdP``."""
        return "; ".join(self.steps)

    def describe(self, period: str = "this month") -> str:
        """``7 tickets this month resolved by clearing the SSO cache``."""
        return f"{len(self.tickets)} tickets {period} resolved {by_steps(self.steps)}"


def _stem(word: str) -> str:
    for end in ("ing", "ed", "es", "s"):
        if word.endswith(end) and len(word) - len(end) >= 3:
            return word[:-len(end)]
    return word


@functools.lru_cache(maxsize=65_536)  # the same steps recur: that is the point
def normalise_step(step: str) -> str:
    """The words of a step that say what was done, for comparing: ``Cleared the SSO
    cache for INC-1002`` → ``clear sso cache``."""
    words = re.findall(r"[^\W_][\w.:/-]*", step.casefold())
    kept = [w.rstrip(".:/-") for w in words]
    return " ".join(_stem(w) for w in kept if w and w not in STOP_WORDS and not _ID.match(w))


_GENERIC = frozenset(normalise_step(s) for s in _NOT_STEPS)


def steps_of(resolution: str) -> list[str]:
    """The steps a resolution line names, as written (``tried:`` left out): its
    sentences, cut again at semicolons, spaced dashes and where a capitalised word
    follows a lower-case one (a person's name after a verb is cut off too: "Called" and
    "Bob back" are two steps)."""
    text = re.sub(r"^\s*tried:\s*", "", resolution, flags=re.IGNORECASE)
    out = []
    for span in split_sentences(text):
        for part in _PARTS.split(span.text):
            part = part.strip().rstrip(".!").strip()
            if part and normalise_step(part) not in _GENERIC:
                out.append(part)
    return out


def by_steps(steps: Sequence[str]) -> str:
    """``by clearing the SSO cache and restarting the IdP``; quoted when a step does not
    start with a verb we know: ``with “Vendor patch 4”``."""
    said = [by_phrase(s) for s in steps]
    if not said or any(not s.startswith("by ") for s in said):
        return f"with “{'; '.join(steps)}”"
    doing = [s[3:] for s in said]
    return "by " + (doing[0] if len(doing) == 1 else
                    f"{', '.join(doing[:-1])} and {doing[-1]}")


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


def _merge(keys: list[str], weights: list[int], threshold: float) -> list[int]:
    """A group number for each key. The keys are taken the most frequent first; each
    joins the group of the most similar earlier leader at TF-IDF cosine ``threshold``
    or above, else leads a group of its own. (Joining leaders only, not any member,
    keeps a chain of small differences from growing one group out of unlike fixes.)"""
    order = sorted(range(len(keys)), key=lambda i: (-weights[i], keys[i]))
    group = list(range(len(keys)))
    if len(keys) < 2:
        return group
    from sklearn.feature_extraction.text import TfidfVectorizer  # slow to import

    matrix = TfidfVectorizer(token_pattern=r"[^\s|]+", sublinear_tf=True).fit_transform(keys)
    leader = [False] * len(keys)
    rank = [0] * len(keys)
    for n, i in enumerate(order):
        rank[i] = n
    for start in range(0, len(order), _CHUNK):
        rows = order[start:start + _CHUNK]
        block = (matrix[rows] @ matrix.T).tocsr()
        for r, i in enumerate(rows):
            found = block.indices[block.indptr[r]:block.indptr[r + 1]]
            values = block.data[block.indptr[r]:block.indptr[r + 1]]
            near = [(float(v), int(j)) for j, v in zip(found, values, strict=True)
                    if v >= threshold and leader[j]]
            if near:
                group[i] = max(near, key=lambda vj: (vj[0], -rank[vj[1]]))[1]
            else:
                leader[i] = True
    return group


def recurring(examples: Iterable[Resolved], since: datetime, threshold: float = THRESHOLD,
              minimum: int = MIN_TICKETS) -> list[Group]:
    """Groups of at least ``minimum`` tickets resolved at or after ``since`` by
    near-identical steps, the largest first (then the most recent)."""
    members: dict[str, list[Resolved]] = {}  # normalised steps -> tickets
    written: dict[str, list[str]] = {}       # normalised step -> spellings
    for e in sorted((e for e in examples if e.resolved_at >= since),
                    key=lambda e: (e.resolved_at, e.ticket)):
        steps = steps_of(e.resolution)
        normal = [normalise_step(s) for s in steps]
        key = " | ".join(dict.fromkeys(n for n in normal if n))  # in the order done
        if key:
            members.setdefault(key, []).append(e)
            for step, n in zip(steps, normal, strict=True):
                written.setdefault(n, []).append(step)
    keys = list(members)
    merged: dict[int, list[str]] = {}
    weights = [len(members[k]) for k in keys]
    for key, group in zip(keys, _merge(keys, weights, threshold), strict=True):
        merged.setdefault(group, []).append(key)
    out = []
    for leader, group_keys in merged.items():
        tickets = sorted((e for k in group_keys for e in members[k]),
                         key=lambda e: (e.resolved_at, e.ticket))
        if len(tickets) < minimum:
            continue
        # named by the leading (most frequent) steps, each in its usual spelling
        names = tuple(_spelling(written[n]) for n in keys[leader].split(" | "))
        out.append(Group(names, tuple(e.ticket for e in tickets), tickets[0].resolved_at,
                         tickets[-1].resolved_at))
    out.sort(key=lambda g: (-len(g.tickets), -g.last.timestamp(), g.phrase))
    return out


def _spelling(spellings: Sequence[str]) -> str:
    """The most common spelling of a step (the shortest of those: the one without a
    ticket's particulars)."""
    counts = Counter(spellings)
    return min(counts, key=lambda s: (-counts[s], len(s), s))
