"""notify(): the outbox rows one event makes, written in the caller's transaction, and the
queueing of their delivery on commit."""

import logging
from uuid import uuid4

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import engine
from ..models import Notification, Preference, Status
from ..registry import Audience, Channel, registry
from ..rendering import NotificationContextError, render, validate_context

logger = logging.getLogger(__name__)


def quiet_hours() -> engine.QuietHours:
    return engine.QuietHours(
        start=engine.parse_clock(settings.NOTIFICATIONS_QUIET_HOURS_START),
        end=engine.parse_clock(settings.NOTIFICATIONS_QUIET_HOURS_END),
    )


def _object_key(obj, dedupe_key: str, rule_key: str) -> tuple[ContentType | None, str, str]:
    if obj is not None:
        if getattr(obj, "pk", None) is None:
            raise ValueError("notify(obj=...) needs a saved model instance")
        object_type = ContentType.objects.get_for_model(obj, for_concrete_model=True)
        object_id = str(obj.pk)
        key = dedupe_key or f"{object_type.app_label}.{object_type.model}:{object_id}"
        return object_type, object_id, key
    if dedupe_key or rule_key:
        return None, "", dedupe_key or rule_key
    # No object, no key, no rule: every call is a new message (nothing to be a duplicate of).
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

    - The same (event, key, channel, recipient) never makes a second row: calling twice
      returns [] the second time. The key is `dedupe_key`, else `obj`'s content type and pk,
      else the event's declared dedupe rule filled from the context.
    - Content is rendered now, in the recipient's language and time zone, and stored.
    - Inbox rows are delivered by being written. Email and SMS are queued when the caller's
      transaction commits; a rollback leaves nothing and queues nothing.
    - SMS waits for the end of quiet hours in the recipient's time zone; a legal notice still
      reaches the inbox (and email) at once.
    Returns the rows it created. Raises NotificationContextError for a bad context or link,
    RegistryError (a ValueError) for an event no app registered, ValueError for a staff event
    sent to a borrower (and vice versa). Nothing is written when it raises.
    """
    spec = registry.event(event)
    category = registry.category(spec.category)
    if (spec.audience == Audience.STAFF) != bool(recipient.is_staff):
        raise ValueError(f"{spec.name} is for {spec.audience} recipients only")
    typed_context = validate_context(spec, context)
    link = _clean_link(link, spec.default_link)
    object_type, object_id, key = _object_key(obj, dedupe_key or "", spec.dedupe_key_from(context))
    if len(key) > 200:
        raise ValueError("dedupe_key is longer than 200 characters")

    preferences = {
        (p.category, p.channel): p.enabled
        for p in Preference.objects.filter(user=recipient, category=spec.category)
    }
    wanted = engine.channels_to_use(
        spec=spec,
        category=category,
        preferences=preferences,
        reachable=engine.Reachability(
            has_email=bool(recipient.email), has_phone=bool(getattr(recipient, "phone", None))
        ),
    )
    existing = set(
        Notification.objects.filter(
            recipient=recipient, event=spec.name, dedupe_key=key
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
            event=spec.name,
            category=spec.category,
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
                now=now, time_zone=recipient.time_zone, quiet=quiet_hours()
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
        transaction.on_commit(lambda: publish(due))
    return created


def publish(notification_ids: list[int]) -> None:
    """Queue delivery: one batch task per NOTIFICATIONS_DELIVERY_BATCH rows (a task claims
    whichever rows are due, these among them). A broker outage is logged, not raised: the
    rows are in the database and the relay queues them again later."""
    from ..tasks import deliver_due  # tasks imports the services package: a real cycle

    if not notification_ids:
        return
    batches = -(-len(notification_ids) // settings.NOTIFICATIONS_DELIVERY_BATCH)
    for _ in range(batches):
        try:
            deliver_due.apply_async()
        except Exception:
            logger.warning(
                "Could not queue delivery of %s notification(s); the relay will retry",
                len(notification_ids),
                exc_info=True,
            )
            return
