"""The details panel at the widths a person gives it: every text wraps or scrolls,
none is cut off, and its sentences say what happened."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication, QLabel

from console.ui.details import DetailsPanel

from .conftest import NOW, clock, minutes, row

HANDOFF = {"summary": "EU card payments fail with 502 at the last step",
           "steps_tried": "Retried twice\nChecked https://status.example.com/incidents/"
                          "2026-03-02-eu-card-payments-gateway-timeouts",
           "next_steps": "Roll back the 10:05 deploy", "target": "payments-engineering",
           "mode": "hierarchical", "by": "ana"}


def busy_row():  # type: ignore[no-untyped-def]
    """A P1 nobody confirmed yet, one clock in each state, and a long handoff."""
    return row("INC-20260302-0042", severity="P1", severity_source="suggested",
               confirmed=False,
               title="Checkout returns 502 for every EU customer since the 10:05 deploy",
               clocks=(clock("response", NOW - minutes(5)),
                       clock("update", NOW + minutes(20), paused_since=NOW - minutes(3)),
                       clock("resolution", NOW + minutes(200)),
                       clock("initial_severity", NOW + minutes(2)),
                       clock("confirmation", NOW + minutes(12))),
               detail={"reasons": ["over 50% of users affected and no workaround"],
                       "latest_handoff": HANDOFF})


def clipped_labels(panel: DetailsPanel) -> list[str]:
    """Labels whose text does not fit the part of the panel a person can see or
    scroll to: wider than the label, taller than the label, or past the viewport's
    right edge with no horizontal scroll bar."""
    viewport = panel.body.viewport()
    can_scroll = panel.body.horizontalScrollBar().isVisible()
    out = []
    for label in panel.findChildren(QLabel):
        if not label.isVisibleTo(panel):
            continue
        name = label.objectName() or label.text()[:30]
        if label.wordWrap():
            if label.heightForWidth(label.width()) > label.height():
                out.append(f"{name}: cut at the bottom")
        elif label.sizeHint().width() > label.width():
            out.append(f"{name}: {label.sizeHint().width()} px of text in {label.width()} px")
        right = label.mapTo(viewport, label.rect().topRight()).x()
        if right >= viewport.width() and not can_scroll:
            out.append(f"{name}: ends at x={right}, past the viewport ({viewport.width()} px)")
    return out


def shown(panel: DetailsPanel, qtbot, width: int) -> DetailsPanel:  # type: ignore[no-untyped-def]
    qtbot.addWidget(panel)
    panel.resize(width, 900)
    panel.show_row(busy_row(), NOW)
    panel.show()
    qtbot.waitExposed(panel)
    QApplication.processEvents()  # the layout and the scroll area settle (posted events)
    return panel


@pytest.mark.parametrize("width", [320, 420])
def test_at_a_narrow_width_every_label_in_the_details_panel_wraps_or_scrolls(
        matrix, qtbot, width):
    panel = shown(DetailsPanel(matrix), qtbot, width)
    assert clipped_labels(panel) == []


def test_the_details_panel_wraps_rather_than_scrolls_at_the_docks_minimum_width(
        matrix, qtbot):
    panel = shown(DetailsPanel(matrix), qtbot, 320)
    assert panel.body.widget().width() <= panel.body.viewport().width()


@pytest.mark.parametrize(("source", "text"), [
    ("suggested", "suggested by the matrix"), ("support", "set by Support"),
    ("engineering", "set by Engineering"), ("trigger", "raised by a trigger"),
    ("intake", "set at intake")])
def test_the_details_panel_says_who_set_the_severity_in_words(matrix, qtbot, source, text):
    panel = DetailsPanel(matrix)
    qtbot.addWidget(panel)
    panel.show_row(row("INC-1", severity_source=source), NOW)
    assert text in panel.severity.text()
    assert "set by suggested" not in panel.severity.text()


def test_the_latest_handoff_names_the_target_team_as_people_know_it(matrix, qtbot):
    panel = DetailsPanel(matrix)
    qtbot.addWidget(panel)
    panel.show_row(busy_row(), NOW)
    team = matrix.team("payments-engineering").name
    assert f"<b>To:</b> {team}" in panel.handoff_text.text()
