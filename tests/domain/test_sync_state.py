"""The sync state's one line for the status bar, the wall and the CLI."""

from __future__ import annotations

from datetime import UTC, datetime

from console.domain.sync_state import SyncState


def test_the_sync_state_says_how_many_changes_were_refused():
    assert SyncState("online").describe() == "online"
    assert SyncState("online", refused=1).describe() == "online · 1 change refused"
    assert SyncState("syncing", refused=3, history_loading=True).describe() == (
        "syncing, loading history · 3 changes refused")
    since = datetime(2026, 3, 2, 10, 2, 5, tzinfo=UTC)
    assert SyncState("offline", since, 2, refused=1).describe() == (
        "offline since 10:02:05 UTC with 2 events pending · 1 change refused")
    assert SyncState("not_configured", refused=2).describe() == (
        "not connected to a shared database · 2 changes refused")
