"""Monitoring rules (pure): score bins, drift of a score distribution (population stability
index), and whether a day's figure is inside the band its recent history sets."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

SCORE_BIN_WIDTH = 20
# PSI: under 0.1 stable, 0.1–0.25 a shift worth a look, above 0.25 a shift to act on.
PSI_ALERT = 0.25
_EMPTY_SHARE = 0.0001  # a bin one side leaves empty counts as this share (no log of zero)


def score_bin(score: int) -> str:
    """The bin a score falls in, named by its lower edge ("560" holds 560–579)."""
    return str(math.floor(score / SCORE_BIN_WIDTH) * SCORE_BIN_WIDTH)


def psi(expected: Mapping[str, int], actual: Mapping[str, int]) -> float | None:
    """Population stability index of `actual` against `expected` (lines per bin); None when
    either side is empty. Sum over bins of (a - e) * ln(a / e), with shares."""
    e_total, a_total = sum(expected.values()), sum(actual.values())
    if not e_total or not a_total:
        return None
    total = 0.0
    for key in set(expected) | set(actual):
        e = max(expected.get(key, 0) / e_total, _EMPTY_SHARE)
        a = max(actual.get(key, 0) / a_total, _EMPTY_SHARE)
        total += (a - e) * math.log(a / e)
    return round(total, 4)


@dataclass(frozen=True, slots=True)
class Band:
    low: float
    high: float

    def holds(self, value: float) -> bool:
        return self.low <= value <= self.high


def band_of(
    history: Sequence[float], *, min_half_width: float, sigmas: float = 3.0, min_days: int = 3
) -> Band | None:
    """The band a share is expected in: the mean of its recent days ± the larger of
    `sigmas` standard deviations and `min_half_width`, within 0–1. None with too little history
    (a new version or segment is not judged on one or two days)."""
    if len(history) < min_days:
        return None
    mean = sum(history) / len(history)
    sd = math.sqrt(sum((x - mean) ** 2 for x in history) / len(history))
    half = max(sigmas * sd, min_half_width)
    return Band(max(0.0, round(mean - half, 4)), min(1.0, round(mean + half, 4)))


def silent_sources(
    today: Mapping[str, int], history: Sequence[Mapping[str, int]], *, min_days: int
) -> list[str]:
    """Sources that sent events on at least `min_days` of the previous days and none today."""
    days_sending: dict[str, int] = {}
    for day in history:
        for source, count in day.items():
            if count:
                days_sending[source] = days_sending.get(source, 0) + 1
    return sorted(s for s, n in days_sending.items() if n >= min_days and not today.get(s))
