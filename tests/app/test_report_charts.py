"""The report's charts and PDF, headless: every chart on an empty report and on a full
one builds, says what it shows, marks flags red and too-few rates hatched grey; the PDF
has a title page with the flags and a page per chart, written without a display."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from console.app import report_charts
from console.app.matrices import load_matrix_file
from console.app.report_charts import CHARTS, GREY, RED, figures
from console.app.report_pdf import title_page, write_pdf
from console.app.report_words import flag_lines
from console.app.usecases.demo import seed_demo
from console.app.usecases.reports import load_report
from console.domain.matrix.model import Matrix
from console.domain.reports import Report, report
from console.paths import default_matrix_path
from console.store.local import LocalStore
from tests.domain._matrices import default_matrix

from .report_data import START, facts_of, generated

MATRIX = default_matrix()
MONTH = (START, START + timedelta(days=28))
NOW = datetime(2026, 11, 30, 9, tzinfo=UTC)


def full() -> Report:
    return report(facts_of(generated(), MATRIX), *MONTH, MATRIX.kpis)


def empty() -> Report:
    return report([], *MONTH, MATRIX.kpis)


def texts(fig: Figure) -> list[str]:
    """Every text the figure draws: titles, labels, ticks, notes, legends."""
    found = [t.get_text() for t in fig.findobj(lambda o: hasattr(o, "get_text"))]
    return [t for t in found if t.strip()]


def bars(fig: Figure) -> dict[str, Rectangle]:
    """The horizontal bars of a rate chart by their tick label."""
    ax = fig.axes[0]
    rects = [p for p in ax.patches if isinstance(p, Rectangle)]
    names = [t.get_text() for t in ax.get_yticklabels()]
    return dict(zip(names, rects, strict=True))


@pytest.mark.parametrize("name", list(CHARTS))
def test_each_chart_of_an_empty_report_says_there_is_nothing_to_show(name: str):
    fig = CHARTS[name](empty(), MATRIX)
    words = texts(fig)
    assert fig.get_suptitle()
    assert any(w.startswith("No ") and w.endswith("in this window") for w in words), words
    fig.savefig(Path("/dev/null"), format="png")  # draws without a display


@pytest.mark.parametrize("name", list(CHARTS))
def test_each_chart_of_a_full_report_draws_its_data_labelled(name: str, tmp_path: Path):
    fig = CHARTS[name](full(), MATRIX)
    words = texts(fig)
    assert not any("in this window" in w for w in words), words
    assert any("%" in w or re.fullmatch(r"\d+(\.\d)?", w) for w in words), words
    fig.savefig(tmp_path / f"{name}.png", dpi=40)
    assert (tmp_path / f"{name}.png").stat().st_size > 5_000


def test_an_agent_over_the_flag_is_red_and_labelled_flagged():
    fig = report_charts.escalation_by_agent(full(), MATRIX)
    ann = bars(fig)["ann"]  # 9 of 16 escalated: 56% over the 20% flag
    assert to_hex(ann.get_facecolor()) == RED
    assert "56%  (9/16)  FLAGGED" in texts(fig)
    assert "flag above 20%" in " ".join(texts(fig))
    assert to_hex(bars(fig)["bob"].get_facecolor()) != RED  # 2 of 16: under it


def test_a_rate_over_too_few_tickets_is_grey_hatched_and_says_so():
    fig = report_charts.escalation_by_team(full(), MATRIX)
    specialists = bars(fig)["Support Specialists"]  # held 4 tickets: too few
    assert to_hex(specialists.get_facecolor()) == GREY
    assert specialists.get_hatch()
    assert "0%  (0/4)  too few to judge" in texts(fig)


def test_the_disagreement_heat_map_shows_counts_and_shares_in_severity_colours():
    r = full()
    fig = report_charts.disagreement_heatmap(r, MATRIX)
    cell = r.disagreement_matrix["P3"]["P1"]
    assert f"{cell}\n{cell / r.disagreement.denominator:.0%}" in texts(fig)
    ax = fig.axes[0]
    colours = {s.id: s.color for s in MATRIX.severities}
    for tick in ax.yaxis.get_major_ticks():
        name = tick.label1.get_text()
        assert to_hex(tick.label1.get_color()) == colours[name]
    assert ax.get_ylabel() == "Support's initial severity"
    assert ax.get_xlabel() == "Engineering's confirmed severity"


def test_figures_gives_every_chart_in_order():
    assert list(figures(empty(), MATRIX)) == list(CHARTS)


def test_the_title_page_gives_the_window_filters_and_every_flag():
    r = report(facts_of(generated(), MATRIX), *MONTH, MATRIX.kpis, severity="P2")
    words = texts(title_page(r, NOW))
    assert "Window: 2026-11-02 09:00 – 2026-11-30 09:00 UTC" in words
    assert "Filters: severity P2" in words
    assert f"Flags ({len(r.flags())})" in words
    for flag in r.flags():
        assert any(w.startswith("▲") and f"{flag['value']:.0%}" in w for w in words)


def test_the_pdf_has_a_title_page_and_a_page_per_chart(tmp_path: Path):
    path = tmp_path / "report.pdf"
    assert write_pdf(full(), MATRIX, path, generated_at=NOW) == 1 + len(CHARTS)
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type /Page\b(?!s)", data)) == 1 + len(CHARTS)
    # the title, in the metadata
    assert b"(Escalation report 2026-11-02 09:00 to 2026-11-30 09:00 UTC)" in data
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]  # no temporary left


def test_a_pdf_that_cannot_be_written_leaves_what_was_there(tmp_path: Path):
    with pytest.raises(FileNotFoundError):
        write_pdf(empty(), MATRIX, tmp_path / "missing" / "r.pdf", generated_at=NOW)
    with pytest.raises(IsADirectoryError):
        write_pdf(empty(), MATRIX, tmp_path, generated_at=NOW)
    assert list(tmp_path.iterdir()) == []


def drawn(fig: Figure) -> Figure:
    """``fig`` laid out and drawn as a PNG is, so extents are final."""
    FigureCanvasAgg(fig).draw()
    return fig


def test_teams_are_named_as_the_matrix_names_them_in_the_team_chart_and_the_flags():
    r = full()
    fig = report_charts.escalation_by_team(r, MATRIX)
    names = {t.id: t.name for t in MATRIX.teams}
    assert list(bars(fig)) == [names[t] for t in report_charts.team_rows(r)]
    assert "Frontline Support" in bars(fig) and "frontline" not in bars(fig)
    assert [f["id"] for f in r.flags() if f["kind"] == "team"] == ["frontline"]
    assert "Team Frontline Support: 19%, above the threshold of 15%" in flag_lines(r, MATRIX)
    words = texts(title_page(r, NOW, matrix=MATRIX))
    assert "▲ Team Frontline Support: 19%, above the threshold of 15%" in words, words


def test_the_weekly_legend_covers_no_point_of_the_plot():
    fig = drawn(report_charts.escalation_over_time(full(), MATRIX))
    ax = fig.axes[0]
    legends = [*fig.legends, *([ax.get_legend()] if ax.get_legend() else [])]
    assert legends
    for legend in legends:
        box = legend.get_window_extent()
        assert not box.overlaps(ax.get_window_extent()), "the legend sits on the plot"
        assert fig.bbox.contains(box.x0, box.y0) and fig.bbox.contains(box.x1, box.y1)


def rate_labels(fig: Figure) -> list:  # type: ignore[type-arg]
    """The labels beside the bars (not the flag line's own note)."""
    return [t for t in fig.axes[0].texts if not t.get_text().startswith(" flag above")]


@pytest.mark.parametrize("chart", ["escalation_by_team", "escalation_by_agent",
                                   "escalation_by_severity"])
def test_bar_labels_never_cross_the_flag_line_nor_each_other_nor_leave_the_page(chart: str):
    fig = drawn(CHARTS[chart](full(), MATRIX))
    ax = fig.axes[0]
    labels = rate_labels(fig)
    assert any("too few to judge" in t.get_text() for t in labels) or chart != \
        "escalation_by_team"
    line = ax.lines[0].get_xdata()[0]  # the flag line, in %
    x_line = ax.transData.transform((line, 0))[0]
    boxes = [t.get_window_extent() for t in labels]
    for text, box in zip(labels, boxes, strict=True):
        assert not box.x0 < x_line < box.x1, f"{text.get_text()!r} crosses the flag line"
        assert box.x1 <= fig.bbox.x1, f"{text.get_text()!r} runs off the page"
    for i, a in enumerate(boxes):
        assert not any(a.overlaps(b) for b in boxes[i + 1:]), "two labels overlap"


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Report, Matrix]:
    """The demo's last 90 days: the screenshot's team chart, where two teams' rates over
    too few tickets sit at 0% under a 15% flag line far right of the axis."""
    matrix = load_matrix_file(default_matrix_path())
    data_dir = tmp_path_factory.mktemp("demo-charts") / "demo"
    seed_demo(data_dir, matrix, NOW, user="me")
    with LocalStore(data_dir, matrix, clock=lambda: NOW) as store:
        return load_report(store, NOW - timedelta(days=90), NOW, now=NOW), matrix


def test_the_demos_too_few_labels_stay_clear_of_the_team_flag_line(
        demo_report: tuple[Report, Matrix]):
    fig = drawn(report_charts.escalation_by_team(*demo_report))
    ax = fig.axes[0]
    labels = rate_labels(fig)
    few = [t for t in labels if "too few to judge" in t.get_text()]
    assert few
    x_line = ax.transData.transform((15, 0))[0]
    for text in labels:
        box = text.get_window_extent()
        assert not box.x0 < x_line < box.x1, f"{text.get_text()!r} crosses the flag line"
        assert box.x1 <= fig.bbox.x1
