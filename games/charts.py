"""Bar charts drawn on the server as SVG, for the admin's game dashboard.

This module only lays a chart out (bars, ticks and labels in SVG user
units); `admin/games/game/chart.html` draws it. No script runs: every bar
carries its own `<title>`, and each chart a title, a description and the
same numbers as a table.
"""

from __future__ import annotations

from dataclasses import dataclass

from games.dashboard import Bucket, Hour
from games.units import format_score

WIDTH = 720
HEIGHT = 260
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 56  # room for the axes' ticks and labels
GAP = 0.2  # of each bar's slot, left empty between bars


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    count: int
    label: str  # what the bar stands for, e.g. "13:00 UTC"


@dataclass(frozen=True)
class Tick:
    position: float  # x for the horizontal axis, y for the vertical one
    label: str
    anchor: str = "middle"  # an end tick's label stays inside the picture


@dataclass(frozen=True)
class Row:
    label: str
    count: int


@dataclass(frozen=True)
class BarChart:
    slug: str  # unique on the page: ids of the title and description
    title: str
    description: str
    x_label: str
    y_label: str
    bars: list[Bar]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    rows: list[Row]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP

    @property
    def right(self) -> int:
        return self.width - RIGHT

    @property
    def bottom(self) -> int:
        return self.height - BOTTOM

    @property
    def center_x(self) -> float:
        return (self.left + self.right) / 2

    @property
    def x_label_y(self) -> int:
        return self.height - 12

    @property
    def y_label_y(self) -> float:
        return (self.top + self.bottom) / 2


def bar_chart(
    *,
    slug: str,
    title: str,
    description: str,
    x_label: str,
    y_label: str,
    labels: list[str],
    counts: list[int],
    x_ticks: dict[int, str],
) -> BarChart:
    """`counts[i]` as the i-th bar, named `labels[i]`; `x_ticks` maps a bar's
    index to the label written under it (edges: see `edge_ticks`)."""
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_width / max(1, len(counts))
    axis_top, y_ticks = _count_axis(max(counts, default=0))
    bars = []
    for index, (label, count) in enumerate(zip(labels, counts, strict=True)):
        height = plot_height * count / axis_top
        bars.append(
            Bar(
                x=round(LEFT + index * slot + slot * GAP / 2, 2),
                y=round(TOP + plot_height - height, 2),
                width=round(slot * (1 - GAP), 2),
                height=round(height, 2),
                count=count,
                label=label,
            )
        )
    return BarChart(
        slug=slug,
        title=title,
        description=description,
        x_label=x_label,
        y_label=y_label,
        bars=bars,
        x_ticks=[_x_tick(LEFT + index * slot, text) for index, text in sorted(x_ticks.items())],
        y_ticks=[
            Tick(position=round(TOP + plot_height * (1 - value / axis_top), 2), label=f"{value:,}") for value in y_ticks
        ],
        rows=[Row(label=label, count=count) for label, count in zip(labels, counts, strict=True)],
    )


def _x_tick(position: float, label: str) -> Tick:
    anchor = "start" if position <= LEFT else "end" if position >= WIDTH - RIGHT else "middle"
    return Tick(position=round(position, 2), label=label, anchor=anchor)


def _count_axis(largest: int) -> tuple[int, list[int]]:
    """The top of a count axis and its ticks: 0 and multiples of 1, 2 or 5
    times a power of ten, at most five steps."""
    if largest <= 0:
        return 1, [0]
    step = 1
    while True:
        for factor in (1, 2, 5):
            if largest <= step * factor * 5:
                size = step * factor
                top = -(-largest // size) * size
                return top, list(range(0, top + 1, size))
        step *= 10


def hours_chart(*, hours: list[Hour], slug: str, title: str, description: str, field: str, y_label: str) -> BarChart:
    """One bar per hour; ticks every six hours (UTC)."""
    labels = [f"{hour.start:%Y-%m-%d %H:00} UTC" for hour in hours]
    return bar_chart(
        slug=slug,
        title=title,
        description=description,
        x_label="Hour (UTC)",
        y_label=y_label,
        labels=labels,
        counts=[getattr(hour, field) for hour in hours],
        x_ticks={index: f"{hour.start:%H:00}" for index, hour in enumerate(hours) if hour.start.hour % 6 == 0},
    )


def distribution_chart(*, buckets: list[Bucket], unit: str | None, slug: str) -> BarChart:
    """One bar per range of values, lowest values on the left; ticks at both
    ends and in the middle."""
    ticks = {}
    if buckets:
        ticks = {0: format_score(buckets[0].low, unit)}
        if buckets[-1].high != buckets[0].low:
            ticks[len(buckets)] = format_score(buckets[-1].high, unit)
        if len(buckets) > 2:
            ticks[len(buckets) // 2] = format_score(buckets[len(buckets) // 2].low, unit)
    total = sum(bucket.players for bucket in buckets)
    spread = f" from {format_score(buckets[0].low, unit)} to {format_score(buckets[-1].high, unit)}" if buckets else ""
    return bar_chart(
        slug=slug,
        title="Score distribution, all-time board",
        description=f"The all-time bests of {total:,} players in {len(buckets)} equal ranges of values{spread}.",
        x_label="Best score",
        y_label="Players",
        labels=[_range_label(bucket, unit) for bucket in buckets],
        counts=[bucket.players for bucket in buckets],
        x_ticks=ticks,
    )


def _range_label(bucket: Bucket, unit: str | None) -> str:
    if bucket.low == bucket.high:
        return format_score(bucket.low, unit)
    return f"{format_score(bucket.low, unit)} to {format_score(bucket.high, unit)}"
