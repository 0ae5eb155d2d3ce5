"""``escalation-console tickets list|show``: read tickets from the local store."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .common import EXIT_INVALID, EXIT_OK, EXIT_STORE, EXIT_USAGE, fail, opened, text

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from console.store.local import LocalStore


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    tickets = sub.add_parser("tickets", help="list tickets or show one with its history",
                             description="Read tickets from this console's local store.")
    tsub = tickets.add_subparsers(dest="tickets_command", metavar="ACTION", required=True)
    show_list = tsub.add_parser("list", help="every ticket with its SLA clocks",
                                description="List tickets by next due time, with each clock's "
                                            "due time and state at the current time.")
    show = tsub.add_parser("show", help="one ticket with its full event history",
                           description="Show one ticket, its clocks and every event.")
    show.add_argument("ticket", metavar="ID", type=text,
                      help="the ticket's id, as 'tickets list' shows it (e.g. INC-1001)")
    for parser in (show_list, show):
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.add_argument("--now", metavar="ISO-8601",
                            help="judge clock states at this instant (default: now)")
    show_list.set_defaults(func=_cmd_list)
    show.set_defaults(func=_cmd_show)


def _now(args: argparse.Namespace) -> datetime | None:
    if not args.now:
        return datetime.now(UTC)
    try:
        at = datetime.fromisoformat(args.now.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo else None


def ticket_json(row: Any, now: datetime, *, full: bool = False) -> dict[str, Any]:
    """A ticket row as plain data; clocks carry their state at ``now``."""
    from console.domain.projection import ClockView

    clocks = []
    for data in json.loads(row.clocks):
        view = ClockView.from_json(data)
        clocks.append({"name": view.name, "severity": data["severity"], "due": data["due"],
                       "pre_breach_at": data["pre_breach_at"], "stopped_at": data["stopped_at"],
                       "paused_since": data["paused_since"], "business": data["business"],
                       "state": view.state(now)})
    out = {"id": row.id, "title": row.title, "severity": row.severity, "status": row.status,
           "tier": row.tier, "team": row.team, "owner": row.owner, "next_due": row.next_due,
           "clocks": clocks}
    if full:
        out.update({"account": row.account, "account_tier": row.account_tier,
                    "severity_source": row.severity_source, "confirmed": row.confirmed,
                    "priority": row.priority, "category": row.category,
                    "opened_at": row.opened_at, "resolved_at": row.resolved_at,
                    "detail": json.loads(row.detail), "event_count": row.event_count})
    return out


def _open(args: argparse.Namespace) -> AbstractContextManager[LocalStore]:
    from .common import open_store

    return opened(open_store(args, lock=False))  # read-only: works beside a running console


def _cmd_list(args: argparse.Namespace) -> int:
    from console.store.errors import StoreError

    now = _now(args)
    if now is None:
        return fail("--now needs an ISO-8601 instant with a UTC offset", EXIT_USAGE)
    try:
        with _open(args) as store:
            rows = store.tickets()
    except StoreError as exc:
        return fail(str(exc), EXIT_STORE)
    tickets = [ticket_json(r, now) for r in rows]
    if args.json:
        print(json.dumps({"now": now.isoformat(), "tickets": tickets}, indent=2))
        return EXIT_OK
    table = [("ID", "SEV", "STATUS", "TIER", "TEAM", "OWNER", "NEXT CLOCK", "TITLE")]
    for t in tickets:
        running = [c for c in t["clocks"] if c["stopped_at"] is None and c["due"]]
        nxt = min(running, key=lambda c: c["due"]) if running else None
        clock = f"{nxt['name']} {nxt['due'][:16]} {nxt['state']}" if nxt else "-"
        table.append((t["id"], t["severity"], t["status"], t["tier"], t["team"],
                      t["owner"] or "-", clock, t["title"]))
    _print_table(table)
    print(f"{len(tickets)} ticket{'s' if len(tickets) != 1 else ''}")
    return EXIT_OK


def _cmd_show(args: argparse.Namespace) -> int:
    from console.store.errors import StoreError

    now = _now(args)
    if now is None:
        return fail("--now needs an ISO-8601 instant with a UTC offset", EXIT_USAGE)
    try:
        with _open(args) as store:
            row = store.ticket(args.ticket)
            history = store.history(args.ticket) if row is not None else []
    except StoreError as exc:
        return fail(str(exc), EXIT_STORE)
    if row is None:
        return fail(f"no ticket {args.ticket!r} in this console's store", EXIT_INVALID)
    ticket = ticket_json(row, now, full=True)
    events = [{k: v for k, v in e.to_json().items() if k != "ticket"} for e in history]
    if args.json:
        print(json.dumps({"now": now.isoformat(), "ticket": ticket, "history": events},
                         indent=2))
        return EXIT_OK
    print(f"{ticket['id']}: {ticket['title']}")
    for key in ("severity", "severity_source", "confirmed", "status", "tier", "team", "owner",
                "account", "opened_at", "resolved_at"):
        value = ticket[key] if ticket[key] not in (None, "") else "-"
        print(f"  {key.replace('_', ' '):<16}{value}")
    print()
    _print_table([("CLOCK", "SEV", "DUE", "STATE")] +
                 [(c["name"], c["severity"], c["due"] or "-", c["state"])
                  for c in ticket["clocks"]])
    print()
    _print_table([("AT", "KIND", "AUTHOR", "DEVICE", "PAYLOAD")] +
                 [(e["at"][:19], e["kind"], e["author"], e["device"],
                   json.dumps(e["payload"], sort_keys=True)[:80]) for e in events])
    return EXIT_OK


def _print_table(rows: list[tuple[Any, ...]]) -> None:
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
