"""The runner's start replays the whole event log without holding it all at once."""

from __future__ import annotations

import gc
from datetime import timedelta

from console.store.deliveries import EventFeed
from console.store.local import NewEvent
from console.store.records import StoredEvent


def _log(store, tickets: int) -> None:  # type: ignore[no-untyped-def]
    base = store.clock()
    new = []
    for i in range(tickets):
        at = base + timedelta(seconds=i)
        new.append(NewEvent(f"T{i}", "opened", {"title": f"ticket {i}"}, "ana", at))
        new.append(NewEvent(f"T{i}", "responded", {}, "ana", at + timedelta(seconds=1)))
    store.append_many(new)


def _live_events() -> int:
    return sum(1 for o in gc.get_objects() if type(o) is StoredEvent)


def test_the_initial_replay_holds_one_page_of_events_at_a_time(make_console):
    console = make_console()
    _log(console.store, 300)
    feed = EventFeed(console.store, page=50)
    events, cursor = feed.initial()
    gc.collect()
    before = _live_events()
    stream = iter(events)
    first = next(stream)
    assert _live_events() - before <= 50
    rest = list(stream)
    seen = [first, *rest]
    assert len(seen) == 600 and cursor > 0
    assert [e.hlc for e in seen] == sorted(e.hlc for e in seen)


def test_the_runner_counts_every_replayed_event_at_start(make_console):
    console = make_console()
    _log(console.store, 120)
    report = console.runner.start(console.store.clock())
    assert report.events == 240
    assert len(console.runner.engine.tickets) == 120
