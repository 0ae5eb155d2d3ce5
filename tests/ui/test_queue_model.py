"""The queue model, its filter proxy and the timeline text."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial

import pytest
from PySide6.QtCore import QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QFontMetricsF
from PySide6.QtWidgets import QTableView

from console.app.runtime.rows import QueueRow
from console.store.records import StoredEvent
from console.ui.details import timeline_lines
from console.ui.filter_value import QueueFilter
from console.ui.main_window import TABLE_POINT_SIZE
from console.ui.queue_columns import fitted_widths
from console.ui.queue_delegates import SlaPillDelegate, fit_label, pill_room
from console.ui.queue_filters import QueueFilterProxy
from console.ui.queue_model import (
    LAYOUT_BATCH,
    ROW_ROLE,
    SORT_ROLE,
    STATE_ROLE,
    Column,
    QueueModel,
)
from console.ui.theme import SLA_COLORS

from .conftest import NOW, clock, minutes, row

DISPLAY = Qt.ItemDataRole.DisplayRole


def ids(model) -> list[str]:
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def cell(model, ticket: str, column: Column, role=DISPLAY):
    return model.index(model.row_of(ticket), column).data(role)


@pytest.fixture
def model(matrix, mixed_rows, qtbot):
    m = QueueModel(matrix, NOW)
    m.reset_rows(mixed_rows)
    return m


@pytest.fixture
def proxy(model):
    p = QueueFilterProxy(user="alice")
    p.setSourceModel(model)
    return p


def test_the_queue_model_passes_the_model_tester(model, qtmodeltester):
    qtmodeltester.check(model)


def test_the_filter_proxy_passes_the_model_tester_filtered_and_sorted(proxy, qtmodeltester):
    proxy.set_filter(QueueFilter(statuses=frozenset({"open"})))
    proxy.sort(Column.SEVERITY, Qt.SortOrder.DescendingOrder)
    qtmodeltester.check(proxy)


def test_rows_are_ordered_by_absolute_next_due_then_undated_then_resolved(model):
    assert ids(model) == ["INC-2", "INC-1", "INC-3", "INC-4", "INC-5", "INC-6"]


def test_upsert_inserts_a_new_ticket_at_its_sorted_position(model, qtbot):
    with qtbot.assertNotEmitted(model.modelReset), \
         qtbot.waitSignal(model.rowsInserted, timeout=100) as inserted:
        model.upsert([row("INC-7", 60)])
    assert inserted.args[1:] == [2, 2]
    assert ids(model)[:4] == ["INC-2", "INC-1", "INC-7", "INC-3"]
    assert model.row_of("INC-7") == 2


def test_a_ticket_whose_next_due_moves_earlier_is_moved_and_keeps_its_persistent_index(
        model, qtbot):
    tracked = QPersistentModelIndex(model.index(model.row_of("INC-4"), Column.TITLE))
    with qtbot.assertNotEmitted(model.modelReset), \
         qtbot.waitSignal(model.rowsMoved, timeout=100) as moved:
        model.upsert([row("INC-4", -30, severity="P3")])
    assert moved.args[1:3] == [3, 3] and moved.args[4] == 0
    assert ids(model)[:2] == ["INC-4", "INC-2"]
    assert tracked.isValid() and tracked.row() == 0
    assert tracked.data(ROW_ROLE).id == "INC-4"


def test_a_ticket_whose_next_due_moves_later_is_moved_down(model, qtbot):
    tracked = QPersistentModelIndex(model.index(0, 0))
    with qtbot.waitSignal(model.rowsMoved, timeout=100):
        model.upsert([row("INC-2", 300, severity="P1")])
    assert ids(model) == ["INC-1", "INC-3", "INC-2", "INC-4", "INC-5", "INC-6"]
    assert tracked.row() == 2


def test_an_upsert_that_keeps_the_order_emits_one_data_changed_for_the_whole_row(model, qtbot):
    changed = row("INC-3", 120, severity="P2", tier="T2", team="customer-success",
                  owner="carol")
    with qtbot.assertNotEmitted(model.rowsMoved), qtbot.assertNotEmitted(model.layoutChanged), \
         qtbot.waitSignal(model.dataChanged, timeout=100) as signal:
        model.upsert([changed])
    top_left, bottom_right = signal.args[:2]
    assert (top_left.row(), top_left.column()) == (2, 0)
    assert (bottom_right.row(), bottom_right.column()) == (2, len(Column) - 1)
    assert cell(model, "INC-3", Column.OWNER) == "carol"


def test_remove_takes_the_rows_out(model, qtbot):
    with qtbot.waitSignal(model.rowsRemoved, timeout=100):
        model.remove(["INC-3", "NOPE"])
    assert "INC-3" not in ids(model)
    assert model.row_of("INC-3") == -1


def test_set_now_emits_nothing_so_the_tick_never_resets_or_resorts(model, qtbot):
    signals = [model.dataChanged, model.layoutChanged, model.layoutAboutToBeChanged,
               model.modelReset, model.modelAboutToBeReset, model.rowsMoved]
    before = cell(model, "INC-1", Column.RESPONSE)
    with qtbot.assertNotEmitted(signals[0]), qtbot.assertNotEmitted(signals[1]), \
         qtbot.assertNotEmitted(signals[2]), qtbot.assertNotEmitted(signals[3]), \
         qtbot.assertNotEmitted(signals[4]), qtbot.assertNotEmitted(signals[5]):
        model.set_now(NOW + minutes(10))
    assert before == "45m 00s"
    assert cell(model, "INC-1", Column.RESPONSE) == "35m 00s"
    assert ids(model)[0] == "INC-2"


def test_a_business_clock_counts_only_open_hours(business_matrix):
    # 16:30 Berlin on a Wednesday; due at 09:35 Thursday: 30 min today + 35 min tomorrow.
    due = datetime(2025, 3, 13, 8, 35, tzinfo=UTC)
    model = QueueModel(business_matrix, NOW)
    model.reset_rows([row("INC-9", None, severity="P3", next_due=due, clocks=(
        clock("response", due, business=True, calendar="berlin-business", severity="P3"),))])
    assert cell(model, "INC-9", Column.RESPONSE) == "1h 05m business"
    assert cell(model, "INC-9", Column.SLA) == "OK"


def test_a_paused_clock_shows_its_frozen_time_left_in_grey_blue_italics(model):
    paused = clock("resolution", None, paused_since=NOW - minutes(20), remaining=7200)
    model.upsert([replace(row("INC-5", None, severity="P4", status="waiting_on_customer",
                              tier="T1", team="frontline"), clocks=(paused,))])
    assert cell(model, "INC-5", Column.RESOLUTION) == "paused, 2h 00m left"
    assert cell(model, "INC-5", Column.RESOLUTION, STATE_ROLE) == "paused"
    assert cell(model, "INC-5", Column.RESOLUTION, Qt.ItemDataRole.FontRole).italic()
    assert cell(model, "INC-5", Column.SLA) == "PAUSED"
    assert "waiting on customer" in cell(model, "INC-5", Column.RESOLUTION,
                                         Qt.ItemDataRole.ToolTipRole)


def test_a_breached_clock_counts_up_in_bold_white_on_red(model):
    assert cell(model, "INC-2", Column.RESPONSE) == "-5m 00s"
    assert cell(model, "INC-2", Column.SLA) == "RESPONSE BREACHED"
    for column in (Column.RESPONSE, Column.SLA):
        background = cell(model, "INC-2", column, Qt.ItemDataRole.BackgroundRole)
        assert background == QColor(SLA_COLORS["breached"][0])
        assert cell(model, "INC-2", column, Qt.ItemDataRole.ForegroundRole) == QColor("#ffffff")
    assert cell(model, "INC-2", Column.RESPONSE, Qt.ItemDataRole.FontRole).bold()


def test_a_clock_tooltip_gives_the_local_due_time_and_the_reason(model):
    tip = cell(model, "INC-1", Column.RESPONSE, Qt.ItemDataRole.ToolTipRole)
    local = (NOW + minutes(45)).astimezone().strftime("%H:%M")
    assert local in tip and "running" in tip and "24x7" in tip


def _hidden_breach() -> QueueRow:
    """Response met, update and resolution running fine; confirmation breached."""
    return row("INC-10198", 55, severity="P1", confirmed=False, clocks=(
        clock("response", NOW - minutes(50), stopped=NOW - minutes(55)),
        clock("update", NOW + minutes(55), pre=NOW + minutes(40)),
        clock("resolution", NOW + minutes(468), pre=NOW + minutes(453)),
        clock("confirmation", NOW - minutes(3), pre=NOW - minutes(8))))


def test_the_sla_column_names_the_clock_behind_a_breach_the_cells_do_not_show(model):
    model.upsert([_hidden_breach()])
    texts = [cell(model, "INC-10198", c) for c in (Column.RESPONSE, Column.UPDATE,
                                                  Column.RESOLUTION)]
    assert texts == ["met", "55m 00s", "7h 48m"]
    assert cell(model, "INC-10198", Column.SLA) == "CONFIRMATION BREACHED"
    assert cell(model, "INC-10198", Column.SLA, STATE_ROLE) == "breached"
    assert "confirmation" in cell(model, "INC-10198", Column.SLA, Qt.ItemDataRole.ToolTipRole)


def test_the_sla_column_counts_down_the_clock_inside_its_warning(model):
    model.upsert([row("INC-7", 2, clocks=(
        clock("response", NOW + minutes(2), pre=NOW - minutes(3)),))])
    assert cell(model, "INC-7", Column.SLA) == "RESPONSE 2m"
    delegate = SlaPillDelegate()
    assert delegate.showing(model, model.get("INC-7"), int(Column.SLA)) == (
        "pre_breach", "RESPONSE 2m")


def test_cells_that_can_be_cut_short_carry_their_full_text_as_a_tooltip(model):
    missed = clock("response", NOW - minutes(90), stopped=NOW - minutes(25))
    model.upsert([row("INC-260302-7QK4", 30, owner="anastasia.oconnor", clocks=(missed,))])
    tip = partial(cell, model, "INC-260302-7QK4", role=Qt.ItemDataRole.ToolTipRole)
    assert tip(Column.ID) == "INC-260302-7QK4"
    assert tip(Column.OWNER) == "anastasia.oconnor"
    assert cell(model, "INC-260302-7QK4", Column.RESPONSE) == "missed by 1h 05m"
    assert tip(Column.RESPONSE).startswith("missed by 1h 05m\n")
    assert tip(Column.SLA).startswith("RESPONSE BREACHED\n")


@pytest.mark.parametrize("points", [TABLE_POINT_SIZE, TABLE_POINT_SIZE * 1.5])
def test_the_queue_columns_fit_a_new_ticket_id_and_the_widest_sla_pill(qtbot, points):
    font = QFont()
    font.setPointSizeF(points)
    view = QTableView()
    qtbot.addWidget(view)
    view.setFont(font)
    widths = fitted_widths(view)
    bold = QFont(font)
    bold.setBold(True)
    margins = 12  # the style's text margins on both sides
    assert QFontMetrics(font).horizontalAdvance("INC-260302-7QK4") + margins <= (
        widths[Column.ID])
    assert Column.TITLE not in widths  # it stretches
    room = pill_room(widths[Column.SLA])
    for label in ("CONFIRMATION BREACHED", "RESOLUTION BREACHED", "CONFIRMATION 59m",
                  "RESOLUTION 23h 59m"):
        fitted, text = fit_label(bold, label, room)
        assert text == label, "narrowed a little, never cut"
        assert QFontMetricsF(fitted).horizontalAdvance(text) <= room


def test_an_unconfirmed_severity_is_marked_and_explained(model):
    assert cell(model, "INC-2", Column.SEVERITY) == "P1 ?"
    assert "not yet confirmed by Engineering" in cell(
        model, "INC-2", Column.SEVERITY, Qt.ItemDataRole.ToolTipRole)
    assert cell(model, "INC-1", Column.SEVERITY) == "P1"


def test_account_and_team_columns_read_as_people_say_them(model):
    assert cell(model, "INC-1", Column.ACCOUNT) == "Initech · enterprise"
    assert cell(model, "INC-1", Column.TEAM) == "T3 · Payments Engineering"
    assert cell(model, "INC-5", Column.STATUS) == "Waiting"
    assert cell(model, "INC-5", Column.STATUS, Qt.ItemDataRole.ToolTipRole) == (
        "Waiting on customer")


def test_the_sort_role_gives_raw_comparable_values(model):
    assert cell(model, "INC-1", Column.SEVERITY, SORT_ROLE) < cell(
        model, "INC-3", Column.SEVERITY, SORT_ROLE)
    assert cell(model, "INC-2", Column.RESPONSE, SORT_ROLE) == -300


@pytest.mark.parametrize(("chosen", "expected"), [
    (QueueFilter(severities=frozenset({"P1"})), ["INC-2", "INC-1"]),
    (QueueFilter(tiers=frozenset({"T1"})), ["INC-4", "INC-5"]),
    (QueueFilter(teams=frozenset({"customer-success", "incident-response"})),
     ["INC-2", "INC-3"]),
    (QueueFilter(statuses=frozenset({"waiting_on_customer", "resolved"})), ["INC-5", "INC-6"]),
    (QueueFilter(mine=True), ["INC-1", "INC-4"]),
    (QueueFilter(text="umbrella"), ["INC-4"]),
    (QueueFilter(text="inc-3"), ["INC-3"]),
    (QueueFilter(text="BOB"), ["INC-3"]),
    (QueueFilter(text="dark MODE"), ["INC-5"]),
    (QueueFilter(severities=frozenset({"P1", "P3"}), mine=True), ["INC-1", "INC-4"]),
])
def test_the_proxy_filters_by_each_control(proxy, chosen, expected):
    proxy.set_filter(chosen)
    assert ids(proxy) == expected


def test_a_row_that_leaves_the_filter_disappears_at_once(model, proxy):
    proxy.set_filter(QueueFilter(statuses=frozenset({"open"})))
    assert "INC-3" in ids(proxy)
    model.upsert([row("INC-3", 120, tier="T2", team="customer-success",
                      status="waiting_on_customer")])
    assert "INC-3" not in ids(proxy)
    model.upsert([row("INC-3", 120, tier="T2", team="customer-success")])
    assert ids(proxy) == ["INC-2", "INC-1", "INC-3", "INC-4"]


def test_a_header_sort_uses_raw_values_and_sort_by_next_due_restores_the_queue_order(
        model, proxy):
    proxy.sort(Column.SEVERITY, Qt.SortOrder.DescendingOrder)
    assert [model.get(i).severity for i in ids(proxy)] == ["P4", "P3", "P3", "P2", "P1", "P1"]
    proxy.sort(Column.RESPONSE, Qt.SortOrder.AscendingOrder)
    assert ids(proxy)[:3] == ["INC-2", "INC-1", "INC-3"]
    proxy.sort_by_next_due()
    assert ids(proxy) == ids(model)


def test_a_sorted_proxy_does_not_resort_on_a_repaint_only_change(model, proxy):
    proxy.sort(Column.TITLE, Qt.SortOrder.AscendingOrder)
    before = ids(proxy)
    model.upsert([replace(model.get("INC-1"), title="zzz last alphabetically")])
    assert ids(proxy) == before


def test_a_header_sort_keeps_a_changed_row_in_place_and_places_a_new_row_by_value(
        model, proxy):
    proxy.sort(Column.SEVERITY, Qt.SortOrder.DescendingOrder)
    before = ids(proxy)
    model.upsert([row("INC-4", -30, severity="P1", tier="T1", team="frontline")])
    assert ids(proxy) == before  # changed: stays where the sort put it
    model.upsert([row("INC-7", 30, severity="P3")])
    # among the P3s by due time: before INC-4 (sorted when it was due in 10 h)
    assert ids(proxy) == ["INC-5", "INC-7", "INC-4", "INC-6", "INC-3", "INC-2", "INC-1"]
    proxy.sort_by_next_due()
    assert ids(proxy) == ids(model)


def _churn(rng: random.Random, live: list[str], serial: list[int]) -> tuple[list, list]:
    """A batch of random updates (due times move), new tickets and closes."""
    changed = {}
    for _ in range(rng.randint(0, 40)):
        ticket = rng.choice(live)
        changed[ticket] = row(ticket, rng.randint(-300, 900), severity=rng.choice(SEVERITIES),
                              status=rng.choice(["open", "open", "waiting_on_customer"]))
    for _ in range(rng.randint(0, 30)):
        serial[0] += 1
        ticket = f"NEW-{serial[0]}"
        changed[ticket] = row(ticket, rng.randint(-300, 900), severity=rng.choice(SEVERITIES))
        live.append(ticket)
    removed = [live.pop(rng.randrange(len(live))) for _ in range(rng.randint(0, 20))]
    return list(changed.values()), removed


SEVERITIES = ["P1", "P2", "P3", "P4"]


@pytest.mark.parametrize("chosen", [QueueFilter(), QueueFilter(severities=frozenset({"P1", "P2"})),
                                    QueueFilter(statuses=frozenset({"open"}), text="inc")])
@pytest.mark.parametrize("sort", [None, (Column.SEVERITY, Qt.SortOrder.DescendingOrder)])
def test_the_proxy_keeps_up_with_small_and_big_batches(matrix, qtbot, qtmodeltester,
                                                         chosen, sort):
    rng = random.Random(5)
    live = [f"INC-{i}" for i in range(80)]
    model = QueueModel(matrix, NOW)
    model.reset_rows([row(t, rng.randint(-300, 900), severity=rng.choice(SEVERITIES))
                      for t in live])
    proxy = QueueFilterProxy(user="alice")
    proxy.setSourceModel(model)
    proxy.set_filter(chosen)
    if sort:
        proxy.sort(*sort)
    qtmodeltester.check(proxy)  # and it keeps checking every signal from here on
    tracked = QPersistentModelIndex(proxy.index(3, Column.TITLE))
    tracked_id = tracked.data(ROW_ROLE).id
    serial = [0]
    layouts = []
    model.layoutChanged.connect(lambda *_: layouts.append(1))
    for _ in range(8):
        rows, removed = _churn(rng, [t for t in live if t != tracked_id], serial)
        kept = model.get(tracked_id)  # the tracked ticket moves too, and stays shown
        rows.append(row(tracked_id, rng.randint(-300, 900), severity=kept.severity,
                        status=kept.status))
        model.apply(rows, removed)
        live = [r.id for r in model.rows()]
        expected = [r.id for r in model.rows() if chosen.accepts(r, "alice")]
        assert sorted(ids(proxy)) == sorted(expected)
        if sort is None:
            assert ids(proxy) == expected
        for r in range(proxy.rowCount()):
            assert proxy.mapFromSource(proxy.mapToSource(proxy.index(r, 1))).row() == r
        if tracked_id in expected:
            assert tracked.isValid() and tracked.data(ROW_ROLE).id == tracked_id
    assert layouts, "no batch was big enough for a layout change"
    if sort is not None:  # changed rows kept their places; sorting again orders them all
        proxy.sort(*sort)
        values = [model.get(t).severity for t in ids(proxy)]
        assert values == sorted(values, reverse=True)


def test_a_big_batch_is_one_layout_change_that_keeps_persistent_indexes(model, qtbot):
    tracked = QPersistentModelIndex(model.index(model.row_of("INC-4"), Column.TITLE))
    batch = [row(f"NEW-{i}", i, severity="P3") for i in range(LAYOUT_BATCH)]
    batch.append(row("INC-4", -30, severity="P3", tier="T1", team="frontline"))
    with qtbot.assertNotEmitted(model.rowsInserted), qtbot.assertNotEmitted(model.rowsMoved), \
         qtbot.waitSignal(model.layoutChanged, timeout=100):
        model.apply(batch, ["INC-3"])
    assert ids(model)[:3] == ["INC-4", "INC-2", "NEW-0"]
    assert "INC-3" not in ids(model) and model.rowCount() == 6 - 1 + LAYOUT_BATCH
    assert ids(model) == [r.id for r in sorted(model.rows(), key=lambda r: r.sort_key())]
    assert tracked.row() == 0 and tracked.data(ROW_ROLE).id == "INC-4"


def test_the_same_ticket_upserted_and_closed_in_one_batch_ends_closed(model):
    model.apply([row("INC-3", 5), row("INC-9", 5)], ["INC-3", "INC-9"])
    assert "INC-3" not in ids(model) and "INC-9" not in ids(model)
    assert model.row_of("INC-3") == -1


def test_saved_filters_survive_a_json_round_trip_and_garbage_gives_the_default():
    chosen = QueueFilter(severities=frozenset({"P1"}), teams=frozenset({"frontline"}),
                         mine=True, text="globex")
    assert QueueFilter.from_json(chosen.to_json()) == chosen
    assert QueueFilter.from_json("not json") == QueueFilter()


def _event(kind: str, minute: int, author: str = "sam", **payload) -> StoredEvent:
    at = datetime(2025, 3, 12, 10, minute, tzinfo=UTC)
    return StoredEvent(f"e{minute}", "INC-1", kind, payload, author, "dev", f"h{minute}", at)


def test_the_timeline_says_whether_a_severity_was_set_confirmed_or_changed():
    lines = timeline_lines([
        _event("opened", 0, title="Payments API down"),
        _event("severity", 2, severity="P2", by="support", reason="partial outage"),
        _event("severity", 5, "erin", severity="P2", by="engineering"),
        _event("severity", 9, "erin", severity="P1", by="engineering", reason="spreading"),
        _event("acknowledged", 10, "alice", alert="response"),
    ])
    texts = [text for text, _ in lines]
    hhmm = datetime(2025, 3, 12, 10, 2, tzinfo=UTC).astimezone().strftime("%H:%M")
    assert texts[1] == f"{hhmm}  sam  severity set  P2 by support: partial outage"
    assert "severity confirmed  P2 by engineering" in texts[2]
    assert "severity changed  P2 → P1 by engineering: spreading" in texts[3]
    assert texts[4].endswith("alice  acknowledged  response")
    assert [marked for _, marked in lines] == [False, True, True, True, False]
