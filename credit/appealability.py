"""Which decisions a borrower can appeal, and until when. The one rule for every caller.

"My credit" shows the appeal button with it; the appeal service refuses an appeal with it; the
decision notices print its deadline.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings

from .models import ADVERSE_OUTCOMES, CreditDecision, DecisionTrigger


def appeal_deadline(decided_at: datetime) -> datetime:
    """The end of the window to appeal a decision taken (and told) at `decided_at`:
    APPEAL_WINDOW_DAYS later. The service enforces it and the notices print it."""
    return decided_at + timedelta(days=settings.APPEAL_WINDOW_DAYS)


def appeal_until(
    decision: CreditDecision, *, now: datetime, appealable_reasons: Iterable[bool] | None = None
) -> datetime | None:
    """The last moment `decision` can be appealed, or None when it cannot be (any more).

    An adverse decision can be appealed for APPEAL_WINDOW_DAYS after its notice (sent the
    day it is taken), unless every one of its reasons is marked not appealable. Decisions
    taken on an appeal (e.g. a closure postponed after a denial) are contested through the
    appeal's second review, not a new appeal.

    `appealable_reasons` is the `appealable` flag of each reason; by default read from
    `decision.reasons` (prefetch `reasons__reason_code` when calling this in a loop).
    """
    if decision.outcome not in ADVERSE_OUTCOMES or decision.trigger == DecisionTrigger.APPEAL:
        return None
    if appealable_reasons is None:
        appealable_reasons = [r.reason_code.appealable for r in decision.reasons.all()]
    flags = list(appealable_reasons)
    if flags and not any(flags):
        return None
    until = appeal_deadline(decision.created_at)
    return until if until > now else None
