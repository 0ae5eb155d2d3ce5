"""Notifications wired into the console: the runner over the local store, claims in the
shared database, secrets from the keyring, desktop messages to the GUI.

No Qt here: the command line imports this module. The GUI's handle on a running
notifier (``start_notifications``) lives in ``console.app.runtime.notify_handle``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from console.app.identity import console_author
from console.app.notify_secrets import NotifySecrets, Secrets
from console.app.settings import Settings
from console.notify.channels import CHANNELS, DeliveryResult, Target, build_channels
from console.notify.checkpoint import FILE_NAME as CHECKPOINT_FILE
from console.notify.checkpoint import EngineCheckpoint
from console.notify.message import TicketInfo, build_message, pd_dedup_key, ticket_from_dedup_key
from console.notify.outbox import Dispatcher, RetryPolicy
from console.notify.runner import NotifyRunner
from console.store.actions import StoreActionLog
from console.store.deliveries import DeliveryOutbox, DeliveryRecord, EventFeed, SharedClaims
from console.store.local import LocalStore
from console.store.records import StoredEvent

log = logging.getLogger(__name__)
SETTINGS_KEY = "notify"
DEFAULTS: dict[str, Any] = {
    "slack": {"min_interval": 1.0, "max_batch": 20},
    "teams": {"min_interval": 0.25, "max_batch": 10},
    "email": {"host": "", "port": 587, "username": "", "sender": "", "starttls": True,
              "cafile": ""},
    "pagerduty": {"events_url": "https://events.pagerduty.com/v2/enqueue"},
    "webhook": {},
    "desktop": {},
    "retry": {"base": 2.0, "cap": 300.0, "max_attempts": 10},
    "offline_grace_seconds": 120.0,
    "lease_seconds": 120.0,
}


def utc_now() -> datetime:
    return datetime.now(UTC)


def load_config(data_dir: str | Path) -> dict[str, Any]:
    """The ``notify`` settings merged over the defaults (no secrets in here)."""
    stored = Settings(data_dir).get(SETTINGS_KEY) or {}
    out: dict[str, Any] = {}
    for key, default in DEFAULTS.items():
        value = stored.get(key, default)
        out[key] = {**default, **value} if isinstance(default, dict) else value
    return out


def save_config(data_dir: str | Path, config: dict[str, Any]) -> None:
    Settings(data_dir).set(SETTINGS_KEY, config)


def open_claims(store: LocalStore, lease_seconds: float = 120.0) -> SharedClaims | None:
    """Claims on the configured shared database, or None for a local-only console."""
    from console.app.secrets import SecretsError, load_password
    from console.store.server import SharedDatabase

    url = Settings(store.data_dir).shared_db_url
    if not url:
        return None
    try:
        password = load_password(url)
    except SecretsError as exc:
        log.warning("shared database password unavailable: %s", exc)
        password = None
    return SharedClaims(SharedDatabase(url, password), store.device, lease_seconds)


def build_runner(store: LocalStore, *, config: dict[str, Any] | None = None,
                 secrets: Secrets | None = None,
                 claims: SharedClaims | str | None = "auto",
                 show: Callable[[dict[str, Any]], None] | None = None,
                 clock: Callable[[], datetime] = utc_now, sentiment: Any = "vader",
                 poll_interval: float = 1.0, seed: int | None = None,
                 on_actions: Callable[[list[StoredEvent]], None] | None = None,
                 may_send: Callable[[], bool] | None = None,
                 checkpoint: bool = True, author: str | None = None) -> NotifyRunner:
    """A runner over an open store. ``claims="auto"`` uses the shared database from the
    console's settings (none configured: local only). ``may_send`` gates the external
    sends (a standby service, or a console while a service pages). ``checkpoint``: the
    engine's state saved in the data directory, so a start replays only the events
    after it (``console.notify.checkpoint``); False replays every event. ``author``
    signs the engine's action events: the writing process's login (None: this data
    directory's console author, its shared database login or the OS login)."""
    config = config if config is not None else load_config(store.data_dir)
    secrets = secrets if secrets is not None else NotifySecrets()
    if claims == "auto":
        claims = open_claims(store, float(config.get("lease_seconds", 120.0)))
    if sentiment == "vader":
        from console.app.sentiment import vader_compound

        sentiment = vader_compound
    outbox = DeliveryOutbox(store)
    feed = EventFeed(store)
    retry = config.get("retry") or {}
    policy = RetryPolicy(base=float(retry.get("base", 2.0)), cap=float(retry.get("cap", 300)),
                         max_attempts=int(retry.get("max_attempts", 10)))
    dispatcher = Dispatcher(outbox, build_channels(config, show), secrets.lookup,
                            claims=claims if isinstance(claims, SharedClaims) else None,
                            policy=policy, clock=clock, seed=seed, may_send=may_send,
                            offline_grace=float(config.get("offline_grace_seconds", 120.0)),
                            secret_hint=secrets.where)

    def infos(ids: Any) -> dict[str, TicketInfo]:
        return {k: TicketInfo.from_row(v) for k, v in feed.tickets(ids).items()}

    saved = None
    if checkpoint:
        def matrix_event() -> str | None:  # named in the checkpoint's header
            versions = store.matrix_versions()
            return versions[-1].event_id if versions else None

        saved = EngineCheckpoint(store.data_dir / CHECKPOINT_FILE, feed,
                                 matrix_event=matrix_event)
    runner = NotifyRunner(feed, outbox, dispatcher, store.matrix, infos, clock=clock,
                          sentiment=sentiment, oncall_dir=store.data_dir,
                          # the engine's actions as events (``on_actions`` hears of them)
                          actions=StoreActionLog(store, author or console_author(store.data_dir),
                                                 on_written=on_actions),
                          poll_interval=poll_interval, checkpoint=saved)
    # a new version reaches the runner by the store's event, the one the GUI's
    # matrixChanged comes from, the moment it commits (local publish or pull)
    store.follow_matrix(runner.set_matrix)
    return runner


# -- acknowledgements from PagerDuty (``notify pd-ack``, the service's webhook) ---------
def alert_ticket(store: LocalStore, key: str, *, ticket_ids: bool = True) -> str | None:
    """The ticket a PagerDuty alert was raised for, if this store has it. ``key`` is the
    alert's dedup key (``ec/TICKET/REF``, built by ``pd_dedup_key``) or, with
    ``ticket_ids``, a ticket id; a dedup key that is not one of ours gives None."""
    ticket = ticket_from_dedup_key(key) or (key if ticket_ids else None)
    return ticket if ticket and store.ticket(ticket) is not None else None


def pagerduty_ack_payload(key: str, by: str, **extra: Any) -> dict[str, Any]:
    """The payload of an ``acknowledged`` (or ``resolved``) event that came from
    PagerDuty's alert ``key``."""
    return {"by": by, "via": "pagerduty", "dedup_key": key, "alert": key, **extra}


# -- tests, listings and retries (the dialogs and the CLI) --------------------------------
def sample_message(channel: str, now: datetime) -> dict[str, Any]:
    info = TicketInfo("TEST-1", "Test notification from Escalation Console", "P1",
                      "support", ("this is a test",), "Example Customer", "enterprise")
    key = f"test|{channel}|{uuid.uuid4().hex}"
    message = build_message(info, now, reason="a test from the channel settings", key=key,
                            recipient="you", rank=0)
    if channel == "pagerduty":
        message.update(event_action="trigger", dedup_key=pd_dedup_key("TEST", key))
    return message


def send_test(channel: str, address: str = "", *, config: dict[str, Any] | None = None,
              secrets: Secrets | None = None,
              data_dir: str | Path | None = None,
              now: datetime | None = None) -> DeliveryResult:
    """Send one test message now, outside the outbox. A PagerDuty test triggers an
    alert and resolves it right away."""
    if channel not in CHANNELS or channel == "desktop":
        return DeliveryResult.fail(f"cannot test channel {channel!r} from here")
    if config is None:
        config = load_config(data_dir) if data_dir is not None else dict(DEFAULTS)
    secrets = secrets if secrets is not None else NotifySecrets()
    sender = build_channels(config)[channel]
    _, secret = secrets.lookup(channel, address)
    message = sample_message(channel, now or utc_now())
    target = Target(channel, address, "test", "you")
    result = sender.send(message, target, secret)
    if result.ok and channel == "pagerduty":
        sender.send({**message, "event_action": "resolve"}, target, secret)
    return result


def deliveries(store: LocalStore, *, dead: bool = False, ticket: str | None = None,
               limit: int = 500) -> list[DeliveryRecord]:
    return DeliveryOutbox(store).listing(["dead"] if dead else None, ticket, limit)


def retry_delivery(store: LocalStore, delivery_id: str, now: datetime | None = None
                   ) -> DeliveryRecord | None:
    return DeliveryOutbox(store).retry(delivery_id, now or utc_now())
