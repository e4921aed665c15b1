"""How line ids fan out to the workers: one chunk size (a setting) and one way to cut a list."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.conf import settings

DEFAULT_CHUNK_SIZE = 1000


def chunk_size() -> int:
    """Line ids per task: CREDIT_REEVALUATION_CHUNK_SIZE, 1000 by default."""
    return int(getattr(settings, "CREDIT_REEVALUATION_CHUNK_SIZE", DEFAULT_CHUNK_SIZE))


def chunked(ids: Iterable[int], *, size: int | None = None) -> Iterator[list[int]]:
    """The ids in order, cut into lists of at most `size` (the setting by default)."""
    size = size or chunk_size()
    ids = list(ids)
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
