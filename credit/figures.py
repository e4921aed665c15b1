"""Monitoring figures other apps register: credit counts what it decides; what happens to a
decision afterwards in another app (an appeal opened, an appeal that overturned it) is told
by that app, without credit knowing it.

The appeals app registers its source at start-up (in its AppConfig.ready):

    from credit import figures
    figures.register("appeals", appeal_figures)

A source is called by the daily monitoring job with the start and end of a day and returns
(decision id, figure) pairs, one per appeal, where figure is `OPENED` or `OVERTURNED`. Credit
then counts them under the version that made each decision.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

OPENED = "appeals_opened"
OVERTURNED = "appeals_overturned"
FIGURES = (OPENED, OVERTURNED)

FigureSource = Callable[[datetime, datetime], Iterable[tuple[int, str]]]

_registry: dict[str, FigureSource] = {}


def register(name: str, source: FigureSource) -> None:
    """Add (or replace) the figure source called `name`."""
    _registry[name] = source


def unregister(name: str) -> None:
    _registry.pop(name, None)


def figures_between(start: datetime, end: datetime) -> list[tuple[int, str]]:
    """Every registered source's (decision id, figure) pairs for [start, end)."""
    pairs: list[tuple[int, str]] = []
    for source in list(_registry.values()):
        pairs.extend((int(d), f) for d, f in source(start, end) if f in FIGURES)
    return pairs
