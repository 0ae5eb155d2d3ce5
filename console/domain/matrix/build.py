"""Plain records -> a validated Matrix, collecting every semantic problem.

Over 400 lines on purpose: one builder walks the file once and checks each record where
it is built. The severity rules' semantics (contradictions, shadowed rules) live in
``semantics.py``."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from ..calendar import CalendarSpec
from ..durations import format_duration, parse_duration
from . import model as m
from .format import SCHEMA_VERSION, WEEKDAYS, WORDS_PATTERN
from .semantics import redundant_rules
from .spec import Problem
from .yamlpos import Path

_HOURS = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")
# What a malformed record raises while it is built; the structural check reported it.
_MALFORMED = (KeyError, TypeError, ValueError, AttributeError)


class _Builder:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.problems: list[Problem] = []
        self.failure: Exception | None = None

    def problem(self, path: Path, message: str) -> None:
        self.problems.append(Problem(path, message))

    @contextmanager
    def record(self) -> Iterator[None]:
        """Build one record; a malformed one is skipped so the rest are still checked."""
        try:
            yield
        except _MALFORMED as exc:
            self.failure = self.failure or exc

    def items(self, key: str) -> list[tuple[int, Any]]:
        value = self.data.get(key)
        return list(enumerate(value)) if isinstance(value, list) else []

    # -- ids and references -------------------------------------------------
    def unique_ids(self, key: str) -> set[str]:
        seen: set[str] = set()
        for i, item in self.items(key):
            ident = item.get("id") if isinstance(item, dict) else None
            if not isinstance(ident, str):
                continue
            if ident in seen:
                self.problem((key, i, "id"), f"duplicate id {ident!r}")
            seen.add(ident)
        return seen

    def ref(self, value: str | None, known: set[str] | dict[str, Any], what: str,
            path: Path) -> None:
        if isinstance(value, str) and value not in known:
            import difflib
            close = difflib.get_close_matches(value, list(known), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            self.problem(path, f"unknown {what} {value!r}{hint}")

    # -- pieces ----------------------------------------------------------------
    def calendar(self, cid: str, raw: dict[str, Any]) -> CalendarSpec:
        path: Path = ("calendars", cid)
        try:
            ZoneInfo(raw["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            self.problem((*path, "timezone"), f"unknown time zone {raw['timezone']!r}")
            raw = {**raw, "timezone": "UTC"}
        weekly: list[tuple[int, dt.time, dt.time]] = []
        rejected = False
        hours = raw["hours"]
        if hours != "always":
            for day_index, day in enumerate(WEEKDAYS):
                spans = hours.get(day) or []
                spans = [] if spans == "closed" else [spans] if isinstance(spans, str) else spans
                for j, span in enumerate(spans):
                    index = (j,) if isinstance(hours.get(day), list) else ()
                    where = (*path, "hours", day, *index)
                    parsed = self.span(span, where)
                    if parsed:
                        weekly.append((day_index, *parsed))
                    rejected = rejected or not parsed
            if not weekly and not rejected:
                self.problem((*path, "hours"), "the calendar is never open")
        hol = raw.get("holidays") or {}
        country, subdiv = hol.get("country"), hol.get("subdivision")
        if country is not None:
            supported = holidays.list_supported_countries()
            if country not in supported:
                self.problem((*path, "holidays", "country"),
                             f"unknown holiday country {country!r}")
                country = None
            elif subdiv is not None and subdiv not in supported[country]:
                self.problem((*path, "holidays", "subdivision"),
                             f"{country} has no subdivision {subdiv!r}")
                subdiv = None
        elif subdiv is not None:
            self.problem((*path, "holidays", "subdivision"), "a subdivision needs a country")
        dates = frozenset(d if isinstance(d, dt.date) else dt.date.fromisoformat(d)
                          for d in hol.get("dates") or [])
        return CalendarSpec(id=cid, timezone=raw["timezone"], always=hours == "always",
                            weekly=tuple(weekly), holiday_country=country,
                            holiday_subdivision=subdiv, holiday_dates=dates)

    def span(self, text: str, path: Path) -> tuple[dt.time, dt.time] | None:
        found = _HOURS.fullmatch(text.strip()) if isinstance(text, str) else None
        if found is None:
            return None  # not hours at all: the structural check reported it
        h1, m1, h2, m2 = (int(x) for x in found.groups())
        if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2):
            self.problem(path, f"{text!r} is not a valid time range")
            return None
        start, end = dt.time(h1, m1), dt.time(0) if h2 == 24 else dt.time(h2, m2)
        if end != dt.time(0) and end <= start:
            self.problem(path, f"{text!r} ends before it starts")
            return None
        return start, end

    def conditions(self, raw: dict[str, Any], path: Path) -> m.Conditions:
        def as_set(value: Any) -> frozenset[str] | None:
            if value is None:
                return None
            return frozenset([value] if isinstance(value, str) else value)

        written = raw.get("users_affected_pct")
        users: m.NumRange | None = None  # anything else was reported structurally
        if isinstance(written, int | float) and not isinstance(written, bool):
            users = m.NumRange(gte=written, lte=written)
        elif isinstance(written, dict):
            users = m.NumRange(**written)
            if users.is_empty():
                self.problem((*path, "users_affected_pct"),
                             "this range contradicts itself: no value can match it")
        sentiment = raw.get("sentiment")
        sla = raw.get("sla")
        return m.Conditions(
            users_affected_pct=users,
            workaround=as_set(raw.get("workaround")),
            revenue_risk=raw.get("revenue_risk"),
            security_breach=raw.get("security_breach"),
            account_tier=as_set(raw.get("account_tier")),
            category=as_set(raw.get("category")),
            keywords=tuple(k.lower() for k in _listed(raw.get("keywords"))),
            words=tuple(m.WordPattern.parse(w) for w in _listed(raw.get("words"))
                        if isinstance(w, str) and re.fullmatch(WORDS_PATTERN, w)),
            severity=as_set(raw.get("severity")),
            tier=as_set(raw.get("tier")),
            unresolved_for=_dur(raw.get("unresolved_for")),
            sentiment=None if sentiment is None else m.SentimentRule(
                below=sentiment.get("below"),
                phrases=tuple(p.lower() for p in _listed(sentiment.get("phrases")))),
            sla=None if sla is None else m.SlaCondition(sla["clock"], sla["state"]),
        )

    def severity(self, rank: int, raw: dict[str, Any]) -> m.Severity:
        path: Path = ("severities", rank)
        t = raw["targets"]
        targets = m.Targets(t["calendar"], _dur(t.get("response")), _dur(t.get("update")),
                            _dur(t.get("resolution")))
        if targets.response is None and "response" not in t:
            self.problem((*path, "targets"), "a severity needs a response target")
        if targets.response and targets.resolution and targets.resolution < targets.response:
            self.problem((*path, "targets", "resolution"),
                         f"{format_duration(targets.resolution)} is shorter than the response "
                         f"target {format_duration(targets.response)}")
        two = raw.get("two_stage")
        sev = m.Severity(
            id=raw["id"], name=raw["name"], color=raw["color"], rank=rank,
            issue=raw.get("issue", ""),
            criteria=tuple(
                m.Criterion(self.conditions(c["when"], (*path, "criteria", i, "when")),
                            c.get("reason") or "")
                for i, c in enumerate(raw.get("criteria") or [])),
            targets=targets,
            pre_breach={k: d for k, v in (raw.get("pre_breach") or {}).items()
                        if (d := _dur(v)) is not None},
            two_stage=None if two is None else m.TwoStage(
                _dur(two["initial"]) or timedelta(0), _dur(two["confirm"]) or timedelta(0)),
            route_to=raw.get("route_to"),
            roles={k: m.RoleDuty(v["role"], v.get("duty", ""))
                   for k, v in (raw.get("roles") or {}).items()},
            notify=raw.get("notify"), decision=raw.get("decision"),
        )
        written = {*t, *(("initial_severity", "confirmation") if two is not None else ())}
        for clock, lead in sev.pre_breach.items():
            target = sev.target(clock)
            if clock not in written:
                self.problem((*path, "pre_breach", clock),
                             f"there is no {clock} target to warn before")
            elif target and lead >= target:  # a malformed target was reported already
                self.problem((*path, "pre_breach", clock),
                             f"lead time {format_duration(lead)} is not shorter than the "
                             f"{clock} target {format_duration(target)}")
        return sev

    def action(self, raw: dict[str, Any], path: Path) -> m.Action:
        (kind, value), = raw.items()
        if kind == "escalate":
            if value["kind"] == "functional" and not value.get("team"):
                self.problem((*path, "escalate"), "a functional escalation needs a team")
            if value["kind"] == "hierarchical" and not (value.get("to") or value.get("team")):
                self.problem((*path, "escalate"), "a hierarchical escalation needs `to` or `team`")
            return m.Escalate(value["kind"], value.get("team"), value.get("to"))
        if kind == "notify":
            return m.Notify(value)
        if kind == "bump_severity":
            return m.BumpSeverity(to=value) if isinstance(value, str) else m.BumpSeverity(value)
        if kind == "require_handoff":
            return m.RequireHandoff()
        return m.Prioritize(value)

    # -- whole matrix ------------------------------------------------------------
    def build(self) -> m.Matrix | None:
        d = self.data
        if d.get("schema_version") != SCHEMA_VERSION:
            self.problem(("schema_version",), f"this build reads schema_version {SCHEMA_VERSION}, "
                                             f"not {d.get('schema_version')!r}")
        tier_ids = self.unique_ids("tiers")
        team_ids = self.unique_ids("teams")
        role_ids = self.unique_ids("roles")
        contact_ids = self.unique_ids("contacts")
        sev_ids = self.unique_ids("severities")
        self.unique_ids("triggers")
        chains_raw: dict[str, Any] = _mapping(d.get("chains"))
        calendars_raw: dict[str, Any] = _mapping(d.get("calendars"))
        levels: dict[int, str] = {}
        for i, t in self.items("tiers"):
            with self.record():
                if t["level"] in levels:
                    self.problem(("tiers", i, "level"),
                                 f"level {t['level']} is already used by tier {levels[t['level']]}")
                levels[t["level"]] = t["id"]
        for i, t in self.items("teams"):
            with self.record():
                self.ref(t["tier"], tier_ids, "tier", ("teams", i, "tier"))
        for i, r in self.items("roles"):
            with self.record():
                self.ref(r.get("tier"), tier_ids, "tier", ("roles", i, "tier"))
        rotations_raw: dict[str, Any] = _mapping(d.get("rotations"))
        for i, c in self.items("contacts"):
            with self.record():
                self.ref(c.get("role"), role_ids, "role", ("contacts", i, "role"))
                self.ref(c.get("team"), team_ids, "team", ("contacts", i, "team"))
                self.ref(c.get("on_call"), rotations_raw, "rotation", ("contacts", i, "on_call"))
                self.ref(c.get("hours"), calendars_raw, "calendar", ("contacts", i, "hours"))
        rotations: dict[str, m.Rotation] = {}
        for rid, raw in rotations_raw.items():
            with self.record():
                rotations[rid] = self.rotation(rid, raw, contact_ids)
        templates = {
            cat: m.HandoffTemplate(cat, tuple(_listed(t.get("required"))),
                                   dict(t.get("prompts") or {}), tuple(_listed(t.get("checklist"))))
            for cat, t in _mapping(d.get("handoff_templates")).items() if isinstance(t, dict)}

        calendars: dict[str, CalendarSpec] = {}
        for cid, raw in calendars_raw.items():
            with self.record():
                calendars[cid] = self.calendar(cid, raw)
        chains = self.chains(chains_raw, contact_ids)
        severities: list[m.Severity] = []
        for i, raw in self.items("severities"):
            with self.record():
                severities.append(self.severity(i, raw))
        for s in severities:
            p: Path = ("severities", s.rank)
            self.ref(s.targets.calendar, calendars_raw, "calendar", (*p, "targets", "calendar"))
            self.ref(s.route_to, team_ids, "team", (*p, "route_to"))
            self.ref(s.notify, chains_raw, "chain", (*p, "notify"))
            self.ref(s.decision, role_ids, "role", (*p, "decision"))
            for fn, duty in s.roles.items():
                self.ref(duty.role, role_ids, "role", (*p, "roles", fn, "role"))
            if s.rank < 2 and s.notify in chains:
                self.require_backups(s, chains[s.notify], s.rank)
        self.problems.extend(redundant_rules(tuple(severities)))
        self.ref(d.get("default_severity"), sev_ids, "severity", ("default_severity",))
        self.ref(d.get("intake_team"), team_ids, "team", ("intake_team",))

        triggers = []
        for i, raw in self.items("triggers"):
            with self.record():
                triggers.append(self.trigger(i, raw, tier_ids, team_ids, sev_ids, chains_raw))

        authority = []
        seen_auth: set[tuple[str, str]] = set()
        for i, a in self.items("authority"):
            with self.record():
                self.ref(a["role"], role_ids, "role", ("authority", i, "role"))
                for sid in _listed(a.get("severities")):
                    self.ref(sid, sev_ids, "severity", ("authority", i, "severities"))
                if (a["action"], a["role"]) in seen_auth:
                    self.problem(("authority", i),
                                 f"{a['role']} already has authority for {a['action']}")
                seen_auth.add((a["action"], a["role"]))
                sevs = frozenset(a["severities"]) if a.get("severities") else None
                authority.append(m.Authority(a["action"], a["role"], a.get("limit"),
                                             a.get("unit", ""), sevs))
        with self.record():
            kpis = self.kpis(_mapping(d.get("kpis")), severities)
        with self.record():
            reports = self.reports(_mapping(d.get("reports")), calendars)
        triage = _mapping(d.get("triage"))
        above = triage.get("preselect_team_above")
        if self.problems or self.failure:
            return None
        return m.Matrix(
            schema_version=d["schema_version"], name=d["name"],
            description=d.get("description", ""), calendars=calendars,
            tiers=tuple(m.Tier(t["id"], t["name"], t["level"]) for t in d["tiers"]),
            teams=tuple(m.Team(t["id"], t["name"], t["tier"], t["function"]) for t in d["teams"]),
            severities=tuple(severities),
            roles=tuple(m.Role(r["id"], r["name"], r.get("tier")) for r in d.get("roles") or []),
            contacts=tuple(
                m.Contact(c["id"], c["name"], c.get("role"), c.get("team"),
                          {k: c[k] for k in ("email", "slack", "teams", "pagerduty", "webhook")
                           if k in c}, c.get("on_call"), int(c.get("on_call_offset", 0)),
                          c.get("hours"))
                for c in d.get("contacts") or []),
            rotations=rotations, handoff_templates=templates, kpis=kpis, reports=reports,
            triage=m.TriageSettings(  # the structural check reported a wrong type
                suggest=triage.get("suggest") is not False,
                preselect_team_above=float(above) if isinstance(above, int | float) else None),
            chains=chains, default_severity=d.get("default_severity"),
            intake_team=d.get("intake_team"), triggers=tuple(triggers),
            authority=tuple(authority),
            layout={k: (float(v["x"]), float(v["y"])) for k, v in (d.get("layout") or {}).items()},
            source=d,
        )

    def kpis(self, raw: dict[str, Any], severities: list[m.Severity]) -> m.Kpis:
        """The report targets, in shares; with the level of the targeted first tier."""
        levels = {t["id"]: t["level"] for _, t in self.items("tiers")}
        first = raw.get("first_tier", "T1")
        if "first_tier" in raw:
            self.ref(first, levels, "tier", ("kpis", "first_tier"))
        elif first not in levels and levels:  # no T1: the lowest tier above self-service
            first = min(levels, key=lambda t: (levels[t] < 1, levels[t]))
        given = {k: raw[k] / 100 for k in ("escalation_target_pct", "team_flag_pct",
                                            "agent_flag_pct", "t1_resolution_target_pct")
                 if isinstance(raw.get(k), int | float)}
        return m.Kpis(
            escalation_target=given.get("escalation_target_pct", 0.10),
            team_flag=given.get("team_flag_pct", 0.15),
            agent_flag=given.get("agent_flag_pct", 0.20),
            t1_resolution_target=given.get("t1_resolution_target_pct", 0.50),
            first_tier=first, first_tier_level=int(levels.get(first, 1)),
            severities=tuple(s.id for s in severities))

    def reports(self, raw: dict[str, Any], calendars: dict[str, CalendarSpec]
                ) -> m.ReportSchedule:
        """When and to whom the weekly report goes; its time zone defaults to the first
        calendar's."""
        zone = raw.get("timezone")
        if zone is None:
            zone = next(iter(calendars.values())).timezone if calendars else "UTC"
        else:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                self.problem(("reports", "timezone"), f"unknown time zone {zone!r}")
        at = dt.time(8, 0)
        written = raw.get("time")
        if isinstance(written, str) and re.fullmatch(r"\d{1,2}:\d{2}", written):
            hour, minute = (int(x) for x in written.split(":"))
            if hour > 23 or minute > 59:
                self.problem(("reports", "time"), f"{written!r} is not a valid time of day")
            else:
                at = dt.time(hour, minute)
        day = raw.get("weekday", "mon")
        return m.ReportSchedule(
            recipients=tuple(r for r in _listed(raw.get("recipients")) if isinstance(r, str)),
            weekday=WEEKDAYS.index(day) if day in WEEKDAYS else 0, send_at=at,
            timezone=zone)

    def rotation(self, rid: str, raw: dict[str, Any], contacts: set[str]) -> m.Rotation:
        path: Path = ("rotations", rid)
        members = tuple(_listed(raw.get("members")))
        for k, member in enumerate(members):
            self.ref(member, contacts, "contact", (*path, "members", k))
        has_turns = bool(members) or "shift" in raw or "start" in raw
        if has_turns == bool(raw.get("ical")):
            self.problem(path, "a rotation needs either members, shift and start, or an "
                               "ical file (not both)")
        start = None
        if has_turns:
            for key in ("members", "shift", "start"):
                if key not in raw:
                    self.problem(path, f"a member rotation needs `{key}`")
            zone = raw.get("timezone") or "UTC"
            try:
                tz = ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                self.problem((*path, "timezone"), f"unknown time zone {zone!r}")
                tz = ZoneInfo("UTC")
            if isinstance(raw.get("start"), str):
                try:
                    start = dt.datetime.fromisoformat(raw["start"]).replace(tzinfo=tz)
                except ValueError:
                    self.problem((*path, "start"), f"{raw['start']!r} is not a valid time")
        return m.Rotation(rid, members, _dur(raw.get("shift")), start, raw.get("ical"),
                          raw.get("description", ""))

    def trigger(self, i: int, raw: dict[str, Any], tier_ids: set[str], team_ids: set[str],
                sev_ids: set[str], chains_raw: dict[str, Any]) -> m.Trigger:
        p: Path = ("triggers", i)
        when = self.conditions(raw["when"], (*p, "when"))
        for sid in when.severity or ():
            self.ref(sid, sev_ids, "severity", (*p, "when", "severity"))
        for tid in when.tier or ():
            self.ref(tid, tier_ids, "tier", (*p, "when", "tier"))
        actions = []
        for j, a in enumerate(raw["then"]):
            with self.record():
                ap: Path = (*p, "then", j)
                action = self.action(a, ap)
                if isinstance(action, m.Escalate):
                    self.ref(action.team, team_ids, "team", (*ap, "escalate", "team"))
                    if action.to not in (None, "up"):
                        self.ref(action.to, tier_ids, "tier", (*ap, "escalate", "to"))
                elif isinstance(action, m.Notify):
                    self.ref(action.chain, chains_raw, "chain", (*ap, "notify"))
                elif isinstance(action, m.BumpSeverity) and action.to:
                    self.ref(action.to, sev_ids, "severity", (*ap, "bump_severity"))
                actions.append(action)
        return m.Trigger(raw["id"], when, tuple(actions), raw.get("description", ""))

    def chains(self, raw: dict[str, Any], contacts: set[str]) -> dict[str, m.Chain]:
        out: dict[str, m.Chain] = {}
        for cid, c in raw.items():
            with self.record():
                steps = []
                for j, s in enumerate(c["steps"]):
                    with self.record():
                        steps.append(self.step(s, ("chains", cid, "steps", j), contacts))
                self.ref(c.get("next"), raw, "chain", ("chains", cid, "next"))
                out[cid] = m.Chain(cid, tuple(steps), c.get("repeat", 1), c.get("next"),
                                   c.get("description", ""))
        for cid in out:  # follow `next` links; a chain reached twice is a cycle
            seen = [cid]
            nxt = out[cid].next
            while nxt in out:
                if nxt in seen:
                    cycle = seen[seen.index(nxt):]
                    if nxt == cid and cid == min(cycle):  # report each cycle once
                        self.problem(("chains", cid, "next"), "cycle in chains: "
                                     + " -> ".join([*seen, nxt]) + " (use `repeat` to loop)")
                    break
                seen.append(nxt)
                nxt = out[nxt].next
        return out

    def step(self, s: dict[str, Any], p: Path, contacts: set[str]) -> m.ChainStep:
        self.ref(s["primary"], contacts, "contact", (*p, "primary"))
        self.ref(s.get("backup"), contacts, "contact", (*p, "backup"))
        for k, cc in enumerate(_listed(s.get("cc"))):
            self.ref(cc, contacts, "contact", (*p, "cc", k))
        if s.get("backup") and s.get("backup") == s["primary"]:
            self.problem((*p, "backup"), "the backup is the same contact as the primary")
        return m.ChainStep(s["primary"], s["channel"], s.get("backup"),
                           tuple(_listed(s.get("cc"))), _dur(s.get("ack_timeout")))

    def require_backups(self, sev: m.Severity, chain: m.Chain, rank: int) -> None:
        for j, step in enumerate(chain.steps):
            if step.backup is None:
                self.problem(("chains", chain.id, "steps", j),
                             f"{sev.id} is notified through chain {chain.id!r}, and a P1 or P2 "
                             "chain needs a backup on every step")


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _listed(value: Any) -> list[Any]:
    """A list as written, else nothing: text where a list belongs is reported structurally
    and must not be read letter by letter."""
    return value if isinstance(value, list) else []


def _dur(value: str | None) -> timedelta | None:
    """A duration, or None when absent or malformed (the structural check reports those)."""
    try:
        return None if value is None else parse_duration(value)
    except (ValueError, TypeError):
        return None


def build_matrix(data: Any, known: list[Problem] | None = None
                 ) -> tuple[m.Matrix | None, list[Problem]]:
    """Build a Matrix and return it, or None with every problem found.

    ``known`` are structural problems already found; the semantic checks then still run
    as far as the malformed records allow, so one pass reports everything."""
    known = list(known or [])
    builder = _Builder(data)
    try:
        matrix = builder.build()
    except _MALFORMED as exc:
        builder.failure = builder.failure or exc
        matrix = None
    if builder.failure is not None and not known:  # a structurally valid file must build
        builder.problem((), f"cannot build the matrix: {builder.failure!r}")
    seen = {p.path for p in known}
    problems = known + [p for p in builder.problems if p.path not in seen]
    return (matrix if not problems else None), problems
