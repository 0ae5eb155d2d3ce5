"""Saving, drafts, exports, the words diff, publishing and the version history."""

from __future__ import annotations

import dataclasses
import threading

import pytest
import shiboken6
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QMainWindow

from console.app.runtime import matrix_ops
from console.domain.flow import load_records, set_field, set_target
from console.domain.matrix import check_matrix_text
from console.ui.flowchart import open_flowchart

from .conftest import PortOnly, make_editor


def test_save_writes_yaml_that_loads_as_the_same_matrix_with_every_position(editor, matrix,
                                                                           tmp_path):
    editor.ask.path = str(tmp_path / "matrix.yaml")
    editor.actions_by_name["save"].trigger()
    text = (tmp_path / "matrix.yaml").read_text(encoding="utf-8")
    saved, problems = check_matrix_text(text, "matrix.yaml")
    assert problems == []
    assert dataclasses.replace(saved, layout=matrix.layout) == matrix  # the same meaning
    layout = load_records(text)["layout"]
    assert set(layout) == set(editor.scene.nodes)
    assert editor.undo.isClean()
    assert sorted(f.name for f in tmp_path.iterdir()) == ["data", "matrix.yaml"]  # no temp file


def test_an_invalid_matrix_is_saved_only_as_a_draft_and_never_published(editor, tmp_path,
                                                                          qtbot):
    editor.push(lambda r: set_target(r, "P2", "response", None), "Remove P2 response")
    editor.ask.path = str(tmp_path / "draft.yaml")
    editor.ask_and_save()
    assert editor.ask.shown[-1] == ("save_path", ("default-escalation-matrix.draft.yaml", True))
    text = (tmp_path / "draft.yaml").read_text(encoding="utf-8")
    assert text.startswith("# Escalation matrix: Default escalation matrix")
    assert "# DRAFT: 1 problem(s)" in text
    assert "needs a response target" in text
    assert not editor.publish_now("please")
    editor.ask_and_publish()
    assert not [s for s in editor.ask.shown if s[0] == "publish"]
    with qtbot.waitSignal(editor.versionsLoaded, timeout=5000):
        editor.reload_versions()
    assert editor.versions == []


def test_opening_a_draft_brings_it_back_with_its_problems(editor, tmp_path):
    draft = editor.yaml_text().replace("response: 1h, update: 1h", "update: 1h")
    (tmp_path / "draft.yaml").write_text(draft, encoding="utf-8")
    editor.ask.path = str(tmp_path / "draft.yaml")
    editor.actions_by_name["open"].trigger()
    assert not editor.document.valid
    editor.undo.undo()
    assert editor.document.valid


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_the_chart_exports_to_png_svg_and_pdf(editor, tmp_path, fmt):
    path = tmp_path / f"chart.{fmt}"
    editor.ask.path = str(path)
    editor.actions_by_name[f"export_{fmt}"].trigger()
    data = path.read_bytes()
    if fmt == "png":
        image = QImage(str(path))
        assert image.width() > 2000 and image.height() > 1000
    elif fmt == "svg":
        assert b"<svg" in data and b"P1 \xc2\xb7 Critical" in data
    else:
        assert data.startswith(b"%PDF")


def test_the_diff_names_changes_in_words(editor, qtbot):
    editor.push(lambda r: set_target(r, "P2", "response", "45m"), "P2 response")
    editor.push(lambda r: set_field(r, "step:p1-page/0", ("backup",), "vp-engineering"), "b")
    editor.show_diff()
    qtbot.waitUntil(lambda: bool(editor.ask.diff_titles), timeout=5000)
    kind, lines = editor.ask.shown[-1]
    assert kind == "diff"
    assert lines == ["P2 response 1h → 45m",
                     "backup for P1 (p1-page step 1) changed from On-call engineer (secondary) "
                     "to VP Engineering"]


def test_publishing_makes_a_version_with_author_time_and_comment(editor, service, qtbot):
    editor.push(lambda r: set_target(r, "P2", "response", "45m"), "P2 response")
    with qtbot.waitSignal(editor.published, timeout=10000) as published:
        editor.ask_and_publish()
    version = published.args[0]
    assert (version.number, version.author, version.comment) == (
        1, "lena.lead", "tightened P2 after the review")
    assert version.valid and version.published_at is not None
    assert editor.ask.shown[-1] == ("publish", ["P2 response 1h → 45m"])
    qtbot.waitUntil(lambda: service.store.matrix.severity("P2").targets.response.seconds
                    == 45 * 60, timeout=5000)
    assert editor.diff_lines() == []  # the working copy is what is published now


def test_after_publishing_the_title_drops_its_unsaved_mark(editor, qtbot):
    editor.push(lambda r: set_target(r, "P2", "response", "45m"), "P2 response")
    assert editor.windowTitle().endswith(" *")
    with qtbot.waitSignal(editor.published, timeout=10000):
        editor.publish_now("P2 to 45m")
    assert editor.undo.isClean()
    assert editor.windowTitle() == "Matrix flowchart: Default escalation matrix"


def test_an_edit_made_while_publishing_keeps_the_unsaved_mark(editor, qtbot):
    editor.push(lambda r: set_target(r, "P2", "response", "45m"), "P2 response")
    with qtbot.waitSignal(editor.published, timeout=10000):
        editor.publish_now("P2 to 45m")
        editor.push(lambda r: set_target(r, "P2", "response", "40m"), "P2 again")
    assert not editor.undo.isClean()  # 40m is not what was published
    assert editor.windowTitle().endswith(" *")


def test_the_diff_names_the_published_version_it_compares_with(editor, service, qtbot,
                                                               matrix):
    editor.show_diff()
    qtbot.waitUntil(lambda: bool(editor.ask.diff_titles), timeout=5000)
    assert editor.ask.diff_titles[-1] == (
        "Changes against the shipped matrix (no version has been published yet)")
    editor.push(lambda r: set_target(r, "P2", "response", "45m"), "P2 response")
    with qtbot.waitSignal(editor.published, timeout=10000):
        editor.publish_now("P2 to 45m")
    # a second window, opened after the publish: diffed at once, before its versions load
    other = make_editor(qtbot, service, matrix, "lead")
    other.push(lambda r: set_target(r, "P3", "response", "3h"), "P3 response")
    other.show_diff()
    qtbot.waitUntil(lambda: bool(other.ask.diff_titles), timeout=5000)
    assert other.ask.diff_titles == ["Changes against published version 1"]
    assert other.ask.shown[-1][1] == ["P2 response 45m → 1h", "P3 response 1d → 3h"]
    other.undo.setClean()


def test_history_lists_versions_and_restores_one_as_a_new_version(editor, service, qtbot):
    for minutes in ("45m", "40m"):
        editor.push(lambda r, m=minutes: set_target(r, "P2", "response", m), "P2")
        with qtbot.waitSignal(editor.published, timeout=10000):
            editor.publish_now(f"P2 to {minutes}")
    with qtbot.waitSignal(editor.versionsLoaded, timeout=5000):
        editor.show_history()
    qtbot.waitUntil(lambda: any(s[0] == "history" for s in editor.ask.shown))
    versions, active, can_restore = next(s[1] for s in editor.ask.shown if s[0] == "history")
    assert [v.number for v in versions] == [1, 2]
    assert active.number == 2 and can_restore
    with qtbot.waitSignal(editor.published, timeout=10000) as restored:
        editor.restore_version(versions[0])
    assert restored.args[0].number == 3
    assert restored.args[0].comment == "Restored version 1"
    qtbot.waitUntil(lambda: service.store.matrix.severity("P2").targets.response.seconds
                    == 45 * 60, timeout=5000)
    editor.open_version(versions[1])
    assert next(s for s in editor.document.records["severities"]
                if s["id"] == "P2")["targets"]["response"] == "40m"


def test_only_a_lead_may_publish_even_through_the_app_layer(service, qtbot, matrix):
    errors = []
    port = PortOnly(service)
    port.matrices.publish("x: 1", "m", "", on_error=errors.append, role="agent")
    assert isinstance(errors[0], matrix_ops.PublishRefused)
    port.matrices.publish("not: [a matrix", "m", "", on_error=errors.append, role="lead")
    qtbot.waitUntil(lambda: len(errors) == 2, timeout=5000)
    assert "malformed YAML" in str(errors[1])


def test_the_editor_sees_the_service_only_through_the_views_port(editor, qtbot):
    with pytest.raises(AttributeError, match="not on the views' port"):
        _ = editor.service.store  # the guard every flowchart test runs behind
    with qtbot.waitSignal(editor.published, timeout=10000) as published:
        assert editor.publish_now("through the port")
    assert published.args[0].author == "lena.lead"  # the service's user, not a parameter
    assert published.args[0].comment == "through the port"


def test_open_flowchart_is_the_entry_point(service, matrix, qtbot):
    window = open_flowchart(service, matrix, "lead")
    assert isinstance(window, QMainWindow)
    assert window.isVisible()
    assert window.windowTitle() == "Matrix flowchart: Default escalation matrix"
    with qtbot.waitSignal(window.destroyed, timeout=5000):  # it deletes itself when closed
        window.close()


def test_a_window_closed_while_its_versions_load_ignores_them(service, matrix, qtbot):
    gate = threading.Event()
    service.worker.submit(lambda: gate.wait(10))  # the DB worker is busy a while
    window = open_flowchart(service, matrix, "lead")  # asks for the versions (and draft)
    window.close()
    qtbot.waitUntil(lambda: not shiboken6.isValid(window), timeout=5000)  # deleted
    gate.set()  # now the answers come, to a window that is gone
    done: list[bool] = []
    service.worker.submit(lambda: True, done.append)  # runs after the window's requests
    qtbot.waitUntil(lambda: bool(done), timeout=5000)


def test_a_publish_from_the_editor_parses_the_matrix_yaml_once(editor, service, qtbot,
                                                               monkeypatch):
    from console.domain.matrix import yamlpos

    editor.push(lambda r: set_target(r, "P2", "response", "45m"), "P2 response")
    parsed: list[str] = []
    compose = yamlpos._compose

    def counting(text, lines):  # type: ignore[no-untyped-def]
        parsed.append(text)
        return compose(text, lines)

    monkeypatch.setattr(yamlpos, "_compose", counting)
    with qtbot.waitSignal(editor.published, timeout=10000):
        editor.publish_now("P2 to 45m")
    qtbot.waitUntil(lambda: service.matrix.severity("P2").targets.response.seconds
                    == 45 * 60, timeout=5000)
    qtbot.waitUntil(lambda: len(editor.versions) == 1, timeout=5000)
    assert len(parsed) == 1  # the store's validation; the editor keeps its own records
    assert editor.diff_lines() == []
