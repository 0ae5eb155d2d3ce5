"""The app layer's port: the console service answers the views with plain values."""

from __future__ import annotations

import pytest
from service_fakes import on_worker, running_service

from console.app.matrices import load_matrix_file
from console.app.runtime.forms_ops import event_id
from console.app.runtime.port import ConsoleServicePort, TimelineEvent
from console.paths import default_matrix_path
from console.store.local import NewEvent


@pytest.fixture(scope="module")
def matrix():  # type: ignore[no-untyped-def]
    return load_matrix_file(default_matrix_path())


@pytest.fixture
def service(tmp_path, matrix, qtbot):  # type: ignore[no-untyped-def]
    with running_service(tmp_path / "data", matrix, qtbot, user="ana") as svc:
        yield svc


OPENED = {"title": "Checkout fails", "account": "Acme", "users_affected_pct": 50,
          "workaround": "none"}


def test_the_console_service_is_a_console_service_port(service):
    assert isinstance(service, ConsoleServicePort)
    assert service.data_dir.is_dir()


def test_a_ticket_history_reaches_the_views_as_timeline_events(service, qtbot):
    on_worker(service, qtbot, lambda: service.store.append("INC-1", "opened", OPENED, "ana"))
    with qtbot.waitSignal(service.historyLoaded, timeout=5000) as signal:
        service.load_history("INC-1")
    ticket, events = signal.args
    assert ticket == "INC-1"
    assert [type(e) for e in events] == [TimelineEvent]
    assert (events[0].kind, events[0].author, events[0].payload) == ("opened", "ana", OPENED)


def test_outbox_counts_tell_which_events_still_wait_for_the_shared_database(service, qtbot):
    stored = on_worker(service, qtbot,
                       lambda: service.store.append("INC-1", "opened", OPENED, "ana"))
    counts: list[tuple[int, int]] = []
    service.outbox_counts([stored.id, "not-an-event"], counts.append)
    qtbot.waitUntil(lambda: bool(counts), timeout=5000)
    assert counts == [(1, 1)]  # local only: nothing is ever pushed


def test_a_submission_is_known_once_its_first_event_is_stored(service, qtbot):
    assert not on_worker(service, qtbot, lambda: service.is_submitted("s1"))
    on_worker(service, qtbot, lambda: service.store.append_many(
        [NewEvent("INC-1", "opened", OPENED, "ana", id=event_id("s1", 0))]))
    assert on_worker(service, qtbot, lambda: service.is_submitted("s1"))


def test_a_form_reads_a_ticket_history_as_timeline_events(service, qtbot):
    on_worker(service, qtbot, lambda: service.store.append("INC-1", "opened", OPENED, "ana"))
    got: list[list[TimelineEvent]] = []
    service.forms.history("INC-1", got.append, lambda exc: got.append([]))
    qtbot.waitUntil(lambda: bool(got), timeout=5000)
    assert [(type(e), e.kind) for e in got[0]] == [(TimelineEvent, "opened")]


def test_a_form_submission_answers_with_timeline_events(service, qtbot):
    results: list = []
    service.forms.answer_approval("INC-1", "r1", True, "lead", "fine", results.append,
                                  lambda exc: results.append(exc))
    qtbot.waitUntil(lambda: bool(results), timeout=5000)
    assert [type(e) for e in results[0].events] == [TimelineEvent]
    assert results[0].events[0].kind == "approval_granted"
