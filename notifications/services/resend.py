"""Staff acts on one outbox row: resend a failed one, cancel a pending one."""

import logging

from django.db import transaction
from django.utils import timezone

from .. import engine
from ..models import Notification, Status
from ..registry import Channel
from .outbox import publish, quiet_hours

logger = logging.getLogger(__name__)


@transaction.atomic
def notification_resend(*, notification: Notification, actor) -> Notification:
    """Staff: give a failed email/SMS a new round of attempts. A sent row is never resent
    (that would tell the borrower twice); pending and cancelled rows are refused too."""
    row = Notification.objects.select_for_update().get(pk=notification.pk)
    if row.status != Status.FAILED:
        raise ValueError(f"Only failed notifications can be resent; this one is {row.status}.")
    now = timezone.now()
    send_after = now
    if row.channel == Channel.SMS:
        send_after = engine.next_allowed_sms_time(
            now=now, time_zone=row.recipient.time_zone, quiet=quiet_hours()
        )
    row.status = Status.PENDING
    row.attempts = 0
    row.send_after = send_after
    row.last_queued_at = now if send_after <= now else None
    row.save(update_fields=["status", "attempts", "send_after", "last_queued_at"])
    logger.info("Notification %s resent by %s", row.pk, getattr(actor, "pk", None))
    if send_after <= now:
        transaction.on_commit(lambda: publish([row.pk]))
    return row


@transaction.atomic
def notification_cancel(*, notification: Notification, actor) -> Notification:
    """Staff: stop a pending email/SMS from going out. Sent or sending rows can't be."""
    updated = Notification.objects.filter(pk=notification.pk, status=Status.PENDING).update(
        status=Status.CANCELLED, last_error=f"Cancelled by staff user {getattr(actor, 'pk', '?')}."
    )
    if not updated:
        raise ValueError("Only pending notifications can be cancelled.")
    notification.refresh_from_db()
    return notification
