"""A knowledge-base article drafted from a resolved ticket ("Capture as KB article").

The draft quotes the ticket's own words (docs/triage.md): its symptoms, the versions it
names, the steps our side took and the resolution note. Similar tickets are linked by id
and title only, never with their text, account or people, so a draft says nothing about
other customers. E-mail addresses, phone numbers and the ticket's own account name are
scrubbed from everything quoted, in case the draft is shared beyond the team.

``write_kb_draft`` writes the Markdown into a folder (the settings' KB folder), under a
name made of the ticket id and its title, atomically and never over an earlier draft.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import tzinfo
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from console.domain.handoff import EventLike

from .sentences import classify, normalised, split_sentences

LINK_SCHEME = "escalation-console"  # as the notifications' "open" links (notify/message.py)
SLUG_CHARS = 60

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w.-])\+?\(?\d[\d ()./-]{5,}\d(?![\w-])")
_VERSION_LIKE = re.compile(r"\d+(?:\.\d+)+")  # versions and IP addresses
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{2,4}")
_VERSION = re.compile(
    r"(?<![\w.])(?P<v>[vV])?(?P<n>\d{1,4}(?:\.\d{1,4}){1,3})(?P<x>[-+][0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*)?"
    r"(?![\w%]|\.\d)")
_VERSION_WORDS = re.compile(r"(?:version|release|build|ver\.?|upgrade[ds]?|updated?|"
                            r"patch|firmware|app|client|versión|Version|Release)\s*$",
                            re.IGNORECASE)


@runtime_checkable
class SimilarTicket(Protocol):
    """What a similar ticket is linked by (``suggest.Similar`` fits)."""

    @property
    def ticket(self) -> str: ...
    @property
    def title(self) -> str: ...


class _Ticketed(EventLike, Protocol):
    @property
    def ticket(self) -> str: ...


# -- scrubbing -------------------------------------------------------------------------
def scrub(text: str, names: Iterable[str] = ()) -> str:
    """``text`` without e-mail addresses, phone numbers or any of ``names`` (an account,
    a person), each replaced by what it was: ``[e-mail]``, ``[phone]``, ``the customer``."""
    text = _EMAIL.sub("[e-mail]", text)
    text = _PHONE.sub(_phone, text)
    for name in sorted({n.strip() for n in names if len(n.strip()) > 1}, key=len,
                       reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", "the customer", text,
                      flags=re.IGNORECASE)
    return text


def _phone(m: re.Match[str]) -> str:
    """``[phone]`` for a phone number; a version, an IP address or a date stays."""
    found = m.group()
    if (sum(c.isdigit() for c in found) < 7 or _VERSION_LIKE.fullmatch(found)
            or _DATE.search(found)):
        return found
    return "[phone]"


def affected_versions(texts: Iterable[str]) -> list[str]:
    """Version numbers the texts name, in order of first mention: ``v2.3``, ``2.3.1``,
    or ``4.2`` after a word such as "version" or "release" (so that "3.5 hours" and
    an IP address are not versions)."""
    out: dict[str, None] = {}
    for text in texts:
        for m in _VERSION.finditer(text):
            parts = m.group("n").count(".") + 1
            named = bool(_VERSION_WORDS.search(text[max(0, m.start() - 24):m.start()]))
            if m.group("v") or named or parts == 3:
                out.setdefault(m.group(), None)
    return list(out)


# -- the draft -------------------------------------------------------------------------
def _text(p: dict[str, Any], key: str) -> str:
    value = p.get(key)
    return value if isinstance(value, str) else ""


def _sentences(texts: Iterable[str]) -> list[str]:
    """The texts' sentences, each once."""
    seen: set[str] = set()
    out = []
    for text in texts:
        for span in split_sentences(text):
            key = normalised(span.text)
            if key and key not in seen:
                seen.add(key)
                out.append(span.text)
    return out


def _steps(history: Sequence[EventLike]) -> list[str]:
    """What our side did, in order: the handoffs' steps tried, tried-sounding sentences
    of updates and our notes, then the resolving note."""
    steps: list[str] = []
    notes: list[str] = []
    for e in history:
        p = e.payload
        if e.kind == "handoff_submitted":
            steps.append(_text(p, "steps_tried"))
        elif e.kind in ("update_sent", "note") or (
                e.kind == "message" and (p.get("from") or "customer") != "customer"):
            steps.extend(s.text for s in split_sentences(_text(p, "text") or _text(p, "note"))
                         if classify(s.text, "history", ours=True) == "tried")
        elif e.kind == "resolved":
            notes = [_text(p, "note"), _text(p, "resolution_note")]
    return _sentences([*steps, *notes])


def _reference(item: SimilarTicket | Sequence[_Ticketed]) -> tuple[str, str, list[str]]:
    """(ticket id, title, names to scrub from the title) of a similar ticket, given as a
    ``Similar`` or as its history."""
    if isinstance(item, SimilarTicket):
        return str(item.ticket), str(item.title), []
    opened = next((e for e in item if e.kind == "opened"), None)
    if opened is None:
        return (item[0].ticket if item else "?"), "", []
    return (opened.ticket, _text(opened.payload, "title"),
            [_text(opened.payload, "account")])


def kb_draft(history: Sequence[_Ticketed],
             similar: Sequence[SimilarTicket | Sequence[_Ticketed]] = (),
             tz: tzinfo | None = None, private: Iterable[str] = ()) -> str:
    """The Markdown draft of one ticket's history (a StoredEvent fits): title, symptoms,
    affected versions, the steps that resolved it, and links to ``similar`` tickets
    (``suggest.Similar`` items, or their histories) by id and title only. ``private``
    names (the similar tickets' accounts, which a title may hold) are scrubbed too."""
    if not history:
        raise ValueError("a KB draft needs the ticket's events; the history is empty")
    ticket = history[0].ticket
    opened = next((e.payload for e in history if e.kind == "opened"), {})
    names = [_text(opened, "account"), *private]
    resolved = [e.at for e in history if e.kind == "resolved"]
    title = scrub(_text(opened, "title").strip(), names) or f"Ticket {ticket}"
    when = (f"resolved {resolved[-1].astimezone(tz):%Y-%m-%d}" if resolved
            else "not resolved yet")
    symptoms = _sentences([_text(opened, "text"), *(
        _text(e.payload, "details") for e in history if e.kind == "handoff_submitted")])
    versions = affected_versions([_text(opened, "title"), _text(opened, "text"), *(
        str(v) for e in history if e.kind != "opened" for v in e.payload.values()
        if isinstance(v, str))])
    steps = _steps(history)
    lines = [f"# {title}", "",
             f"_Knowledge-base draft from ticket {ticket}, {when}. Check it before "
             "publishing._", "", "## Symptoms", ""]
    lines += [f"- {scrub(s, names)}" for s in symptoms] or ["- (the ticket has no "
                                                           "description)"]
    lines += ["", "## Affected versions", ""]
    lines += [f"- {v}" for v in versions] or ["- None named in the ticket."]
    lines += ["", "## Steps that resolved it", ""]
    lines += [f"{n}. {scrub(s, names)}" for n, s in enumerate(steps, 1)] or [
        "- (no steps recorded: add them)"]
    lines += ["", "## Similar tickets", ""]
    links = []
    for item in similar:
        other, other_title, other_names = _reference(item)
        if other == ticket:
            continue
        shown = scrub(" ".join(other_title.split()), [*other_names, *names]) or "(no title)"
        links.append(f"- [{other}]({LINK_SCHEME}://ticket/{other}): {shown}")
    lines += links or ["- None found."]
    return "\n".join(lines) + "\n"


# -- writing ---------------------------------------------------------------------------
def slug(text: str, limit: int = SLUG_CHARS) -> str:
    """``SSO login fails after 2.3.1!`` → ``sso-login-fails-after-2-3-1``."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    out = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
    return out[:limit].rstrip("-")


def _title_of(markdown: str) -> str:
    first = next((line for line in markdown.splitlines() if line.startswith("# ")), "")
    return first[2:]


def write_kb_draft(folder: Path, ticket: str, markdown: str) -> Path:
    """Write ``markdown`` as ``<ticket>-<slug of its title>.md`` in ``folder`` (made if
    missing) and return the path. The file appears whole or not at all (a temporary
    file, then a link to its name); an existing draft is kept and the new one is
    named ``...-2.md``, ``...-3.md``. OSError when the folder cannot be written."""
    folder.mkdir(parents=True, exist_ok=True)
    safe_ticket = re.sub(r"[^A-Za-z0-9_-]+", "-", ticket).strip("-") or "ticket"
    stem = "-".join(p for p in (safe_ticket, slug(_title_of(markdown))) if p)
    fd, temp = tempfile.mkstemp(prefix=".kb-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(markdown)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, 0o644)  # a draft to share, unlike mkstemp's 0600
        for n in range(1, 10_000):
            path = folder / (f"{stem}.md" if n == 1 else f"{stem}-{n}.md")
            try:
                os.link(temp, path)  # fails on an existing name: never overwrites
            except FileExistsError:
                continue
            except OSError:  # no hard links here (some network and FAT file systems)
                if path.exists():
                    continue
                os.replace(temp, path)
            return path
        raise FileExistsError(17, "too many drafts of this ticket", str(folder / stem))
    finally:
        Path(temp).unlink(missing_ok=True)
