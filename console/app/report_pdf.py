"""The report as a multi-page PDF: a title page (the window, the filters, the headline
figures and every flag), then one page per chart of ``report_charts``. Headless (the
PDF backend, no Qt, no pyplot), so the command line, the weekly email and the Reports
window write the same file."""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from console.domain.matrix.model import Matrix
from console.domain.reports import PagingLoad, Rate, Report

from .report_charts import GREY, INK, RED, SIZE, figures
from .report_words import filters_text, flag_lines, window_text


def _headline(name: str, rate: Rate) -> str:
    value = "–" if rate.value is None else f"{rate.value:.0%}"
    note = " (too few to judge)" if rate.too_few else " FLAGGED" if rate.flagged else ""
    return f"{name}: {value} ({rate.numerator} of {rate.denominator}){note}"


def paging_text(paging: PagingLoad) -> str:
    """``Paging: 12 pages to 3 people, 5 chain runs (1 never acknowledged), MTTA ...``."""
    def minutes(seconds: float | None) -> str:
        return "–" if seconds is None else f"{seconds / 60:.0f} min"
    m = paging.mtta
    return (f"Paging: {sum(paging.pages.values())} pages to {len(paging.pages)} people, "
            f"{paging.chains} chain runs ({paging.unacknowledged} never acknowledged), "
            f"MTTA median {minutes(m.median)}, p90 {minutes(m.p90)}")


def title_page(report: Report, generated_at: datetime, paging: PagingLoad | None = None,
               matrix: Matrix | None = None) -> Figure:
    """The first page: what the report covers and what is flagged (teams by their names
    in ``matrix``)."""
    fig = Figure(figsize=SIZE)
    write = fig.text
    write(0.06, 0.90, "Escalation report: is the matrix working?", fontsize=28,
          fontweight="bold", color=INK)
    write(0.06, 0.83, f"Window: {window_text(report)}", fontsize=18, color=INK)
    write(0.06, 0.78, f"Filters: {filters_text(report, matrix)}", fontsize=18, color=INK)
    write(0.06, 0.73, f"Generated {generated_at.strftime('%Y-%m-%d %H:%M %Z').strip()}",
          fontsize=14, color=GREY)
    y = 0.64
    for line in (f"Tickets opened: {report.opened}, resolved: {report.resolved}, "
                 f"escalated: {report.escalated} ({report.escalations} escalations)",
                 _headline("Escalation rate", report.escalation_rate),
                 _headline(f"{report.first_tier} resolution rate", report.t1_resolution),
                 _headline("Severity disagreement", report.disagreement),
                 *([paging_text(paging)] if paging is not None else [])):
        write(0.06, y, line, fontsize=16, color=INK)
        y -= 0.05
    y -= 0.03
    flags = flag_lines(report, matrix)
    write(0.06, y, f"Flags ({len(flags)})" if flags else "Flags: none", fontsize=20,
          fontweight="bold", color=RED if flags else INK)
    shown = flags[:12]
    for line in shown:
        y -= 0.045
        write(0.08, y, f"▲ {line}", fontsize=15, color=RED)
    if len(flags) > len(shown):
        write(0.08, y - 0.045, f"… and {len(flags) - len(shown)} more (see the JSON output)",
              fontsize=14, color=GREY)
    write(0.06, 0.03, "Rates over fewer than 10 tickets are shown but never flagged. "
          "Definitions: docs/reports.md", fontsize=12, color=GREY)
    return fig


def write_pdf(report: Report, matrix: Matrix, path: Path, *, generated_at: datetime,
              paging: PagingLoad | None = None) -> int:
    """Write the title page and every chart to ``path`` (the whole file, or what was
    there is left: a temporary file beside it is renamed over it); the page count."""
    pages = [title_page(report, generated_at, paging, matrix),
             *figures(report, matrix).values()]
    if path.is_dir():
        raise IsADirectoryError(21, "Is a directory")
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                dir=path.parent if str(path.parent) else ".")
    try:
        with open(fd, "wb") as out, PdfPages(out, metadata={
                "Title": "Escalation report " + window_text(report).replace("–", "to"),
                "Subject": filters_text(report, matrix)}) as pdf:
            for page in pages:
                pdf.savefig(page)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return len(pages)
