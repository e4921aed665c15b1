"""Waiting for the borrower has a deadline: a reminder before it, and at it the review goes
on with what we have (the appeal is then decided on it), so an appeal never waits, and holds
a closure, forever."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .. import notices
from ..models import Appeal, AppealStatus
from ._transition import lock_appeal
from .thread import appeal_resume_review


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
    return appeal_resume_review(
        appeal,
        actor=None,
        now=now,
        comment="no reply by the deadline: the review goes on with what we have",
        then=lambda: notices.appeal_reply_deadline(appeal, stage="expired", reply_due=reply_due),
    )
