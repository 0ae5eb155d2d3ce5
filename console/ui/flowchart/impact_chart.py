"""The impact preview's chart: breaches per day under the version in force and under
the draft (``Impact.daily_breaches``), in the Reports' colours and type sizes
(``app.report_charts``), drawn for a dock rather than a page."""

from __future__ import annotations

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from PySide6.QtWidgets import QSizePolicy

from console.app.report_charts import BLUE, GREY, INK, NOTE, TICK
from console.app.usecases.whatif import Impact

SIZE = (6.0, 3.2)  # inches: a dock's chart


def daily_breaches(result: Impact | None) -> Figure:
    """Breaches per day of the window, both versions; an empty chart says why."""
    fig = Figure(figsize=SIZE, layout="constrained")
    draw(fig, result)
    return fig


def draw(fig: Figure, result: Impact | None) -> None:
    """Draw ``daily_breaches``' chart into ``fig``."""
    ax = fig.add_subplot()
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=TICK - 4)
    ax.set_title("Breaches per day", fontsize=NOTE, fontweight="bold", color=INK,
                 loc="left")
    days = result.daily_breaches if result is not None else ()
    if not days or not any(d or a for _, d, a in days):
        ax.set_axis_off()
        ax.text(0.5, 0.5, "No breaches in this window under either version", ha="center",
                va="center", fontsize=NOTE, color=GREY, transform=ax.transAxes)
        return
    x = list(range(len(days)))
    ax.plot(x, [a for _, _, a in days], color=GREY, linewidth=2.5, linestyle="--",
            marker="o", markersize=4, label="in force")
    ax.plot(x, [d for _, d, _ in days], color=BLUE, linewidth=2.5, marker="o",
            markersize=4, label="draft")
    step = max(1, len(days) // 4)
    ax.set_xticks(x[::step], [day.strftime("%d %b") for day, _, _ in days][::step])
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # breaches are whole
    ax.grid(axis="y", color="#e0e0e0")
    ax.legend(fontsize=TICK - 4, frameon=False, loc="upper left")


class ImpactChart(FigureCanvasQTAgg):
    """The chart in the panel; ``show_impact`` draws another result."""

    def __init__(self) -> None:
        super().__init__(daily_breaches(None))  # type: ignore[no-untyped-call]
        self.setObjectName("impactChart")
        self.setMinimumSize(420, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def show_impact(self, result: Impact | None) -> None:
        """Draw ``result``'s daily breaches (None: an empty chart)."""
        self.figure.clear()
        draw(self.figure, result)
        self.draw_idle()  # type: ignore[no-untyped-call]
