"""The circuit breaker's rule (pure): is a batch's adverse share out of its band?"""

from __future__ import annotations

from dataclasses import dataclass

TOO_MANY_LINES = "absolute"
ABOVE_TRAILING_RATE = "multiple"


@dataclass(frozen=True, slots=True)
class BreakerBand:
    multiple: float  # of the trailing rate
    absolute_share: float  # of the lines evaluated
    min_lines: int  # a batch changing fewer lines is never held


def held_because(
    band: BreakerBand, *, adverse: int, evaluated: int, trailing_rate: float | None
) -> str | None:
    """Why a batch that would make `adverse` adverse decisions over `evaluated` lines must be
    held, or None. `trailing_rate`: adverse decisions per line over the last 30 days (None
    without history)."""
    if adverse < band.min_lines or not evaluated:
        return None
    share = adverse / evaluated
    if share > band.absolute_share:
        return TOO_MANY_LINES
    if trailing_rate and share > band.multiple * trailing_rate:
        return ABOVE_TRAILING_RATE
    return None
