"""The report's charts and PDF, headless: every chart on an empty report and on a full
one builds, says what it shows, marks flags red and too-few rates hatched grey; the PDF
has a title page with the flags and a page per chart, written without a display."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from console.app import report_charts
from console.app.report_charts import CHARTS, GREY, RED, figures
from console.app.report_pdf import title_page, write_pdf
from console.domain.reports import Report, report
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
    specialists = bars(fig)["specialists"]  # held 4 tickets: too few
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
