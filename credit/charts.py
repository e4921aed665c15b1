"""The score trend as plain numbers for an inline SVG drawn by the template. No ORM, no JS."""

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
