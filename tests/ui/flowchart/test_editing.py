"""Editing the flowchart: every edit an undo command, a drag one command, connections
by dragging, the property panel, and live validation."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest

from console.domain.flow import set_target


def severity(records, sid):
    return next(s for s in records["severities"] if s["id"] == sid)


def viewport_point(editor, scene_point: QPointF) -> QPoint:
    return editor.view.mapFromScene(scene_point)


def centre_of(editor, nid: str) -> QPoint:
    item = editor.scene.nodes[nid]
    return viewport_point(editor, item.sceneBoundingRect().center())


def test_the_chart_shows_every_record_with_severities_in_their_colours(editor, matrix):
    doc = editor.document
    assert set(editor.scene.nodes) == set(doc.graph.nodes)
    assert set(editor.scene.edges) == set(doc.graph.edges)
    p1 = editor.scene.nodes["severity:P1"]
    assert p1.brush().color() == QColor(matrix.severity("P1").color)
    assert editor.scene.edges["backup:p1-page/0"].label_text.text() == "after 5m"
    assert editor.scene.legend is not None
    assert doc.valid and editor.problem_list.count() == 1  # the "no problems" line


def test_adding_a_node_is_undone_and_redone(editor):
    before = editor.document.records
    assert editor.add_node("team", "billing", tier="T2") == "team:billing"
    assert "team:billing" in editor.scene.nodes
    assert editor.scene.nodes["team:billing"].isSelected()
    editor.undo.undo()
    assert "team:billing" not in editor.scene.nodes
    assert editor.document.records is before
    editor.undo.redo()
    assert "team:billing" in editor.scene.nodes


def test_renaming_follows_references_and_undo_restores_them(editor):
    assert editor.rename_node("team:payments-engineering", "payments")
    records = editor.document.records
    trigger = next(t for t in records["triggers"] if t["id"] == "payment-bug")
    assert trigger["then"][0]["escalate"]["team"] == "payments"
    assert "action:payment-bug/0" in editor.scene.edges
    assert editor.scene.edges["action:payment-bug/0"].target.nid == "team:payments"
    editor.undo.undo()
    assert "team:payments-engineering" in editor.scene.nodes


def test_a_refused_edit_is_explained_and_never_reaches_the_undo_stack(editor):
    assert not editor.rename_node("team:frontline", "specialists")
    assert editor.undo.count() == 0
    assert "already" in editor.statusBar().currentMessage()


def test_dragging_a_node_is_one_command_however_many_steps(editor, qtbot):
    item = editor.scene.nodes["team:frontline"]
    start = item.pos()
    press = centre_of(editor, "team:frontline")
    viewport = editor.view.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, press)
    for step in range(1, 11):
        QTest.mouseMove(viewport, press + QPoint(0, 8 * step))
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       press + QPoint(0, 80))
    assert item.pos().y() > start.y() + 40
    assert editor.undo.count() == 1
    assert editor.undo.text(0).startswith("Move")
    saved = editor.document.records["layout"]["team:frontline"]
    assert (saved["x"], saved["y"]) == (round(item.x(), 1), round(item.y(), 1))
    for edge in item.edges:  # the edges followed the node
        assert edge.path().elementAt(0) is not None
    editor.undo.undo()
    assert item.pos() == start


def test_connecting_by_dragging_from_the_handle_sets_the_reference(editor):
    source = editor.scene.nodes["severity:P3"]
    source.setSelected(True)  # shows the handle
    handle = viewport_point(editor, source.handle.scenePos())
    target = centre_of(editor, "team:specialists")
    viewport = editor.view.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, handle)
    QTest.mouseMove(viewport, (handle + target) / 2)
    QTest.mouseMove(viewport, target)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       target)
    assert severity(editor.document.records, "P3")["route_to"] == "specialists"
    assert editor.scene.edges["route:P3"].target.nid == "team:specialists"
    editor.undo.undo()
    assert severity(editor.document.records, "P3")["route_to"] == "product-engineering"


def test_a_step_and_a_contact_connect_in_the_role_the_lead_picks(editor):
    editor.ask.role = "backup"
    assert editor.connect_nodes("step:p4-email/0", "contact:product-manager")
    step = editor.document.records["chains"]["p4-email"]["steps"][0]
    assert step["backup"] == "product-manager"
    assert editor.scene.edges["backup:p4-email/0"].label_text.text() == "backup"


def test_property_panel_changes_are_undoable_commands(editor, qtbot):
    editor.reveal("severity:P2")
    field = editor.panel.field("Response")
    assert field.text() == "1h"
    field.setText("45m")
    field.setModified(True)
    field.editingFinished.emit()
    assert severity(editor.document.records, "P2")["targets"]["response"] == "45m"
    assert editor.scene.nodes["severity:P2"].body.text().startswith("respond 45m")
    editor.undo.undo()
    assert editor.panel.field("Response").text() == "1h"


def test_trigger_conditions_are_edited_as_yaml_values(editor):
    editor.reveal("trigger:payment-bug")
    field = editor.panel.field("When category")
    assert field.text() == "[bug]"
    field.setText("[bug, billing]")
    field.setModified(True)
    field.editingFinished.emit()
    trigger = next(t for t in editor.document.records["triggers"] if t["id"] == "payment-bug")
    assert trigger["when"]["category"] == ["bug", "billing"]


def test_live_validation_marks_the_node_lists_the_problem_and_blocks_publishing(editor):
    assert editor.actions_by_name["publish"].isEnabled()
    editor.push(lambda r: set_target(r, "P2", "resolution", "30m"), "Set P2 resolution")
    node = editor.scene.nodes["severity:P2"]
    assert node.badge.isVisible()
    assert node.pen().color() == QColor("#d50000")
    assert "shorter than the response target" in editor.problem_list.item(0).text()
    assert not editor.actions_by_name["publish"].isEnabled()
    assert editor.actions_by_name["save"].text() == "Save draft…"
    editor.problem_list.itemClicked.emit(editor.problem_list.item(0))
    assert editor.scene.selected_ids()[0] == ["severity:P2"]
    editor.undo.undo()
    assert not node.badge.isVisible()
    assert editor.actions_by_name["publish"].isEnabled()


def test_clicking_an_edge_selects_it_for_deleting(editor):
    edge = editor.scene.edges["route:P4"]
    point = edge.path().pointAtPercent(0.5)
    QTest.mouseClick(editor.view.viewport(), Qt.MouseButton.LeftButton,
                     Qt.KeyboardModifier.NoModifier, viewport_point(editor, point))
    assert editor.scene.selected_ids() == ([], ["route:P4"])
    editor.actions_by_name["delete"].trigger()
    assert "route_to" not in severity(editor.document.records, "P4")


def test_clicking_an_edges_label_selects_that_edge(editor):
    eid, edge = next((eid, e) for eid, e in sorted(editor.scene.edges.items())
                     if e.label_box is not None)
    editor.view.centerOn(edge.label_box)
    point = edge.label_box.sceneBoundingRect().center()
    QTest.mouseClick(editor.view.viewport(), Qt.MouseButton.LeftButton,
                     Qt.KeyboardModifier.NoModifier, viewport_point(editor, point))
    assert editor.scene.selected_ids() == ([], [eid])


def test_a_problem_about_a_reference_marks_its_edge(editor):
    editor.push(lambda r: {**r, "chains": {**r["chains"], "p1-page": {
        **r["chains"]["p1-page"], "steps": [
            {**r["chains"]["p1-page"]["steps"][0], "backup": "oncall-primary"},
            r["chains"]["p1-page"]["steps"][1]]}}}, "Backup = primary")
    assert editor.scene.edges["backup:p1-page/0"].problem


def test_deleting_nodes_and_edges_together_is_one_undo_step(editor):
    editor.scene.nodes["team:customer-success"].setSelected(True)
    editor.scene.select_edge("notify:P4", add=True)
    editor.remove_selected()
    assert "team:customer-success" not in editor.scene.nodes
    assert "notify" not in severity(editor.document.records, "P4")
    assert editor.undo.count() == 1
    editor.undo.undo()
    assert "team:customer-success" in editor.scene.nodes
    assert severity(editor.document.records, "P4")["notify"] == "p4-email"


def test_add_rename_and_arrange_from_the_menus(editor):
    editor.ask.texts = ["P5"]
    editor.actions_by_name["add_severity"].trigger()
    assert "severity:P5" in editor.scene.nodes
    editor.ask.texts = ["Sev5"]
    editor.actions_by_name["rename"].trigger()
    assert "severity:Sev5" in editor.scene.nodes
    editor.actions_by_name["arrange"].trigger()
    assert editor.undo.count() == 3
    assert len(editor.document.records["layout"]) == len(editor.scene.nodes)


def test_zoom_and_fit(editor):
    editor.view.fit()
    fitted = editor.view.zoom()
    editor.actions_by_name["zoom_in"].trigger()
    assert editor.view.zoom() > fitted
    editor.actions_by_name["zoom_out"].trigger()
    editor.actions_by_name["zoom_out"].trigger()
    assert editor.view.zoom() < fitted
    editor.actions_by_name["fit"].trigger()
    assert abs(editor.view.zoom() - fitted) < 1e-6


def test_an_agent_sees_the_chart_read_only(viewer):
    node = viewer.scene.nodes["severity:P1"]
    assert not node.flags() & node.GraphicsItemFlag.ItemIsMovable
    assert node.handle is None
    assert not viewer.push(lambda r: set_target(r, "P2", "response", "1m"), "x")
    assert viewer.undo.count() == 0
    assert not viewer.actions_by_name["publish"].isEnabled()
    assert not viewer.actions_by_name["delete"].isEnabled()
    viewer.reveal("severity:P2")
    assert viewer.panel.field("Response").isReadOnly()
    assert "[read-only]" in viewer.windowTitle()
    assert not viewer.publish_now("sneaky")


def test_the_panel_edits_calendars_contacts_timeouts_and_authority_limits(editor):
    editor.scene.clearSelection()
    timezone = editor.panel.field("Calendar 24x7: timezone")
    timezone.setText("Europe/Berlin")
    timezone.setModified(True)
    timezone.editingFinished.emit()
    assert editor.document.records["calendars"]["24x7"]["timezone"] == "Europe/Berlin"
    edits = [("contact:cto", "Email", "cto@example.org"),
             ("step:p1-page/1", "Ack timeout", "7m"),
             ("authority:refund/t1_agent", "Limit", "150")]
    for nid, label, text in edits:
        editor.reveal(nid)
        field = editor.panel.field(label)
        field.setText(text)
        field.setModified(True)
        field.editingFinished.emit()
    records = editor.document.records
    assert next(c for c in records["contacts"] if c["id"] == "cto")["email"] == "cto@example.org"
    assert records["chains"]["p1-page"]["steps"][1]["ack_timeout"] == "7m"
    assert records["authority"][0]["limit"] == 150
    assert editor.scene.edges["backup:p1-page/1"].label_text.text() == "after 7m"
    editor.reveal("step:p1-page/0")
    combo = editor.panel.field("Backup")
    combo.setCurrentText("vp-engineering")
    combo.activated.emit(combo.currentIndex())
    assert records is not editor.document.records
    assert editor.document.records["chains"]["p1-page"]["steps"][0]["backup"] == "vp-engineering"
    assert editor.undo.count() == 5
    assert editor.document.valid


def test_a_yaml_field_that_does_not_parse_is_refused_in_place(editor):
    editor.reveal("trigger:payment-bug")
    field = editor.panel.field("Then (actions)")
    field.setText("[unclosed")
    field.setModified(True)
    field.editingFinished.emit()
    assert editor.undo.count() == 0
    assert "not YAML" in editor.statusBar().currentMessage()


def test_the_middle_button_pans(viewer):
    viewer.view.zoom_by(3.0)
    bar = viewer.view.horizontalScrollBar()
    before = bar.value()
    viewport = viewer.view.viewport()
    centre = viewport.rect().center()
    QTest.mousePress(viewport, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier,
                     centre)
    QTest.mouseMove(viewport, centre - QPoint(200, 0))
    QTest.mouseRelease(viewport, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier,
                       centre - QPoint(200, 0))
    assert bar.value() == before + 200


def test_an_edit_keeps_the_items_it_does_not_touch(editor):
    p1 = editor.scene.nodes["severity:P1"]
    route = editor.scene.edges["route:P1"]
    editor.push(lambda r: set_target(r, "P4", "response", "3d"), "P4 response")
    assert editor.scene.nodes["severity:P1"] is p1
    assert editor.scene.edges["route:P1"] is route
    editor.scene.nodes["team:product-design"].setSelected(True)
    editor.remove_selected()
    assert "route:P4" not in editor.scene.edges
    assert all(e.edge.id != "route:P4" for e in editor.scene.nodes["severity:P4"].edges)
    assert set(editor.scene.edges) == set(editor.document.graph.edges)


def test_a_field_holding_a_problem_is_framed_red_and_says_why(editor, qtbot):
    editor.activateWindow()
    qtbot.waitUntil(editor.isActiveWindow)
    editor.reveal("severity:P2")
    field = editor.panel.field("Response")
    field.setFocus()
    qtbot.waitUntil(field.hasFocus)
    QTest.keyClick(field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(field, "45 mins")
    QTest.keyClick(field, Qt.Key.Key_Tab)
    assert editor.panel.field("Response") is field  # the row was kept, not rebuilt
    assert editor.panel.field("Update").hasFocus()
    assert "#d50000" in field.styleSheet()
    assert "'45 mins' is not a duration" in field.toolTip()
    assert editor.panel.field("Update").styleSheet() == ""
    field.setFocus()
    qtbot.waitUntil(field.hasFocus)
    QTest.keyClick(field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(field, "45m")
    QTest.keyClick(field, Qt.Key.Key_Return)
    assert field.styleSheet() == "" and field.toolTip() == ""
    assert editor.document.valid


def test_unreadable_yaml_stays_in_its_field_with_the_reason(editor):
    editor.reveal("trigger:payment-bug")
    field = editor.panel.field("When category")
    field.setText("[bug")
    field.setModified(True)
    field.editingFinished.emit()
    assert field.text() == "[bug" and "#d50000" in field.styleSheet()
    assert field.toolTip().startswith("Not saved: not YAML")
    assert "When category: not YAML" in editor.statusBar().currentMessage()


def test_text_being_typed_lands_on_its_own_node_when_another_is_chosen(editor, qtbot):
    editor.activateWindow()
    qtbot.waitUntil(editor.isActiveWindow)
    p3 = severity(editor.document.records, "P3")["targets"]["response"]
    for text, expected in (("45m", "45m"), ("45m", "45m")):  # the second changes nothing
        editor.reveal("severity:P2")
        field = editor.panel.field("Response")
        field.setFocus()
        qtbot.waitUntil(field.hasFocus)
        QTest.keyClick(field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        QTest.keyClicks(field, text)
        editor.problem_list.nodeChosen.emit("severity:P3")  # chosen without leaving the field
        assert editor.panel.nid == "severity:P3"
        assert editor.panel.field("Response").text() == p3
        assert severity(editor.document.records, "P2")["targets"]["response"] == expected
        assert severity(editor.document.records, "P3")["targets"]["response"] == p3
    assert editor.undo.count() == 1


def test_a_problem_is_listed_under_the_node_and_field_the_panel_shows(editor):
    editor.push(lambda r: set_target(r, "P2", "response", "45 mins"), "P2 response")
    item = editor.problem_list.item(0)
    assert item.text() == ("⚠ Severity P2 · Response: '45 mins' is not a duration; write a "
                           "number and a unit, like 15m, 1h, 1h30m or 7d")
    assert item.toolTip().startswith("severities[1].targets.response: '45 mins'")


def test_every_property_field_fits_the_panel_without_a_sideways_scroll(editor, qtbot):
    from PySide6.QtWidgets import QApplication

    font = editor.panel.font()
    font.setPointSizeF(font.pointSizeF() * 1.4)  # as wide as the labels are at 125% on X
    editor.panel.setFont(font)
    editor.resizeDocks([editor.panel_dock], [360], Qt.Orientation.Horizontal)
    editor.reveal("severity:P2")  # long labels: "Rule 1: when users affected pct"
    QApplication.processEvents()
    viewport = editor.panel.viewport()
    for field, widget in editor.panel._widgets:
        right = widget.mapTo(viewport, widget.rect().topRight()).x()
        assert 0 < right <= viewport.width(), field.label
        assert widget.width() >= 120, field.label  # room to read a value


def test_a_panel_edit_is_named_in_the_panels_words_in_the_undo_menu(editor):
    editor.reveal("severity:P2")
    field = editor.panel.field("Response")
    field.setText("45m")
    field.setModified(True)
    field.editingFinished.emit()
    assert editor.undo.undoText() == "Set P2 Response"
    assert editor.actions_by_name["undo"].text() == "Undo Set P2 Response"
