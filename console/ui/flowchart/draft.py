"""The flowchart's unsaved edits survive a crash: autosaved as a draft, offered back.

As the agents' forms do (console.app.runtime.drafts), every change of a lead's working copy is
written to the local store, debounced, on the DB worker: each undo step, and each key
typed into a property field that is not committed yet. A saved file, a publish, or an
undo back to what the window opened (the document is clean) deletes the draft, and so
does closing the window with "discard". What is left after a crash or a kill is offered
back in a banner the next time the editor opens: Restore (one undoable step) or Discard.
There is one flowchart draft per console (its data directory).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QObject

from console.app.runtime.drafts import draft_key
from console.app.runtime.port import Draft
from console.domain.flow import diff_records, dump_records, load_records

from ..forms.base import Banner
from .panel import edit_for, parse

if TYPE_CHECKING:
    from .editor import FlowEditor

FORM = "flowchart"
KEY = draft_key(FORM)


def _hhmm(draft: Draft) -> str:
    return draft.updated_at.astimezone().strftime("%H:%M:%S")


class FlowDraft(QObject):
    """Autosaves ``editor``'s working copy and offers a left-over draft back."""

    def __init__(self, editor: FlowEditor, banner: Banner) -> None:
        super().__init__(editor)
        assert editor.service is not None
        self.editor = editor
        self.banner = banner
        self.offered: Draft | None = None
        self.closed = False  # the window closed: nothing is saved or offered after that
        self.autosaver = editor.service.forms.autosaver(KEY, FORM, "", self.snapshot,
                                                        parent=self)
        self.autosaver.enabled = False  # until the left-over draft is read: never overwrite it
        self.autosaver.failed.connect(editor.say)
        editor.undo.indexChanged.connect(self.changed)
        editor.undo.cleanChanged.connect(self.changed)
        editor.panel.typing.connect(self.changed)
        self.autosaver.load(self._loaded)

    # -- saving ---------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """The working copy as YAML (positions included) and the field being typed in."""
        editor = self.editor
        payload: dict[str, Any] = {
            "yaml": dump_records(editor.document.records_for_save()),
            "name": editor.records_name(), "against": editor.baseline_name}
        pending = editor.panel.pending()
        if pending is not None:
            field, text = pending
            payload["field"] = {"scope": field.scope, "node": editor.panel.nid or "",
                                "path": list(field.path), "kind": field.kind,
                                "label": field.label, "text": text}
        return payload

    def changed(self, *_: object) -> None:
        """Save the working copy soon; with nothing unsaved, drop the draft."""
        if not self.autosaver.enabled or self.editor.dying():  # dying unclosed: draft kept
            return
        if self.editor.undo.isClean() and self.editor.panel.pending() is None:
            if self.offered is None:  # an offered draft stays until the lead answers
                self.autosaver.discard()
        else:
            self.autosaver.changed()

    def closing(self) -> None:
        """The window closes with its changes saved, published or discarded."""
        self.closed = True
        self.autosaver.stop()
        self.autosaver.discard()

    # -- offering a left-over draft -------------------------------------------------------
    def _loaded(self, draft: Draft | None) -> None:
        if not shiboken6.isValid(self) or self.closed:  # closed before the draft was read
            return
        self.autosaver.enabled = True
        if draft is not None and self._worth_offering(draft):
            self.offered = draft
            self.banner.show_message(
                "pending", f"Unsaved flowchart edits from {_hhmm(draft)} were kept when the "
                f"editor last closed without saving ({draft.payload.get('name', 'matrix')}).",
                (("Restore them", self.restore), ("Discard them", self.discard)))
        self.changed()  # edits made while the draft was read

    def _worth_offering(self, draft: Draft) -> bool:
        try:
            records = load_records(str(draft.payload.get("yaml", "")))
        except ValueError:
            self.editor.say("The saved flowchart draft could not be read; it was dropped")
            return False
        return bool(diff_records(self.editor.initial, records)) or "field" in draft.payload

    def restore(self) -> None:
        """Put the offered draft in the working copy: one undoable step, plus the field
        that was being typed in (if its text can be read)."""
        draft, editor = self.offered, self.editor
        if draft is None:
            return
        self.offered = None
        editor.replace_records(load_records(str(draft.payload["yaml"])),
                               f"Restore unsaved edits from {_hhmm(draft)}")
        field = draft.payload.get("field")
        note = ""
        if isinstance(field, dict):
            try:
                value = parse(str(field["text"]), field["kind"])
                editor.push(edit_for(field["scope"], field["node"], tuple(field["path"]),
                                     value), f"Set {field['label']}")
            except (KeyError, TypeError, ValueError) as exc:
                note = f" The text typed into {field.get('label', 'a field')} was not " \
                       f"restored: {exc}."
        self.banner.show_message("info", f"Restored your unsaved edits from {_hhmm(draft)}: "
                                         f"nothing you changed was lost.{note}")

    def discard(self) -> None:
        """Drop the offered draft (and autosave what is edited from now on)."""
        self.offered = None
        self.banner.hide()
        self.changed()  # deletes it, or saves the current edits over it
        self.autosaver.save_now()
