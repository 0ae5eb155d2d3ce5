"""The publish and history dialogs."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtWidgets import QLabel

from console.app.runtime.matrix_ops import MatrixVersion
from console.ui.flowchart.dialogs import DiffDialog, HistoryDialog, PublishDialog


def version(number: int, valid: bool = True) -> MatrixVersion:
    return MatrixVersion(number, "Default", "lena.lead", f"change {number}",
                         datetime(2026, 3, 2, 10, number, tzinfo=UTC), "schema_version: 1\n",
                         valid, f"{number:015d}-000000-dev", f"event-{number}")


def test_publishing_needs_a_comment(qtbot):
    dialog = PublishDialog("Default", "published version 3", ["P2 response 1h → 45m"])
    qtbot.addWidget(dialog)
    assert not dialog.publish_button.isEnabled()
    dialog.comment.setPlainText("after the Q3 review")
    assert dialog.publish_button.isEnabled()
    assert dialog.text() == "after the Q3 review"


def test_the_publish_dialog_opens_ready_for_the_comment_it_requires(qtbot):
    dialog = PublishDialog("Default", "published version 3", ["P2 response 1h → 45m"])
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    assert dialog.comment.hasFocus()
    assert dialog.comment.tabChangesFocus()  # Tab leaves for the buttons, no tab typed
    assert any("Comment, required" in label.text() for label in dialog.findChildren(QLabel))


def test_history_lists_newest_first_and_marks_the_active_version(qtbot):
    versions = [version(1), version(2), version(3, valid=False)]
    dialog = HistoryDialog(versions, versions[1], can_restore=True)
    qtbot.addWidget(dialog)
    assert [dialog.table.item(r, 0).text() for r in range(3)] == ["3", "2  (active)", "1"]
    assert dialog.table.item(0, 5).text() == "no"
    dialog.table.selectRow(1)
    with qtbot.waitSignal(dialog.restoreRequested) as restore:
        dialog.restore_button.click()
    assert restore.args[0].number == 2
    with qtbot.waitSignal(dialog.loadRequested):
        dialog.load_button.click()


def test_agents_cannot_restore_from_the_history(qtbot):
    dialog = HistoryDialog([version(1)], None, can_restore=False)
    qtbot.addWidget(dialog)
    assert not dialog.restore_button.isEnabled()
    assert dialog.compare_button.isEnabled()


def test_the_diff_dialog_lists_sentences(qtbot):
    dialog = DiffDialog("Diff", ["a", "b"])
    qtbot.addWidget(dialog)
    assert dialog.text.toPlainText() == "• a\n• b"
    assert DiffDialog("Diff", []).text.toPlainText() == "No changes."
