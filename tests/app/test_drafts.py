"""Drafts: autosaved (debounced) through the DB worker, restored on reopening, and
dropped once their form is submitted."""

from __future__ import annotations

import sqlite3

import pytest
from builders import FakeClock
from service_fakes import on_worker, running_service

from console.app.matrices import load_matrix_file
from console.app.runtime.drafts import DraftAutosaver, DraftRepo, draft_key, list_drafts
from console.app.runtime.forms_ops import already_submitted, event_id, submit_events
from console.paths import default_matrix_path


@pytest.fixture(scope="module")
def matrix():  # type: ignore[no-untyped-def]
    return load_matrix_file(default_matrix_path())


@pytest.fixture
def service(tmp_path, matrix, qtbot):  # type: ignore[no-untyped-def]
    with running_service(tmp_path / "data", matrix, qtbot, user="ana") as svc:
        yield svc




def test_draft_keys_name_the_form_and_the_ticket():
    assert draft_key("intake") == "intake"
    assert draft_key("handoff", "INC-1") == "handoff:INC-1"


def test_the_repo_saves_loads_lists_and_deletes(service, qtbot):
    repo = DraftRepo(service.store)
    on_worker(service, qtbot, lambda: repo.save("handoff:T-1", "handoff", "T-1", {"a": "é"}))
    on_worker(service, qtbot, lambda: repo.save("intake", "intake", "", {"title": "x"}))
    draft = on_worker(service, qtbot, lambda: repo.load("handoff:T-1"))
    assert (draft.form, draft.ticket, draft.payload) == ("handoff", "T-1", {"a": "é"})
    listed = []
    list_drafts(service, listed.extend)
    qtbot.waitUntil(lambda: len(listed) == 2, timeout=5000)
    assert on_worker(service, qtbot, lambda: [d.key for d in repo.all("intake")]) == ["intake"]
    on_worker(service, qtbot, lambda: repo.delete("handoff:T-1"))
    assert on_worker(service, qtbot, lambda: repo.load("handoff:T-1")) is None


def test_a_burst_of_changes_is_saved_once_after_the_pause(service, qtbot):
    state = {"title": ""}
    saver = DraftAutosaver(service, "intake", "intake", "", lambda: dict(state), delay_ms=150)
    saved = []
    saver.saved.connect(saved.append)
    for ch in "Checkout":
        state["title"] += ch
        saver.changed()
    assert saved == [] and saver.pending
    qtbot.waitUntil(lambda: len(saved) == 1, timeout=5000)
    assert not saver.pending  # nothing left to write: no second save can follow
    assert len(saved) == 1
    assert saved[0].payload == {"title": "Checkout"}
    draft = on_worker(service, qtbot, lambda: DraftRepo(service.store).load("intake"))
    assert draft.payload == {"title": "Checkout"}


def test_typing_without_a_pause_still_saves_every_second(service, qtbot):
    state = {"n": 0}
    clock = FakeClock(0.0)
    # A debounce far longer than the test: only the one-second limit can save.
    saver = DraftAutosaver(service, "intake", "intake", "", lambda: dict(state),
                           delay_ms=60_000, monotonic=clock)
    saved = []
    saver.saved.connect(saved.append)
    for key in range(1, 15):  # a key every 0.125 s, never pausing
        clock.now = key * 0.125
        state["n"] = key
        saver.changed()
    qtbot.waitUntil(lambda: bool(saved), timeout=5000)
    assert saved[0].payload == {"n": 9}  # one second after the first key
    qtbot.waitUntil(lambda: saved[-1].payload == {"n": 14}, timeout=5000)


def test_a_stopped_autosaver_writes_nothing_and_discard_deletes(service, qtbot):
    state = {"x": 1}
    saver = DraftAutosaver(service, "k", "intake", "", lambda: dict(state), delay_ms=50)
    saved = []
    saver.saved.connect(saved.append)
    saver.changed()
    qtbot.waitUntil(lambda: len(saved) == 1, timeout=5000)
    saver.discard()
    qtbot.waitUntil(lambda: on_worker(service, qtbot, lambda: DraftRepo(service.store)
                                      .load("k")) is None, timeout=5000)
    saver.stop()
    saver.changed()
    assert not saver.pending  # the change was ignored: nothing will be written
    assert len(saved) == 1


def test_restore_returns_the_draft_and_drops_one_already_submitted(service, qtbot):
    repo = DraftRepo(service.store)
    on_worker(service, qtbot, lambda: repo.save("intake", "intake", "", {
        "title": "Checkout fails", "_submit_id": "s-1"}))
    saver = DraftAutosaver(service, "intake", "intake", "", dict)
    loaded = []
    saver.load(loaded.append, is_stale=lambda d: already_submitted(
        service.store, d.payload.get("_submit_id", "")))
    qtbot.waitUntil(lambda: bool(loaded), timeout=5000)
    assert loaded[0].payload["title"] == "Checkout fails"

    done = []
    submit_events(service, "T-1", [("opened", {"title": "Checkout fails"})], "s-1",
                  done.append, pytest.fail)
    qtbot.waitUntil(lambda: bool(done), timeout=5000)
    assert done[0].events[0].id == event_id("s-1", 0)
    loaded.clear()
    saver.load(loaded.append, is_stale=lambda d: already_submitted(
        service.store, d.payload.get("_submit_id", "")))
    qtbot.waitUntil(lambda: bool(loaded), timeout=5000)
    assert loaded == [None]
    assert on_worker(service, qtbot, lambda: repo.load("intake")) is None


def test_submitting_the_same_form_twice_stores_its_events_once(service, qtbot):
    results = []
    for attempt in (1, 2):
        submit_events(service, "T-9", [("opened", {"title": "x"}), ("message", {"text": "y"})],
                      "same", results.append, pytest.fail, draft_key="intake")
        qtbot.waitUntil(lambda n=attempt: len(results) == n, timeout=5000)
    assert [len(r.events) for r in results] == [2, 0]
    assert results[1].duplicate and results[1].pending == 2
    assert len(on_worker(service, qtbot, lambda: service.store.history("T-9"))) == 2


def test_a_submit_whose_draft_cannot_be_deleted_stores_no_events_and_keeps_the_draft(
        service, qtbot):  # type: ignore[no-untyped-def]
    repo = DraftRepo(service.store)
    on_worker(service, qtbot, lambda: repo.save("intake", "intake", "", {"title": "x"}))
    with sqlite3.connect(service.store.path) as conn:  # a real failure after the events
        conn.execute("CREATE TRIGGER no_draft_delete BEFORE DELETE ON drafts "
                     "BEGIN SELECT RAISE(ABORT, 'the drafts table is damaged'); END")
    failed: list[BaseException] = []
    submit_events(service, "T-5", [("opened", {"title": "x"})], "s-5", pytest.fail,
                  failed.append, draft_key="intake")
    qtbot.waitUntil(lambda: bool(failed), timeout=5000)
    assert on_worker(service, qtbot, lambda: service.store.history("T-5")) == []
    assert on_worker(service, qtbot, lambda: service.store.pending()) == 0
    assert on_worker(service, qtbot, lambda: repo.load("intake")) is not None
