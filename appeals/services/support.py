"""Support requests: a plain thread between a borrower and the desk (no appeal state machine).

Anyone signed in may open one, typically when a decision cannot be appealed or its window has
passed. The desk replies (the borrower is told) and closes it; a borrower's new message opens
a closed request again, so nothing they send is lost.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import notices
from ..models import SupportMessage, SupportRequest, SupportRequestStatus
from ._input import clean_text
from ._transition import require_staff

ST = SupportRequestStatus
ANSWER_PERMISSION = "answer_supportrequest"


def _lock(request: SupportRequest) -> SupportRequest:
    return SupportRequest.objects.select_for_update().select_related("borrower").get(pk=request.pk)


@transaction.atomic
def support_request_open(*, borrower, subject: str, body: str, decision=None) -> SupportRequest:
    """A new request with the borrower's first message. Rules: a borrower (not staff); a
    subject and a message; the decision, if given, is one of the borrower's own."""
    if borrower.is_staff:
        raise PermissionDenied(_("Support requests are sent by borrowers."))
    subject = clean_text(subject, field="subject", required=True, max_length=120)
    body = clean_text(body, field="body", required=True)
    if decision is not None and decision.line.borrower_id != borrower.pk:
        raise ValidationError({"decision": _("This decision is not yours.")})
    now = timezone.now()
    request = SupportRequest.objects.create(
        borrower=borrower, subject=subject, decision=decision, created_at=now, updated_at=now
    )
    SupportMessage.objects.create(request=request, author=borrower, body=body, created_at=now)
    return request


@transaction.atomic
def support_borrower_message(*, request: SupportRequest, actor, body: str) -> SupportMessage:
    """The borrower writes again; a closed or answered request is open again."""
    request = _lock(request)
    if actor.pk != request.borrower_id:
        raise PermissionDenied(_("Only the borrower who sent this request can write in it."))
    body = clean_text(body, field="body", required=True)
    now = timezone.now()
    message = SupportMessage.objects.create(
        request=request, author=actor, body=body, created_at=now
    )
    request.status, request.updated_at = ST.OPEN, now
    request.closed_at = request.closed_by = None
    request.save(update_fields=["status", "updated_at", "closed_at", "closed_by"])
    return message


@transaction.atomic
def support_staff_reply(
    *, request: SupportRequest, actor, body: str, close: bool = False
) -> SupportMessage:
    """The desk answers: the borrower sees it in the thread and is told (inbox, email, SMS by
    their settings). With `close`, the request is closed in the same step."""
    require_staff(actor, ANSWER_PERMISSION)
    request = _lock(request)
    body = clean_text(body, field="body", required=True)
    now = timezone.now()
    message = SupportMessage.objects.create(
        request=request, author=actor, from_staff=True, body=body, created_at=now
    )
    request.updated_at = now
    if close:
        request.status, request.closed_at, request.closed_by = ST.CLOSED, now, actor
    else:
        request.status = ST.ANSWERED
    request.save(update_fields=["status", "updated_at", "closed_at", "closed_by"])
    notices.support_replied(request, message)
    return message


@transaction.atomic
def support_request_close(*, request: SupportRequest, actor) -> SupportRequest:
    """The desk closes a request (it stays readable; a new borrower message reopens it)."""
    require_staff(actor, ANSWER_PERMISSION)
    request = _lock(request)
    if request.status == ST.CLOSED:
        raise ValidationError(_("This support request is already closed."))
    now = timezone.now()
    request.status, request.closed_at, request.closed_by = ST.CLOSED, now, actor
    request.save(update_fields=["status", "closed_at", "closed_by"])
    return request
