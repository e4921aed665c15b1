"""The cache as rendered pages use it: a help, never a need.

My credit and the appeal page keep rendered parts in the cache (Redis in production). When it
cannot be reached, a read is a miss and a write is skipped, each with a warning in the log, so
the page renders afresh instead of failing (production gives the cache a second to answer).
An erasure drops a person's entries once it commits, and is never failed by the cache.
"""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)


def page_cache_get(key: str, *, what: str):
    """The value kept under `key`, or None when there is none or the cache is down."""
    try:
        return cache.get(key)
    except Exception:
        logger.warning("%s rendered without the cache: it is unavailable", what)
        return None


def page_cache_set(key: str, value, timeout: int, *, what: str) -> None:
    """Keep `value` under `key`; nothing when the cache is down."""
    try:
        cache.set(key, value, timeout)
    except Exception:
        logger.warning("%s not cached: the cache is unavailable", what)


def page_cache_forget(keys: list[str]) -> None:
    """Drop these entries once the caller's transaction commits (an erasure: the pages quote
    what it removed). Robust: the cache being down must not fail what has committed; an entry
    left behind is keyed by the erased person's ids, which nobody can sign in as again, and
    expires with its timeout."""
    if keys:
        transaction.on_commit(lambda: cache.delete_many(keys), robust=True)
