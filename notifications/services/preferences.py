"""A recipient's own settings and inbox: on/off per category and channel, read marks, and
messages a later act superseded."""

from collections.abc import Iterable, Mapping

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..models import Notification, Preference
from ..registry import Channel, registry
from ..selectors import categories_for_user, unread_count_forget


@transaction.atomic
def preferences_update(*, user, choices: Mapping[tuple[str, str], bool]) -> None:
    """Store a user's on/off per (category, channel). Only categories that concern the user
    and channels their events use may be set; anything else is refused and nothing changes.
    Legal notices ignore these choices for the inbox (they always arrive there)."""
    allowed = {
        (category.name, channel.value)
        for category in categories_for_user(user=user)
        for channel in registry.channels_for_category(category.name)
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
    changed = Notification.objects.filter(
        recipient=user, channel=Channel.INBOX, read_at__isnull=True
    ).update(read_at=timezone.now())
    unread_count_forget(user)
    return changed


def inbox_supersede(*, object_type, object_ids, events: Iterable[str], now=None) -> int:
    """Mark the inbox messages of these events about these objects superseded (a later act
    replaced them): they stay as the record, no longer unread and no longer shown as
    important. `object_ids` may be a subquery of string ids. Runs in the caller's
    transaction; marking twice keeps the first time. Returns how many changed."""
    now = now or timezone.now()
    return Notification.objects.filter(
        channel=Channel.INBOX,
        event__in=list(events),
        object_type=object_type,
        object_id__in=object_ids,
        superseded_at__isnull=True,
    ).update(superseded_at=now, read_at=Coalesce(F("read_at"), Value(now)))
