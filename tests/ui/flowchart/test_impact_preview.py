"""Preview impact in the flowchart editor (issue 16, "What the lead sees"): the store's
real tickets (the demo's) replayed through the draft and the version in force, in the
background, with the result in words, a table, the tickets behind each row and a chart;
the cache, the stale mark, Cancel, a dead worker, and the Publish dialog's headline."""

from __future__ import annotations

import functools
import multiprocessing
import threading
from datetime import timedelta

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QStyleOptionViewItem
from service_fakes import running_service

from console.app.runtime.whatif_ops import on_worker
from console.app.usecases.demo import seed_demo
from console.app.usecases.whatif import parallel as parallel_module
from console.app.usecases.whatif import preview as preview_module
from console.app.usecases.whatif.parallel import parallel_replay
from console.domain.flow import set_target
from console.ui.flowchart.dialogs import PublishDialog
from console.ui.flowchart.impact_panel import HONESTY, STALE, STALE_ACTIVE
from console.ui.flowchart.impact_rows import BETTER, WORSE
from tests.spawned import spawned_children

from ..conftest import NOW
from .conftest import make_editor

WAIT = 30_000  # ms: worker processes are spawned (a fresh interpreter each)


def whatif_workers() -> set[int]:
    """The preview's worker processes alive now (the triage's training child is not
    one of them)."""
    return {p.pid for p in multiprocessing.active_children()
            if p.name.startswith("whatif-worker") and p.pid is not None}


def demo_service(tmp_path, matrix, qtbot, tickets: int):  # type: ignore[no-untyped-def]
    data = tmp_path / "demo"
    seed_demo(data, matrix, NOW, tickets=tickets, user="lena.lead")
    return running_service(data, matrix, qtbot, user="lena.lead", clock=lambda: NOW)


@pytest.fixture
def demo(tmp_path, matrix, qtbot):  # type: ignore[no-untyped-def]
    with demo_service(tmp_path, matrix, qtbot, 120) as service:
        yield service


@pytest.fixture
def lead(qtbot, demo, matrix):  # type: ignore[no-untyped-def]
    editor = make_editor(qtbot, demo, matrix, "lead")
    editor.impact.workers = 2
    yield editor
    editor.undo.setClean()


def preview(qtbot, editor):  # type: ignore[no-untyped-def]
    """Click Preview impact and wait for its result (or its end)."""
    editor.actions_by_name["preview_impact"].trigger()
    qtbot.waitUntil(lambda: editor.impact.run is None, timeout=WAIT)
    return editor.impact.shown


def tighten_p2(editor) -> None:  # type: ignore[no-untyped-def]
    assert editor.push(lambda r: set_target(r, "P2", "response", "5m"), "P2 response 5m")


def row_of(panel, figure: str, about: str) -> int:  # type: ignore[no-untyped-def]
    return next(i for i, line in enumerate(panel.lines)
                if line.figure == figure and line.about == about)


def test_a_reader_previews_the_draft_on_the_stores_tickets_and_reads_the_words_first(
        qtbot, demo, matrix):
    reader = make_editor(qtbot, demo, matrix, "agent")
    action = reader.actions_by_name["preview_impact"]
    assert action.isEnabled() and not reader.actions_by_name["publish"].isEnabled()
    shown = preview(qtbot, reader)
    panel = reader.impact.panel
    assert shown is not None and shown.result.tickets > 20
    assert reader.impact.dock.isVisible()
    # the draft is the version in force: nothing changes, and it says so in words first
    assert panel.headlines.text() == "With this draft, nothing would have changed in the " \
                                     "last 30 days."
    assert panel.honesty.text() == HONESTY and panel.honesty.isVisible()
    assert f"{shown.result.tickets} tickets opened in the last 30 days" in \
        panel.window_label.text()
    visible = [panel.lines[r].figure for r in range(panel.table.rowCount())
               if not panel.table.isRowHidden(r)]
    assert visible == ["T1 resolution rate", "Escalation rate"]  # unchanged rows hidden
    panel.all_rows.setChecked(True)
    assert not any(panel.table.isRowHidden(r) for r in range(panel.table.rowCount()))
    assert {line.figure for line in panel.lines} >= {"Breaches", "Pages", "Escalations to a team",
                                                     "Pages per on-call week"}
    reader.undo.setClean()


def test_a_shorter_p2_response_shows_more_breaches_in_red_with_the_tickets_behind_them(
        qtbot, lead):
    tighten_p2(lead)
    shown = preview(qtbot, lead)
    panel = lead.impact.panel
    assert shown is not None and not shown.result.unchanged
    assert panel.headlines.text().startswith("With this draft, ")
    assert "more P2 response breaches in the last 30 days" in panel.headlines.text()
    row = row_of(panel, "Breaches", "P2 response")
    line = panel.lines[row]
    assert int(line.draft) > int(line.active) and line.change.startswith("+")
    assert line.tone == WORSE and not panel.table.isRowHidden(row)
    change = panel.table.item(row, 4)
    assert change.text() == f"+{int(line.draft) - int(line.active)}"
    assert change.foreground().color() == QColor("#c62828")
    panel.table.selectRow(row)
    option = QStyleOptionViewItem()  # selected, the difference stays red
    panel.table.itemDelegateForColumn(4).initStyleOption(option, panel.table.model().index(row, 4))
    assert option.palette.color(QPalette.ColorRole.HighlightedText) == QColor("#c62828")
    assert panel.tickets.rowCount() == len(line.changed) > 0
    assert f"{len(line.changed)} tickets changed" in panel.tickets_title.text()
    first = line.changed[0]
    assert panel.tickets.item(0, 0).text() == first.ticket
    assert panel.tickets.item(0, 1).text() == "not at all"  # no breach in force
    assert panel.tickets.item(0, 2).text().endswith(first.draft[0].strftime("%d %b %H:%M"))
    # the chart draws both versions' breaches per day
    ax = panel.chart.figure.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["in force", "draft"]
    assert sum(ax.lines[1].get_ydata()) > sum(ax.lines[0].get_ydata())


def test_provisional_figures_show_while_the_run_goes_on_then_the_final_ones(
        qtbot, lead, monkeypatch):
    monkeypatch.setattr(parallel_module, "PARTIAL_S", 0.0)  # at every partition
    tighten_p2(lead)
    panel = lead.impact.panel
    texts: list[str] = []
    lead.actions_by_name["preview_impact"].trigger()
    # after the controller's own slot: what the lead sees at each provisional result
    lead.impact.run.provisional.connect(
        lambda *_: texts.append(panel.so_far.text() if panel.so_far.isVisibleTo(panel)
                                else ""))
    qtbot.waitUntil(lambda: lead.impact.run is None, timeout=WAIT)
    assert texts, "no provisional result came"
    assert all(t.startswith("Provisional, from ") and "of the tickets (a random sample" in t
               for t in texts)
    assert panel.headlines.text().startswith("With this draft, ")
    assert not panel.so_far.isVisibleTo(panel)
    assert not panel.window_label.text().startswith("So far")
    # a row the lead chose stays chosen when newer figures come
    row = row_of(panel, "Breaches", "P2 response")
    panel.table.selectRow(row)
    panel.show_impact(lead.impact.shown.result, lead.impact.active(), so_far="Provisional.")
    assert panel.so_far.text() == "Provisional." and panel.so_far.isVisibleTo(panel)
    assert [r.row() for r in panel.table.selectionModel().selectedRows()] == [row]
    assert panel.tickets.rowCount() == len(panel.lines[row].changed) > 0


def test_a_better_figure_is_green(qtbot, lead):
    assert lead.push(lambda r: set_target(r, "P1", "update", "8h"), "P1 update 8h")
    preview(qtbot, lead)
    panel = lead.impact.panel
    row = row_of(panel, "Breaches", "P1 update")
    assert panel.lines[row].tone == BETTER and panel.lines[row].change.startswith("−")
    assert panel.table.item(row, 4).foreground().color() == QColor("#2e7d32")


def test_a_second_preview_with_nothing_changed_is_shown_from_the_cache_at_once(qtbot, lead):
    tighten_p2(lead)
    first = preview(qtbot, lead)
    lead.actions_by_name["preview_impact"].trigger()
    # no run: the same result, on screen before the call returned
    assert lead.impact.run is None and lead.impact.hits == 1
    assert lead.impact.shown is first
    assert "nothing changed since" in lead.impact.panel.status.text()
    lead.impact.panel.days.setValue(14)  # another window: replayed again
    second = preview(qtbot, lead)
    assert lead.impact.hits == 1 and second is not first
    assert second.result.window_to - second.result.window_from == timedelta(days=14)


def test_an_edit_marks_the_result_stale_and_undoing_it_clears_the_mark(qtbot, lead):
    preview(qtbot, lead)
    panel = lead.impact.panel
    assert panel.stale.isHidden()
    tighten_p2(lead)
    assert panel.stale.isVisible() and panel.stale.text() == STALE
    lead.undo.undo()
    assert panel.stale.isHidden()


def test_the_editor_stays_usable_during_a_run_and_an_edit_meanwhile_makes_it_stale(
        qtbot, lead):
    lead.actions_by_name["preview_impact"].trigger()
    assert lead.impact.run is not None and lead.impact.panel.progress.isVisible()
    seen: list[tuple[int, int]] = []
    lead.impact.run.progressed.connect(lambda done, total: seen.append((done, total)))
    tighten_p2(lead)  # the GUI answers: the replay runs elsewhere
    qtbot.waitUntil(lambda: lead.impact.run is None, timeout=WAIT)
    assert lead.impact.shown is not None
    tickets = lead.impact.shown.result.tickets
    assert seen and seen[-1] == (tickets, tickets)  # the bar went to its end
    assert lead.impact.panel.stale.text() == STALE
    assert not lead.impact.panel.progress.isVisible()


def test_an_invalid_draft_is_not_replayed_and_the_panel_says_why(qtbot, lead):
    assert lead.push(lambda r: set_target(r, "P2", "response", None), "no P2 response")
    lead.actions_by_name["preview_impact"].trigger()
    assert lead.impact.run is None and lead.impact.shown is None
    status = lead.impact.panel.status.text()
    assert status.startswith("The draft has 1 problem(s): fix them to preview its impact.")
    assert "needs a response target" in status


@pytest.fixture
def busy(tmp_path, matrix, qtbot):  # type: ignore[no-untyped-def]
    with demo_service(tmp_path, matrix, qtbot, 600) as service:
        yield service


def running_preview(qtbot, service, matrix):  # type: ignore[no-untyped-def]
    """A lead's editor with a tightened P2 whose preview runs on 2 worker processes;
    (editor, the workers' pids)."""
    editor = make_editor(qtbot, service, matrix, "lead")
    editor.impact.workers = 2
    tighten_p2(editor)
    editor.actions_by_name["preview_impact"].trigger()
    qtbot.waitUntil(lambda: len(whatif_workers()) == 2, timeout=WAIT)
    return editor, whatif_workers()


def test_cancel_stops_the_run_and_leaves_no_worker_process(qtbot, busy, matrix):
    editor, pids = running_preview(qtbot, busy, matrix)
    editor.impact.panel.cancel_button.click()
    assert editor.impact.panel.status.text() == "Cancelling…"
    qtbot.waitUntil(lambda: editor.impact.run is None, timeout=WAIT)
    assert editor.impact.panel.status.text() == "Cancelled: no figures were changed."
    assert editor.impact.shown is None and not editor.impact.panel.progress.isVisible()
    assert not pids & spawned_children()  # the kernel lists none of them
    assert whatif_workers() == set()
    editor.undo.setClean()


def test_cancel_after_provisional_figures_says_what_they_count(qtbot, busy, matrix,
                                                               monkeypatch):
    monkeypatch.setattr(parallel_module, "PARTIAL_S", 0.0)
    editor, _ = running_preview(qtbot, busy, matrix)
    panel = editor.impact.panel
    qtbot.waitUntil(lambda: panel.so_far.isVisibleTo(panel) or editor.impact.run is None,
                    timeout=WAIT)
    assert editor.impact.run is not None, "the run ended before any provisional figure"
    assert panel.window_label.text().startswith("So far: ")
    panel.cancel_button.click()
    qtbot.waitUntil(lambda: editor.impact.run is None, timeout=WAIT)
    assert panel.status.text() == "Cancelled."
    assert panel.so_far.isVisibleTo(panel)
    assert panel.so_far.text().startswith("Stopped after ")
    assert panel.so_far.text().endswith("of the tickets (a random sample): these figures "
                                        "count those only.")
    assert editor.impact.publish_note() is None  # never the provisional figures
    assert whatif_workers() == set()
    editor.undo.setClean()


def test_a_worker_that_dies_is_a_clear_error_not_a_hung_progress_bar(qtbot, lead,
                                                                      monkeypatch):
    monkeypatch.setattr(preview_module, "parallel_replay",
                        functools.partial(parallel_replay, _crash_partition=0))
    tighten_p2(lead)
    preview(qtbot, lead)
    panel = lead.impact.panel
    assert panel.status.text().startswith("The preview stopped: what-if worker ")
    assert "died with exit code 3" in panel.status.text()
    assert not panel.progress.isVisible() and panel.run_button.isEnabled()
    assert lead.impact.shown is None
    assert whatif_workers() == set()


def test_publish_shows_the_headlines_of_a_preview_of_this_very_draft(qtbot, lead):
    lead.ask.comment = ""  # the dialog is seen, then cancelled: nothing is published
    tighten_p2(lead)
    lead.ask_and_publish()
    assert lead.ask.publish_preview is None  # none was run for this draft
    shown = preview(qtbot, lead)
    lead.ask_and_publish()
    note = lead.ask.publish_preview
    assert note[0].startswith(f"{shown.result.tickets} tickets opened in the last 30 days")
    assert note[1:] == list(shown.result.headlines)
    assert lead.push(lambda r: set_target(r, "P2", "update", "30m"), "P2 update 30m")
    lead.ask_and_publish()
    assert lead.ask.publish_preview is None  # another draft now


def test_the_publish_dialog_says_the_preview_or_that_none_was_run(qtbot):
    shown = PublishDialog("m", "version 3", ["P2 response: 1h → 5m"],
                          preview=["12 tickets opened in the last 30 days:",
                                   "With this draft, 4 more P2 response breaches."])
    qtbot.addWidget(shown)
    assert "4 more P2 response breaches" in shown.preview.text()
    none = PublishDialog("m", "version 3", ["P2 response: 1h → 5m"])
    qtbot.addWidget(none)
    assert none.preview.text().startswith("No impact preview was run for this draft")


def test_the_preview_reads_the_store_on_the_db_worker(demo):
    read = on_worker(demo)
    assert read(lambda uow: threading.current_thread().name).startswith("console-db")


def test_a_new_version_in_force_marks_the_result_stale(qtbot, lead, demo):
    tighten_p2(lead)
    preview(qtbot, lead)
    with qtbot.waitSignal(demo.matrixChanged, timeout=10_000):
        assert lead.publish_now("tightened P2")
    qtbot.waitUntil(lambda: lead.impact.panel.stale.isVisible(), timeout=5000)
    assert lead.impact.panel.stale.text() == STALE_ACTIVE
    assert lead.impact.publish_note() is None  # that preview compared another version


def test_closing_the_editor_during_a_run_leaves_no_worker_process(qtbot, busy, matrix):
    editor, pids = running_preview(qtbot, busy, matrix)
    editor.undo.setClean()
    editor.close()  # at once: the GUI thread does not wait for the replay
    qtbot.waitUntil(lambda: whatif_workers() == set(), timeout=WAIT)
    assert not pids & spawned_children()
