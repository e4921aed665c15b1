"""Closure holds: other apps say which closing lines must not close yet, and why.

The appeals app registers a hold for lines with an open appeal:

    from credit import holds
    holds.register("open_appeal", lines_with_open_appeal)

A check takes a list of line ids and returns {line_id: detail} for the lines it holds. It is
called in bulk by the job that closes lines whose notice period has ended.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

HoldCheck = Callable[[Sequence[int]], Mapping[int, str]]

_registry: dict[str, HoldCheck] = {}


@dataclass(frozen=True, slots=True)
class Hold:
    name: str
    detail: str


def register(name: str, check: HoldCheck) -> None:
    """Add (or replace) the hold called `name`."""
    _registry[name] = check


def unregister(name: str) -> None:
    _registry.pop(name, None)


def registered() -> tuple[str, ...]:
    return tuple(_registry)


def holds_for(line_ids: Sequence[int]) -> dict[int, list[Hold]]:
    """Every hold on each of these lines; a line that is not held is absent."""
    held: dict[int, list[Hold]] = {}
    if not line_ids:
        return held
    for name, check in list(_registry.items()):
        for line_id, detail in check(line_ids).items():
            held.setdefault(line_id, []).append(Hold(name, str(detail)))
    return held
