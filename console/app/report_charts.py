"""The report's charts as matplotlib ``Figure`` objects, one per chart, with no Qt and
no pyplot: the same figure goes into the Reports window (a ``FigureCanvasQTAgg`` around
it), a PDF page (``PdfPages.savefig(figure)``) or a PNG (``figure.savefig(path)``).

``figures(report, matrix)`` gives every chart by name (``CHARTS`` order); each chart has
its own function taking the same two arguments. Labels are large enough to read across
a room: a wall or a projected report. Flagged rates are red, rates over too few tickets
to judge are grey and hatched and say so; severities wear the matrix's colours.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from console.domain.matrix.model import Matrix
from console.domain.reports import Rate, Report, Spread

from .report_words import team_name

SIZE = (11.69, 8.27)  # A4 landscape, inches: a PDF page as it is
TITLE, LABEL, TICK, NOTE = 22, 17, 15, 14
BLUE, RED, GREY, INK = "#1565c0", "#c62828", "#9e9e9e", "#212121"
FEW_HATCH = "//"
TOO_FEW_TEXT = "too few to judge"
MAX_BARS = 20  # agents beyond this are summed up in the title, not drawn


def _figure(title: str) -> tuple[Figure, Axes]:
    fig = Figure(figsize=SIZE, layout="constrained")
    fig.suptitle(title, fontsize=TITLE, fontweight="bold", color=INK)
    ax = fig.add_subplot()
    ax.tick_params(labelsize=TICK)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig, ax


def _nothing(ax: Axes, what: str) -> None:
    """An empty chart says why it is empty instead of showing bare axes."""
    ax.set_axis_off()
    ax.text(0.5, 0.5, f"No {what} in this window", ha="center", va="center",
            fontsize=LABEL + 4, color=GREY, transform=ax.transAxes)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _rate_colour(rate: Rate) -> str:
    return GREY if rate.too_few else RED if rate.flagged else BLUE


def _rate_label(rate: Rate) -> str:
    text = f"{_pct(rate.value)}  ({rate.numerator}/{rate.denominator})"
    if rate.too_few:
        return f"{text}  {TOO_FEW_TEXT}"
    return f"{text}  FLAGGED" if rate.flagged else text


def severity_colours(matrix: Matrix) -> dict[str, str]:
    """Each severity's colour in the matrix (``P1`` -> ``#d32f2f``)."""
    return {s.id: s.color for s in matrix.severities}


def _rate_bars(title: str, rates: Sequence[tuple[str, Rate]], what: str,
               colours: Sequence[str] | None = None) -> Figure:
    """Horizontal bars of rates against their threshold, one per name, top down."""
    fig, ax = _figure(title)
    if not rates:
        _nothing(ax, what)
        return fig
    names = [n for n, _ in rates]
    values = [(r.value or 0.0) * 100 for _, r in rates]
    fills = [c if c and not r.too_few and not r.flagged else _rate_colour(r)
             for (_, r), c in zip(rates, colours or [""] * len(rates), strict=True)]
    bars = ax.barh(range(len(rates)), values, color=fills, edgecolor=INK, linewidth=0.6)
    threshold = rates[0][1].threshold
    line = (threshold or 0) * 100
    top = max([*values, line])
    right = max(10.0, top) * 1.55  # room for the labels right of the bars
    gap = right * 0.015
    few = len(rates) > 12
    for bar, (_, rate) in zip(bars, rates, strict=True):
        if rate.too_few:
            bar.set_hatch(FEW_HATCH)
        # a label starts right of its bar, or right of the flag line when its bar stops
        # short of it: one label a row, none across the line
        start = bar.get_width() if threshold is None else max(bar.get_width(), line)
        ax.text(start + gap, bar.get_y() + bar.get_height() / 2, _rate_label(rate),
                va="center", fontsize=NOTE - 2 if few else NOTE,
                color=RED if rate.flagged else INK, fontweight="bold" if rate.flagged else None)
    ax.set_yticks(range(len(rates)), names, fontsize=NOTE - 2 if few else TICK)
    ax.invert_yaxis()
    ax.set_xlim(0, right)
    if threshold is not None:
        ax.axvline(threshold * 100, color=RED, linestyle="--", linewidth=2.5)
        ax.text(threshold * 100, 1.0, f" flag above {threshold:.0%}", color=RED,
                fontsize=NOTE, va="bottom", ha="left", transform=ax.get_xaxis_transform())
    ax.set_xlabel("escalated tickets, % of the tickets held", fontsize=LABEL)
    return fig


def escalation_over_time(report: Report, matrix: Matrix) -> Figure:
    """The weekly escalation rate, and the T1 resolution rate, against their targets."""
    fig, ax = _figure(f"Escalation and {report.first_tier} resolution rates per week")
    weeks = [w for w in report.weekly if w.escalation.denominator or w.t1_resolution.denominator]
    if not weeks:
        _nothing(ax, "tickets")
        return fig
    x = list(range(len(report.weekly)))
    labels = [w.start.strftime("%d %b") for w in report.weekly]
    for key, name, colour in (("escalation", "escalation rate", BLUE),
                              ("t1_resolution", f"{report.first_tier} resolution rate",
                               "#2e7d32")):
        rates: list[Rate] = [getattr(w, key) for w in report.weekly]
        values = [None if r.value is None else r.value * 100 for r in rates]
        ax.plot(x, [float("nan") if v is None else v for v in values], color=colour,
                linewidth=3, marker="o", markersize=10, label=name)
        for i, (v, r) in enumerate(zip(values, rates, strict=True)):
            if v is None:
                continue
            if r.too_few:  # hollow: shown, not judged
                ax.plot([i], [v], marker="o", markersize=12, color="white",
                        markeredgecolor=GREY, markeredgewidth=2.5)
            # on a white patch: a value stays readable where it meets a line
            ax.annotate(f"{v:.0f}%", (i, v), textcoords="offset points", xytext=(0, 12),
                        ha="center", fontsize=NOTE,
                        color=RED if r.flagged else colour, fontweight="bold",
                        bbox={"boxstyle": "round,pad=0.1", "facecolor": "white",
                              "edgecolor": "none", "alpha": 0.85})
        threshold = rates[0].threshold
        if threshold is not None:
            word = "target ≥" if rates[0].at_least else "target ≤"
            ax.axhline(threshold * 100, color=colour, linestyle="--", linewidth=2,
                       label=f"{name} {word} {threshold:.0%}")
    ax.set_xticks(x, labels)
    ax.set_ylim(0, 105)
    ax.set_ylabel("% of the week's tickets", fontsize=LABEL)
    ax.set_xlabel("week starting (hollow points: too few tickets to judge)", fontsize=LABEL)
    # below the plot, never over a point: the early weeks are where it used to sit
    fig.legend(*ax.get_legend_handles_labels(), fontsize=NOTE, loc="outside lower center",
               ncols=2, frameon=False)
    ax.grid(axis="y", alpha=0.3)
    return fig


def escalation_by_team(report: Report, matrix: Matrix) -> Figure:
    """Each team's escalation rate against the team flag, a bar per team by its name
    (``team_rows`` gives the ids in the bars' order)."""
    rates = [(team_name(matrix, t), report.teams[t].rate) for t in team_rows(report)]
    return _rate_bars("Escalation rate per team", rates, "teams")


def team_rows(report: Report) -> list[str]:
    """The team ids of ``escalation_by_team``'s bars, top down (a click maps a row to
    its team: the bars are labelled by name)."""
    return list(report.teams)


def escalation_by_agent(report: Report, matrix: Matrix) -> Figure:
    """Each agent's escalation rate against the agent flag (the highest first)."""
    ranked = sorted(report.agents.items(),
                    key=lambda kv: (not kv[1].flagged, kv[1].too_few, -(kv[1].value or 0), kv[0]))
    title = "Escalation rate per agent"
    if len(ranked) > MAX_BARS:
        title += f" (top {MAX_BARS} of {len(ranked)})"
    return _rate_bars(title, ranked[:MAX_BARS], "agents")


def escalation_by_severity(report: Report, matrix: Matrix) -> Figure:
    """The escalation rate per effective severity, in the severities' colours."""
    colours = severity_colours(matrix)
    rates = sorted(report.escalation_by_severity.items(), key=lambda kv: _rank(matrix, kv[0]))
    fig = _rate_bars("Escalation rate per severity", rates, "tickets",
                     [colours.get(s, BLUE) for s, _ in rates])
    if rates:
        _severity_ticks(fig.axes[0], matrix, [s for s, _ in rates], axis="y")
    return fig


def _rank(matrix: Matrix, severity: str) -> tuple[int, str]:
    ranks = {s.id: s.rank for s in matrix.severities}
    return ranks.get(severity, len(ranks)), severity


def _unit(seconds: float) -> tuple[float, str]:
    if seconds >= 2 * 86400:
        return 86400.0, "days"
    if seconds >= 2 * 3600:
        return 3600.0, "hours"
    return 60.0, "minutes"


def _spread_bars(title: str, groups: Sequence[tuple[str, dict[str, Spread]]],
                 matrix: Matrix, what: str) -> Figure:
    """Median and p90 per severity (the severity's colour; p90 lighter), one panel per
    group (e.g. wall time and without waiting)."""
    fig = Figure(figsize=SIZE, layout="constrained")
    fig.suptitle(title, fontsize=TITLE, fontweight="bold", color=INK)
    colours = severity_colours(matrix)
    # one scale for every panel: side by side, equal heights must mean equal times
    axes = fig.subplots(1, len(groups), squeeze=False, sharey=True)[0]
    longest = max((s.p90 or 0 for _, g in groups for s in g.values()), default=0.0)
    scale, unit = _unit(longest)
    for ax, (name, spreads) in zip(axes, groups, strict=True):
        ax.tick_params(labelsize=TICK)
        severities = sorted((k for k in spreads if k != "all"), key=lambda k: _rank(matrix, k))
        if not severities:
            _nothing(ax, what)
            continue
        for i, sev in enumerate(severities):
            s = spreads[sev]
            colour = colours.get(sev, BLUE)
            for offset, value, alpha, hatch in ((-0.2, s.median, 1.0, ""),
                                                (0.2, s.p90, 0.45, "..")):
                height = (value or 0) / scale
                ax.bar(i + offset, height, width=0.4, color=colour, alpha=alpha, hatch=hatch,
                       edgecolor=INK, linewidth=0.6)
                ax.text(i + offset, height, f"{height:.1f}", ha="center", va="bottom",
                        fontsize=NOTE, color=INK)
        ax.set_xticks(range(len(severities)),
                      [f"{s}\n(n={spreads[s].count})" for s in severities], fontsize=TICK)
        ax.set_ylabel(unit, fontsize=LABEL)
        ax.set_title(name, fontsize=LABEL)
        ax.grid(axis="y", alpha=0.3)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    if any(ax.axison for ax in axes):
        axes[0].legend(handles=[Patch(facecolor=GREY, edgecolor=INK, label="median"),
                                Patch(facecolor=GREY, alpha=0.45, hatch="..", edgecolor=INK,
                                      label="p90 (9 in 10 within)")],
                       fontsize=NOTE, loc="upper left", framealpha=0.9)
    return fig


def first_response_times(report: Report, matrix: Matrix) -> Figure:
    """Time to first response per severity at the response: median and p90."""
    return _spread_bars("Time to first response per severity",
                        [("Opened tickets", report.first_response)], matrix, "responses")


def resolve_times(report: Report, matrix: Matrix) -> Figure:
    """Time to resolve per severity: wall time, and waiting on the customer left out."""
    return _spread_bars("Time to resolve per severity",
                        [("Wall time", report.resolve_wall),
                         ("Without waiting on the customer", report.resolve_working)],
                        matrix, "resolutions")


def sla_attainment(report: Report, matrix: Matrix) -> Figure:
    """Met ÷ (met + breached) as a grid: a row per clock, a column per severity, each
    cell coloured from red (all breached) to green (all met), with its counts."""
    fig, ax = _figure("SLA attainment per clock and severity")
    if not report.sla:
        _nothing(ax, "SLA clocks decided")
        return fig
    clocks = list(dict.fromkeys(r.clock for r in report.sla))
    severities = sorted({r.severity for r in report.sla}, key=lambda s: _rank(matrix, s))
    grid = [[float("nan")] * len(severities) for _ in clocks]
    image = ax.imshow(grid, cmap="RdYlGn", vmin=0, vmax=1, aspect="auto")
    for row in report.sla:
        i, j = clocks.index(row.clock), severities.index(row.severity)
        rate = row.attainment
        grid[i][j] = rate.value if rate.value is not None else float("nan")
        note = f"{_pct(rate.value)}\n{row.met} of {row.met + row.breached} met"
        if rate.too_few:
            note += f"\n{TOO_FEW_TEXT}"
        ax.text(j, i, note, ha="center", va="center", fontsize=NOTE + 1,
                color=_ink_on(image.cmap(rate.value)) if rate.value is not None else INK,
                fontweight="bold" if not rate.too_few else None)
    image.set_data(grid)
    _severity_ticks(ax, matrix, severities, axis="x")
    ax.set_yticks(range(len(clocks)), [c.replace("_", " ") for c in clocks], fontsize=LABEL)
    ax.xaxis.set_label_position("top")
    ax.xaxis.tick_top()
    ax.set_xlabel("severity of the clock instance", fontsize=LABEL)
    bar = fig.colorbar(image, ax=ax, shrink=0.8, format=lambda v, _: f"{v:.0%}")
    bar.ax.tick_params(labelsize=NOTE)
    bar.set_label("met ÷ (met + breached)", fontsize=NOTE)
    return fig


def _ink_on(rgba: tuple[float, float, float, float]) -> str:
    """White text on a dark cell, ink on a light one (the deep reds and greens)."""
    r, g, b = rgba[:3]
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.45 else INK


def _severity_ticks(ax: Axes, matrix: Matrix, severities: Sequence[str], *, axis: str) -> None:
    """Severity names as tick labels, bold, in the matrix's colours."""
    colours = severity_colours(matrix)
    along = ax.xaxis if axis == "x" else ax.yaxis
    along.set_ticks(range(len(severities)), list(severities), fontsize=LABEL)
    for tick, severity in zip(along.get_major_ticks(), severities, strict=True):
        for label in (tick.label1, tick.label2):  # either side, top or bottom
            label.set_color(colours.get(severity, INK))
            label.set_fontweight("bold")


def disagreement_heatmap(report: Report, matrix: Matrix) -> Figure:
    """Support's severity (rows) by Engineering's (columns): counts and shares of the
    tickets with both stages; the diagonal is agreement."""
    rate = report.disagreement
    fig, ax = _figure("Severity disagreement" + (
        f": {_pct(rate.value)} ({rate.numerator} of {rate.denominator} tickets)"
        if rate.denominator else ""))
    rows = list(report.disagreement_matrix)
    if not rows or not rate.denominator:
        _nothing(ax, "tickets with both severity stages")
        return fig
    counts = [[report.disagreement_matrix[a].get(b, 0) for b in rows] for a in rows]
    image = ax.imshow(counts, cmap="Blues", vmin=0, vmax=max(max(r) for r in counts) or 1)
    total = rate.denominator
    for i, row in enumerate(counts):
        for j, n in enumerate(row):
            dark = n > 0.6 * (image.get_clim()[1] or 1)
            ax.text(j, i, f"{n}\n{n / total:.0%}", ha="center", va="center",
                    fontsize=LABEL, fontweight="bold" if i == j else None,
                    color="white" if dark else INK)
    _severity_ticks(ax, matrix, rows, axis="x")
    _severity_ticks(ax, matrix, rows, axis="y")
    ax.xaxis.set_label_position("top")
    ax.xaxis.tick_top()
    ax.set_xlabel("Engineering's confirmed severity", fontsize=LABEL)
    ax.set_ylabel("Support's initial severity", fontsize=LABEL)
    fig.colorbar(image, ax=ax, shrink=0.8).ax.tick_params(labelsize=NOTE)
    return fig


def root_causes(report: Report, matrix: Matrix) -> Figure:
    """Escalated tickets by category, as shares of all escalated tickets."""
    fig, ax = _figure("Root causes of escalations")
    causes = sorted(report.root_causes.items(), key=lambda kv: (-kv[1], kv[0]))
    if not causes:
        _nothing(ax, "escalated tickets")
        return fig
    total = sum(n for _, n in causes)
    shares = [n / total * 100 for _, n in causes]
    bars = ax.barh(range(len(causes)), shares, color=BLUE, edgecolor=INK, linewidth=0.6)
    for bar, (_, n) in zip(bars, causes, strict=True):
        ax.text(bar.get_width() + 1, bar.get_y() + bar.get_height() / 2,
                f"{n / total:.0%}  ({n})", va="center", fontsize=NOTE)
    ax.set_yticks(range(len(causes)), [c for c, _ in causes], fontsize=TICK)
    ax.invert_yaxis()
    ax.set_xlim(0, max(shares) * 1.3)
    ax.set_xlabel(f"% of the {total} escalated tickets", fontsize=LABEL)
    return fig


Chart = Callable[[Report, Matrix], Figure]

CHARTS: dict[str, Chart] = {
    "escalation_over_time": escalation_over_time,
    "escalation_by_team": escalation_by_team,
    "escalation_by_agent": escalation_by_agent,
    "escalation_by_severity": escalation_by_severity,
    "first_response_times": first_response_times,
    "resolve_times": resolve_times,
    "sla_attainment": sla_attainment,
    "disagreement_heatmap": disagreement_heatmap,
    "root_causes": root_causes,
}


def figures(report: Report, matrix: Matrix) -> dict[str, Figure]:
    """Every chart of ``report`` by name, in ``CHARTS`` order (the PDF's page order)."""
    return {name: chart(report, matrix) for name, chart in CHARTS.items()}
