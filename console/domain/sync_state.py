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
    #: how many of this console's events the shared database refused (the local
    #: refused list, until the person dismisses them)
    refused: int = 0
    #: rows of the shared log no console can read, skipped by this console's pulls
    #: (their ids and why are in the log)
    unreadable: int = 0

    def describe(self) -> str:
        """``online``, ``syncing``, ``offline since 10:02:05 UTC with 12 events pending``,
        followed by ``· 1 change refused`` while the refused list holds any, and
        ``· 1 unreadable event skipped`` once a pull skipped a row of the shared log."""
        if self.status == "not_configured":
            text = "not connected to a shared database"
        elif self.status != "offline":
            text = f"{self.status}, loading history" if self.history_loading else self.status
        else:
            text = "offline"
            if self.offline_since is not None:
                text += f" since {self.offline_since.astimezone(UTC):%H:%M:%S} UTC"
            if self.pending:
                text += f" with {self.pending} event{'s' if self.pending != 1 else ''} pending"
        if self.refused:
            text += f" · {self.refused} change{'s' if self.refused != 1 else ''} refused"
        if self.unreadable:
            text += (f" · {self.unreadable} unreadable event"
                     f"{'s' if self.unreadable != 1 else ''} skipped")
        return text
