"""The appeal's thread: staff replies and internal notes, requests for information, and the
borrower's answers (which resume a paused review).

Internal notes are staff only: they are never shown to the borrower nor put in a notice.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import notices
from ..models import Appeal, AppealStatus, Message, MessageKind
from ..states import BEING_WORKED_STATES, BORROWER_MESSAGE_STATES
from ._input import clean_text
from ._transition import appeal_transition, lock_appeal, require_borrower, require_staff
from .clocks import resumed_due_dates

S = AppealStatus


@transaction.atomic
def appeal_request_info(*, appeal: Appeal, actor, request: str) -> Appeal:
    """in_review → awaiting_borrower: ask the borrower for something, by when.

    Rules: staff with `request_info`; the request is a public message the borrower sees and
    is told about. The clocks pause until the borrower replies.
    """
    with appeal_transition(
        appeal,
        "request_info",
        _("sent a request for information"),
        actor=actor,
        permission="request_info",
    ) as step:
        request = clean_text(request, field="request", required=True)
        now = step.now
        step.apply(at=now, reply_due=now + timedelta(days=settings.APPEAL_INFO_RESPONSE_DAYS))
        message = Message.objects.create(
            appeal=step.appeal,
            author=actor,
            kind=MessageKind.STAFF_PUBLIC,
            body=request,
            created_at=now,
        )
        step.comment = request
        step.then(lambda: notices.appeal_info_requested(step.appeal, message))
    return step.appeal


@transaction.atomic
def appeal_staff_message(*, appeal: Appeal, actor, body: str, internal: bool) -> Message:
    """A staff reply (the borrower sees it and is told; it is the first response if none was
    given yet) or an internal note (staff only; never shown to the borrower nor notified)."""
    require_staff(actor, "work_appeal")
    body = clean_text(body, field="body", required=True)
    appeal = lock_appeal(appeal)
    if appeal.status in (S.DRAFT, S.WITHDRAWN, S.DISCARDED) and not internal:
        raise ValidationError(_("This appeal cannot receive replies."), code="state")
    now = timezone.now()
    message = Message.objects.create(
        appeal=appeal,
        author=actor,
        kind=MessageKind.INTERNAL if internal else MessageKind.STAFF_PUBLIC,
        body=body,
        created_at=now,
    )
    if not internal:
        if appeal.first_responded_at is None:
            appeal.first_responded_at = now
        appeal.borrower_replied_at = None  # answered: no longer "borrower replied"
        appeal.save(update_fields=["first_responded_at", "borrower_replied_at"])
        notices.appeal_message_received(appeal, message)
    return message


def mark_borrower_replied(appeal: Appeal, *, at, what: str, key: str) -> None:
    """The borrower wrote or added a document on an appeal being worked: the desk shows
    "borrower replied" (and moves it up) until staff answer, and the assignee is told."""
    if appeal.status not in BEING_WORKED_STATES:
        return
    Appeal.objects.filter(pk=appeal.pk).update(borrower_replied_at=at)
    appeal.borrower_replied_at = at
    notices.staff_borrower_replied(appeal, what=what, key=key)


@transaction.atomic
def appeal_borrower_message(*, appeal: Appeal, actor, body: str) -> Message:
    """The borrower's reply. Answering a request for information resumes the review
    (awaiting_borrower → in_review) and restarts the clocks, the business time spent
    waiting added to each due time."""
    appeal = lock_appeal(appeal)
    require_borrower(appeal, actor)
    body = clean_text(body, field="body", required=True)
    if appeal.status not in BORROWER_MESSAGE_STATES:
        raise ValidationError(_("This appeal cannot receive messages now."), code="state")
    now = timezone.now()
    message = Message.objects.create(
        appeal=appeal, author=actor, kind=MessageKind.BORROWER, body=body, created_at=now
    )
    if appeal.status == S.AWAITING_BORROWER:
        appeal_resume_review(appeal, actor=actor, now=now, comment="the borrower replied")
    mark_borrower_replied(appeal, at=now, what="message", key=f"m{message.pk}")
    return message


def appeal_resume_review(appeal: Appeal, *, actor, now, comment: str, then=None) -> Appeal:
    """awaiting_borrower → in_review on the locked appeal; the clocks restart, the business
    time spent waiting added to each due time. `then` tells someone after the log row."""
    with appeal_transition(
        appeal, "resume_review", _("taken into review"), actor=actor, locked=True, now=now
    ) as step:
        due = resumed_due_dates(appeal, resumed_at=now)
        appeal.first_response_due = due.first_response_due
        step.apply(resolution_due=due.resolution_due)
        step.comment = comment
        if then is not None:
            step.then(then)
    return step.appeal
