"""The runner's start replays the whole event log without holding it all at once."""

from __future__ import annotations

import gc
from datetime import timedelta

from console.domain.fires import Fire
from console.notify.runner import CHECKPOINT
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


class _Watched:
    """The store's feed, counting the Fire objects alive once the replay's last
    event has been handed out."""

    def __init__(self, feed: EventFeed) -> None:
        self.feed = feed
        self.live_fires: int | None = None

    def initial(self):  # type: ignore[no-untyped-def]
        events, cursor = self.feed.initial()

        def watched():  # type: ignore[no-untyped-def]
            yield from events
            gc.collect()
            self.live_fires = sum(1 for o in gc.get_objects() if type(o) is Fire)

        return watched(), cursor

    def since(self, cursor: int, limit: int = 5000):  # type: ignore[no-untyped-def]
        return self.feed.since(cursor, limit)

    def intakes(self, ids):  # type: ignore[no-untyped-def]
        return self.feed.intakes(ids)


def test_fires_from_before_the_checkpoint_are_dropped_as_the_replay_goes(make_console):
    console = make_console()
    _log(console.store, 200)  # each opening suggests a severity: 200 fires of history
    later = console.store.clock() + timedelta(days=2)
    console.runner.outbox.set_meta(CHECKPOINT, later.isoformat())
    watched = _Watched(EventFeed(console.store))
    console.runner.feed = watched
    report = console.runner.start(later)
    assert watched.live_fires is not None and watched.live_fires < 20
    assert all(f.at >= later for f in report.fires)
