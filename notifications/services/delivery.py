"""Delivery of email and SMS rows, at most once each, and the relay that re-queues rows whose
task never ran.

A row is claimed by a compare-and-set UPDATE (pending -> sending) before anything leaves the
building, so duplicate tasks, retries and relays can never send it twice.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .. import channels, engine
from ..models import AttemptOutcome, DeliveryAttempt, Notification, Status
from ..registry import Channel
from ..sms import PermanentDeliveryError, TransientDeliveryError, UnknownOutcomeError
from .outbox import publish

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryResult:
    outcome: str  # "sent", "retry", "failed", "skipped"
    retry_in: float | None = None


def notification_deliver(*, notification_id: int, now: datetime | None = None) -> DeliveryResult:
    """Send one email/SMS row, at most once.

    1. Claim: UPDATE ... SET status='sending' WHERE status='pending' AND due. Only one
       process can win this compare-and-set, whatever the duplicates or retries.
    2. Send outside any transaction (never hold a lock during a network call).
    3. Record: sent; or back to pending with exponential backoff + jitter on a transient
       error; or failed with the error kept after the last try or on a permanent error.
    """
    now = now or timezone.now()
    with transaction.atomic():
        claimed = Notification.objects.filter(
            pk=notification_id,
            status=Status.PENDING,
            send_after__lte=now,
            channel__in=[Channel.EMAIL, Channel.SMS],
        ).update(status=Status.SENDING, sending_since=now, attempts=F("attempts") + 1)
        if not claimed:
            return DeliveryResult("skipped")
        row = Notification.objects.get(pk=notification_id)
        attempt = DeliveryAttempt.objects.create(
            notification=row, number=row.attempts, started_at=now
        )

    retry_after = None
    try:
        reference = f"notification-{row.pk}"
        if row.channel == Channel.EMAIL:
            message_id = channels.send_email(
                to=row.address,
                subject=row.subject,
                text=row.body_text,
                html=row.body_html,
                reference=reference,
            )
        else:
            message_id = channels.send_sms(
                to=row.address,
                text=row.body_text,
                reference=reference,
                event=row.event,
                context=row.context,
            )
    except PermanentDeliveryError as exc:
        return _finish(row, attempt, AttemptOutcome.PERMANENT_ERROR, error=str(exc))
    except UnknownOutcomeError as exc:  # at most once: never retried automatically
        return _finish(row, attempt, AttemptOutcome.UNKNOWN, error=str(exc))
    except TransientDeliveryError as exc:
        retry_after = exc.retry_after
        error = str(exc)
    except Exception as exc:  # an unknown failure is treated as transient, and kept
        logger.exception("Unexpected error delivering notification %s", row.pk)
        error = f"{type(exc).__name__}: {exc}"
    else:
        return _finish(row, attempt, AttemptOutcome.SENT, message_id=message_id)
    return _finish(
        row, attempt, AttemptOutcome.TRANSIENT_ERROR, error=error, retry_after=retry_after
    )


@transaction.atomic
def _finish(
    row: Notification,
    attempt: DeliveryAttempt,
    outcome: str,
    *,
    error: str = "",
    message_id: str = "",
    retry_after: float | None = None,
) -> DeliveryResult:
    now = timezone.now()
    DeliveryAttempt.objects.filter(pk=attempt.pk).update(
        finished_at=now, outcome=outcome, error=error[:2000]
    )
    mine = Notification.objects.filter(pk=row.pk, status=Status.SENDING)
    if outcome == AttemptOutcome.SENT:
        mine.update(
            status=Status.SENT,
            sent_at=now,
            sending_since=None,
            provider_message_id=message_id[:128],
            last_error="",
        )
        return DeliveryResult("sent")
    if (
        outcome == AttemptOutcome.TRANSIENT_ERROR
        and row.attempts < settings.NOTIFICATIONS_MAX_ATTEMPTS
    ):
        delay = engine.retry_delay(
            attempt=row.attempts,
            base_seconds=settings.NOTIFICATIONS_RETRY_BASE_SECONDS,
            max_seconds=settings.NOTIFICATIONS_RETRY_MAX_SECONDS,
        )
        delay = max(delay, retry_after or 0)
        mine.update(
            status=Status.PENDING,
            send_after=now + timedelta(seconds=delay),
            last_queued_at=now,  # the task retries itself; the relay is the safety net
            sending_since=None,
            last_error=error[:4000],
        )
        return DeliveryResult("retry", retry_in=delay)
    mine.update(status=Status.FAILED, sending_since=None, last_error=error[:4000])
    logger.warning("Notification %s failed: %s", row.pk, error)
    return DeliveryResult("failed")


@dataclass(frozen=True)
class RelayResult:
    queued: int
    abandoned: int


def outbox_relay(*, now: datetime | None = None) -> RelayResult:
    """Queue again every pending email/SMS row that is due and whose task never ran: the
    broker was down at commit, a worker died, or it waited for quiet hours to end.

    Safe with several relays at once: on PostgreSQL rows are taken with SKIP LOCKED, and a
    duplicate task is harmless anyway (delivery claims each row once). Rows stuck in
    `sending` (the worker died mid-send) are marked failed — they may have gone out, so they
    are never resent without a person deciding to.
    """
    now = now or timezone.now()
    stuck_before = now - timedelta(seconds=settings.NOTIFICATIONS_SENDING_TIMEOUT_SECONDS)
    abandoned = 0
    with transaction.atomic():
        stuck = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(status=Status.SENDING, sending_since__lt=stuck_before)
            .values_list("pk", flat=True)[: settings.NOTIFICATIONS_RELAY_BATCH]
        )
        if stuck:
            message = "The worker stopped while sending; it may or may not have gone out."
            abandoned = Notification.objects.filter(pk__in=stuck, status=Status.SENDING).update(
                status=Status.FAILED, sending_since=None, last_error=message
            )
            DeliveryAttempt.objects.filter(notification_id__in=stuck, outcome="").update(
                outcome=AttemptOutcome.UNKNOWN, finished_at=now, error=message
            )

    lost_before = now - timedelta(seconds=settings.NOTIFICATIONS_RELAY_AFTER_SECONDS)
    with transaction.atomic():
        due = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(status=Status.PENDING, send_after__lte=now)
            .filter(Q(last_queued_at__isnull=True) | Q(last_queued_at__lt=lost_before))
            .order_by("send_after")
            .values_list("pk", flat=True)[: settings.NOTIFICATIONS_RELAY_BATCH]
        )
        if due:
            Notification.objects.filter(pk__in=due).update(last_queued_at=now)
            transaction.on_commit(lambda: publish(due))
    return RelayResult(queued=len(due), abandoned=abandoned)
