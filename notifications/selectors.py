"""Reads for the inbox, the preferences page, the API and the admin."""

from django.db.models import QuerySet

from .catalogue import (
    BORROWER_CATEGORIES,
    CATALOGUE,
    STAFF_CATEGORIES,
    Category,
    Channel,
    channels_for_category,
    default_enabled,
)
from .models import Notification, Preference


def inbox_for_user(*, user) -> QuerySet[Notification]:
    """The recipient's own inbox messages, newest first."""
    return Notification.objects.filter(recipient=user, channel=Channel.INBOX).order_by(
        "-created_at", "-id"
    )


def inbox_get_for_user(*, user, notification_id: int) -> Notification:
    """One of the user's own inbox messages; another person's id raises DoesNotExist."""
    return inbox_for_user(user=user).get(pk=notification_id)


def unread_count(*, user) -> int:
    """One COUNT on the partial index of unread inbox rows."""
    return Notification.objects.filter(
        recipient=user, channel=Channel.INBOX, read_at__isnull=True
    ).count()


def categories_for_user(*, user) -> tuple[Category, ...]:
    return STAFF_CATEGORIES if user.is_staff else BORROWER_CATEGORIES


def preference_choices(*, user) -> dict[tuple[str, str], bool]:
    """(category, channel) -> on/off for every pair the user can choose, defaults filled in."""
    stored = {(p.category, p.channel): p.enabled for p in Preference.objects.filter(user=user)}
    choices = {}
    for category in categories_for_user(user=user):
        for channel in channels_for_category(category):
            key = (category.value, channel.value)
            choices[key] = stored.get(key, default_enabled(category, channel))
    return choices


def legal_categories() -> set[str]:
    """Categories holding at least one legal notice (the page says they always arrive)."""
    return {spec.category.value for spec in CATALOGUE.values() if spec.legal}


def outbox_for_admin() -> QuerySet[Notification]:
    return Notification.objects.select_related("recipient", "object_type")
