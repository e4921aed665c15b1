"""Closure holds: other apps say which closing lines must not close yet, and why.

The appeals app registers a hold for lines with an open appeal:

    from credit import holds
    holds.register("open_appeal", lines_with_open_appeal, label=_("appeal in review"))

The label (a lazily translated phrase) is what the borrower's status says holds the closure
("closure on hold · appeal in review"). A check takes a list of line ids and returns
{line_id: detail} for the lines it holds. It is called in bulk by the job that closes lines
whose notice period has ended.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

HoldCheck = Callable[[Sequence[int]], Mapping[int, str]]

_registry: dict[str, HoldCheck] = {}
_labels: dict[str, Any] = {}


@dataclass(frozen=True, slots=True)
class Hold:
    name: str
    detail: str
    label: Any = ""  # a lazily translated phrase for the borrower, rendered in their language


def register(name: str, check: HoldCheck, *, label: Any = "") -> None:
    """Add (or replace) the hold called `name`."""
    _registry[name] = check
    _labels[name] = label


def unregister(name: str) -> None:
    _registry.pop(name, None)
    _labels.pop(name, None)


def registered() -> tuple[str, ...]:
    return tuple(_registry)


def holds_for(line_ids: Sequence[int]) -> dict[int, list[Hold]]:
    """Every hold on each of these lines; a line that is not held is absent."""
    held: dict[int, list[Hold]] = {}
    if not line_ids:
        return held
    for name, check in list(_registry.items()):
        for line_id, detail in check(line_ids).items():
            held.setdefault(line_id, []).append(Hold(name, str(detail), _labels.get(name, "")))
    return held
