"""The agents' forms share one frame: a scrolling body of fields, a banner for drafts
and sync state, and Submit / Close buttons.

Over 400 lines on purpose: FormDialog is the one base every form builds on (draft,
validation, submit, matrix and sync following); the banner, the scroll area and the
sync follower beside it are the small parts it is made of.

- Every change autosaves the draft (debounced, on the DB worker); Close keeps it.
- Opening a form restores its draft; a draft whose submission is already stored is
  dropped instead, so a form is never submitted twice.
- Submit (Ctrl+Enter) checks the fields, shows each problem next to its field, and
  moves the focus to the first one. Nothing here waits on the database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from console.app.runtime.drafts import draft_key
from console.app.runtime.forms_ops import Submitted, new_submit_id, sync_message
from console.app.runtime.port import ConsoleServicePort, Draft, SyncState
from console.domain.matrix import Matrix

from ..theme import named
from .widgets import BANNER_STYLES, ERROR_STYLE, HINT_COLOR, FormField, on_change

SUBMIT_KEYS = ("Ctrl+Return", "Ctrl+Enter")


class Banner(QFrame):
    """A coloured strip with a message and up to two action buttons."""

    appeared = Signal()  # it was hidden and now takes room

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("formBanner")
        self.text = named(QLabel(), "bannerText")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = [named(QPushButton(), "bannerFirst"),
                        named(QPushButton(), "bannerSecond")]
        self._actions: list[Callable[[], None] | None] = [None, None]
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(self.text, 1)
        for i, button in enumerate(self.buttons):
            button.setAutoDefault(False)
            button.hide()
            button.clicked.connect(lambda _=False, i=i: self._run(i))
            layout.addWidget(button)
        self.kind = ""
        self.hide()

    @property
    def first(self) -> QPushButton:
        return self.buttons[0]

    def show_message(self, kind: str, text: str,
                     actions: tuple[tuple[str, Callable[[], None]], ...] = ()) -> None:
        self.kind = kind
        self.setStyleSheet(f"QFrame#formBanner {{ {BANNER_STYLES[kind]} border-radius: 4px; }}")
        self.text.setText(text)
        for i, button in enumerate(self.buttons):
            label, action = actions[i] if i < len(actions) else ("", None)
            button.setText(label)
            button.setVisible(bool(label))
            self._actions[i] = action
        if self.isHidden():
            self.show()
            self.appeared.emit()

    def _run(self, i: int) -> None:
        action = self._actions[i]
        if action is not None:
            action()


class FitScrollArea(QScrollArea):
    """A scroll area that asks for its content's full size, so a dialog opens at its
    natural size and scrolls only when the screen is too small."""

    def sizeHint(self) -> QSize:
        widget = self.widget()
        if widget is None:
            return super().sizeHint()
        hint = widget.sizeHint()
        extra = 2 * self.frameWidth() + self.verticalScrollBar().sizeHint().width()
        return QSize(hint.width() + extra, hint.height() + 2 * self.frameWidth())


class SyncFollower(QObject):
    """Follows one submission until its events are in the shared database.

    After each sync state the syncer announces (a push announces one too), it asks the
    DB worker whether *these* events are still in the outbox: the state's own count may
    predate them, and a fast push may land before anyone looks. ``show(text, waiting)``
    gets each new wording; callbacks go through ``guard`` so a closed form ignores them.
    """

    def __init__(self, service: ConsoleServicePort, result: Submitted,
                 guard: Callable[[Callable[..., Any]], Callable[..., None]],
                 show: Callable[[str, bool], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.result = result
        self.guard = guard
        self.show = show
        self.seen: SyncState = service.sync_state
        self.pending = result.pending
        self.synced = False  # the events reached the shared database (for good)
        self._listening = False

    def start(self) -> None:
        self._render()
        # listen first, then look at the outbox: a push that lands in between is then
        # either seen by the look or announced by the syncer afterwards
        self.service.syncStateChanged.connect(self.on_sync_state)
        self._listening = True
        self._check()

    def stop(self) -> None:
        if self._listening:
            self._listening = False
            self.service.syncStateChanged.disconnect(self.on_sync_state)

    def on_sync_state(self, state: SyncState) -> None:
        self.seen = state
        self._render()
        self._check()

    def _check(self) -> None:
        if self.synced or not self._listening:
            return
        self.service.outbox_counts([e.id for e in self.result.events],
                                   self.guard(self._checked))

    def _checked(self, counts: tuple[int, int]) -> None:
        mine, total = counts
        self.pending = total
        # out of the outbox means on the server for good; a duplicate (no new events)
        # is synced when nothing waits at all
        self.synced = self.synced or (mine == 0 if self.result.events else total == 0
                                      and self.seen.status == "online")
        self._render()
        if self.synced:
            self.stop()

    def _render(self) -> None:
        if self.synced:
            text, waiting = sync_message(SyncState("online"), 0)
        else:  # never "synced" on a count that may be older than these events
            pending = self.pending
            text, waiting = sync_message(self.seen, max(pending, 1)
                                         if self.result.events else pending)
        self.show(text, waiting)


class FormDialog(QDialog):
    """Base of the intake, severity, handoff and approval forms."""

    submitted = Signal(str)  # the ticket id, once the events are stored locally

    def __init__(self, service: ConsoleServicePort, matrix: Matrix, *, form: str, ticket: str = "",
                 title: str, submit_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName(f"{form}Form")
        self.setSizeGripEnabled(True)
        self.service = service
        self.matrix = matrix
        service.matrixChanged.connect(self.set_matrix)  # a publish while the form is open
        self.ticket_id = ticket
        self.submit_id = new_submit_id()
        self.fields: dict[str, FormField] = {}
        self.order: list[str] = []  # field names in visual (tab) order, if not fields'
        self.preferred_chars = 0    # a comfortable width, in characters, if the screen allows
        self.result_state: Submitted | None = None
        self._restoring = False
        self._touched = False
        self._tried = False
        self._busy = False
        self._closed = False
        self.sync_follower: SyncFollower | None = None  # once submitted
        self.autosaver = service.forms.autosaver(draft_key(form, ticket), form, ticket,
                                                 self.snapshot, parent=self)
        self.autosaver.saved.connect(self._draft_saved)
        self.autosaver.failed.connect(lambda m: self.banner.show_message("error", m))

        self.banner: Banner = Banner(self)
        # the banner takes room from the fields: grow rather than squeeze them
        self.banner.appeared.connect(self._grow_soon)
        self.body = named(QWidget(), "formBody")
        self.scroll_area = named(FitScrollArea(), "formScroll")
        self.scroll_area.setWidget(self.body)
        self._fitted_need = 0  # the body height the last fit_to_screen made room for
        self._content_check = QTimer(self, singleShot=True, interval=0)
        self._content_check.timeout.connect(self._content_changed)
        self.body.installEventFilter(self)  # its LayoutRequests: the content changed size
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.error_summary = named(QLabel(), "errorSummary")
        self.error_summary.setWordWrap(True)
        self.error_summary.setStyleSheet(ERROR_STYLE)
        self.error_summary.hide()
        self.draft_state = named(QLabel(), "draftState")
        self.draft_state.setStyleSheet(f"color: {HINT_COLOR};")
        self.discard_button = named(QPushButton("Discard draft…"), "discardButton")
        self.discard_button.setAutoDefault(False)
        self.discard_button.setToolTip("Delete the saved draft and clear the form")
        self.discard_button.clicked.connect(self.confirm_discard)
        self.close_button = named(QPushButton("Close (draft kept)"), "closeButton")
        self.close_button.setAutoDefault(False)
        self.close_button.setToolTip("Esc: close; the draft stays saved for next time")
        self.close_button.clicked.connect(self.reject)
        self.submit_button = named(QPushButton(submit_text), "submitButton")
        self.submit_button.setDefault(True)
        self.submit_button.setToolTip("Ctrl+Enter")
        self.submit_button.clicked.connect(self.try_submit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.draft_state, 1)
        buttons.addWidget(self.discard_button)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.submit_button)
        outer = QVBoxLayout(self)
        outer.addWidget(self.banner)
        outer.addWidget(self.scroll_area, 1)
        outer.addWidget(self.error_summary)
        outer.addLayout(buttons)
        for keys in SUBMIT_KEYS:
            QShortcut(QKeySequence(keys), self).activated.connect(self.try_submit)

    def guard(self, fn: Callable[..., Any]) -> Callable[..., None]:
        """A callback for background work that does nothing once the form is gone."""
        def call(*args: Any) -> None:
            if not self._closed and shiboken6.isValid(self):
                fn(*args)
        return call

    # -- building ---------------------------------------------------------------------------
    def add_field(self, name: str, label: str, widget: QWidget, *, hint: str = "",
                  required: bool = False, watch: bool = True) -> FormField:
        """A field in ``self.fields``; ``watch=False`` when the form reacts to the
        widget itself (it still scrolls into view on focus)."""
        field = FormField(name, label, widget, hint=hint, required=required)
        self.fields[name] = field
        if watch:
            self.watch(widget)
        else:
            widget.installEventFilter(self)
        return field

    def watch(self, widget: Any) -> None:
        """Autosave and re-check when ``widget`` changes; keep it in view on focus."""
        on_change(widget, self._changed)
        if isinstance(widget, QWidget):
            widget.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.body and event.type() == QEvent.Type.LayoutRequest:
            self._content_check.start()  # once the layout has run
        elif event.type() == QEvent.Type.FocusIn and isinstance(obj, QWidget):
            field = obj.parentWidget()
            self.scroll_area.ensureWidgetVisible(
                field if isinstance(field, FormField) else obj, 20, 20)
        return False

    def fit_to_screen(self, grow_only: bool = False) -> None:
        """Natural size (wrapped text measured at the width it gets), but never larger
        than the screen's free area: the body scrolls instead, so the forms stay usable
        at 125% and 150% scaling. ``grow_only`` after messages appear."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        free = screen.availableGeometry()
        if (body_layout := self.body.layout()) is not None:
            body_layout.activate()
        self.scroll_area.updateGeometry()  # the scroll area's hint follows its content
        if (layout := self.layout()) is not None:
            layout.invalidate()
        hint = self.sizeHint().expandedTo(self.minimumSizeHint())
        preferred = self.fontMetrics().horizontalAdvance("x") * self.preferred_chars
        width = min(max(hint.width(), preferred, self.width() if grow_only else 0),
                    int(free.width() * 0.95))
        chrome = hint.height() - self.scroll_area.sizeHint().height()
        inner = width - (hint.width() - self.body.sizeHint().width())
        body = self.body.heightForWidth(inner) if self.body.layout() is not None else -1
        height = chrome + max(body, self.body.sizeHint().height()) + 2
        self._fitted_need = max(body, self.body.sizeHint().height())
        if grow_only:
            height = max(height, self.height())
        self.resize(width, min(height, int(free.height() * 0.92)))

    def _content_changed(self) -> None:
        """The body asks for more room than it had (a suggestion's reasons, an override's
        reason field appeared): grow while the screen has room rather than scroll. A
        form the user made smaller stays so until its content grows again."""
        if self._closed or not self.isVisible():
            return
        viewport = self.scroll_area.viewport()
        width = viewport.width()
        need = max(self.body.heightForWidth(width) if self.body.layout() is not None else -1,
                   self.body.minimumSizeHint().height())
        if need > viewport.height() and need > self._fitted_need:
            self.fit_to_screen(grow_only=True)
        self._fitted_need = max(self._fitted_need, need)

    # -- values, drafts ---------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        return {name: field.value() for name, field in self.fields.items()}

    def snapshot(self) -> dict[str, Any]:
        """The draft: every field plus the submission id (and the ticket id, if any)."""
        return {**self.values(), "_submit_id": self.submit_id, "_ticket": self.ticket_id}

    def restore(self, payload: dict[str, Any]) -> None:
        for name, field in self.fields.items():
            if name in payload:
                field.set_value(payload[name])

    def start(self) -> None:
        """Load the draft (asynchronously); call once the form is built."""
        service = self.service
        self.autosaver.load(
            self.guard(self._draft_loaded),
            is_stale=lambda d: service.is_submitted(str(d.payload.get("_submit_id", ""))))

    def _draft_loaded(self, draft: Draft | None) -> None:
        if draft is None:
            return
        if self._touched:  # never overwrite what was typed meanwhile
            self.banner.show_message("info", f"An earlier draft from {_hhmm(draft)} exists.",
                                     (("Restore it", lambda: self.apply_draft(draft)),))
            return
        self.apply_draft(draft)

    def apply_draft(self, draft: Draft) -> None:
        self._restoring = True
        try:
            self.submit_id = str(draft.payload.get("_submit_id") or self.submit_id)
            self.restore(draft.payload)
        finally:
            self._restoring = False
        # the draft's own time: what was typed after it (say, in the last fraction of a
        # second before a crash) is not in it, so promise nothing more
        self.banner.show_message("info", f"Restored your draft from {_hhmm(draft)}.")
        self.draft_state.setText(f"Draft saved {_hhmm(draft)}")
        self.after_restore()

    def after_restore(self) -> None:
        """Hook: recompute what depends on the restored fields."""

    def _draft_saved(self, draft: Draft) -> None:
        self.draft_state.setText(f"Draft saved {_hhmm(draft)}")

    def confirm_discard(self) -> None:
        answer = QMessageBox.question(self, "Discard draft",
                                      "Clear the form and delete its saved draft?")
        if answer == QMessageBox.StandardButton.Yes:
            self.discard_draft()

    def discard_draft(self) -> None:
        self.autosaver.discard()
        self._restoring = True
        try:
            self.clear()
        finally:
            self._restoring = False
        self._touched = self._tried = False
        self.submit_id = new_submit_id()
        self.show_errors({})
        self.banner.hide()
        self.draft_state.setText("Draft discarded")

    def clear(self) -> None:
        for field in self.fields.values():
            field.set_value(None)

    def _changed(self, *_: Any) -> None:
        if self._restoring or self.result_state is not None:
            return
        self._touched = True
        self.autosaver.changed()
        self.on_fields_changed()
        if self._tried:
            self.show_errors(self.errors())

    def set_matrix(self, matrix: Matrix) -> None:
        """A new matrix version is in force: the form's lists, template and checks
        follow it. What the agent typed stays, and is not counted as typing."""
        if matrix is self.matrix or self._closed:
            return
        self.matrix = matrix
        self._restoring = True
        try:
            self.on_matrix_changed()
            self.on_fields_changed()
        finally:
            self._restoring = False
        if self._tried:
            self.show_errors(self.errors())
        self.banner.show_message("info", "A new matrix version was published: this form "
                                         "now uses it.")

    def on_matrix_changed(self) -> None:
        """Hook: refill what comes from the matrix (teams, severities, the template)."""

    def on_fields_changed(self) -> None:
        """Hook: live updates (the severity suggestion, the authority verdict)."""

    # -- checking and submitting ------------------------------------------------------------
    def errors(self) -> dict[str, str]:
        raise NotImplementedError

    def show_errors(self, errors: dict[str, str]) -> dict[str, str]:
        for name, field in self.fields.items():
            field.set_error(errors.get(name, ""))
        names = [self.fields[n].label.text().replace("&", "").rstrip(" *")
                 for n in self.ordered() if n in errors]
        names += [n for n in errors if n not in self.fields]
        if errors:
            count = len(errors)
            self.error_summary.setText(f"{count} field{'s' if count != 1 else ''} "
                                       f"need{'s' if count == 1 else ''} attention: "
                                       + ", ".join(names))
        self.error_summary.setVisible(bool(errors))
        if errors:  # messages take room: grow once they are laid out
            self._grow_soon()
        return errors

    def _grow_soon(self) -> None:
        if self.isVisible():
            QTimer.singleShot(0, self.guard(lambda: self.fit_to_screen(grow_only=True)))

    def ordered(self) -> list[str]:
        return [n for n in self.order if n in self.fields] + [
            n for n in self.fields if n not in self.order]

    def try_submit(self) -> None:
        if self._busy or self.result_state is not None:
            return
        self._tried = True
        errors = self.show_errors(self.errors())
        if errors:
            first = next((self.fields[n] for n in self.ordered() if n in errors), None)
            if first is not None:
                self.scroll_area.ensureWidgetVisible(first, 20, 20)
                first.widget.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        self._busy = True
        self.submit_button.setEnabled(False)
        self.autosaver.stop()  # the draft is deleted with the submission
        self.draft_state.setText("Saving…")
        self.submit()

    def submit(self) -> None:
        raise NotImplementedError

    def submit_done(self, result: Submitted) -> None:
        self._busy = False
        self.result_state = result
        self.body.setEnabled(False)
        self.discard_button.hide()
        self.submit_button.hide()
        self.close_button.setText("Close")
        self.close_button.setDefault(True)
        self.close_button.setFocus()
        self.draft_state.setText("")
        for line in self.body.findChildren(QLineEdit):  # read-only now: show their start
            line.setCursorPosition(0)
        self.sync_follower = SyncFollower(self.service, result, self.guard, self._show_sync,
                                          parent=self)
        self.sync_follower.start()
        self.submitted.emit(result.ticket)

    def _show_sync(self, text: str, waiting: bool) -> None:
        if self.result_state is not None:
            done = self.done_text(self.result_state)
            self.banner.show_message("pending" if waiting else "ok", f"{done} {text}")

    def done_text(self, result: Submitted) -> str:
        return f"{result.ticket}: submitted." if not result.duplicate else \
            f"{result.ticket}: this form was already submitted; nothing was sent twice."

    def submit_failed(self, error: BaseException) -> None:
        self._busy = False
        self.submit_button.setEnabled(True)
        self.autosaver.enabled = True
        self._touched = True
        self.autosaver.changed()
        self.banner.show_message("error", f"Could not save: {error}. Your draft is kept; "
                                          "try again.")

    # -- closing ------------------------------------------------------------------------------
    def reject(self) -> None:
        self.autosaver.flush()
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.autosaver.flush()
        super().closeEvent(event)

    def done(self, code: int) -> None:
        self._closed = True
        for follower in self.findChildren(SyncFollower):
            follower.stop()
        super().done(code)


def _hhmm(draft: Draft) -> str:
    return draft.updated_at.astimezone().strftime("%H:%M:%S")
