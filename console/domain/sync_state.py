"""How far this console is in step with the shared database: a plain value.

The syncer (console.store) produces it, the app layer announces it, the views and the
CLI describe it; it lives here, below all three, so none of them imports another's type.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True, slots=True)
class SyncState:
    status: str
    offline_since: datetime | None = None
    pending: int = 0
    last_sync: datetime | None = None
    last_error: str = ""
    #: a first connect's history is still being pulled in the background
    history_loading: bool = False

    def describe(self) -> str:
        """``online``, ``syncing``, ``offline since 10:02:05 UTC with 12 events pending``."""
        if self.status == "not_configured":
            return "not connected to a shared database"
        if self.status != "offline":
            if self.history_loading:
                return f"{self.status}, loading history"
            return self.status
        text = "offline"
        if self.offline_since is not None:
            text += f" since {self.offline_since.astimezone(UTC):%H:%M:%S} UTC"
        if self.pending:
            text += f" with {self.pending} event{'s' if self.pending != 1 else ''} pending"
        return text
