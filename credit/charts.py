"""The score trend and the monitoring series as plain numbers for inline SVGs drawn by the
templates. No ORM, no JS."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ChartPoint:
    x: float
    y: float
    score: int
    at: datetime


@dataclass(frozen=True, slots=True)
class ScoreChart:
    width: int
    height: int
    points: tuple[ChartPoint, ...]
    polyline: str
    low: int
    high: int
    threshold: int | None
    threshold_y: float | None

    @property
    def first(self) -> ChartPoint:
        return self.points[0]

    @property
    def last(self) -> ChartPoint:
        return self.points[-1]


def score_chart(
    history: Sequence[tuple[datetime, int]],
    *,
    threshold: int | None = None,
    width: int = 320,
    height: int = 120,
    pad_x: float = 12.0,
    pad_y: float = 14.0,
) -> ScoreChart | None:
    """Place (when, score) pairs, oldest first, evenly across the chart; None if fewer than 2."""
    if len(history) < 2:
        return None
    scores = [score for _, score in history]
    bounds = scores + ([threshold] if threshold is not None else [])
    low, high = min(bounds), max(bounds)
    margin = max(10, (high - low) // 10)
    low, high = low - margin, high + margin
    span_x = (width - 2 * pad_x) / (len(history) - 1)
    span_y = height - 2 * pad_y

    def y_of(score: int) -> float:
        return round(pad_y + (high - score) / (high - low) * span_y, 1)

    points = tuple(
        ChartPoint(x=round(pad_x + i * span_x, 1), y=y_of(score), score=score, at=at)
        for i, (at, score) in enumerate(history)
    )
    return ScoreChart(
        width=width,
        height=height,
        points=points,
        polyline=" ".join(f"{p.x},{p.y}" for p in points),
        low=low,
        high=high,
        threshold=threshold,
        threshold_y=y_of(threshold) if threshold is not None else None,
    )


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    x: float
    y: float
    value: float
    label: str
    bar_x: float
    bar_top: float
    bar_height: float


@dataclass(frozen=True, slots=True)
class SeriesChart:
    """Daily values placed for an inline SVG: a polyline (shares, drift) or bars (counts)."""

    width: int
    height: int
    points: tuple[SeriesPoint, ...]
    polyline: str
    high: float
    base_y: float
    bar_width: float
    limit_y: float | None

    @property
    def first(self) -> SeriesPoint:
        return self.points[0]

    @property
    def last(self) -> SeriesPoint:
        return self.points[-1]


def series_chart(
    values: Sequence[tuple[str, float]],
    *,
    limit: float | None = None,
    width: int = 360,
    height: int = 120,
    pad_x: float = 14.0,
    pad_y: float = 12.0,
) -> SeriesChart | None:
    """Place (label, value) pairs, oldest first, evenly across a chart whose floor is 0 and
    whose top is the largest value (or `limit`, a line drawn across, if higher); None if empty."""
    if not values:
        return None
    high = max([v for _, v in values] + ([limit] if limit is not None else []) + [0.0]) or 1.0
    high *= 1.1
    span_x = (width - 2 * pad_x) / max(len(values) - 1, 1)
    base_y = height - pad_y
    span_y = height - 2 * pad_y
    bar_width = max(2.0, min(18.0, span_x * 0.6))

    def y_of(value: float) -> float:
        return round(pad_y + (high - value) / high * span_y, 1)

    def x_of(i: int) -> float:
        return round(pad_x + i * span_x, 1) if len(values) > 1 else width / 2

    points = tuple(
        SeriesPoint(
            x=x_of(i),
            y=y_of(value),
            value=value,
            label=label,
            bar_x=round(x_of(i) - bar_width / 2, 1),
            bar_top=y_of(value),
            bar_height=round(base_y - y_of(value), 1),
        )
        for i, (label, value) in enumerate(values)
    )
    return SeriesChart(
        width=width,
        height=height,
        points=points,
        polyline=" ".join(f"{p.x},{p.y}" for p in points),
        high=high,
        base_y=base_y,
        bar_width=bar_width,
        limit_y=y_of(limit) if limit is not None else None,
    )
