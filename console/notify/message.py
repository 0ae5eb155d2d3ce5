"""The notification message: everything the next person needs, built once per delivery.

``build_message`` takes the ticket (a projection row, read through ``TicketInfo``) and
the engine's notify fire, and returns plain JSON-able data, stored in the outbox so a
retry sends exactly what the first attempt sent. The render functions turn it into
each service's format: text, Slack blocks, a Teams Adaptive Card, email, PagerDuty.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from console.domain.projection import ClockView

LINK_SCHEME = "escalation-console"
CLI = "escalation-console"
PD_SEVERITY = {0: "critical", 1: "error", 2: "warning"}
SLACK_ACK_ACTION = "escalation_console_ack"  # the Acknowledge button's action_id


@dataclass(frozen=True, slots=True)
class TicketInfo:
    """What a message says about a ticket (read from the ticket projection)."""

    id: str
    title: str = ""
    severity: str = ""
    severity_source: str = ""
    reasons: tuple[str, ...] = ()
    customer: str = ""
    account_tier: str = ""
    status: str = "open"
    tier: str = ""
    team: str = ""
    owner: str = ""
    clocks: tuple[ClockView, ...] = ()
    handoff: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Any) -> TicketInfo:
        """From a tickets-table row (any object with its columns as attributes)."""
        detail = json.loads(row.detail or "{}")
        clocks = tuple(ClockView.from_json(c) for c in json.loads(row.clocks or "[]"))
        return cls(row.id, row.title, row.severity, row.severity_source,
                   tuple(detail.get("reasons") or ()), row.account, row.account_tier,
                   row.status, row.tier, row.team, row.owner, clocks,
                   dict(detail.get("latest_handoff") or {}))


def short_ref(key: str) -> str:
    """A short, stable reference for a delivery key (shown in messages, used as ids)."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def pd_dedup_key(ticket: str, key: str) -> str:
    """PagerDuty dedup_key: stable for one (ticket, chain step, recipient), so every
    retry and every console raises the same PagerDuty alert, and acknowledge and
    resolve find it. Its prefix names the ticket for ``notify pd-ack``."""
    return f"ec/{ticket}/{short_ref(key)}"


def ticket_from_dedup_key(dedup_key: str) -> str | None:
    parts = dedup_key.split("/")
    return "/".join(parts[1:-1]) if len(parts) >= 3 and parts[0] == "ec" else None


def human_span(seconds: float) -> str:
    seconds = int(abs(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m"
    return f"{seconds}s"


def sla_lines(clocks: tuple[ClockView, ...], now: datetime) -> list[dict[str, Any]]:
    """Each running clock: its state and time left (negative when breached)."""
    out = []
    for c in clocks:
        state = c.state(now)
        if state == "met":
            continue
        if c.due is not None:
            left = (c.due - now).total_seconds()
        elif c.remaining_when_paused is not None:
            left = float(c.remaining_when_paused)
        else:
            continue
        if state == "breached":
            text = f"{c.name}: BREACHED {human_span(left)} ago"
        elif state == "paused":
            text = f"{c.name}: paused with {human_span(left)} left"
        else:
            due = f" (due {c.due:%H:%M} UTC)" if c.due is not None else ""
            text = f"{c.name}: {state.replace('_', '-')}, {human_span(left)} left{due}"
        out.append({"clock": c.name, "state": state, "left_seconds": int(left),
                    "due": c.due.isoformat() if c.due else None, "text": text})
    return out


def severity_why(info: TicketInfo) -> str:
    who = {"support": "set by Support", "engineering": "confirmed by Engineering",
           "trigger": "raised by a trigger", "intake": "set at intake",
           "suggested": "suggested by scoring"}.get(info.severity_source, info.severity_source)
    reasons = "; ".join(info.reasons)
    if who and reasons:
        return f"{who} (scoring: {reasons})"
    return who or reasons or "no reason recorded"


def build_message(info: TicketInfo, now: datetime, *, reason: str, key: str,
                  extra: dict[str, Any] | None = None, recipient: str = "",
                  on_call: str = "", rank: int = 3) -> dict[str, Any]:
    """The message for one delivery, as plain data."""
    extra = extra or {}
    sla = sla_lines(info.clocks, now)
    handoff = info.handoff
    steps = handoff.get("steps_tried") or ""
    if isinstance(steps, list):
        steps = "; ".join(str(s) for s in steps)
    return {
        "ticket": info.id, "title": info.title, "severity": info.severity, "rank": rank,
        "severity_why": severity_why(info), "customer": info.customer or "unknown customer",
        "account_tier": info.account_tier or "no tier", "status": info.status,
        "team": info.team, "tier": info.tier, "owner": info.owner,
        "sla": sla, "sla_summary": "; ".join(s["text"] for s in sla) or "no running SLA clock",
        "handoff_summary": str(handoff.get("summary") or "no handoff yet"),
        "steps_tried": str(steps or "none recorded"),
        "reason": reason, "recipient": recipient, "on_call": on_call,
        "chain": extra.get("chain"), "step": extra.get("step"), "round": extra.get("round"),
        "role": extra.get("role"), "ack_timeout": extra.get("ack_timeout"),
        "open_url": f"{LINK_SCHEME}://ticket/{info.id}",
        "open_cli": f"{CLI} tickets show {info.id}",
        "ack_hint": "Acknowledge in the console (or in PagerDuty) to stop the chain.",
        "at": now.isoformat(), "ref": short_ref(key),
    }


def headline(m: dict[str, Any]) -> str:
    sev = f"[{m['severity']}] " if m.get("severity") else ""
    return f"{sev}{m['ticket']}: {m.get('title') or '(no title)'}"


def fields(m: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) pairs in reading order."""
    out = [("Severity", f"{m.get('severity') or '?'} — {m.get('severity_why', '')}"),
           ("Customer", f"{m.get('customer', '')} ({m.get('account_tier', '')})"),
           ("SLA", m.get("sla_summary", "")),
           ("Handoff", m.get("handoff_summary", "")),
           ("Steps tried", m.get("steps_tried", "")),
           ("Why you", m.get("reason", ""))]
    if m.get("chain"):
        role = m.get("role") or ""
        who = m.get("recipient") or ""
        if m.get("on_call"):
            who += f" (on call now: {m['on_call']})"
        timeout = f", ack within {m['ack_timeout']}" if m.get("ack_timeout") else ""
        out.append(("Chain", f"{m['chain']} step {m.get('step')} round {m.get('round')}, "
                             f"{role} {who}{timeout}".rstrip()))
    out.append(("Open", f"{m.get('open_url', '')}  or  {m.get('open_cli', '')}"))
    return out


def text_body(m: dict[str, Any]) -> str:
    lines = [headline(m), ""]
    lines += [f"{label}: {value}" for label, value in fields(m)]
    lines += ["", m.get("ack_hint", ""), f"ref {m.get('ref', '')}"]
    return "\n".join(lines)


def messages_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The alerts a (possibly digest) message carries."""
    return list(message["digest"]) if "digest" in message else [message]


# -- service formats ---------------------------------------------------------------------
def slack_payload(message: dict[str, Any]) -> dict[str, Any]:
    """Slack incoming-webhook JSON: a fallback ``text`` and Block Kit sections (a digest
    puts up to 20 alerts in one message: Slack allows 50 blocks)."""
    alerts = messages_of(message)
    blocks: list[dict[str, Any]] = []
    if len(alerts) > 1:
        blocks.append({"type": "header", "text": {"type": "plain_text",
                       "text": f"{len(alerts)} escalation alerts"}})
    for m in alerts:
        body = "\n".join(f"*{label}:* {value}" for label, value in fields(m))
        # the button is the section's accessory, not an actions block of its own, so a
        # 20-alert digest stays at 41 blocks
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                       "text": f"*{headline(m)}*\n{body}"[:2990]},
                       "accessory": slack_ack_button(m)})
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn",
                       "text": f"{m.get('ack_hint', '')} ref {m.get('ref', '')}"}]})
    text = headline(alerts[0]) if len(alerts) == 1 else \
        f"{len(alerts)} escalation alerts: " + ", ".join(m["ticket"] for m in alerts)
    return {"text": text, "blocks": blocks, "unfurl_links": False}


def slack_ack_button(m: dict[str, Any]) -> dict[str, Any]:
    """The Acknowledge button: Slack posts its value (the ticket and the delivery's ref)
    to the service's /hooks/slack when someone clicks it (the Slack app needs
    interactivity turned on)."""
    value = json.dumps({"ticket": m["ticket"], "ref": m.get("ref", "")}, sort_keys=True)
    return {"type": "button", "action_id": SLACK_ACK_ACTION, "style": "primary",
            "text": {"type": "plain_text", "text": "Acknowledge"}, "value": value[:2000]}


def slack_ack_value(value: str) -> tuple[str, str] | None:
    """(ticket, ref) from an Acknowledge button's value, or None when it is not one."""
    try:
        data = json.loads(value)
    except (TypeError, ValueError):
        return None
    ticket = data.get("ticket") if isinstance(data, dict) else None
    if not isinstance(ticket, str) or not ticket:
        return None
    return ticket, str(data.get("ref") or "")


def teams_payload(message: dict[str, Any]) -> dict[str, Any]:
    """A Teams Workflows ("When a Teams webhook request is received") message holding an
    Adaptive Card."""
    body: list[dict[str, Any]] = []
    for m in messages_of(message):
        body.append({"type": "TextBlock", "size": "Medium", "weight": "Bolder", "wrap": True,
                     "text": headline(m)})
        body.append({"type": "FactSet", "facts": [{"title": label, "value": value}
                                                   for label, value in fields(m)]})
        body.append({"type": "TextBlock", "isSubtle": True, "wrap": True,
                     "text": f"{m.get('ack_hint', '')} ref {m.get('ref', '')}"})
    card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard", "version": "1.4", "body": body}
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
         "content": card}]}


def email_parts(m: dict[str, Any]) -> tuple[str, str]:
    """(subject, plain-text body)."""
    return headline(m), text_body(m)


def pagerduty_event(m: dict[str, Any], routing_key: str, action: str) -> dict[str, Any]:
    """An Events API v2 event. ``trigger`` carries the payload; ``acknowledge`` and
    ``resolve`` name the alert only by its dedup_key."""
    event: dict[str, Any] = {"routing_key": routing_key, "event_action": action,
                             "dedup_key": m["dedup_key"]}
    if action != "trigger":
        return event
    event["payload"] = {
        "summary": f"{headline(m)} — {m.get('reason', '')}"[:1024],
        "source": "escalation-console", "severity": PD_SEVERITY.get(m.get("rank", 3), "info"),
        "component": m.get("team") or None, "group": m.get("customer") or None,
        "class": m.get("severity") or None,
        "custom_details": {label: value for label, value in fields(m)},
    }
    event["payload"] = {k: v for k, v in event["payload"].items() if v is not None}
    event["client"] = "Escalation Console"
    event["links"] = [{"href": m["open_url"], "text": "Open in Escalation Console"}]
    return event


def webhook_payload(message: dict[str, Any], delivery_id: str) -> dict[str, Any]:
    return {"type": "escalation.notification", "id": delivery_id, "message": message,
            "text": text_body(message)}
