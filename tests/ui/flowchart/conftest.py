"""A flowchart editor on a real ConsoleService (local store, no sync), seen only through
the views' port, with scripted answers instead of dialogs."""

from __future__ import annotations

import pytest
from service_fakes import running_service

from console._pyside_refcount import pin_singletons
from console.app.runtime.port import ConsoleServicePort
from console.ui.flowchart import FlowEditor

from ..conftest import NOW

pin_singletons()  # thousands of Qt calls per test: see console._pyside_refcount

# what the views may ask of the service: the Protocol's attributes, methods and properties
PORT_MEMBERS = frozenset(
    set(ConsoleServicePort.__annotations__)
    | {name for name in vars(ConsoleServicePort) if not name.startswith("_")})


class PortOnly:
    """The real service as the views' port shows it: a member the port does not name
    (``store``, ``worker``...) raises, so a flowchart that reaches past the port fails."""

    def __init__(self, service: object) -> None:
        self._service = service

    def __getattr__(self, name: str) -> object:
        if name not in PORT_MEMBERS:
            raise AttributeError(f"{name!r} is not on the views' port (ConsoleServicePort)")
        return getattr(self._service, name)


class ScriptedPrompts:
    """Answers the editor's questions; records what it showed."""

    def __init__(self) -> None:
        self.texts: list[str | None] = []
        self.role: str | None = "backup"
        self.path: str | None = None
        self.comment = "tightened P2 after the review"
        self.last_comment = ""
        self.shown: list[tuple[str, object]] = []
        self.discard = True
        self.diff_titles: list[str] = []

    def text(self, title, label, default=""):
        return self.texts.pop(0) if self.texts else default

    def contact_role(self):
        return self.role

    def open_path(self):
        return self.path

    def save_path(self, suggested, draft):
        self.shown.append(("save_path", (suggested, draft)))
        return self.path

    def export_path(self, fmt, suggested):
        return self.path

    def publish(self, name, against, lines, preview=None):
        self.shown.append(("publish", lines))
        self.publish_preview = preview
        self.last_comment = self.comment
        return bool(self.comment)

    def diff(self, title, lines):
        self.diff_titles.append(title)
        self.shown.append(("diff", lines))

    def history(self, versions, active, can_restore):
        self.shown.append(("history", (versions, active, can_restore)))

    def discard_changes(self):
        return self.discard


@pytest.fixture
def service(tmp_path, matrix, qtbot):
    with running_service(tmp_path / "data", matrix, qtbot, user="lena.lead",
                         clock=lambda: NOW) as svc:
        yield svc


def make_editor(qtbot, service, matrix, role: str) -> FlowEditor:
    import copy

    editor = FlowEditor(PortOnly(service), copy.deepcopy(matrix.source), role)
    editor.ask = ScriptedPrompts()
    qtbot.addWidget(editor)
    editor.resize(1600, 1000)
    editor.show()
    qtbot.waitExposed(editor)
    editor.view.fit()
    return editor


@pytest.fixture
def editor(qtbot, service, matrix) -> FlowEditor:
    ed = make_editor(qtbot, service, matrix, "lead")
    qtbot.waitUntil(lambda: ed.versions is not None)
    yield ed
    ed.undo.setClean()


@pytest.fixture
def viewer(qtbot, service, matrix) -> FlowEditor:
    return make_editor(qtbot, service, matrix, "agent")
