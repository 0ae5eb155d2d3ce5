"""A published version that differs from the bundled matrix where every view shows it:
a renamed team and a new one, P2's colour and name, P3 on a business calendar, a handoff template
prompt and a role's name."""

from __future__ import annotations

import contextlib
import re

from console.domain.matrix import check_matrix_text
from console.paths import default_matrix_path

TEAM_ID, OLD_TEAM, NEW_TEAM = "frontline", "Frontline Support", "Front Desk"
ADDED_TEAM_ID, ADDED_TEAM = "night-desk", "Night Desk"
P2_COLOR, P2_NAME = "#6a1b9a", "Urgent"
T1_ROLE = "Desk agent"
BUSINESS = "berlin-business"
BUG_DETAILS_PROMPT = "What broke, for whom, and since when"
CALENDAR = f"""  {BUSINESS}:
    timezone: Europe/Berlin
    hours: {{mon: 09:00-17:00, tue: 09:00-17:00, wed: 09:00-17:00, thu: 09:00-17:00,
            fri: 09:00-17:00}}
"""


def _once(pattern: str, replacement: str, text: str, flags: int = 0) -> str:
    new, count = re.subn(pattern, replacement, text, count=1, flags=flags)
    assert count == 1, f"the bundled matrix no longer matches {pattern!r}"
    return new


def variant_yaml() -> str:
    """The bundled default matrix with the four changes, as YAML a lead would publish."""
    text = default_matrix_path().read_text(encoding="utf-8")
    text = _once(rf"(\{{id: {TEAM_ID}, name: ){OLD_TEAM},(.*\n)",
                 rf"\g<1>{NEW_TEAM},\g<2>  - {{id: {ADDED_TEAM_ID}, name: {ADDED_TEAM}, tier: T1, "
                 "function: support}\n", text)
    text = _once(r'(- id: P2\n    name: [^\n]+\n    color: )"#[0-9a-fA-F]{6}"',
                 rf'\g<1>"{P2_COLOR}"', text)
    text = _once(r"(- id: P2\n    name: )High", rf"\g<1>{P2_NAME}", text)
    text = _once(r"(\{id: t1_agent, name: )T1 agent,", rf"\g<1>{T1_ROLE},", text)
    text = _once(r"(calendars:\n(?:  .*\n|    .*\n)*?)(\n)", rf"\g<1>{CALENDAR}\g<2>", text)
    text = _once(r"(- id: P3\n(?:.*\n)*?    targets: \{calendar: )24x7",
                 rf"\g<1>{BUSINESS}", text)
    text = _once(r"(  bug:\n(?:.*\n)*?      details: )[^\n]+", rf"\g<1>{BUG_DETAILS_PROMPT}", text)
    matrix, problems = check_matrix_text(text, "the variant matrix")
    assert matrix is not None, problems
    return text


# -- seeding a console and reading what its views show ----------------------------------
P2_TICKET, P3_TICKET = "INC-2", "INC-3"
P3_RESPONSE_SECONDS = 24 * 3600  # the bundled P3 response target


def seed_tickets(store) -> None:  # type: ignore[no-untyped-def]
    """A P2 and a P3 (a bug, so the handoff uses the bug template), both with the
    intake team, in an open LocalStore."""
    store.append(P2_TICKET, "opened", {"title": "Checkout slow for some", "account": "Acme",
                                       "account_tier": "business", "category": "integration",
                                       "users_affected_pct": 10, "workaround": "partial"},
                 "ana")
    store.append(P3_TICKET, "opened", {"title": "Export button misaligned", "account": "Hooli",
                                       "account_tier": "smb", "category": "bug",
                                       "users_affected_pct": 1, "workaround": "full"}, "ana")


def trigger(window, text: str) -> None:  # type: ignore[no-untyped-def]
    """Trigger the menu action whose text (without the mnemonic) is ``text``."""
    for top in window.menuBar().actions():
        menu = top.menu()
        for action in menu.actions() if menu is not None else ():
            if action.text().replace("&", "") == text:
                action.trigger()
                return
    raise AssertionError(f"no menu action {text!r}")


def painted_colors(widget, rect) -> set[str]:  # type: ignore[no-untyped-def]
    """The colours painted inside ``rect`` of ``widget`` (as #rrggbb)."""
    image = widget.grab(rect).toImage()
    return {image.pixelColor(x, y).name() for x in range(image.width())
            for y in range(image.height())}


def views_showing_variant(window, forms=()) -> dict[str, bool]:  # type: ignore[no-untyped-def]
    """Each view of a built console (the queue, its painted badge, the filter bar,
    the details panel, the wall, the given open forms): does it show the variant?"""
    from console.ui.queue_model import Column

    model, out = window.model, {}
    p2, p3 = model.row_of(P2_TICKET), model.row_of(P3_TICKET)
    if p2 < 0 or p3 < 0:
        return {"queue has both tickets": False}
    out["queue team name"] = model.index(p2, Column.TEAM).data() == f"T1 · {NEW_TEAM}"
    # 24 business hours at most (8 a day): counted as wall time it would be days
    p3_response = model.countdown(model.row_at(p3), "response")
    out["queue P3 countdown on the business calendar"] = (
        str(model.index(p3, Column.RESPONSE).data()).endswith(" business")
        and 0 < p3_response.seconds_left <= P3_RESPONSE_SECONDS)
    view = window.view
    cell = view.visualRect(window.proxy.mapFromSource(model.index(p2, Column.SEVERITY)))
    out["queue P2 badge colour"] = P2_COLOR in painted_colors(view.viewport(), cell)
    teams = [a.text() for a in window.filters.team_menu.menu().actions()]
    out["filter team list"] = f"T1 · {NEW_TEAM}" in teams and f"T1 · {OLD_TEAM}" not in teams
    out["filter P2 chip colour"] = P2_COLOR in window.filters.severity_buttons["P2"].styleSheet()
    details = window.details
    out["details P2 badge colour"] = (details.ticket_id == P2_TICKET
                                      and P2_COLOR in details.badge.styleSheet())
    wall = getattr(window, "_wall", None)
    if wall is not None:
        out["wall P2 tile colour"] = f"background: {P2_COLOR}" in wall.styleSheet()
        # what the board paints under a ticket (before team_name it painted the team id)
        out["wall team name"] = getattr(wall, "team_name", str)(TEAM_ID) == NEW_TEAM
        out["wall P3 countdown on the business calendar"] = any(
            row.id == P3_TICKET and cd.text.endswith(" business")
            and 0 < cd.seconds_left <= P3_RESPONSE_SECONDS for row, _, cd, *_ in wall.board.entries)
    for form in forms:
        name = type(form).__name__
        if name == "HandoffDialog":
            box = form.fields["target"].widget
            items = [box.itemText(i) for i in range(box.count())]
            out["handoff team list"] = any(f"T1 · {NEW_TEAM}" in i for i in items)
            out["handoff template prompt"] = (form.fields["details"].hint.text()
                                             == BUG_DETAILS_PROMPT)
        elif name == "IntakeDialog":
            out["intake suggestion colour"] = (form.suggestion.severity == "P2"
                                               and P2_COLOR in form.badge.styleSheet())
    return out


# -- the whole app, as app.build wires it ------------------------------------------------
def start_console(qtbot, data_dir, sync: bool = False):  # type: ignore[no-untyped-def]
    """The real app on ``data_dir`` (queue window, alerts, notifications, wall screen),
    once its store is open: (window, service)."""
    from console.ui.app import GuiOptions, build

    window, service = build(GuiOptions(data_dir=str(data_dir), wall=True, sync=sync))
    qtbot.waitUntil(lambda: service.ready_once and getattr(window, "_wall", None) is not None,
                    timeout=10000)
    return window, service


def stop_console(window, service) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QApplication

    from console.ui.forms import FormDialog

    window._notifications.stop()
    window._wall.close()
    for form in [w for w in QApplication.topLevelWidgets() if isinstance(w, FormDialog)]:
        form.close()
    window.close()
    service.stop()


def open_form(window, kind: str, ticket: str | None = None):  # type: ignore[no-untyped-def]
    """Open the intake ("intake") or handoff ("handoff") form through the Ticket menu, as
    an agent does; the intake gets impact that the matrix scores as P2."""
    from PySide6.QtWidgets import QApplication

    from console.ui.forms import HandoffDialog, IntakeDialog

    if ticket is not None:
        assert window.show_ticket(ticket)
    cls = HandoffDialog if kind == "handoff" else IntakeDialog
    trigger(window, "Hand off…" if kind == "handoff" else "New ticket…")
    form = next(w for w in QApplication.topLevelWidgets() if isinstance(w, cls))
    if kind == "intake":
        box = form.workaround_box
        box.setCurrentIndex(box.findData("partial"))
        box.activated.emit(box.currentIndex())
        form.pct_box.setEditText("10")
    return form


def wait_until_views_show_variant(qtbot, window, forms, timeout: int = 5000) -> None:  # type: ignore[no-untyped-def]
    """Wait (at most ``timeout`` ms) until all 12 view checks hold; else name the views
    that still show another version."""
    with contextlib.suppress(qtbot.TimeoutError):
        qtbot.waitUntil(lambda: all(views_showing_variant(window, forms).values()),
                        timeout=timeout)
    shown = views_showing_variant(window, forms)
    stale = [name for name, ok in shown.items() if not ok]
    assert len(shown) == 12 and not stale, f"still on another matrix version: {stale}"
