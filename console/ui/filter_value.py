"""The queue filter as a value: what the commander asked to see, and its saved form.

Qt-free. QueueFilterProxy (queue_filters.py) shows the rows it accepts; the filter
bar (filter_bar.py) edits it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from console.app.runtime.rows import QueueRow


@dataclass(frozen=True)
class QueueFilter:
    """What the commander asked to see. Empty sets mean "all"."""

    severities: frozenset[str] = field(default_factory=frozenset)
    tiers: frozenset[str] = field(default_factory=frozenset)
    teams: frozenset[str] = field(default_factory=frozenset)
    statuses: frozenset[str] = field(default_factory=frozenset)
    mine: bool = False
    text: str = ""

    @property
    def active(self) -> bool:
        return self != QueueFilter()

    def accepts(self, row: QueueRow, user: str) -> bool:
        if self.severities and row.severity not in self.severities:
            return False
        if self.tiers and row.tier not in self.tiers:
            return False
        if self.teams and row.team not in self.teams:
            return False
        if self.statuses and row.status not in self.statuses:
            return False
        if self.mine and (not user or row.owner != user):
            return False
        needle = self.text.strip().casefold()
        if needle:
            haystack = f"{row.id}\n{row.title}\n{row.account}\n{row.owner}".casefold()
            return needle in haystack
        return True

    def to_json(self) -> str:
        data = asdict(self)
        for key in ("severities", "tiers", "teams", "statuses"):
            data[key] = sorted(data[key])
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> QueueFilter:
        """Parse saved filters; anything unreadable gives the default (show all)."""
        try:
            data = json.loads(text or "{}")
            return cls(
                severities=frozenset(map(str, data.get("severities", ()))),
                tiers=frozenset(map(str, data.get("tiers", ()))),
                teams=frozenset(map(str, data.get("teams", ()))),
                statuses=frozenset(map(str, data.get("statuses", ()))),
                mine=bool(data.get("mine", False)),
                text=str(data.get("text", "")),
            )
        except (ValueError, TypeError, AttributeError):
            return cls()


