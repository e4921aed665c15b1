"""Waiting for the borrower has a deadline: a reminder before it, and at it the review goes
on with what we have (the appeal is then decided on it), so an appeal never waits, and holds
a closure, forever."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import notices
from ..models import Appeal, AppealStatus
from ._transition import appeal_transition, lock_appeal
from .clocks import resumed_due_dates


def appeals_remind_and_expire_replies(*, now: datetime | None = None) -> tuple[int, int]:
    """Remind borrowers whose reply is due within APPEAL_REPLY_REMINDER_DAYS (once per
    request: the notice is deduplicated), and take back into review every appeal whose reply
    deadline has passed. Safe to run twice. Returns (reminded, resumed)."""
    now = now or timezone.now()
    waiting = Appeal.objects.filter(status=AppealStatus.AWAITING_BORROWER)
    expired = list(waiting.filter(borrower_reply_due__lte=now).values_list("pk", flat=True))
    for pk in expired:
        appeal_reply_deadline_passed(appeal_id=pk, now=now)
    soon = now + timedelta(days=settings.APPEAL_REPLY_REMINDER_DAYS)
    reminded = 0
    for appeal in waiting.filter(borrower_reply_due__gt=now, borrower_reply_due__lte=soon):
        with transaction.atomic():
            notices.appeal_reply_deadline(appeal, stage="reminder")
        reminded += 1
    return reminded, len(expired)


@transaction.atomic
def appeal_reply_deadline_passed(*, appeal_id: int, now: datetime) -> Appeal:
    """awaiting_borrower → in_review when the reply deadline passed without a reply: the
    review goes on with what we have, the clocks restart, and the borrower is told."""
    appeal = lock_appeal(appeal_id)
    if appeal.status != AppealStatus.AWAITING_BORROWER or appeal.borrower_reply_due > now:
        return appeal  # the borrower replied meanwhile, or a second run
    reply_due = appeal.borrower_reply_due
    with appeal_transition(
        appeal, "resume_review", _("taken into review"), actor=None, locked=True, now=now
    ) as step:
        due = resumed_due_dates(appeal, resumed_at=now)
        appeal.first_response_due = due.first_response_due
        step.apply(resolution_due=due.resolution_due)
        step.comment = "no reply by the deadline: the review goes on with what we have"
        step.then(
            lambda: notices.appeal_reply_deadline(appeal, stage="expired", reply_due=reply_due)
        )
    return step.appeal
