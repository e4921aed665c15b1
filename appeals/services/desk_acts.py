"""One act from the staff desk's case page, on the appeal as the person saw it.

The page carries a fingerprint of what a decision depends on (`state_token`); under the row
lock a changed fingerprint refuses the act (`StaleAppeal`) and nothing changes, so two
people working the same case cannot both act on what they saw.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import transaction

from ..models import Appeal
from ._transition import lock_appeal


class StaleAppeal(ValidationError):
    """Someone else changed the appeal since the page was shown."""

    def __init__(self):
        super().__init__("stale", code="stale")


def state_token(appeal: Appeal) -> str:
    """A short fingerprint of what a decision depends on: the state, who holds it, its due
    time and when it was last decided/answered. Any change by someone else changes it."""
    parts = [
        appeal.status,
        appeal.assignee_id,
        appeal.resolution_due and appeal.resolution_due.isoformat(),
        appeal.first_responded_at and appeal.first_responded_at.isoformat(),
        appeal.decided_at and appeal.decided_at.isoformat(),
        appeal.awaiting_since and appeal.awaiting_since.isoformat(),
        appeal.second_review_requested_at and appeal.second_review_requested_at.isoformat(),
    ]
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:24]


@transaction.atomic
def appeal_act_as_seen(
    *, appeal_id: int, actor, act: Callable[..., object], seen: str | None
) -> None:
    """Run `act(appeal=..., actor=...)` (one or more services) on the locked appeal, refusing
    with StaleAppeal when `seen` is given and no longer matches. Appeal.DoesNotExist if gone."""
    appeal = lock_appeal(appeal_id)
    if seen is not None and state_token(appeal) != seen:
        raise StaleAppeal
    act(appeal=appeal, actor=actor)
