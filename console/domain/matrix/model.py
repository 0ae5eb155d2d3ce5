"""The matrix as validated, immutable domain objects.

Over 400 lines on purpose: one small frozen dataclass per record of the matrix file,
so the types of the whole format read in one place; building and checking them is
in build.py and semantics.py."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from ..calendar import CalendarSpec


@dataclass(frozen=True, slots=True)
class NumRange:
    gt: float | None = None
    gte: float | None = None
    lt: float | None = None
    lte: float | None = None

    def contains(self, x: float) -> bool:
        return not (
            (self.gt is not None and x <= self.gt) or (self.gte is not None and x < self.gte)
            or (self.lt is not None and x >= self.lt) or (self.lte is not None and x > self.lte)
        )

    def bounds(self) -> tuple[float, bool, float, bool]:
        """(low, low_inclusive, high, high_inclusive) with infinities for open ends."""
        low, low_inc = float("-inf"), True
        if self.gte is not None:
            low, low_inc = self.gte, True
        if self.gt is not None and (self.gt >= low):
            low, low_inc = self.gt, False
        high, high_inc = float("inf"), True
        if self.lte is not None:
            high, high_inc = self.lte, True
        if self.lt is not None and self.lt <= high:
            high, high_inc = self.lt, False
        return low, low_inc, high, high_inc

    def is_empty(self) -> bool:
        low, low_inc, high, high_inc = self.bounds()
        return low > high or (low == high and not (low_inc and high_inc))

    def within(self, other: NumRange) -> bool:
        """Every number in self is also in other."""
        if self.is_empty():
            return True
        a_lo, a_li, a_hi, a_hi_inc = self.bounds()
        b_lo, b_li, b_hi, b_hi_inc = other.bounds()
        low_ok = a_lo > b_lo or (a_lo == b_lo and (b_li or not a_li))
        high_ok = a_hi < b_hi or (a_hi == b_hi and (b_hi_inc or not a_hi_inc))
        return low_ok and high_ok

    def describe(self, noun: str) -> str:
        parts = []
        for op, word in (("gt", "over"), ("gte", "at least"), ("lt", "under"),
                         ("lte", "at most")):
            value = getattr(self, op)
            if value is not None:
                parts.append(f"{word} {value:g}")
        return f"{noun} {' and '.join(parts)}"


@dataclass(frozen=True, slots=True)
class SentimentRule:
    below: float | None = None
    phrases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SlaCondition:
    clock: str
    state: str  # pre_breach | breached


# A word is letters and digits, and hyphens inside it: "down" is not found in
# "drop-down" or "download". Apostrophes and quotes end a word, so "customer" is
# found in "customer's" and in 'customer'.
_WORD_CHAR = r"[\w-]"
_BEFORE, _AFTER = rf"(?<!{_WORD_CHAR})", rf"(?!{_WORD_CHAR})"
# Between the words of a phrase: spaces and punctuation, but not the end of a sentence.
_BETWEEN = r"[^\w\-.!?]+"
GAP_WORDS = 3  # `...` in a phrase stands for up to this many other words
GAP_TOKENS = ("...", "\u2026")
_GAP = rf"(?:{_BETWEEN}{_WORD_CHAR}+){{0,{GAP_WORDS}}}{_BETWEEN}"


def _word_regex(token: str) -> str:
    stem = token.removesuffix("*")
    star = token.endswith("*")
    body = re.escape(stem) + (f"{_WORD_CHAR}*" if star else "")
    before = _BEFORE if re.fullmatch(_WORD_CHAR, stem[:1]) else ""
    after = _AFTER if star or re.fullmatch(_WORD_CHAR, stem[-1:]) else ""
    return before + body + after


def normalize_text(text: str) -> str:
    """Typographic apostrophes read as plain ones, for patterns and text alike."""
    return text.replace("\u2019", "'").replace("\u2018", "'")


@dataclass(frozen=True, slots=True)
class WordPattern:
    """A word or phrase found in a ticket's title and text: whole words only, any case.

    ``fail*`` ends in any letters (fails, failed, failing); ``all ... customers`` allows
    up to three other words between ``all`` and ``customers``."""

    text: str
    regex: re.Pattern[str] = field(compare=False, repr=False)

    @classmethod
    def parse(cls, text: str) -> WordPattern:
        """Compile a pattern the structural check accepted (format.WORDS_PATTERN)."""
        words: list[str] = []
        gap = False
        for token in normalize_text(text).split():
            if token in GAP_TOKENS:
                gap = True
                continue
            if words:
                words.append(_GAP if gap else _BETWEEN)
            words.append(_word_regex(token))
            gap = False
        return cls(text, re.compile("".join(words), re.IGNORECASE))

    def find(self, text: str) -> tuple[int, int] | None:
        """Where in ``text`` the pattern first matches (start, end); None if absent."""
        found = self.regex.search(normalize_text(text))
        return found.span() if found else None

    def tokens(self) -> tuple[str, ...]:
        return tuple(normalize_text(self.text).lower().split())


@dataclass(frozen=True, slots=True)
class Conditions:
    users_affected_pct: NumRange | None = None
    workaround: frozenset[str] | None = None
    revenue_risk: bool | None = None
    security_breach: bool | None = None
    account_tier: frozenset[str] | None = None
    category: frozenset[str] | None = None
    keywords: tuple[str, ...] = ()
    words: tuple[WordPattern, ...] = ()
    severity: frozenset[str] | None = None
    tier: frozenset[str] | None = None
    unresolved_for: timedelta | None = None
    sentiment: SentimentRule | None = None
    sla: SlaCondition | None = None


@dataclass(frozen=True, slots=True)
class Criterion:
    when: Conditions
    reason: str


@dataclass(frozen=True, slots=True)
class Targets:
    calendar: str
    response: timedelta | None
    update: timedelta | None
    resolution: timedelta | None


@dataclass(frozen=True, slots=True)
class TwoStage:
    initial: timedelta
    confirm: timedelta


@dataclass(frozen=True, slots=True)
class RoleDuty:
    role: str
    duty: str = ""


@dataclass(frozen=True, slots=True)
class Severity:
    id: str
    name: str
    color: str
    rank: int  # 0 = most severe
    issue: str = ""
    criteria: tuple[Criterion, ...] = ()
    targets: Targets = Targets("24x7", None, None, None)
    pre_breach: dict[str, timedelta] = field(default_factory=dict)
    two_stage: TwoStage | None = None
    route_to: str | None = None
    roles: dict[str, RoleDuty] = field(default_factory=dict)
    notify: str | None = None
    decision: str | None = None

    _targets: dict[str, timedelta] = field(default_factory=dict, compare=False, repr=False)
    _leads: dict[str, timedelta] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        # targets and leads are read for every clock of every ticket: compute them once
        t = self.targets
        found = {"response": t.response, "update": t.update, "resolution": t.resolution}
        if self.two_stage is not None:
            found["initial_severity"] = self.two_stage.initial
            found["confirmation"] = self.two_stage.confirm
        for clock, target in found.items():
            if target is None:
                continue
            self._targets[clock] = target
            default = target / 3 if target <= timedelta(minutes=30) else timedelta(minutes=15)
            self._leads[clock] = self.pre_breach.get(clock, default)

    def target(self, clock: str) -> timedelta | None:
        return self._targets.get(clock)

    def lead_time(self, clock: str) -> timedelta | None:
        """Pre-breach lead: explicit, else 15 minutes, or a third of targets of 30m or less."""
        return self._leads.get(clock)


@dataclass(frozen=True, slots=True)
class Tier:
    id: str
    name: str
    level: int


@dataclass(frozen=True, slots=True)
class Team:
    id: str
    name: str
    tier: str
    function: str


@dataclass(frozen=True, slots=True)
class Role:
    id: str
    name: str
    tier: str | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    id: str
    name: str
    role: str | None = None
    team: str | None = None
    addresses: dict[str, str] = field(default_factory=dict)
    on_call: str | None = None  # a rotation id: the contact is whoever is on call
    on_call_offset: int = 0
    hours: str | None = None  # a calendar id: the person's working hours (what-if's nights)


@dataclass(frozen=True, slots=True)
class Rotation:
    """Members take turns of ``shift`` from ``start``; or an iCalendar file decides."""

    id: str
    members: tuple[str, ...] = ()
    shift: timedelta | None = None
    start: datetime | None = None  # aware
    ical: str | None = None
    description: str = ""

    def on_call(self, at: datetime, offset: int = 0) -> str | None:
        """The member on call at ``at`` (``offset`` 1 = the next in turn); None for an
        iCalendar rotation, which the app resolves from the file."""
        if not self.members or self.shift is None or self.start is None:
            return None
        turns = int((at - self.start) // self.shift)
        return self.members[(turns + offset) % len(self.members)]


@dataclass(frozen=True, slots=True)
class HandoffTemplate:
    category: str
    required: tuple[str, ...] = ()
    prompts: dict[str, str] = field(default_factory=dict)
    checklist: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ChainStep:
    primary: str
    channel: str
    backup: str | None = None
    cc: tuple[str, ...] = ()
    ack_timeout: timedelta | None = None


@dataclass(frozen=True, slots=True)
class Chain:
    id: str
    steps: tuple[ChainStep, ...]
    repeat: int = 1
    next: str | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class Escalate:
    kind: str  # functional | hierarchical
    team: str | None = None
    to: str | None = None  # "up", a tier id


@dataclass(frozen=True, slots=True)
class Notify:
    chain: str


@dataclass(frozen=True, slots=True)
class BumpSeverity:
    levels: int = 1
    to: str | None = None


@dataclass(frozen=True, slots=True)
class RequireHandoff:
    pass


@dataclass(frozen=True, slots=True)
class Prioritize:
    level: str = "high"


Action = Escalate | Notify | BumpSeverity | RequireHandoff | Prioritize


@dataclass(frozen=True, slots=True)
class Trigger:
    id: str
    when: Conditions
    then: tuple[Action, ...]
    description: str = ""


@dataclass(frozen=True, slots=True)
class Authority:
    action: str
    role: str
    limit: float | None = None
    unit: str = ""
    severities: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class Kpis:
    """What reports judge against (the ``kpis:`` section; the defaults are the seed
    article's), and what they need of the rest of the matrix: the level of the tier
    whose resolution rate is targeted, and the severities in order."""

    escalation_target: float = 0.10
    team_flag: float = 0.15
    agent_flag: float = 0.20
    t1_resolution_target: float = 0.50
    first_tier: str = "T1"
    first_tier_level: int = 1
    severities: tuple[str, ...] = ("P1", "P2", "P3", "P4")


@dataclass(frozen=True, slots=True)
class ReportSchedule:
    """The weekly report email (the ``reports:`` section): to whom, on which weekday
    (0 = Monday) and at what time in ``timezone``. No recipients: no email."""

    recipients: tuple[str, ...] = ()
    weekday: int = 0
    send_at: time = time(8, 0)
    timezone: str = "UTC"


@dataclass(frozen=True, slots=True)
class TriageSettings:
    """Triage assistance in the intake form (the ``triage:`` section): whether suggestions
    are shown, and the confidence (0 to 1) at or above which a team suggestion
    pre-selects the team. None: a suggestion never pre-selects anything."""

    suggest: bool = True
    preselect_team_above: float | None = None


@dataclass(frozen=True, slots=True)
class Matrix:
    schema_version: int
    name: str
    calendars: dict[str, CalendarSpec]
    tiers: tuple[Tier, ...]
    teams: tuple[Team, ...]
    severities: tuple[Severity, ...]
    description: str = ""
    roles: tuple[Role, ...] = ()
    contacts: tuple[Contact, ...] = ()
    chains: dict[str, Chain] = field(default_factory=dict)
    default_severity: str | None = None
    intake_team: str | None = None
    triggers: tuple[Trigger, ...] = ()
    authority: tuple[Authority, ...] = ()
    layout: dict[str, tuple[float, float]] = field(default_factory=dict)
    rotations: dict[str, Rotation] = field(default_factory=dict)
    handoff_templates: dict[str, HandoffTemplate] = field(default_factory=dict)
    kpis: Kpis = field(default_factory=Kpis)
    reports: ReportSchedule = field(default_factory=ReportSchedule)
    triage: TriageSettings = field(default_factory=TriageSettings)
    source: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    _by_id: dict[str, Severity] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        # severity() is on every clock computation's path: index it once
        self._by_id.update({s.id: s for s in self.severities})

    def severity(self, severity_id: str) -> Severity:
        return self._by_id[severity_id]

    def has_severity(self, severity_id: str) -> bool:
        return severity_id in self._by_id

    def contact(self, contact_id: str) -> Contact:
        return next(c for c in self.contacts if c.id == contact_id)

    def handoff_template(self, category: str) -> HandoffTemplate:
        """The category's template, else `default`, else an empty one."""
        return (self.handoff_templates.get(category) or self.handoff_templates.get("default")
                or HandoffTemplate("default"))

    def tier(self, tier_id: str) -> Tier:
        return next(t for t in self.tiers if t.id == tier_id)

    def team(self, team_id: str) -> Team:
        return next(t for t in self.teams if t.id == team_id)

    def tiers_by_level(self) -> list[Tier]:
        return sorted(self.tiers, key=lambda t: t.level)

    def tier_above(self, tier_id: str) -> Tier | None:
        """The next tier up the hierarchy, or None at the top."""
        level = self.tier(tier_id).level
        higher = [t for t in self.tiers_by_level() if t.level > level]
        return higher[0] if higher else None

    def first_team_in_tier(self, tier_id: str, function: str | None = None) -> Team | None:
        teams = [t for t in self.teams if t.tier == tier_id]
        preferred = [t for t in teams if function and t.function == function]
        found = preferred or teams
        return found[0] if found else None

    def approvers(self, action: str, amount: float | None = None,
                  severity: str | None = None) -> list[Authority]:
        """Authority rows that allow ``action`` (at ``amount``), lowest limit first."""
        rows = [a for a in self.authority if a.action == action
                and (a.severities is None or severity is None or severity in a.severities)
                and (amount is None or a.limit is None or amount <= a.limit)]
        return sorted(rows, key=lambda a: float("inf") if a.limit is None else a.limit)
