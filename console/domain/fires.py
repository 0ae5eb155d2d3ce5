"""What the engine fires: one record per alert, escalation, notification or action."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Fire:
    at: datetime
    ticket: str
    kind: str  # pre_breach | breach | escalate | notify | severity_bump | handoff_required | ...
    reason: str
    clock: str | None = None
    severity: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[Any, ...]:
        """Identity for exactly-once delivery: (ticket, kind, clock, cycle, step...)."""
        return (self.ticket, self.kind, self.clock, self.extra.get("cycle"),
                self.extra.get("trigger"), self.extra.get("chain"), self.extra.get("step"),
                self.extra.get("round"), self.extra.get("contact"))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"at": self.at.isoformat(), "ticket": self.ticket,
                               "kind": self.kind}
        if self.clock is not None:
            out["clock"] = self.clock
        out["severity"] = self.severity
        out["reason"] = self.reason
        for k, v in self.extra.items():
            out[k] = v.isoformat() if isinstance(v, datetime) else v
        return out
