"""The editor's menus and toolbar, built from one table of actions."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar, QToolButton

if TYPE_CHECKING:
    from .editor import FlowEditor

ADD_KINDS = (("severity", "Severity"), ("trigger", "Trigger"), ("tier", "Tier"),
             ("team", "Team"), ("contact", "Contact"), ("chain", "Chain"),
             ("step", "Step in the selected chain"), ("authority", "Decision authority"))


def _action(editor: FlowEditor, name: str, text: str, slot: Callable[[], object],
            shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
            tip: str = "") -> QAction:
    action = QAction(text, editor)
    action.setObjectName(name)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.setToolTip(tip or text)
    action.setStatusTip(tip or text)
    action.triggered.connect(lambda _=False: slot())
    editor.actions_by_name[name] = action
    return action


def _tool(bar: QToolBar, action: QAction) -> QToolButton:
    """A toolbar button for ``action``: as a widget it can be hidden without hiding the
    action in the menus."""
    button = QToolButton(bar)
    button.setDefaultAction(action)
    button.setAutoRaise(True)
    return button


def build_actions(editor: FlowEditor) -> None:
    """Create every action, the menus and the toolbar of ``editor``."""
    e, std = editor, QKeySequence.StandardKey
    view = e.view
    zoom_in = _action(e, "zoom_in", "Zoom in", view.zoom_in, std.ZoomIn)
    zoom_out = _action(e, "zoom_out", "Zoom out", view.zoom_out, std.ZoomOut)
    fit = _action(e, "fit", "Fit to window", view.fit, "Ctrl+0")
    undo = e.undo.createUndoAction(e, "Undo")
    undo.setShortcut(QKeySequence(std.Undo))
    redo = e.undo.createRedoAction(e, "Redo")
    redo.setShortcut(QKeySequence(std.Redo))
    e.actions_by_name.update(undo=undo, redo=redo)
    add_menu = QMenu("Add", e)
    for kind, label in ADD_KINDS:
        add_menu.addAction(_action(e, f"add_{kind}", label, partial(e.ask_and_add, kind)))
    rename = _action(e, "rename", "Rename…", e.ask_and_rename, "F2",
                     "Give the selected node a new id; references follow")
    delete = _action(e, "delete", "Delete", e.remove_selected, std.Delete,
                     "Delete the selected nodes or connections")
    arrange = _action(e, "arrange", "Arrange", e.auto_arrange, None,
                      "Lay the whole chart out again (undoable)")
    problems = e.problems_dock.toggleViewAction()
    problems.setText("Problems")
    properties = e.panel_dock.toggleViewAction()
    properties.setText("Properties")
    open_file = _action(e, "open", "Open…", e.ask_and_open, std.Open, "Open a matrix file")
    save = _action(e, "save", "Save…", e.ask_and_save, std.Save,
                   "Save as YAML (a matrix with problems is saved as a draft)")
    export_menu = QMenu("Export", e)
    for fmt in ("png", "svg", "pdf"):
        export_menu.addAction(_action(e, f"export_{fmt}", f"Export {fmt.upper()}…",
                                      partial(e.ask_and_export, fmt)))
    diff = _action(e, "diff", "Diff", e.show_diff, None,
                   "Compare the working copy with the published version, in words")
    history = _action(e, "history", "History", e.show_history, None,
                      "Every published version; open, compare or restore one")
    publish = _action(e, "publish", "Publish…", e.ask_and_publish, None,
                      "Publish a new matrix version to every console (leads only)")
    preview = _action(e, "preview_impact", "Preview impact", e.impact.start, None,
                      "Replay the last days' real tickets through the draft and the "
                      "version in force, side by side")
    e.edit_actions = [rename, delete, arrange, open_file, add_menu.menuAction()]

    menus = e.menuBar()
    file_menu = menus.addMenu("&File")
    for item in (open_file, save):
        file_menu.addAction(item)
    file_menu.addMenu(export_menu)
    file_menu.addSeparator()
    file_menu.addAction(_action(e, "close", "Close", e.close, std.Close))
    edit_menu = menus.addMenu("&Edit")
    for edit in (undo, redo, None, rename, delete, arrange):
        edit_menu.addSeparator() if edit is None else edit_menu.addAction(edit)
    edit_menu.addMenu(add_menu)
    view_menu = menus.addMenu("&View")
    for shown in (zoom_in, zoom_out, fit, None, problems, properties):
        view_menu.addSeparator() if shown is None else view_menu.addAction(shown)
    matrix_menu = menus.addMenu("&Matrix")
    for item in (diff, history, preview, publish):
        matrix_menu.addAction(item)

    bar = QToolBar("Flowchart", e)
    bar.setObjectName("flowchartToolbar")
    bar.setMovable(False)
    for tool in (zoom_in, zoom_out, fit, None, undo, redo, None):
        bar.addSeparator() if tool is None else bar.addAction(tool)
    add_button = QToolButton(bar)
    add_button.setText("Add")
    add_button.setMenu(add_menu)
    add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    # the editing tools are on the toolbar only while the person may edit
    e.edit_tools = [bar.addWidget(add_button), *(bar.addWidget(_tool(bar, item)) for item in (
        rename, delete, arrange)), bar.addSeparator()]
    bar.addAction(problems)
    bar.addAction(save)
    export_button = QToolButton(bar)
    export_button.setText("Export")
    export_button.setMenu(export_menu)
    export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    bar.addWidget(export_button)
    bar.addSeparator()
    for item in (diff, history, preview, publish):
        bar.addAction(item)
    e.addToolBar(bar)
    set_editing(e)


def set_editing(editor: FlowEditor) -> None:
    """Offer the editing actions, or not, as ``editor.editable`` says (the person's role
    may change while the window is open)."""
    for action in editor.edit_actions:
        action.setEnabled(editor.editable)
    for tool in editor.edit_tools:
        tool.setVisible(editor.editable)
