"""Every write of the notifications app.

The one entry point for other apps is `notify()`. Delivery is at most once per row: a row is
claimed by a compare-and-set UPDATE (pending -> sending) before anything leaves the building,
so duplicate tasks, retries and relays can never send it twice.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import uuid4

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from . import channels, engine
from .catalogue import Audience, Channel, channels_for_category, spec_for
from .models import AttemptOutcome, DeliveryAttempt, Notification, Preference, Status
from .rendering import NotificationContextError, render, validate_context
from .selectors import categories_for_user
from .sms import PermanentDeliveryError, TransientDeliveryError, UnknownOutcomeError

logger = logging.getLogger(__name__)

__all__ = [
    "NotificationContextError",
    "notify",
    "preferences_update",
    "notification_mark_read",
    "inbox_mark_all_read",
    "notification_deliver",
    "outbox_relay",
    "notification_resend",
    "notification_cancel",
]


def _quiet_hours() -> engine.QuietHours:
    return engine.QuietHours(
        start=engine.parse_clock(settings.NOTIFICATIONS_QUIET_HOURS_START),
        end=engine.parse_clock(settings.NOTIFICATIONS_QUIET_HOURS_END),
    )


def _object_key(obj, dedupe_key: str | None) -> tuple[ContentType | None, str, str]:
    if obj is not None:
        if getattr(obj, "pk", None) is None:
            raise ValueError("notify(obj=...) needs a saved model instance")
        object_type = ContentType.objects.get_for_model(obj, for_concrete_model=True)
        object_id = str(obj.pk)
        key = dedupe_key or f"{object_type.app_label}.{object_type.model}:{object_id}"
        return object_type, object_id, key
    if dedupe_key:
        return None, "", dedupe_key
    # No object and no key: every call is a new message (nothing to be a duplicate of).
    return None, "", f"once:{uuid4().hex}"


def _clean_link(link: str | None, default: str) -> str:
    link = link or default
    if not link.startswith("/") or link.startswith("//") or any(c.isspace() for c in link):
        raise NotificationContextError(f"link must be a path on this site, got {link!r}")
    return link


@transaction.atomic
def notify(
    *,
    recipient,
    event: str,
    context: dict,
    obj=None,
    dedupe_key: str | None = None,
    link: str | None = None,
) -> list[Notification]:
    """Tell `recipient` about `event`: one outbox row per channel the event's rules and the
    recipient's preferences call for, written in the caller's transaction.

    - The same (event, object or dedupe key, channel, recipient) never makes a second row:
      calling twice returns [] the second time.
    - Content is rendered now, in the recipient's language and time zone, and stored.
    - Inbox rows are delivered by being written. Email and SMS are queued when the caller's
      transaction commits; a rollback leaves nothing and queues nothing.
    - SMS waits for the end of quiet hours in the recipient's time zone; a legal notice still
      reaches the inbox (and email) at once.
    Returns the rows it created. Raises NotificationContextError for a bad context or link,
    ValueError for an unknown event or a staff event sent to a borrower (and vice versa).
    """
    spec = spec_for(event)
    if (spec.audience == Audience.STAFF) != bool(recipient.is_staff):
        raise ValueError(f"{spec.event.value} is for {spec.audience} recipients only")
    typed_context = validate_context(spec, context)
    link = _clean_link(link, spec.default_link)
    object_type, object_id, key = _object_key(obj, dedupe_key)
    if len(key) > 200:
        raise ValueError("dedupe_key is longer than 200 characters")

    preferences = {
        (p.category, p.channel): p.enabled
        for p in Preference.objects.filter(user=recipient, category=spec.category)
    }
    wanted = engine.channels_to_use(
        spec=spec,
        preferences=preferences,
        reachable=engine.Reachability(
            has_email=bool(recipient.email), has_phone=bool(getattr(recipient, "phone", None))
        ),
    )
    existing = set(
        Notification.objects.filter(
            recipient=recipient, event=spec.event.value, dedupe_key=key
        ).values_list("channel", flat=True)
    )
    now = timezone.now()
    created: list[Notification] = []
    for channel in wanted:
        if channel in existing:
            continue
        rendered = render(
            spec=spec,
            channel=channel,
            context=typed_context,
            language=recipient.preferred_language,
            time_zone=recipient.time_zone,
            recipient_name=recipient.full_name,
            site_url=settings.SITE_URL,
            link=link,
        )
        row = Notification(
            recipient=recipient,
            event=spec.event.value,
            category=spec.category.value,
            channel=channel.value,
            is_legal_notice=spec.legal,
            object_type=object_type,
            object_id=object_id,
            dedupe_key=key,
            context=context,
            language=recipient.preferred_language,
            subject=rendered.subject,
            body_text=rendered.text,
            body_html=rendered.html,
            link=link,
            created_at=now,
        )
        if channel == Channel.INBOX:
            row.status, row.sent_at, row.send_after = Status.SENT, now, now
        elif channel == Channel.EMAIL:
            row.address, row.send_after, row.last_queued_at = recipient.email, now, now
        else:
            row.address = str(recipient.phone)
            row.send_after = engine.next_allowed_sms_time(
                now=now, time_zone=recipient.time_zone, quiet=_quiet_hours()
            )
            # Held for the morning: the relay queues it when its time comes.
            row.last_queued_at = now if row.send_after <= now else None
        try:
            with transaction.atomic():  # savepoint: a concurrent twin wins, we skip
                row.save()
        except IntegrityError:
            continue
        created.append(row)

    due = [r.pk for r in created if r.channel != Channel.INBOX and r.send_after <= now]
    if due:
        transaction.on_commit(lambda: _publish(due))
    return created


def _publish(notification_ids: list[int]) -> None:
    """Queue delivery tasks. A broker outage is logged, not raised: the rows are in the
    database and the relay queues them again later."""
    from .tasks import deliver

    for notification_id in notification_ids:
        try:
            deliver.apply_async(args=[notification_id])
        except Exception:
            logger.warning(
                "Could not queue notification %s; the relay will retry",
                notification_id,
                exc_info=True,
            )


@transaction.atomic
def preferences_update(*, user, choices: Mapping[tuple[str, str], bool]) -> None:
    """Store a user's on/off per (category, channel). Only categories that concern the user
    and channels their events use may be set; anything else is refused and nothing changes.
    Legal notices ignore these choices for the inbox (they always arrive there)."""
    allowed = {
        (category.value, channel.value)
        for category in categories_for_user(user=user)
        for channel in channels_for_category(category)
    }
    unknown = sorted(f"{c}/{ch}" for c, ch in choices if (c, ch) not in allowed)
    if unknown:
        raise ValueError(f"Not a preference you can set: {', '.join(unknown)}")
    for (category, channel), enabled in choices.items():
        Preference.objects.update_or_create(
            user=user, category=category, channel=channel, defaults={"enabled": bool(enabled)}
        )


@transaction.atomic
def notification_mark_read(*, notification: Notification) -> Notification:
    """Mark one inbox message read (once; reading it again keeps the first time)."""
    if notification.channel != Channel.INBOX:
        raise ValueError("Only inbox messages can be read")
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
    return notification


@transaction.atomic
def inbox_mark_all_read(*, user) -> int:
    """Mark every unread inbox message of the user read; returns how many changed."""
    return Notification.objects.filter(
        recipient=user, channel=Channel.INBOX, read_at__isnull=True
    ).update(read_at=timezone.now())


# --- delivery -----------------------------------------------------------------------------


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
            message_id = channels.send_sms(to=row.address, text=row.body_text, reference=reference)
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
            transaction.on_commit(lambda: _publish(due))
    return RelayResult(queued=len(due), abandoned=abandoned)


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
            now=now, time_zone=row.recipient.time_zone, quiet=_quiet_hours()
        )
    row.status = Status.PENDING
    row.attempts = 0
    row.send_after = send_after
    row.last_queued_at = now if send_after <= now else None
    row.save(update_fields=["status", "attempts", "send_after", "last_queued_at"])
    logger.info("Notification %s resent by %s", row.pk, getattr(actor, "pk", None))
    if send_after <= now:
        transaction.on_commit(lambda: _publish([row.pk]))
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
