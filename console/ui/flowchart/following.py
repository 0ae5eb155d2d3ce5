"""An open flowchart follows the matrix in force (the port's ``matrixChanged``).

When a version is published (here, on another console, or restored from the history),
the editor learns its number, author and time from the store's version list. With no
edits in the window it loads the new version in place, keeping the zoom, the view's
centre and the selection, and says so in its status line. With edits it never drops
them: a banner says which version they are based on and offers the Diff against the new
version or to discard them and load it. From then on the Diff and Publish compare with
the new version.
"""

from __future__ import annotations

import contextlib
import copy
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel

from console.app.runtime.port import MatrixVersion
from console.domain.flow import Records, diff_records, load_records
from console.domain.matrix import Matrix

from ..forms.base import Banner

if TYPE_CHECKING:
    from .editor import FlowEditor

SHIPPED = "the shipped matrix (no version has been published yet)"
SHOWN_CHANGES = 3  # of a new version's changes, named in the banner


def _meaning(records: Records) -> Records:
    return {k: v for k, v in records.items() if k != "layout"}


def same_meaning(a: Records, b: Records) -> bool:
    """Whether two matrices say the same (node positions aside)."""
    return not diff_records(_meaning(a), _meaning(b))


def version_name(version: MatrixVersion | None) -> str:
    return SHIPPED if version is None else f"published version {version.number}"


def _when(version: MatrixVersion) -> str:
    return version.published_at.astimezone().strftime("%H:%M")


class VersionFollower(QObject):
    """Keeps ``editor`` on the published version in force; see the module docstring."""

    def __init__(self, editor: FlowEditor, banner: Banner) -> None:
        super().__init__(editor)
        assert editor.service is not None
        self.editor = editor
        self.banner = banner
        self.based_on: MatrixVersion | None = None  # what the working copy started from
        self.in_force: MatrixVersion | None = None  # the newest version this window knows
        self.started = False  # the first version list names what the window opened on
        self.pending: MatrixVersion | None = None  # published while the lead was editing
        self.label = QLabel()  # which version every console runs, always in sight
        self.label.setStyleSheet("padding-left: 8px; border-left: 1px solid #999;")
        editor.statusBar().addPermanentWidget(self.label)
        editor.service.matrixChanged.connect(self.matrix_changed)

    def stop(self) -> None:
        """The window closes: stop following."""
        if self.editor.service is not None:
            with contextlib.suppress(RuntimeError, TypeError):  # already gone
                self.editor.service.matrixChanged.disconnect(self.matrix_changed)

    def matrix_changed(self, _matrix: Matrix) -> None:
        """A new version is in force: read which one (number, author, time) first."""
        if shiboken6.isValid(self.editor):
            self.editor.reload_versions()

    def published_here(self, version: MatrixVersion) -> None:
        """This window published its working copy as ``version``."""
        self.based_on = self.in_force = version
        self.pending = None
        self.banner.hide()
        self._show_in_force()

    def _show_in_force(self) -> None:
        version = self.in_force
        self.label.setText("In force: the shipped matrix" if version is None else
                           f"In force: version {version.number}, published by "
                           f"{version.author} at {_when(version)}")

    # -- following ------------------------------------------------------------------------
    def follow(self, active: MatrixVersion | None) -> None:
        """The store's versions were read; ``active`` is the one in force."""
        editor = self.editor
        if not self.started:
            self.started = True
            self.based_on = self.in_force = active
            self._show_in_force()
            if active is not None:
                editor.baseline = load_records(active.yaml)
            editor.baseline_name = version_name(active)
            return
        if active is None or (self.in_force is not None
                              and active.event_id == self.in_force.event_id):
            return
        records = load_records(active.yaml)
        had_edits = self.has_edits()
        editor.baseline = records
        editor.baseline_name = version_name(active)
        if same_meaning(records, editor.document.records_for_save()):
            self._adopt(active)  # it holds this window's own changes (or none)
            if editor.panel.pending() is None:
                editor.undo.setClean()
        elif not had_edits:
            self.load(active, records)
        else:
            self._offer(active)

    def has_edits(self) -> bool:
        """Whether the working copy holds changes of the lead's own: an undo step since it
        was clean, text typed and not committed, or changes saved only to a file."""
        editor = self.editor  # a window ever editable (a lead since demoted) may hold some
        if editor.was_editable and (not editor.undo.isClean()
                                    or editor.panel.pending() is not None):
            return True
        return editor.was_editable and not same_meaning(editor.baseline,
                                                        editor.document.records_for_save())

    def _adopt(self, version: MatrixVersion) -> None:
        self.based_on = self.in_force = version
        self.pending = None
        self.banner.hide()
        self._show_in_force()
        self.editor.say_long(f"Version {version.number} published by {version.author} at "
                             f"{_when(version)} is now in force")

    def load(self, version: MatrixVersion, records: Records | None = None) -> None:
        """Show ``version`` in place of the working copy (not undoable: it is what every
        console runs now), keeping the zoom, the centre of the view and the selection."""
        editor = self.editor
        records = load_records(version.yaml) if records is None else records
        view, scene = editor.view, editor.scene
        selected = scene.selected_ids()[0]
        transform = view.transform()
        centre = view.mapToScene(view.viewport().rect().center())
        editor.undo.clear()  # its steps lead to a version that is no longer in force
        editor.initial = copy.deepcopy(records)
        editor.document.set_records(copy.deepcopy(records))
        editor.undo.setClean()
        view.setTransform(transform)
        view.centerOn(centre)
        scene.clearSelection()
        for nid in selected:
            if nid in scene.nodes:
                scene.nodes[nid].setSelected(True)
        editor.baseline = records
        editor.baseline_name = version_name(version)
        self._adopt(version)
        editor._update_title()

    def _offer(self, version: MatrixVersion) -> None:
        self.pending = self.in_force = version
        self._show_in_force()
        based = ("the shipped matrix" if self.based_on is None
                 else f"version {self.based_on.number}")
        n = version.number
        base = (self.editor.initial if self.based_on is None
                else load_records(self.based_on.yaml))
        theirs = diff_records(_meaning(base), _meaning(load_records(version.yaml)))
        changed = "; ".join(theirs[:SHOWN_CHANGES]) + (
            f"; and {len(theirs) - SHOWN_CHANGES} more" if len(theirs) > SHOWN_CHANGES else "")
        self.banner.show_message(
            "pending",
            f"Version {n} was published while you were editing (by {version.author} at "
            f"{_when(version)}{': ' + changed if changed else ''}); your edits are based on "
            f"{based}. Publishing now replaces version {n}: see what would change first.",
            (("Show changes", self.show_changes),
             (f"Discard my edits and load version {n}", self.discard_and_load)))
        self.editor.say_long(f"Version {n} published by {version.author} at {_when(version)} "
                             "is now in force; your edits are kept")

    def show_changes(self) -> None:
        """The Diff of the working copy against the version now in force."""
        editor = self.editor
        editor.ask.diff(f"Changes against {editor.baseline_name}", editor.diff_lines())

    def discard_and_load(self) -> None:
        version = self.pending
        if version is not None:
            self.editor.panel.discard_typing()  # its text is one of the edits dropped
            self.load(version)
