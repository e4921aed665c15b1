"""Pure delivery rules (no ORM): which answers are retried, how long to wait, when to give up.

Follows the Standard Webhooks specification's advice: exponential backoff with jitter,
`Retry-After` honoured, a 4xx other than 408 (timeout) and 429 (throttled) is the receiver
saying "never", retries stop after three days, an endpoint failing for a day is disabled,
and so is one that answers 410 Gone (the receiver saying the endpoint no longer exists).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

RETRY_FOR = timedelta(days=3)
DISABLE_AFTER = timedelta(days=1)
FIRST_BACKOFF_SECONDS = 5.0
MAX_BACKOFF_SECONDS = 30 * 60.0
RETRYABLE_4XX = frozenset({408, 429})
GONE = 410


@dataclass(frozen=True)
class Verdict:
    delivered: bool = False
    retry: bool = False
    give_up: bool = False
    # 410 Gone: not this message but the endpoint is refused; it is disabled at once.
    gone: bool = False


def verdict(status_code: int | None) -> Verdict:
    """What an answer means. `None`: no answer (refused, timed out, reset)."""
    if status_code is not None and 200 <= status_code < 300:
        return Verdict(delivered=True)
    if status_code == GONE:
        return Verdict(gone=True)
    if status_code is not None and 400 <= status_code < 500 and status_code not in RETRYABLE_4XX:
        return Verdict(give_up=True)
    return Verdict(retry=True)


def backoff_seconds(attempts: int, *, rng: random.Random | None = None) -> float:
    """Wait before try number `attempts + 1`: 5 s doubling per try, capped at 30 min, with
    jitter in [half, full] so receivers coming back are not hit by every sender at once."""
    ceiling = min(MAX_BACKOFF_SECONDS, FIRST_BACKOFF_SECONDS * 2 ** max(0, attempts - 1))
    return (rng or random).uniform(ceiling / 2, ceiling)


def retry_after_seconds(value: str | None, *, now: datetime) -> float | None:
    """`Retry-After` as seconds (a number or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, (when - now).total_seconds())


def next_attempt_at(
    *, now: datetime, attempts: int, retry_after: float | None, first_attempt_at: datetime
) -> datetime | None:
    """When to try again, or None when the three days are over."""
    wait = backoff_seconds(attempts)
    if retry_after is not None:
        wait = max(wait, retry_after)
    at = now + timedelta(seconds=wait)
    if at - first_attempt_at > RETRY_FOR:
        return None
    return at


def should_disable(*, failing_since: datetime | None, now: datetime) -> bool:
    return failing_since is not None and now - failing_since >= DISABLE_AFTER
