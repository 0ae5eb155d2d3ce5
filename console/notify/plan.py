"""From engine fires to deliveries: who gets what, on which channel, under which key.

One notify fire (a chain step reaching its primary or backup, plus the step's cc)
becomes one delivery per recipient. Each delivery's key is its exactly-once identity,
the same on every console that runs the same events through the same matrix:
``notify|TICKET|CHAIN|rROUND|sSTEP|ROLE|CONTACT`` (plus ``|cc:CONTACT``, ``|fo:CHANNEL``
for a failover, ``|acknowledge`` / ``|resolve`` for PagerDuty follow-ups).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from console.domain.durations import parse_duration
from console.domain.fires import Fire
from console.domain.matrix.model import Matrix

from .message import TicketInfo, build_message, pd_dedup_key
from .oncall import OnCall

FAILOVER_ORDER = ("pagerduty", "slack", "teams", "email", "webhook")
CLUSTER_CHANNELS = frozenset(FAILOVER_ORDER)
DEFAULT_STEP_TIMEOUT = timedelta(minutes=5)  # failover deadline for steps without ack_timeout
MAX_KEY = 300


@dataclass(frozen=True, slots=True)
class NewDelivery:
    key: str
    ticket: str
    channel: str
    contact: str
    payload: dict[str, Any]  # {"message": ..., "target": ..., "meta": ...}
    not_before: datetime


def _key(*parts: Any) -> str:
    key = "|".join(str(p) for p in parts)
    if len(key) > MAX_KEY:
        import hashlib

        key = key[:MAX_KEY - 17] + "#" + hashlib.sha256(key.encode()).hexdigest()[:16]
    return key


def chain_key(fire: Fire) -> str:
    x = fire.extra
    return _key("notify", fire.ticket, x.get("chain"), f"r{x.get('round')}",
                f"s{x.get('step')}", x.get("role"), x.get("contact"))


def _options(addresses: dict[str, str], first: str) -> list[list[str]]:
    """Channels to try for a recipient, the step's own channel first."""
    order = [first, *(c for c in FAILOVER_ORDER if c != first)]
    out = [[c, addresses[c]] for c in order if c in addresses and c in CLUSTER_CHANNELS]
    if first == "desktop":
        out.insert(0, ["desktop", ""])
    return out


class Planner:
    """Turns fires into deliveries, resolving on-call people and addresses."""

    def __init__(self, matrix: Matrix, oncall: OnCall,
                 ticket_info: Callable[[str], TicketInfo | None]) -> None:
        self.matrix = matrix
        self.oncall = oncall
        self.ticket_info = ticket_info

    def set_matrix(self, matrix: Matrix, oncall: OnCall) -> None:
        self.matrix, self.oncall = matrix, oncall

    def _rank(self, severity: str | None) -> int:
        try:
            return self.matrix.severity(severity).rank if severity else 3
        except KeyError:
            return 3

    @staticmethod
    def latest_per_chain(fires: Iterable[Fire]) -> list[Fire]:
        """Within one batch only the newest step of each (ticket, chain) is still news:
        a console catching up after downtime notifies where the chain is now, not every
        recipient it passed while nobody was watching."""
        latest: dict[tuple[str, Any], Fire] = {}
        out: list[Fire] = []
        for fire in fires:
            if fire.kind == "notify":
                latest[(fire.ticket, fire.extra.get("chain"))] = fire
        for fire in fires:
            if fire.kind != "notify" or latest[(fire.ticket, fire.extra.get("chain"))] is fire:
                out.append(fire)
        return out

    def plan(self, fires: Iterable[Fire], now: datetime) -> list[NewDelivery]:
        out: list[NewDelivery] = []
        for fire in self.latest_per_chain(fires):
            info = self.ticket_info(fire.ticket)
            if info is None:
                continue
            if fire.kind == "notify":
                out.extend(self._notify(fire, info, now))
            elif fire.kind == "chain_exhausted":
                key = _key("exhausted", fire.ticket, fire.extra.get("chain"))
                message = build_message(info, now, reason=fire.reason, key=key,
                                        extra=fire.extra, rank=self._rank(fire.severity))
                out.append(self._delivery(key, fire, "desktop", "", "", "", message, now,
                                          [], "exhausted", cluster=False))
        return out

    def _notify(self, fire: Fire, info: TicketInfo, now: datetime) -> list[NewDelivery]:
        x = fire.extra
        channel = str(x.get("channel") or "")
        if channel == "queue":
            return []  # the ticket already shows in the team's queue: nothing to send
        base = chain_key(fire)
        recipients = [(base, str(x.get("contact")), x.get("role") or "primary")]
        recipients += [(_key(base, f"cc:{cc}"), str(cc), "cc") for cc in x.get("cc") or ()]
        timeout = parse_duration(x["ack_timeout"]) if x.get("ack_timeout") else None
        out = []
        for key, contact, role in recipients:
            addresses, name, on_call = self.oncall.addresses(contact, fire.at)
            options = _options(addresses, channel)
            if not options:
                options = [["desktop", ""]]  # nowhere to send: at least every console shows it
            extra = {**x, "role": role}
            message = build_message(info, now, reason=fire.reason, key=key, extra=extra,
                                    recipient=name, on_call=on_call,
                                    rank=self._rank(fire.severity))
            first, address = options[0]
            out.append(self._delivery(key, fire, first, contact, name, address, message, now,
                                      options[1:], "notify", timeout=timeout))
        return out

    def _delivery(self, key: str, fire: Fire, channel: str, contact: str, name: str,
                  address: str, message: dict[str, Any], now: datetime,
                  options: list[list[str]], kind: str, *, cluster: bool = True,
                  timeout: timedelta | None = None) -> NewDelivery:
        if channel == "pagerduty":
            message = {**message, "event_action": "trigger",
                       "dedup_key": pd_dedup_key(fire.ticket, key)}
        meta = {"kind": kind, "fire_at": fire.at.isoformat(), "rank": message.get("rank", 3),
                "deadline": (now + (timeout or DEFAULT_STEP_TIMEOUT)).isoformat(),
                "timeout": (timeout or DEFAULT_STEP_TIMEOUT).total_seconds(),
                "options": options, "claim": cluster and channel in CLUSTER_CHANNELS}
        target = {"address": address, "contact": contact, "contact_name": name}
        return NewDelivery(key, fire.ticket, channel, contact,
                           {"message": message, "target": target, "meta": meta}, now)

    @staticmethod
    def failover(row: Any, now: datetime) -> NewDelivery | None:
        """The same notification on the recipient's next channel, or None."""
        payload = row.payload
        meta = payload.get("meta") or {}
        options = list(meta.get("options") or [])
        if not options:
            return None
        channel, address = options[0]
        key = _key(row.key, f"fo:{channel}")
        message = dict(payload["message"])
        message.pop("event_action", None)
        if channel == "pagerduty":
            message.update(event_action="trigger", dedup_key=pd_dedup_key(row.ticket, key))
        timeout = timedelta(seconds=float(meta.get("timeout") or 300))
        new_meta = {**meta, "options": options[1:], "deadline": (now + timeout).isoformat(),
                    "claim": channel in CLUSTER_CHANNELS, "failover_from": row.channel}
        target = {**payload.get("target", {}), "address": address}
        return NewDelivery(key, row.ticket, channel, row.contact,
                           {"message": message, "target": target, "meta": new_meta}, now)

    @staticmethod
    def pagerduty_follow_up(row: Any, action: str, now: datetime) -> NewDelivery:
        """acknowledge or resolve the PagerDuty alert a sent trigger raised."""
        payload = row.payload
        message = {**payload["message"], "event_action": action}
        meta = {**payload.get("meta", {}), "kind": f"pd_{action}", "options": [],
                "claim": True, "deadline": None}
        return NewDelivery(_key(row.key, action), row.ticket, "pagerduty", row.contact,
                           {"message": message, "target": payload.get("target", {}),
                            "meta": meta}, now)
