"""The weekly trend chart, laid out on the server and drawn as inline SVG.

Bars for tickets in (solid) and resolved (hatched) per week, and a line with square
markers for the share of first responses within target on its own 0–100% scale. Patterns,
markers, value labels and the table beside it keep it readable without colour.
"""

from dataclasses import dataclass, field

from ticketdesk.services.sla.dashboard import Group

WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 48, 16, 40
MAX_LABELLED_WEEKS = 16


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    series: str  # "in" or "resolved"


@dataclass
class Point:
    x: float
    y: float
    value: float


@dataclass
class Tick:
    position: float
    text: str


@dataclass
class Chart:
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_top: int = TOP
    plot_bottom: int = HEIGHT - BOTTOM
    bars: list[Bar] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)  # counts, left axis
    share_ticks: list[Tick] = field(default_factory=list)  # percent, right axis
    value_labels: bool = True

    @property
    def line_path(self) -> str:
        return " ".join(
            f"{'M' if i == 0 else 'L'}{p.x:.1f},{p.y:.1f}" for i, p in enumerate(self.points)
        )


def _nice_top(value: int) -> int:
    """The smallest 1, 2 or 5 × 10ⁿ at least ``value`` (and at least 1)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if factor * step >= value:
                return max(1, factor * step)
        step *= 10


def weekly(weeks: list[Group], week_label) -> Chart:
    """Lay out ``weeks``; ``week_label(monday)`` gives the text under each week."""
    chart = Chart(value_labels=len(weeks) <= MAX_LABELLED_WEEKS)
    if not weeks:
        return chart
    plot_w = chart.plot_right - chart.plot_left
    plot_h = chart.plot_bottom - chart.plot_top
    top = _nice_top(max(max(g.figures.counts["in"], g.figures.counts["resolved"]) for g in weeks))
    slot = plot_w / len(weeks)
    bar_w = max(1.0, min(28.0, slot * 0.36))
    every = max(1, round(len(weeks) / 12))
    for i, g in enumerate(weeks):
        centre = chart.plot_left + slot * (i + 0.5)
        for offset, series in ((-bar_w, "in"), (0.0, "resolved")):
            value = g.figures.counts[series]
            height = plot_h * value / top
            chart.bars.append(
                Bar(centre + offset, chart.plot_bottom - height, bar_w, height, value, series)
            )
        share = g.figures.fr_rate
        if share is not None:
            chart.points.append(Point(centre, chart.plot_bottom - plot_h * share / 100, share))
        if i % every == 0:
            chart.x_ticks.append(Tick(centre, week_label(g.key)))
    chart.y_ticks = [
        Tick(chart.plot_bottom - plot_h * n / 4, str(top * n // 4))
        for n in range(5)
        if top * n % 4 == 0 or n in (0, 4)
    ]
    chart.share_ticks = [Tick(chart.plot_bottom - plot_h * n / 4, f"{25 * n}%") for n in range(5)]
    return chart
