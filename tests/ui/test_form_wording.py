"""What the forms say about drafts is true: a restored draft names its time and makes
no promise the autosave cannot keep."""

from __future__ import annotations

import re

import pytest
from service_fakes import on_worker, running_service

from console.store.local import NewEvent
from console.ui.forms import HandoffDialog


@pytest.fixture
def service(tmp_path, matrix, qtbot):  # type: ignore[no-untyped-def]
    with running_service(tmp_path / "data", matrix, qtbot, user="ana") as svc:
        yield svc


def test_a_restored_draft_says_when_it_was_saved_and_promises_nothing_more(
        service, matrix, qtbot):
    event = NewEvent("INC-1", "opened", {"title": "Checkout returns 502", "account": "Globex",
                                         "account_tier": "enterprise", "category": "bug"}, "ana")
    on_worker(service, qtbot, lambda: service.store.append_many([event]))
    row = on_worker(service, qtbot, lambda: service._rows_for(["INC-1"]))[0]
    first = HandoffDialog(service, matrix, row)
    qtbot.addWidget(first)
    first.show()
    first.fields["summary"].set_value("Half-written summary")
    qtbot.waitUntil(lambda: not first.autosaver.pending, timeout=5000)
    first.reject()
    second = HandoffDialog(service, matrix, row)
    qtbot.addWidget(second)
    second.show()
    qtbot.waitUntil(lambda: second.banner.isVisible(), timeout=5000)
    text = second.banner.text.text()
    assert re.fullmatch(r"Restored your draft from \d\d:\d\d:\d\d\.", text), text
    assert "lost" not in text


def test_the_banner_after_a_submit_makes_the_form_grow_instead_of_squeezing_it(
        service, matrix, qtbot):
    from console.ui.forms import ConfirmSeverityDialog

    events = [NewEvent("INC-2", "opened", {"title": "Refunds stuck", "account": "Hooli",
                                           "account_tier": "business", "category": "billing"},
                       "ana"),
              NewEvent("INC-2", "severity", {"severity": "P3", "by": "support"}, "ana")]
    on_worker(service, qtbot, lambda: service.store.append_many(events))
    row = on_worker(service, qtbot, lambda: service._rows_for(["INC-2"]))[0]
    dialog = ConfirmSeverityDialog(service, matrix, row, "engineering")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    bar = dialog.scroll_area.verticalScrollBar()
    assert bar.maximum() == 0  # it opens at its natural size: nothing to scroll
    dialog.reason_edit.setPlainText("Checked the logs")
    with qtbot.waitSignal(dialog.submitted, timeout=5000):
        dialog.try_submit()
    assert dialog.banner.isVisible()
    qtbot.waitUntil(lambda: dialog.height() >= dialog.sizeHint().height(), timeout=5000)
    assert bar.maximum() == 0
