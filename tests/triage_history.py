"""A generated history for the triage UI tests: resolved tickets whose team, category
and severity follow from a word in the title, so suggestions trained on them mean
something, plus a few open tickets. Built once per test module and copied per test.
"""

from __future__ import annotations

import random
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from console.app.matrices import load_matrix_file
from console.app.triage.background import Outcome, train_store
from console.paths import default_matrix_path
from console.store.local import LocalStore, NewEvent

START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
# a word in the title -> (team, category, Engineering's severity, how it was resolved)
RULES = {
    "invoice": ("payments-engineering", "billing", "P3",
                "Reissued the invoice after correcting the VAT rate."),
    "refund": ("payments-engineering", "billing", "P2",
               "Refunded through the payment provider and confirmed with the customer."),
    "dashboard": ("product-engineering", "bug", "P3",
                  "Rebuilt the dashboard cache; charts load again."),
    "export": ("product-engineering", "performance", "P3",
               "Raised the export worker's memory limit."),
    "login": ("specialists", "integration", "P2",
              "Cleared the SSO cache and re-synced the identity provider."),
    "password": ("specialists", "question", "P4",
                 "Sent the password reset link and walked them through it."),
}
FILLERS = ["fails for some users", "broken since this morning", "shows an error",
           "does not work on Chrome", "keeps spinning", "is very slow today",
           "returns a blank page", "stopped working after the update"]
ACCOUNTS = ["Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne"]
TIERS = {"payments-engineering": "T3", "product-engineering": "T3", "specialists": "T2"}


def ticket_events(n: int, word: str, at: datetime, resolved: bool,
                  rng: random.Random) -> list[NewEvent]:
    """One ticket about ``word``: opened, Support's and Engineering's severity, moved to
    its team, and (when ``resolved``) a note and the resolution."""
    team, category, severity, how = RULES[word]
    ticket = f"INC-{n:04d}"
    account = rng.choice(ACCOUNTS)
    # the titles name their customer, as agents' titles often do
    title = f"{word.capitalize()} {rng.choice(FILLERS)} at {account}"
    events = [
        NewEvent(ticket, "opened", {
            "title": title, "account": account, "account_tier": "business",
            "users_affected_pct": rng.choice([1, 5, 10]), "workaround": "partial",
            "category": category, "owner": "ana",
            "text": f"The customer says the {word} {rng.choice(FILLERS)}. "
                    "We tried reloading the page and a second browser."}, "ana", at=at),
        NewEvent(ticket, "severity", {"severity": severity, "by": "support",
                                      "reason": "intake"}, "ana", at=at),
        NewEvent(ticket, "severity", {"severity": severity, "by": "engineering",
                                      "reason": "confirmed"}, "eng",
                 at=at + timedelta(minutes=20)),
        NewEvent(ticket, "assigned", {"team": team, "tier": TIERS[team], "by": "ana",
                                      "reason": "triage"}, "ana",
                 at=at + timedelta(minutes=25)),
        NewEvent(ticket, "message", {"text": f"Any news on the {word} problem? We promised "
                                              "our finance team an answer today."},
                 "customer", at=at + timedelta(minutes=40)),
    ]
    if resolved:
        events.append(NewEvent(ticket, "resolved", {"note": how}, "eng",
                               at=at + timedelta(hours=2)))
    return events


def build_history(data_dir: Path, resolved: int = 240, open_tickets: int = 6,
                  seed: int = 7) -> None:
    """Write ``resolved`` resolved and ``open_tickets`` open tickets into a new store."""
    rng = random.Random(seed)
    matrix = load_matrix_file(default_matrix_path())
    events: list[NewEvent] = []
    words = sorted(RULES)
    for n in range(resolved + open_tickets):
        at = START + timedelta(hours=3 * n)
        events += ticket_events(n + 1, words[n % len(words)], at, n < resolved, rng)
    with LocalStore(data_dir, matrix, clock=lambda: START + timedelta(days=60)) as store:
        store.append_many(events)


def trained_history(root: Path, **options: Any) -> tuple[Path, Outcome]:
    """A data dir with the generated history and every triage model trained on it."""
    data_dir = root / "trained"
    build_history(data_dir, **options)
    outcome = train_store(data_dir, now=START + timedelta(days=60))
    assert not outcome.error, outcome.error
    return data_dir, outcome


def copy_of(data_dir: Path, target: Path) -> Path:
    """A private copy of a built data dir (tests write events into theirs)."""
    shutil.copytree(data_dir, target, ignore=shutil.ignore_patterns("*.lock", "console.lock"))
    return target
