"""The flowchart editor window: see the whole matrix; leads also edit and publish it.

Over 400 lines on purpose: the window's menus, files, versions and publishing all act
on the one document and undo stack it owns; the view, the panel, the dialogs and the
version following are modules of their own.

Every edit is an undo command on the document (QUndoStack); a drag is one command.
Validation runs as you edit and shows on the nodes and in the Problems list. A matrix
with problems can be saved only as a draft and never published. Database work
(versions, publishing) runs on the service's worker: the window asks the views' port
(``service.matrices``) and gets plain MatrixVersion values back.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QIODevice, QSaveFile, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QUndoStack
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QVBoxLayout, QWidget

from console.app.runtime.port import ConsoleServicePort, MatrixVersion, active_version
from console.domain.flow import (
    FlowEditError,
    Records,
    connect,
    diff_records,
    disconnect,
    dump_records,
    load_records,
    remove_node,
    rename,
    split_node_id,
)
from console.domain.people import PUBLISHERS, Person

from ..forms.base import Banner
from . import prompts
from .access import apply_role, role_text
from .actions import build_actions
from .adding import new_node_edit
from .commands import EditCommand, MoveCommand
from .document import FlowDocument
from .draft import FlowDraft
from .export import export
from .following import VersionFollower
from .impact_preview import ImpactPreview
from .panel import Path as FieldPath
from .panel import PropertyPanel, edit_for, rekeyed
from .problems import ProblemList
from .scene import FlowScene
from .style import Fonts
from .view import FlowView


def _without(nid: str, records: Records) -> Records:
    return remove_node(records, nid)


class FlowEditor(QMainWindow):
    published = Signal(object)       # MatrixVersion, after a publish from this window
    versionsLoaded = Signal(list)    # [MatrixVersion]

    def __init__(self, service: ConsoleServicePort | None, records: Records, role: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.role = role
        self.editable = role in PUBLISHERS  # a lead or an admin (the server checks it too)
        self.was_editable = self.editable  # then the window may hold the person's edits
        self._role_of: Callable[[Person | None], str] | None = None  # follow_person
        self.initial = copy.deepcopy(records)
        self.versions: list[MatrixVersion] = []
        self.baseline: Records = self.initial  # the published matrix, for the diff
        self.baseline_name = "the matrix this window opened"
        self.actions_by_name: dict[str, Any] = {}
        self.edit_actions: list[QAction] = []  # offered only while the person may edit
        self.edit_tools: list[QAction] = []    # the toolbar's editing buttons, likewise
        self.ask = prompts.Prompts(self)  # dialogs; tests replace it
        self.fonts = Fonts(self.font())
        self.document = FlowDocument(copy.deepcopy(records), self.fonts.measure, self)
        self.scene = FlowScene(self.fonts, self.editable, self)
        self.scene.set_document(self.document)
        self.view = FlowView(self.scene, self)
        self.banner = Banner()  # offers back unsaved edits a crash left behind
        self.version_banner = Banner()  # a version published while the lead edits
        self.role_banner = Banner()  # a lead demoted while editing: why publishing is off
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.role_banner)
        column.addWidget(self.version_banner)
        column.addWidget(self.banner)
        column.addWidget(self.view, 1)
        self.setCentralWidget(central)
        self.undo = QUndoStack(self)
        self.panel = PropertyPanel(self.editable)
        self.panel_dock = self._dock(self.panel, "Properties",
                                     Qt.DockWidgetArea.RightDockWidgetArea)
        self.problem_list = ProblemList()
        self.problems_dock = self._dock(self.problem_list, "Problems",
                                        Qt.DockWidgetArea.BottomDockWidgetArea)
        self.status_label = QLabel()
        self.role_label = QLabel(role_text(role, self.editable))
        self.statusBar().addPermanentWidget(self.role_label)
        self.statusBar().insertWidget(0, self.status_label, 1)
        self.impact = ImpactPreview(self)  # Preview impact, next to Publish
        build_actions(self)
        self._wire()
        self._problems_changed(self.document.problems)
        self._selection_changed()
        self.undo.cleanChanged.connect(self._update_title)
        self._update_title()
        self.resize(1600, 980)
        self.resizeDocks([self.problems_dock], [120], Qt.Orientation.Vertical)
        self.resizeDocks([self.panel_dock], [360], Qt.Orientation.Horizontal)
        self.draft: FlowDraft | None = None
        self.follower: VersionFollower | None = None
        if service is not None:
            self.follower = VersionFollower(self, self.version_banner)
            self.reload_versions()
            self.start_draft()

    def start_draft(self) -> None:
        """Autosave a lead's working copy (and offer back what a crash left)."""
        if self.editable and self.draft is None and self.service is not None:
            self.draft = FlowDraft(self, self.banner)

    # -- who the person is ------------------------------------------------------------------
    def set_role(self, role: str) -> None:
        """The person's role now (the shared database said): see flowchart.access."""
        if shiboken6.isValid(self):
            apply_role(self, role)

    def follow_person(self, role_of: Callable[[Person | None], str]) -> None:
        """Follow the port's ``personChanged``: ``role_of`` names the role a person (or
        None: not known, or no person) edits the chart with."""
        if self.service is not None:
            self._role_of = role_of
            self.service.personChanged.connect(self._person_changed)

    def _person_changed(self, person: Person | None) -> None:
        if self._role_of is not None:
            self.set_role(self._role_of(person))

    def holds_edits(self) -> bool:
        """Whether the working copy holds the person's own unpublished edits."""
        if self.follower is not None:
            return self.follower.has_edits()
        return not self.undo.isClean() or self.panel.pending() is not None

    def _dock(self, widget: QWidget, title: str, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title.lower() + "Dock")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _wire(self) -> None:
        self.scene.nodesMoved.connect(self.move_nodes)
        self.scene.connectRequested.connect(lambda a, b: self.connect_nodes(a, b))
        self.scene.selectionChanged.connect(self._selection_changed)
        self.document.recordsChanged.connect(self._selection_changed)
        self.document.problemsChanged.connect(self._problems_changed)
        self.panel.edited.connect(self._panel_edit)
        self.panel.failed.connect(self.say)
        self.problem_list.nodeChosen.connect(self.reveal)

    # -- editing ----------------------------------------------------------------------------
    def push(self, edit: Callable[[Records], Records], text: str) -> bool:
        """Run an edit as an undo command; a refused edit is explained, not pushed."""
        if not self.editable:
            self.say("Read-only: only a lead or an admin may edit the matrix")
            return False
        try:
            command = EditCommand(self.document, edit, text)
        except FlowEditError as exc:
            self.say(str(exc))
            return False
        if command.after == command.before:
            return True  # nothing changed: no empty step to undo
        self.undo.push(command)
        return True

    def move_nodes(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        if self.editable:
            self.undo.push(MoveCommand(self.document, old, new))

    def connect_nodes(self, source: str, target: str, role: str | None = None) -> bool:
        if role is None and {split_node_id(source)[0], split_node_id(target)[0]} == {
                "step", "contact"}:
            role = self.ask.contact_role()
            if role is None:
                return False
        return self.push(lambda r: connect(r, source, target, role),
                         f"Connect {source} to {target}")

    def disconnect_edge(self, eid: str) -> bool:
        edge = self.document.graph.edges[eid]
        return self.push(lambda r: disconnect(r, edge), f"Remove {edge.kind} link")

    def add_node(self, kind: str, key: str, **options: Any) -> str | None:
        """Add a record of ``kind`` with id ``key``; returns the new node's id."""
        selected = self.scene.selected_ids()[0]
        edit, nid = new_node_edit(self.document.records, kind, key, selected, **options)
        if not self.push(edit, f"Add {kind} {key}"):
            return None
        self.reveal(nid)
        return nid

    def rename_node(self, nid: str, new: str) -> bool:
        ok = self.push(lambda r: rename(r, nid, new), f"Rename {nid} to {new}")
        return ok

    def remove_selected(self) -> None:
        nodes, edges = self.scene.selected_ids()
        if not nodes and not edges:
            self.say("Select the nodes or connections to delete")
            return
        self.undo.beginMacro(f"Delete {len(nodes) + len(edges)} item(s)")
        for eid in edges:
            if eid in self.document.graph.edges and not any(
                    n in (self.document.graph.edges[eid].source,
                          self.document.graph.edges[eid].target) for n in nodes):
                self.disconnect_edge(eid)
        for nid in sorted(nodes, key=lambda n: -int(n.rsplit("/", 1)[1])
                          if n.startswith("step:") else 0):
            if nid in self.document.graph.nodes:
                self.push(partial(_without, nid), f"Delete {nid}")
        self.undo.endMacro()

    def auto_arrange(self) -> None:
        positions = self.document.relayout()
        if self.editable:
            self.undo.push(MoveCommand(self.document, dict(self.document.positions), positions))
            self.view.fit()

    def replace_records(self, records: Records, text: str) -> bool:
        return self.push(lambda _: records, text)

    def _panel_edit(self, scope: str, nid: str, path: FieldPath, value: Any) -> None:
        if not self.push(edit_for(scope, nid, path, value), self._edit_text(scope, nid, path)):
            return
        renamed = rekeyed(scope, nid, path, value)
        if renamed != nid and renamed in self.scene.nodes:
            self.scene.select_node(renamed)  # an authority row's id is its action and role

    def _edit_text(self, scope: str, nid: str, path: FieldPath) -> str:
        """The undo step's name in the panel's words: "Set P2 Response"."""
        label = next((f.label for f, _ in self.panel._widgets
                      if f.scope == scope and f.path == path), ".".join(map(str, path)))
        return f"Set {split_node_id(nid)[1]} {label}" if nid else f"Set {label}"

    # -- asking (menus and toolbar) -----------------------------------------------------------
    def ask_and_add(self, kind: str) -> None:
        key = self.ask.text(f"Add {kind}", f"Id of the new {kind}:", self._free_id(kind))
        if key:
            self.add_node(kind, key)

    def _free_id(self, kind: str) -> str:
        taken = {split_node_id(n)[1].split("/")[0] for n in self.document.graph.nodes}
        prefix = {"severity": "P", "tier": "T"}.get(kind, f"{kind}-")
        return next(f"{prefix}{i}" for i in range(1, 10_000) if f"{prefix}{i}" not in taken)

    def ask_and_rename(self) -> None:
        nodes = self.scene.selected_ids()[0]
        if len(nodes) != 1:
            self.say("Select one node to rename")
            return
        old = split_node_id(nodes[0])[1].split("/")[0]
        new = self.ask.text("Rename", f"New id for {old} (references follow):", old)
        if new and new != old:
            self.rename_node(nodes[0], new)

    def ask_and_open(self) -> None:
        path = self.ask.open_path()
        if path:
            try:
                records = load_records(Path(path).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                self.say(f"Cannot open {path}: {exc}")
                return
            self.replace_records(records, f"Open {Path(path).name}")

    def ask_and_save(self) -> None:
        draft = not self.document.valid
        path = self.ask.save_path(self._suggested_name(draft), draft)
        if path:
            self.save(path)

    def ask_and_export(self, fmt: str) -> None:
        path = self.ask.export_path(fmt, self._suggested_name(False).replace(".yaml", f".{fmt}"))
        if path:
            self.export_to(path)

    def ask_and_publish(self) -> None:
        if not self._can_publish():
            return
        if self.ask.publish(self.records_name(), self.baseline_name, self.diff_lines(),
                            self.impact.publish_note()):
            self.publish_now(self.ask.last_comment)

    # -- files --------------------------------------------------------------------------------
    def records_name(self) -> str:
        return str(self.document.records.get("name", "matrix"))

    def _suggested_name(self, draft: bool) -> str:
        stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in self.records_name().lower())
        return f"{stem.strip('-') or 'matrix'}{'.draft' if draft else ''}.yaml"

    def yaml_text(self) -> str:
        """The working copy as YAML, node positions included; a matrix with problems is
        marked as a draft at the top."""
        doc = self.document
        header = f"Escalation matrix: {self.records_name()}\nSaved by the flowchart editor."
        if not doc.valid:
            header += (f"\nDRAFT: {len(doc.problems)} problem(s); it cannot be published "
                       "until they are fixed:\n" + "\n".join(f"- {p}" for p in doc.problems))
        return dump_records(doc.records_for_save(), header)

    def save(self, path: str | Path) -> bool:
        """Write the YAML atomically (QSaveFile): all of it or, on failure, nothing."""
        out = QSaveFile(str(path))
        data = self.yaml_text().encode("utf-8")
        if (not out.open(QIODevice.OpenModeFlag.WriteOnly) or out.write(data) != len(data)
                or not out.commit()):
            self.say(f"Could not save {path}: {out.errorString()}")
            return False
        self.undo.setClean()
        self.say(("Saved a draft (it has problems) to " if not self.document.valid
                  else "Saved ") + str(path))
        return True

    def export_to(self, path: str | Path) -> bool:
        try:
            export(self.scene, path, self.records_name())
        except (OSError, ValueError) as exc:
            self.say(str(exc))
            return False
        self.say(f"Exported {path}")
        return True

    # -- versions: diff, history, publish ----------------------------------------------------
    def reload_versions(self, then: Callable[[], None] | None = None) -> None:
        if self.service is None:
            return

        def loaded(versions: list[MatrixVersion]) -> None:
            if not shiboken6.isValid(self):
                return  # the window closed while the worker read them
            self.versions = versions
            active = active_version(versions)
            if self.follower is not None:
                self.follower.follow(active)  # the version in force, and a new one
            elif active is not None:
                self.baseline = load_records(active.yaml)
                self.baseline_name = f"published version {active.number}"
            else:
                self.baseline_name = "the shipped matrix (no version has been published yet)"
            self.versionsLoaded.emit(versions)
            if then is not None:
                then()

        self.service.matrices.versions(loaded, lambda exc: self.say(str(exc)))

    def diff_lines(self, against: Records | None = None) -> list[str]:
        base = self.baseline if against is None else against
        lines = diff_records(base, self.document.records_for_save())
        if "layout" not in base:  # positions are new, not changed
            lines = [line for line in lines if not line.startswith("flowchart layout")]
        return lines

    def show_diff(self) -> None:
        """The changes against the published version in force (asked for now: another
        console may have published since this window opened)."""
        if self.service is None:
            self._show_diff()
        else:
            self.reload_versions(self._show_diff)

    def _show_diff(self) -> None:
        self.ask.diff(f"Changes against {self.baseline_name}", self.diff_lines())

    def show_history(self) -> None:
        if self.service is None:
            self.say("No console service: there is no version history here")
            return
        self.reload_versions(lambda: self.ask.history(
            self.versions, active_version(self.versions), self.editable))

    def open_version(self, version: MatrixVersion) -> bool:
        return self.replace_records(load_records(version.yaml), f"Open version {version.number}")

    def compare_version(self, version: MatrixVersion) -> None:
        self.ask.diff(f"Changes against version {version.number}",
                      self.diff_lines(load_records(version.yaml)))

    def restore_version(self, version: MatrixVersion) -> None:
        if self._can_publish(check_valid=False) and self.service is not None:
            self.service.matrices.restore(version, "", self._published,
                                          lambda e: self.say(str(e)), role=self.role)

    def _can_publish(self, check_valid: bool = True) -> bool:
        if not self.editable:
            self.say("Only a lead or an admin may publish the matrix")
        elif self.service is None:
            self.say("Not connected to a console: save the matrix to a file instead")
        elif check_valid and not self.document.valid:
            self.say(f"The matrix has {len(self.document.problems)} problem(s): fix them, "
                     "or save it as a draft; it cannot be published")
        else:
            return True
        return False

    def publish_now(self, comment: str) -> bool:
        """Publish the working copy as a new version (no dialog)."""
        if not self._can_publish() or self.service is None:
            return False
        index = self.undo.index()  # what is published: clean, unless edited meanwhile
        records = self.document.records_for_save()  # the new baseline, without a re-parse
        self.service.matrices.publish(self.yaml_text(), self.records_name(), comment,
                                      lambda version: self._published(version, index, records),
                                      lambda e: self.say(str(e)), role=self.role)
        self.say("Publishing…")
        return True

    def _published(self, version: MatrixVersion, index: int | None = None,
                   records: Records | None = None) -> None:
        if not shiboken6.isValid(self):
            return  # published; the window closed meanwhile
        if index is not None and index == self.undo.index():
            self.undo.setClean()  # the working copy is the version in force now
        if index is not None and self.follower is not None:
            self.follower.published_here(version)
        if index is not None or self.follower is None:  # a restore: the follower loads it
            self.baseline = records if records is not None else load_records(version.yaml)
            self.baseline_name = f"published version {version.number}"
        self.say(f"Published version {version.number}: every console picks it up")
        self.published.emit(version)
        self.reload_versions()

    # -- showing --------------------------------------------------------------------------------
    def say(self, text: str) -> None:
        if shiboken6.isValid(self):  # a late answer from the worker may find the window gone
            self.statusBar().showMessage(text, 10_000)

    def say_long(self, text: str) -> None:
        """A status message that stays until the next one (news the lead may miss)."""
        if shiboken6.isValid(self):
            self.statusBar().showMessage(text)

    def reveal(self, nid: str) -> None:
        item = self.scene.select_node(nid)
        if item is not None:
            self.view.centerOn(item)

    def _selection_changed(self) -> None:
        nodes = self.scene.selected_ids()[0] if self.scene.document is not None else []
        self.panel.problems = self.document.problems
        self.panel.show_node(self.document.records, nodes[0] if len(nodes) == 1 else None)

    def _problems_changed(self, problems: list[Any]) -> None:
        self.problem_list.set_problems(
            problems, lambda p: self.panel.label_for(p, self.document.records))
        self.problems_dock.setWindowTitle(f"Problems ({len(problems)})")
        valid = not problems
        ready = ": ready to publish" if self.editable else ""  # a reader does not publish
        self.status_label.setText(f"✔ Valid{ready}" if valid else
                                  f"⚠ {len(problems)} problem(s): save as a draft only")
        self.status_label.setStyleSheet("" if valid else "color: #b00020; font-weight: bold;")
        publish = self.actions_by_name.get("publish")
        if publish is not None:  # a lead or an admin, a valid matrix, a service
            publish.setEnabled(self.editable and valid and self.service is not None)
        self.actions_by_name.get("save") and self.actions_by_name["save"].setText(
            "Save…" if valid else "Save draft…")

    def dying(self) -> bool:
        """The window is being destroyed: its undo stack, deleted first, signals as it goes
        (clearing itself), and the slots it reaches must not touch it."""
        return not shiboken6.isValid(self.undo)

    def _update_title(self, *_: object) -> None:
        if self.dying():
            return
        mark = "" if self.undo.isClean() else " *"
        mode = "" if self.editable else " [read-only]"
        self.setWindowTitle(f"Matrix flowchart: {self.records_name()}{mark}{mode}")

    def closeEvent(self, event: QCloseEvent) -> None:
        self.panel.flush()  # what is being typed in a field counts as a change
        # a demoted lead's edits stay too: they are not dropped unasked
        if self.was_editable and not self.undo.isClean() and not self.ask.discard_changes():
            event.ignore()
            return
        self.panel.blockSignals(True)  # the focus leaving a field no longer edits
        if self.draft is not None:
            self.draft.closing()
        if self.follower is not None:
            self.follower.stop()
        self.impact.stop()  # a preview's worker processes go with the window
        self.scene.clear_scene()
        super().closeEvent(event)
