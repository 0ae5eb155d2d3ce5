"""Store errors that say what happened and what the user can do."""

from __future__ import annotations


class StoreError(RuntimeError):
    """The local store could not do what was asked; nothing was half-written."""


class StoreLocked(StoreError):
    """Another Escalation Console already uses this data directory."""


def explain_sqlite(exc: BaseException, path: str) -> str:
    """Turn a SQLite error into a sentence naming the file and the remedy."""
    text = str(getattr(exc, "orig", exc)).lower()
    if "disk is full" in text or "no space" in text:
        return (f"the disk holding {path} is full: the change was not saved and nothing "
                "was lost; free some space and try again")
    if "readonly" in text or "read-only" in text or "permission" in text:
        return (f"cannot write to {path}: the data directory is read-only; nothing was "
                "changed (choose a writable --data-dir)")
    if "unable to open" in text:
        return (f"cannot open the local store at {path}: check that the folder exists and "
                "is writable")
    if "locked" in text or "busy" in text:
        return f"the local store at {path} stayed busy; try again"
    if "malformed" in text or "not a database" in text:
        return f"the local store at {path} is damaged ({text}); restore it from a backup"
    return f"the local store at {path} failed: {text}"
