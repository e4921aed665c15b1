"""Restorations: other apps learn, in the same transaction, that a line was restored.

The appeals app registers a listener that closes an appeal the restoration made moot:

    from credit import restorations
    restorations.register("moot_appeal", resolve_moot_appeals)

A listener takes {line_id: restoring decision} for the lines a decision just restored (not
one taken on an appeal: that is the appeal's own outcome) and returns the ids of the lines
whose borrower it tells about the restoration itself; credit then sends no notice of its own
for those, so the borrower is told once.
"""

from collections.abc import Callable, Iterable, Mapping
from typing import Any

Listener = Callable[[Mapping[int, Any]], Iterable[int]]

_registry: dict[str, Listener] = {}


def register(name: str, listener: Listener) -> None:
    """Add (or replace) the listener called `name`."""
    _registry[name] = listener


def unregister(name: str) -> None:
    _registry.pop(name, None)


def registered() -> tuple[str, ...]:
    return tuple(_registry)


def lines_restored(restored: Mapping[int, Any]) -> set[int]:
    """Tell every listener; the line ids whose borrower a listener tells instead of credit."""
    told: set[int] = set()
    if not restored:
        return told
    for listener in list(_registry.values()):
        told.update(listener(restored))
    return told
