"""The matrix file format, declared once. ``MATRIX_SPEC`` checks the structure of a
loaded file and is exported as the JSON Schema (``escalation-console matrix schema``)."""

from __future__ import annotations

from typing import Any

from .spec import (
    Bool,
    Date,
    Duration,
    Field,
    ListOf,
    MapOf,
    Num,
    Obj,
    OneOf,
    Spec,
    Str,
)

SCHEMA_VERSION = 1

ID = r"[A-Za-z0-9_.\-]+"
WORKAROUNDS = ("none", "partial", "full")
CLOCKS = ("response", "update", "resolution", "initial_severity", "confirmation")
SLA_STATES = ("pre_breach", "breached")
CHANNELS = ("desktop", "slack", "teams", "email", "pagerduty", "webhook", "queue")
FUNCTIONS = ("support", "customer_success", "engineering", "product", "executive")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOURS_PATTERN = r"\d{1,2}:\d{2}\s*-\s*\d{1,2}:\d{2}"
# A `words` entry: words separated by spaces; `*` may end a word (any ending follows);
# `...` (or `…`) between two words stands for up to three other words.
_WORD = r"[^\s*…]*[^\s*.…][^\s*…]*\*?"
WORDS_PATTERN = rf"\s*{_WORD}(?:\s+(?:(?:\.\.\.|…)\s+)?{_WORD})*\s*"
WORDS_HINT = ("write words separated by spaces; `*` only at the end of a word (fail*), "
              "`...` only between two words (all ... customers)")
HANDOFF_FIELDS = ("summary", "details", "customer", "history", "steps_tried", "next_steps",
                  "reason", "target", "mode", "urgency", "attachments", "context")


def _req(spec: Spec) -> Field:
    return Field(spec, required=True)


def _opt(spec: Spec) -> Field:
    return Field(spec)


def _id(description: str = "") -> Str:
    return Str(description, pattern=ID, hint="use letters, digits, - _ .")


def _one_or_many(item: Str, description: str) -> OneOf:
    return OneOf([(str, item), (list, ListOf(item, min_items=1))], description,
                 expected="text or a list of text")


_day_hours = OneOf(
    [(str, Str(pattern=HOURS_PATTERN + r"|closed", hint="like 09:00-17:00, or closed")),
     (list, ListOf(Str(pattern=HOURS_PATTERN, hint="like 09:00-12:30")))],
    "Open hours that day, e.g. 09:00-17:00, a list of ranges, or closed.",
    expected="hours like 09:00-17:00 or a list of them",
)

CALENDAR = Obj({
    "timezone": _req(Str("IANA time zone, e.g. Europe/Berlin.")),
    "hours": _req(OneOf(
        [(str, Str(enum=("always",))),
         (dict, Obj({d: _opt(_day_hours) for d in WEEKDAYS}))],
        "`always` for 24x7, or open hours per weekday (missing days are closed).",
        expected="`always` or a mapping of weekdays to hours")),
    "holidays": _opt(Obj({
        "country": _opt(Str("ISO country code for the `holidays` package, e.g. DE.")),
        "subdivision": _opt(Str("Subdivision code, e.g. BY for Bavaria.")),
        "dates": _opt(ListOf(Date(), description="Extra closed dates.")),
    }, "Closed days: national or regional public holidays plus explicit dates.")),
    "description": _opt(Str()),
}, "A business calendar.")

NUMERIC_TEST = OneOf(
    [((int, float), Num()),
     (dict, Obj({k: _opt(Num()) for k in ("gt", "gte", "lt", "lte")}))],
    "A number, or bounds: gt, gte, lt, lte.", expected="a number or bounds like {gt: 25}")

CONDITIONS = Obj({
    "users_affected_pct": _opt(NUMERIC_TEST),
    "workaround": _opt(_one_or_many(Str(enum=WORKAROUNDS), "none, partial or full.")),
    "revenue_risk": _opt(Bool()),
    "security_breach": _opt(Bool()),
    "account_tier": _opt(_one_or_many(Str(), "Account tiers, e.g. enterprise.")),
    "category": _opt(_one_or_many(Str(), "Ticket categories.")),
    "keywords": _opt(ListOf(Str(), min_items=1,
                            description="Any of these words in the title or text.")),
    "words": _opt(ListOf(Str(pattern=WORDS_PATTERN, hint=WORDS_HINT), min_items=1,
                         description="Any of these words or phrases in the title or text, "
                         "as whole words in any case: `fail*` ends in any letters, "
                         "`all ... customers` allows up to three words in between.")),
    "severity": _opt(_one_or_many(Str(), "Current severity ids.")),
    "tier": _opt(_one_or_many(Str(), "Current tier ids.")),
    "unresolved_for": _opt(Duration("Fires once the ticket has been open this long.")),
    "sentiment": _opt(Obj({
        "below": _opt(Num("VADER compound score threshold, -1 to 1.", minimum=-1, maximum=1)),
        "phrases": _opt(ListOf(Str(), description="Phrases that count as negative.")),
    }, "Negative customer language: a VADER score below the threshold, or a phrase.")),
    "sla": _opt(Obj({
        "clock": _req(Str(enum=CLOCKS)),
        "state": _req(Str(enum=SLA_STATES)),
    }, "An SLA clock reaching pre-breach or breach.")),
}, "Conditions; all must hold.")

ACTION = Obj({
    "escalate": _opt(Obj({
        "kind": _req(Str(enum=("functional", "hierarchical"))),
        "team": _opt(_id("Target team (functional, or hierarchical to a team).")),
        "to": _opt(Str("Hierarchical target: `up` (one tier), a tier id, or L4.")),
    })),
    "notify": _opt(_id("A chain id.")),
    "bump_severity": _opt(OneOf(
        [(int, Num(integer=True, minimum=1, maximum=3)),
         (str, _id())], "Levels to raise, or a severity id.",
        expected="a number of levels or a severity id")),
    "require_handoff": _opt(Bool()),
    "prioritize": _opt(Str(enum=("high", "normal"))),
}, "One action.", exactly_one=True)

SEVERITY = Obj({
    "id": _req(_id("Severity id, e.g. P1.")),
    "name": _req(Str()),
    "color": _req(Str("Colour as #rrggbb.", pattern=r"#[0-9A-Fa-f]{6}", hint="write #rrggbb")),
    "issue": _opt(Str("What kind of issue this is.")),
    "criteria": _opt(ListOf(Obj({
        "when": _req(CONDITIONS),
        "reason": _opt(Str("Why, in words shown to agents.")),
    }), description="Scoring rules; the first severity with a matching rule wins.")),
    "targets": _req(Obj({
        "calendar": _req(_id("Calendar id.")),
        "response": _opt(Duration("Time to first response.")),
        "update": _opt(Duration("Customer update cadence.")),
        "resolution": _opt(Duration("Time to resolution.")),
    })),
    "pre_breach": _opt(Obj({c: _opt(Duration()) for c in CLOCKS},
                           "Lead times for pre-breach warnings per clock.")),
    "two_stage": _opt(Obj({
        "initial": _req(Duration("Support sets the initial severity within this.")),
        "confirm": _req(Duration("Engineering confirms within this, after the initial set.")),
    })),
    "route_to": _opt(_id("Team that owns tickets of this severity.")),
    "roles": _opt(Obj({
        f: _opt(Obj({"role": _req(_id()), "duty": _opt(Str())}))
        for f in ("support", "cs", "engineering")
    }, "Who does what at this severity.")),
    "notify": _opt(_id("Notification chain id.")),
    "decision": _opt(_id("Role with decision authority.")),
})

STEP = Obj({
    "primary": _req(_id("Contact id notified first.")),
    "backup": _opt(_id("Contact id notified when the primary does not acknowledge.")),
    "cc": _opt(ListOf(_id(), description="Contacts informed alongside, no ack expected.")),
    "channel": _req(Str(enum=CHANNELS)),
    "ack_timeout": _opt(Duration("Time to acknowledge before moving on.")),
})

CHAIN = Obj({
    "description": _opt(Str()),
    "steps": _req(ListOf(STEP, min_items=1)),
    "repeat": _opt(Num("How many times the whole chain runs.", minimum=1, maximum=10,
                       integer=True)),
    "next": _opt(_id("Chain that continues after the last step.")),
})

def _pct(description: str) -> Num:
    return Num(description, minimum=0, maximum=100)


KPIS = Obj({
    "escalation_target_pct": _opt(_pct("At most this share of tickets should escalate "
                                       "(default 10).")),
    "team_flag_pct": _opt(_pct("A team whose escalation rate is above this is flagged "
                               "(default 15).")),
    "agent_flag_pct": _opt(_pct("An agent whose escalation rate is above this is flagged "
                                "(default 20).")),
    "t1_resolution_target_pct": _opt(_pct("At least this share of resolved tickets should "
                                          "never leave the first tier (default 50).")),
    "first_tier": _opt(_id("The tier whose resolution rate is targeted (default T1).")),
}, "Targets and flags the reports judge the matrix by.")

REPORTS = Obj({
    "recipients": _opt(ListOf(Str("An email address.", pattern=r"[^@\s]+@[^@\s]+",
                                  hint="write an address like lead@example.com"),
                              description="Who receives the weekly report by email.")),
    "weekday": _opt(Str("The day the weekly report is sent (default mon).", enum=WEEKDAYS)),
    "time": _opt(Str("The time it is sent, HH:MM (default 08:00).",
                     pattern=r"\d{1,2}:\d{2}", hint="like 08:00")),
    "timezone": _opt(Str("IANA time zone of `time` (default: the first calendar's).")),
}, "The weekly report email, sent by the escalation service.")

TRIAGE = Obj({
    "suggest": _opt(Bool("Show triage suggestions in the intake form (default true).")),
    "preselect_team_above": _opt(Num("A team suggestion at or above this confidence "
                                     "(0 to 1) pre-selects the team (default: never).",
                                     minimum=0, maximum=1)),
}, "Triage assistance learnt from the store's resolved tickets.")

MATRIX_SPEC = Obj({
    "schema_version": _req(Num("Format version; this build reads 1.", integer=True)),
    "name": _req(Str()),
    "description": _opt(Str()),
    "calendars": _req(MapOf(CALENDAR, min_items=1)),
    "tiers": _req(ListOf(Obj({
        "id": _req(_id()), "name": _req(Str()),
        "level": _req(Num(integer=True, minimum=0, maximum=9)),
    }), min_items=1)),
    "teams": _req(ListOf(Obj({
        "id": _req(_id()), "name": _req(Str()), "tier": _req(_id()),
        "function": _req(Str(enum=FUNCTIONS)),
    }), min_items=1)),
    "roles": _opt(ListOf(Obj({
        "id": _req(_id()), "name": _req(Str()), "tier": _opt(_id()),
    }))),
    "contacts": _opt(ListOf(Obj({
        "id": _req(_id()), "name": _req(Str()), "role": _opt(_id()), "team": _opt(_id()),
        **{ch: _opt(Str(f"{ch} address or integration name (secrets stay in the keyring)."))
           for ch in ("email", "slack", "teams", "pagerduty", "webhook")},
        "on_call": _opt(_id("A rotation: this contact means whoever is on call now.")),
        "on_call_offset": _opt(Num("0 = on call now, 1 = the next person (a backup).",
                                   minimum=0, maximum=20, integer=True)),
        "hours": _opt(_id("A calendar: the person's working hours. A page outside them "
                          "counts as a night page in the what-if preview (without it, "
                          "22:00-07:00 UTC is night).")),
    }))),
    "rotations": _opt(MapOf(Obj({
        "description": _opt(Str()),
        "members": _opt(ListOf(_id("Contact id."), min_items=1,
                               description="Contacts in rotation order.")),
        "shift": _opt(Duration("How long each member is on call, e.g. 7d.")),
        "start": _opt(Str("When the first member's shift begins, local ISO time "
                          "(2026-01-05T09:00).",
                          pattern=r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?",
                          hint="like 2026-01-05T09:00")),
        "timezone": _opt(Str("IANA time zone of `start` (default UTC).")),
        "ical": _opt(Str("An iCalendar file (relative to the matrix file) whose events name "
                         "the contact on call in their SUMMARY.")),
    }, "An on-call rotation: members in turn, or an iCalendar file."))),
    "handoff_templates": _opt(MapOf(Obj({
        "required": _opt(ListOf(Str(enum=HANDOFF_FIELDS),
                                description="Fields the handoff form requires.")),
        "prompts": _opt(MapOf(Str(), "Hints shown in the form, per field.",
                              key_pattern="|".join(HANDOFF_FIELDS))),
        "checklist": _opt(ListOf(Str(), description="Checks the agent ticks before handing off.")),
    }, "A handoff template; the key is a ticket category, or `default`."))),
    "chains": _opt(MapOf(CHAIN)),
    "severities": _req(ListOf(SEVERITY, min_items=1,
                              description="Most severe first.")),
    "default_severity": _opt(_id("Severity when no criteria match.")),
    "intake_team": _opt(_id("Team where new tickets land.")),
    "triggers": _opt(ListOf(Obj({
        "id": _req(_id()), "description": _opt(Str()),
        "when": _req(CONDITIONS),
        "then": _req(ListOf(ACTION, min_items=1)),
    }))),
    "authority": _opt(ListOf(Obj({
        "action": _req(_id()), "role": _req(_id()),
        "limit": _opt(Num("Highest amount this role may approve; none = no limit.", minimum=0)),
        "unit": _opt(Str()),
        "severities": _opt(ListOf(_id())),
    }))),
    "kpis": _opt(KPIS),
    "reports": _opt(REPORTS),
    "triage": _opt(TRIAGE),
    "layout": _opt(MapOf(Obj({"x": _req(Num()), "y": _req(Num())}),
                         "Flowchart node positions.", key_pattern=r"[^\s]+")),
}, "An Escalation Console matrix.")


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) for matrix files."""
    schema = MATRIX_SPEC.schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://escalation-console.example/schema/matrix-v1.json",
        "title": "Escalation Console matrix",
        **schema,
    }
