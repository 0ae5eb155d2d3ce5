"""The runner's start replays the whole event log without holding it all at once, and
what it keeps of each open ticket stays small."""

from __future__ import annotations

import gc
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from console.app.notify_ops import build_runner
from console.app.notify_secrets import StaticSecrets
from console.app.usecases.demo import seed_demo
from console.domain.fires import Fire
from console.domain.matrix.model import Matrix
from console.notify.runner import CHECKPOINT
from console.store.deliveries import EventFeed
from console.store.local import LocalStore, NewEvent
from console.store.records import StoredEvent

DEMO_NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
# What the runner may keep per open ticket once started (its engine's record and
# timers). It kept about 3,700 bytes before the engine dropped each ticket's history,
# title, text and stored clocks; about 1,250 after.
BYTES_PER_TICKET = 1_600


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


def _held_after_start(data_dir: Path, matrix: Matrix) -> int:
    """Bytes allocated during the runner's start and still alive after it."""
    with LocalStore(data_dir, matrix, clock=lambda: DEMO_NOW) as store:
        runner = build_runner(store, secrets=StaticSecrets({}), claims=None,
                              clock=lambda: DEMO_NOW, sentiment=None)
        gc.collect()
        tracemalloc.start()
        try:
            report = runner.start(DEMO_NOW)
            del report
            gc.collect()
            held, _ = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        store.unfollow_matrix(runner.set_matrix)
    return held


def test_the_runner_keeps_little_of_each_open_ticket_once_started(tmp_path, matrix):
    # realistic tickets (the demo's titles, texts, customer messages, handoffs and
    # severity changes); two sizes, so what the runner holds whatever the count cancels
    held = {}
    for count in (300, 1500):
        data_dir = tmp_path / f"demo-{count}"
        seed_demo(data_dir, matrix, DEMO_NOW, tickets=count, seed=7, user="ana",
                  include_resolved=False)
        held[count] = _held_after_start(data_dir, matrix)
    per_ticket = (held[1500] - held[300]) / 1200
    assert per_ticket < BYTES_PER_TICKET, f"{per_ticket:.0f} bytes per open ticket"
