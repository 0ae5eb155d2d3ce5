"""The flowchart editor's Preview impact: what the draft would have done to the last N
days of real tickets, next to Publish (issue 16, docs/whatif.md "In the editor").

Anyone who can open the editor may run it. The draft is the working copy as a matrix
(an invalid one is refused with its first problem); it is compared with the version in
force (``service.matrix``). The run is the port's ``service.whatif`` (events read on
the DB worker, the replay in worker processes); the GUI thread only shows progress.
While it runs, the figures over the tickets replayed so far (a random sample of the
window's) are shown as they come, marked provisional, so a long window's first answer
comes in seconds; the final figures replace them.

A result is kept for its (draft, version in force, window): asked again with none of
them changed, it is shown at once; the window is "the last N days" as of the run, so a
result older than ``FRESH`` is replayed again. An edit of the draft or a new version in
force marks the result shown as stale, and undoing the edit clears the mark.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDockWidget

from console.app.runtime.whatif_ops import PreviewRun
from console.app.usecases.whatif import Impact, share
from console.domain.matrix import Matrix

from .impact_panel import STALE, STALE_ACTIVE, ImpactPanel
from .impact_rows import window_text

if TYPE_CHECKING:
    from .editor import FlowEditor

FRESH = timedelta(hours=1)  # a cached "last N days" no older than this is still the same
KEPT = 8                    # results kept (the most recent)
DOCK_HEIGHT = 500           # px: the headlines, a readable table and the chart
PROVISIONAL = ("Provisional, from {share} of the tickets (a random sample; the rest are "
               "still replaying): over all of them the counts will be about {factor} "
               "these.")
STOPPED = ("Stopped after {share} of the tickets (a random sample): these figures count "
           "those only.")


@dataclasses.dataclass(frozen=True, slots=True)
class Entry:
    """A result and what it was computed for."""

    draft: Matrix
    active: Matrix
    days: int
    result: Impact

    def answers(self, draft: Matrix, active: Matrix) -> bool:
        return self.draft == draft and self.active == active


class ImpactPreview(QObject):
    """The controller: the panel's dock, the run, the cache and the stale mark."""

    def __init__(self, editor: FlowEditor) -> None:
        super().__init__(editor)
        self.editor = editor
        self.workers: int | None = None  # worker processes (None: the CPU count)
        self.panel = ImpactPanel()
        self.dock = QDockWidget("Impact preview", editor)
        self.dock.setObjectName("impactDock")
        self.dock.setWidget(self.panel)
        editor.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        # the whole width under the chart: a tab beside Problems, not a narrow column
        editor.tabifyDockWidget(editor.problems_dock, self.dock)
        self.dock.hide()
        self.cache: list[Entry] = []
        self.shown: Entry | None = None
        self.run: PreviewRun | None = None
        self.hits = 0  # results shown from the cache (what the tests count)
        self.so_far = ""  # the share of tickets behind the provisional figures shown
        self.panel.runRequested.connect(self.start)
        self.panel.cancelRequested.connect(self.cancel)
        editor.document.recordsChanged.connect(self.check_stale)
        if editor.service is not None:
            editor.service.matrixChanged.connect(lambda _: self.check_stale())

    # -- what is compared ---------------------------------------------------------------
    def active(self) -> Matrix | None:
        service = self.editor.service
        return None if service is None else service.matrix

    def draft(self) -> tuple[Matrix | None, str]:
        """The working copy as a matrix (its positions as the version in force's, which
        do not count), or None and why not."""
        document = self.editor.document
        matrix, problems = document.matrix, document.problems
        if matrix is None:
            return None, (f"The draft has {len(problems)} problem(s): fix them to preview "
                          f"its impact. First: {problems[0]}.")
        active = self.active()
        if active is not None:
            matrix = dataclasses.replace(matrix, layout=active.layout)
        return matrix, ""

    # -- running ------------------------------------------------------------------------
    def start(self) -> None:
        """Preview the draft over the last N days: at once from the cache, else in the
        background."""
        if not self.dock.isVisible():
            self.dock.show()
            self.editor.resizeDocks([self.dock], [DOCK_HEIGHT], Qt.Orientation.Vertical)
        self.dock.raise_()
        service, active = self.editor.service, self.active()
        if self.run is not None:
            return  # one run at a time: its progress is on screen
        if service is None or active is None:
            self.panel.show_stopped("Not connected to a console: there are no tickets to "
                                    "replay here.", error=True)
            return
        draft, why = self.draft()
        if draft is None:
            self.panel.show_stopped(why, error=True)
            self.editor.say(why)
            return
        days = self.panel.days.value()
        hit = self._cached(draft, active, days)
        if hit is not None:
            self.hits += 1
            self._show(hit, "Shown from the last preview: nothing changed since.")
            return
        self.run = service.whatif.start(draft, active, days, workers=self.workers,
                                        parent=self)
        run = self.run
        run.progressed.connect(self._progressed)
        run.provisional.connect(lambda result, done, total: self._provisional(
            draft, active, days, result, done, total))
        run.finished.connect(lambda result: self._finished(run, draft, active, days, result))
        run.failed.connect(lambda text: self._ended(text, error=True))
        run.cancelled.connect(lambda: self._ended(
            "Cancelled." if self.so_far else "Cancelled: no figures were changed."))
        self.panel.show_running("Reading the store's tickets…")

    def _cached(self, draft: Matrix, active: Matrix, days: int) -> Entry | None:
        service = self.editor.service
        now = service.clock() if service is not None else None
        for entry in reversed(self.cache):
            if (entry.days == days and entry.answers(draft, active) and now is not None
                    and now - entry.result.window_to < FRESH):
                return entry
        return None

    def cancel(self) -> None:
        """Stop the run; its worker processes are gone when the panel says so."""
        if self.run is not None:
            self.run.cancel()
            self.panel.show_running("Cancelling…", self.panel.progress.value(),
                                    self.panel.progress.maximum(), cancelling=True)

    def stop(self) -> None:
        """The editor closes: cancel a run without waiting for it here (the GUI thread
        never waits on the replay). The run outlives the editor, owned by the service,
        hears nothing of this panel any more, and is deleted once its workers are gone."""
        run, self.run = self.run, None
        if run is None:
            return
        for signal in (run.progressed, run.provisional, run.finished, run.failed,
                       run.cancelled):
            signal.disconnect()
        if isinstance(self.editor.service, QObject):
            run.setParent(self.editor.service)
        for end in (run.finished, run.failed, run.cancelled):
            end.connect(run.deleteLater)
        run.cancel()

    def _progressed(self, done: int, total: int) -> None:
        if self.run is not None and not self.panel.cancel_button.isEnabled():
            return  # cancelling: the bar stays where it was
        if self.run is not None:
            self.panel.show_running(f"Replayed {done:,} of {total:,} tickets under both "
                                    "versions…", done, total)

    def _provisional(self, draft: Matrix, active: Matrix, days: int, result: object,
                     done: int, total: int) -> None:
        """The figures over the tickets replayed so far, while the run goes on."""
        if (not shiboken6.isValid(self.panel) or self.run is None or not total
                or not isinstance(result, Impact) or not self.panel.cancel_button.isEnabled()):
            return  # ended, or cancelling
        self.shown = Entry(draft, active, days, result)
        self.so_far = share(done, total)
        self.panel.show_impact(result, active, so_far=PROVISIONAL.format(
            share=self.so_far, factor=f"{total / max(done, 1):.1f}×"))
        self.check_stale()

    def _finished(self, run: PreviewRun, draft: Matrix, active: Matrix, days: int,
                  result: object) -> None:
        if not shiboken6.isValid(self.panel) or not isinstance(result, Impact):
            return
        self.run = None
        run.deleteLater()
        entry = Entry(draft, active, days, result)
        self.cache = [e for e in self.cache if not (e.days == days and e.answers(draft, active))]
        self.cache = [*self.cache, entry][-KEPT:]
        self._show(entry, "Done.")

    def _ended(self, text: str, error: bool = False) -> None:
        if not shiboken6.isValid(self.panel):
            return
        if self.run is not None:
            self.run.deleteLater()
        self.run = None
        self.panel.show_stopped(text, error)
        if self.so_far:  # provisional figures are on screen: say what they are now
            self.panel.show_so_far(STOPPED.format(share=self.so_far))
            self.so_far = ""
        if error:
            self.editor.say(text)

    def _show(self, entry: Entry, text: str) -> None:
        self.shown, self.so_far = entry, ""
        self.panel.show_impact(entry.result, entry.active)
        self.panel.show_stopped(text)
        self.check_stale()

    # -- staleness, and what Publish shows ----------------------------------------------
    def check_stale(self) -> None:
        """Mark the result shown as stale when the draft or the version in force is no
        longer what it was computed for."""
        if self.shown is None or not shiboken6.isValid(self.panel):
            return
        if self.active() != self.shown.active:
            self.panel.show_stale(STALE_ACTIVE)
            return
        draft, _ = self.draft()
        self.panel.show_stale("" if draft == self.shown.draft else STALE)

    def publish_note(self) -> list[str] | None:
        """What the Publish dialog shows: the newest preview of this exact draft against
        the version in force (its window, then its headlines); None when none was run."""
        draft, active = self.draft()[0], self.active()
        if draft is None or active is None:
            return None
        for entry in reversed(self.cache):
            if entry.answers(draft, active):
                return [window_text(entry.result) + ":", *entry.result.headlines]
        return None
