"""Who may edit an open flowchart follows who the person is.

The role comes from the shared database (the port's ``personChanged``), and may change
while the window is open: the server answers ``whoami`` after the window opened, or an
admin promotes or demotes the person. Promoted, the window becomes editable in place.
Demoted, it becomes read-only, but the unpublished edits stay in the window (text
typed into a field is committed first): publishing is disabled, a banner says why and
offers to save them to a file, and closing still asks before dropping them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QGraphicsView

from console.domain.people import PUBLISHERS

from .actions import set_editing

if TYPE_CHECKING:
    from .editor import FlowEditor

DISABLED = "disabled"  # the role the app names a disabled person (console.ui.app)


def role_text(role: str, editable: bool) -> str:
    """The editor's permanent status-bar note on what the person may do."""
    if editable:
        return f"{role.capitalize()}: you can edit and publish"
    if not role:
        return ("Read-only: the shared database has not said you are a lead or an admin "
                "(only they edit and publish)")
    if role == DISABLED:
        return "Read-only (your login is disabled): only a lead or an admin edits and publishes"
    return f"Read-only ({role}): only a lead or an admin edits and publishes"


def demoted_text(role: str) -> str:
    """Why a person who was editing may no longer publish, and what became of the edits."""
    if not role:
        why = "The shared database no longer knows you as a lead or an admin"
    elif role == DISABLED:
        why = "Your login is disabled on the shared database"
    else:
        article = "an" if role[:1] in "aeiou" else "a"
        why = f"The shared database says you are now {article} {role}"
    return (f"{why}: only a lead or an admin may publish the matrix, so publishing is "
            "disabled. Your unpublished edits stay in this window: save them to a file "
            "for a lead to publish, or ask an admin for the lead role back.")


def apply_role(editor: FlowEditor, role: str) -> None:
    """Make ``editor`` editable, or read-only, for a person of ``role`` (see the module
    docstring); nothing the person edited is dropped."""
    editable = role in PUBLISHERS
    if editable == editor.editable:
        editor.role = role  # a lead made admin: the same rights, the new name
        editor.role_label.setText(role_text(role, editable))
        return
    if not editable:
        editor.panel.flush()  # what is being typed is an edit: commit it while allowed
    editor.role, editor.editable = role, editable
    editor.was_editable = editor.was_editable or editable
    editor.scene.set_editable(editable)
    editor.view.setDragMode(QGraphicsView.DragMode.RubberBandDrag if editable
                            else QGraphicsView.DragMode.ScrollHandDrag)
    editor.panel.set_editable(editable)
    set_editing(editor)
    editor.role_label.setText(role_text(role, editable))
    editor._problems_changed(editor.document.problems)  # publishing, and its note
    editor._update_title()
    if editable:
        editor.role_banner.hide()
        editor.start_draft()  # a lead's edits are autosaved
        editor.say_long(f"The shared database says you are {role}: you can edit and "
                        "publish the matrix")
    elif editor.holds_edits():
        editor.role_banner.show_message("error", demoted_text(role),
                                        (("Save to a file…", editor.ask_and_save),))
    else:
        editor.say_long(role_text(role, editable))
