"""What changed between two matrices, in words a lead reads at a glance:

    P2 response 1h → 45m
    backup for P1 (p1-page step 1) changed from On-call engineer (secondary) to VP Engineering
    added team Payments Engineering (T3)

Records are matched by id, so reordering a list is not a change (except severities,
whose order is their rank). Durations compare by length: 60m and 1h are equal.
Node positions are layout, not meaning: they are summed up in one line at the end.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import describe as say
from .records import Records, authority_key, items, mapping

_SKIP = object()


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    return str(value)


def _equal(a: Any, b: Any) -> bool:
    return a == b or (isinstance(a, str) and isinstance(b, str) and say.same_duration(a, b)
                      and a.strip() != "" and any(ch.isdigit() for ch in a))


def _change(what: str, old: Any, new: Any, show: Any = _show) -> str | None:
    if _equal(old, new):
        return None
    if old is None:
        return f"{what} set to {show(new)}"
    if new is None:
        return f"{what} removed (was {show(old)})"
    return f"{what} {show(old)} → {show(new)}"


def _without_id(record: Any) -> Any:
    return {k: v for k, v in record.items() if k != "id"} if isinstance(record, dict) else record


def _by_id(rows: list[Any], key: Any = None) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        if isinstance(r, dict):
            out.setdefault(key(r) if key else str(r.get("id")), r)
    return out


class _Differ:
    def __init__(self, old: Records, new: Records) -> None:
        self.old, self.new = old, new
        self.lines: list[str] = []
        names = {}
        for records in (old, new):
            names.update({c["id"]: c.get("name", c["id"]) for c in items(records, "contacts")
                          if isinstance(c, dict) and "id" in c})
        self.contact_names = names
        self.team_names = {t["id"]: t.get("name", t["id"]) for records in (old, new)
                           for t in items(records, "teams") if isinstance(t, dict) and "id" in t}
        self.role_names = {r["id"]: r.get("name", r["id"]) for records in (old, new)
                           for r in items(records, "roles") if isinstance(r, dict) and "id" in r}
        self.renames: dict[str, str] = {}
        for section in ("tiers", "teams", "roles", "contacts", "severities", "triggers"):
            self._find_renames(_by_id(items(old, section)), _by_id(items(new, section)))
        for section in ("chains", "calendars"):
            self._find_renames(mapping(old, section), mapping(new, section))

    def _find_renames(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        """An id that went away while an equal record appeared under a new id."""
        added = [k for k in new if k not in old]
        for key in (k for k in old if k not in new):
            body = _without_id(old[key])
            match = next((k for k in added if _without_id(new[k]) == body), None)
            if match is not None:
                self.renames[key] = match
                added.remove(match)

    def renamed(self, old: Any, new: Any) -> bool:
        """True when ``new`` is ``old`` with renamed ids only."""
        if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
            return all(self.renames.get(a, a) == b for a, b in zip(old, new, strict=True))
        return isinstance(old, str) and self.renames.get(old) == new

    def say(self, line: str | None) -> None:
        if line:
            self.lines.append(line)

    def fields(self, prefix: str, old: dict[str, Any], new: dict[str, Any],
               done: tuple[str, ...] = ()) -> None:
        """Every other field of a record, generically."""
        for key in [*old, *(k for k in new if k not in old)]:
            if key in done or key == "id":
                continue
            if self.renamed(old.get(key), new.get(key)):
                continue
            label = key.replace("_", " ")
            self.say(_change(f"{prefix} {label}", old.get(key), new.get(key)))

    def added_removed(self, what: str, old: dict[str, Any], new: dict[str, Any],
                      describe: Any) -> list[tuple[str, str]]:
        """Report added, removed and renamed records; return the (old, new) id pairs."""
        renamed = {k: v for k, v in self.renames.items() if k in old and v in new}
        for key in old:
            if key in renamed:
                self.say(f"renamed {what} {key} → {renamed[key]}")
            elif key not in new:
                self.say(f"removed {what} {describe(key, old[key])}")
        for key in new:
            if key not in old and key not in renamed.values():
                self.say(f"added {what} {describe(key, new[key])}")
        return [(k, k) for k in new if k in old] + list(renamed.items())

    # -- sections -----------------------------------------------------------------------
    def severities(self) -> None:
        old, new = _by_id(items(self.old, "severities")), _by_id(items(self.new, "severities"))
        for was, sid in self.added_removed("severity", old, new,
                                           lambda k, r: f"{k} ({r.get('name', '')})"):
            a, b = old[was], new[sid]
            ta, tb = a.get("targets") or {}, b.get("targets") or {}
            for clock in ("response", "update", "resolution"):
                self.say(_change(f"{sid} {clock}", ta.get(clock), tb.get(clock), say.dur))
            self.say(_change(f"{sid} calendar", ta.get("calendar"), tb.get("calendar")))
            pa, pb = a.get("pre_breach") or {}, b.get("pre_breach") or {}
            for clock in dict.fromkeys([*pa, *pb]):
                self.say(_change(f"{sid} pre-breach warning for {clock}", pa.get(clock),
                                 pb.get(clock), say.dur))
            wa, wb = a.get("two_stage") or {}, b.get("two_stage") or {}
            for part in ("initial", "confirm"):
                self.say(_change(f"{sid} two-stage {part}", wa.get(part), wb.get(part),
                                 say.dur))
            self.say(self._moved(f"route for {sid}", a.get("route_to"), b.get("route_to"),
                                 self.team_names))
            self.say(self._moved(f"notification chain for {sid}", a.get("notify"),
                                 b.get("notify"), {}))
            self.say(self._moved(f"decision role for {sid}", a.get("decision"),
                                 b.get("decision"), self.role_names))
            ra, rb = a.get("roles") or {}, b.get("roles") or {}
            for fn in dict.fromkeys([*ra, *rb]):
                da, db = ra.get(fn) or {}, rb.get(fn) or {}
                self.say(self._moved(f"{fn} role for {sid}", da.get("role"), db.get("role"),
                                     self.role_names))
                self.say(_change(f"{sid} {fn} duty", da.get("duty"), db.get("duty")))
            if a.get("criteria") != b.get("criteria"):
                self.say(f"{sid} scoring criteria changed ({len(a.get('criteria') or [])} → "
                         f"{len(b.get('criteria') or [])} rules)")
            self.fields(sid, a, b, ("targets", "pre_breach", "two_stage", "route_to", "notify",
                                    "decision", "roles", "criteria"))
        order_a = [self.renames.get(k, k) for k in old if self.renames.get(k, k) in new]
        order_b = [k for k in new if k in order_a]
        if order_a != order_b:
            self.say("severity order changed: " + " > ".join(order_b))

    def _moved(self, what: str, old: Any, new: Any, names: Mapping[str, Any]) -> str | None:
        if old == new or self.renamed(old, new):
            return None
        if old is None:
            return f"{what} set to {names.get(new, new)}"
        if new is None:
            return f"{what} removed (was {names.get(old, old)})"
        return f"{what} changed from {names.get(old, old)} to {names.get(new, new)}"

    def chains(self) -> None:
        old, new = mapping(self.old, "chains"), mapping(self.new, "chains")
        users: dict[str, list[str]] = {}
        for s in items(self.new, "severities") + items(self.old, "severities"):
            sid = s.get("id") if isinstance(s, dict) else None
            if isinstance(s, dict) and isinstance(s.get("notify"), str) and isinstance(sid, str):
                users.setdefault(s["notify"], [])
                if sid not in users[s["notify"]]:
                    users[s["notify"]].append(sid)
        for was, cid in self.added_removed("chain", old, new, lambda k, r: k):
            a, b = old[was] or {}, new[cid] or {}
            sa, sb = a.get("steps") or [], b.get("steps") or []
            whose = " and ".join(users.get(cid, []))
            for j in range(max(len(sa), len(sb))):
                where = f"{cid} step {j + 1}"
                if j >= len(sa):
                    self.say(f"added {where}")
                    continue
                if j >= len(sb):
                    self.say(f"removed {where}")
                    continue
                x, y = sa[j] or {}, sb[j] or {}
                for part in ("primary", "backup"):
                    subject = f"{part} for {whose} ({where})" if whose else f"{part} in {where}"
                    self.say(self._moved(subject, x.get(part), y.get(part), self.contact_names))
                self.say(_change(f"{where} ack timeout", x.get("ack_timeout"),
                                 y.get("ack_timeout"), say.dur))
                self.fields(where, x, y, ("primary", "backup", "ack_timeout"))
            self.say(self._moved(f"next chain after {cid}", a.get("next"), b.get("next"), {}))
            self.fields(f"chain {cid}", a, b, ("steps", "next"))

    def simple(self, section: str, what: str, key: Any = None, show: Any = None) -> None:
        rows_a, rows_b = items(self.old, section), items(self.new, section)
        old, new = _by_id(rows_a, key), _by_id(rows_b, key)
        label = show or (lambda k, r: f"{r.get('name', k)} ({k})" if r.get("name") else k)
        for was, rid in self.added_removed(what, old, new, label):
            self.fields(f"{what} {label(rid, new[rid])}", old[was], new[rid])

    def authority(self) -> None:
        old = _by_id(items(self.old, "authority"), authority_key)
        new = _by_id(items(self.new, "authority"), authority_key)

        def who(key: str, row: dict[str, Any]) -> str:
            role = row.get("role")
            return f"{row.get('action')} for {self.role_names.get(role, role)}"

        for was, key in self.added_removed("authority", old, new, who):
            a, b = old[was], new[key]
            if (a.get("limit"), a.get("unit")) != (b.get("limit"), b.get("unit")):
                self.say(f"{who(key, b)} limit {say.amount(a.get('limit'), a.get('unit'))} → "
                         f"{say.amount(b.get('limit'), b.get('unit'))}")
            self.fields(f"{who(key, b)}", a, b, ("action", "role", "limit", "unit"))

    def triggers(self) -> None:
        old, new = _by_id(items(self.old, "triggers")), _by_id(items(self.new, "triggers"))
        for was, tid in self.added_removed("trigger", old, new, lambda k, r: k):
            a, b = old[was], new[tid]
            if a.get("when") != b.get("when"):
                self.say(f"trigger {tid} conditions: "
                         f"{' and '.join(say.conditions(a.get('when'))) or 'none'} → "
                         f"{' and '.join(say.conditions(b.get('when'))) or 'none'}")
            if a.get("then") != b.get("then"):
                self.say(f"trigger {tid} actions: "
                         f"{', '.join(say.action(x) for x in a.get('then') or [])} → "
                         f"{', '.join(say.action(x) for x in b.get('then') or [])}")
            self.fields(f"trigger {tid}", a, b, ("when", "then"))

    def mapping_section(self, section: str, what: str) -> None:
        old, new = mapping(self.old, section), mapping(self.new, section)
        for was, key in self.added_removed(what, old, new, lambda k, r: k):
            a, b = old[was], new[key]
            if isinstance(a, dict) and isinstance(b, dict):
                self.fields(f"{what} {key}", a, b)
            else:
                self.say(_change(f"{what} {key}", a, b))

    def run(self) -> list[str]:
        for key in ("name", "description", "schema_version"):
            self.say(_change(f"matrix {key}", self.old.get(key), self.new.get(key)))
        self.severities()
        self.chains()
        self.simple("tiers", "tier")
        self.simple("teams", "team")
        self.simple("roles", "role")
        self.simple("contacts", "contact")
        self.triggers()
        self.authority()
        self.mapping_section("calendars", "calendar")
        self.say(self._moved("default severity", self.old.get("default_severity"),
                             self.new.get("default_severity"), {}))
        self.say(self._moved("intake team", self.old.get("intake_team"),
                             self.new.get("intake_team"), self.team_names))
        known = {"name", "description", "schema_version", "severities", "chains", "tiers",
                 "teams", "roles", "contacts", "triggers", "authority", "calendars",
                 "default_severity", "intake_team", "layout"}
        for section in dict.fromkeys([*self.old, *self.new]):
            if section in known:
                continue
            a, b = self.old.get(section), self.new.get(section)
            if isinstance(a, dict) and isinstance(b, dict):
                self.mapping_section(section, section.rstrip("s").replace("_", " "))
            else:
                self.say(_change(section.replace("_", " "), a, b))
        la, lb = mapping(self.old, "layout"), mapping(self.new, "layout")
        moved = sum(1 for k in {*la, *lb} if la.get(k) != lb.get(k))
        if moved:
            self.say(f"flowchart layout: {moved} node position{'s' if moved != 1 else ''} "
                     "changed")
        return self.lines


def diff_records(old: Records, new: Records) -> list[str]:
    """Sentences describing how ``new`` differs from ``old`` (empty when equal)."""
    return _Differ(old, new).run()
