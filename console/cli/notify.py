"""``escalation-console notify test|deliveries|retry|pd-ack``: notification channels and
the delivery outbox from the command line."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .common import (
    EXIT_INVALID,
    EXIT_OK,
    EXIT_STORE,
    EXIT_USAGE,
    data_dir,
    fail,
    opened,
    positive_int,
    text,
)

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from console.store.local import LocalStore

CHANNELS = ("slack", "teams", "email", "pagerduty", "webhook")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    notify = sub.add_parser("notify", help="test channels, list and retry deliveries, "
                                           "acknowledge from PagerDuty",
                            description="Notification channels and the delivery outbox.")
    nsub = notify.add_subparsers(dest="notify_command", metavar="ACTION", required=True)
    test = nsub.add_parser("test", help="send a test message through a channel",
                           description="Send one test message now, with the channel "
                                       "settings of this console and the secrets in the OS "
                                       "keyring. A PagerDuty test triggers an alert and "
                                       "resolves it at once.")
    test.add_argument("channel", choices=CHANNELS, help="the channel to test")
    test.add_argument("--to", default="", metavar="ADDRESS", type=_address,
                      help="address: an email address, a Slack channel (its own webhook, "
                           "else the default one), a PagerDuty integration name")
    listing = nsub.add_parser("deliveries", help="list the notification outbox",
                              description="List deliveries, newest first.")
    listing.add_argument("--dead", action="store_true", help="only dead letters")
    listing.add_argument("--ticket", metavar="ID", type=text,
                         help="only this ticket's deliveries")
    listing.add_argument("--limit", type=positive_int, default=100, metavar="N",
                         help="show at most N deliveries, newest first (default: 100)")
    listing.add_argument("--json", action="store_true", help="print JSON")
    retry = nsub.add_parser("retry", help="send a dead letter again",
                            description="Put a dead (or failed) delivery back in the "
                                        "outbox with a fresh retry budget; a running "
                                        "console sends it within seconds.")
    retry.add_argument("delivery", metavar="ID", type=text,
                       help="delivery id, or a unique prefix of 6 or more characters, as "
                            "'notify deliveries' shows it")
    ack = nsub.add_parser("pd-ack", help="record a PagerDuty acknowledgement",
                          description="Record that a PagerDuty alert raised by a chain was "
                                      "acknowledged in PagerDuty: appends an 'acknowledged' "
                                      "event to the ticket, which stops its chain on every "
                                      "console. KEY is the alert's dedup_key "
                                      "(ec/TICKET/REF, shown in PagerDuty) or a ticket id.")
    ack.add_argument("key", metavar="KEY", type=text,
                     help="the alert's dedup_key (ec/TICKET/REF) or a ticket id")
    ack.add_argument("--by", default="pagerduty", metavar="NAME", type=text,
                     help="who acknowledged (default: pagerduty)")
    test.set_defaults(func=_cmd_test)
    listing.set_defaults(func=_cmd_list)
    retry.set_defaults(func=_cmd_retry)
    ack.set_defaults(func=_cmd_pd_ack)



def _address(value: str) -> str:
    """--to may be empty (the channel's default), but must be text."""
    return text(value) if value else value


def _open(args: argparse.Namespace) -> AbstractContextManager[LocalStore]:
    """The open local store, closed when the ``with`` block ends; beside a running
    console (which holds the lock) it is opened without the lock: SQLite serialises
    the writes."""
    from console.store.errors import StoreLocked

    from .common import open_store

    try:
        store = open_store(args)
    except StoreLocked:
        store = open_store(args, lock=False)
    return opened(store)


def _cmd_test(args: argparse.Namespace) -> int:
    from console.app.notify_ops import send_test
    from console.app.secrets import SecretsError
    from console.app.settings import SettingsError

    try:
        result = send_test(args.channel, args.to, data_dir=data_dir(args))
    except (SecretsError, SettingsError) as exc:
        return fail(str(exc))
    if result.ok:
        extra = f" ({result.external_id})" if result.external_id else ""
        print(f"{args.channel}: test message sent{extra}")
        return EXIT_OK
    kind = "final" if result.final else "temporary"
    return fail(f"{args.channel}: test failed ({kind}): {result.error}")


def _cmd_list(args: argparse.Namespace) -> int:
    from console.app.notify_ops import deliveries
    from console.store.errors import StoreError

    try:
        with _open(args) as store:
            rows = deliveries(store, dead=args.dead, ticket=args.ticket, limit=args.limit)
    except StoreError as exc:
        return fail(str(exc), EXIT_STORE)
    if args.json:
        print(json.dumps([r.to_json() for r in rows], indent=2))
        return EXIT_OK
    if not rows:
        print("no dead letters" if args.dead else "no deliveries")
        return EXIT_OK
    for r in rows:
        when = (r.sent_at or r.next_attempt_at).strftime("%Y-%m-%d %H:%M:%S")
        error = f"  {r.last_error[:80]}" if r.last_error and r.status != "sent" else ""
        print(f"{r.id[:8]}  {r.status:<8} {r.channel:<9} {r.ticket:<12} "
              f"{r.contact or '-':<20} tries {r.attempts:<2} {when}{error}")
    return EXIT_OK


def _cmd_retry(args: argparse.Namespace) -> int:
    from console.app.notify_ops import retry_delivery
    from console.store.deliveries import DeliveryOutbox
    from console.store.errors import StoreError

    try:
        with _open(args) as store:
            row = DeliveryOutbox(store).get(args.delivery)
            if row is not None and row.status in ("dead", "failed", "skipped"):
                row = retry_delivery(store, row.id, datetime.now(UTC))
            elif row is not None:
                return fail(f"delivery {row.id[:8]} is {row.status}; only dead, failed or "
                            "skipped deliveries can be retried", EXIT_INVALID)
    except StoreError as exc:
        return fail(str(exc), EXIT_STORE)
    if row is None:
        return fail(f"no delivery {args.delivery!r} (see 'notify deliveries')", EXIT_USAGE)
    print(f"delivery {row.id[:8]} ({row.channel} to {row.contact or row.ticket}) is queued "
          "again")
    return EXIT_OK


def _cmd_pd_ack(args: argparse.Namespace) -> int:
    from console.app.notify_ops import alert_ticket, pagerduty_ack_payload
    from console.notify.message import ticket_from_dedup_key
    from console.store.errors import StoreError

    try:
        with _open(args) as store:
            ticket = alert_ticket(store, args.key)
            if ticket is None:
                named = ticket_from_dedup_key(args.key) or args.key
                return fail(f"no ticket {named!r} in the local store", EXIT_USAGE)
            event = store.append(ticket, "acknowledged",
                                 pagerduty_ack_payload(args.key, args.by), args.by)
    except StoreError as exc:
        return fail(str(exc), EXIT_STORE)
    print(f"{ticket}: acknowledged from PagerDuty at {event.at.isoformat()} "
          f"(event {event.id[:8]}); its chain stops")
    return EXIT_OK
