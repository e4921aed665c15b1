"""Reads for the inbox, the preferences page, the API and the admin."""

import contextlib

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from .models import Notification, Preference
from .registry import Audience, CategorySpec, Channel, registry


def inbox_for_user(*, user) -> QuerySet[Notification]:
    """The recipient's own inbox messages, newest first."""
    return Notification.objects.filter(recipient=user, channel=Channel.INBOX).order_by(
        "-created_at", "-id"
    )


def inbox_get_for_user(*, user, notification_id: int) -> Notification:
    """One of the user's own inbox messages; another person's id raises DoesNotExist."""
    return inbox_for_user(user=user).get(pk=notification_id)


# Set on the signed-in user when it is read for the request (`accounts.backends`): the unread
# count as of that read, so the header badge costs no query of its own.
UNREAD_SNAPSHOT = "unread_inbox"


def unread_count_subquery(user_ref=None):
    """The user's unread inbox messages as a subquery to annotate onto the read of the user
    (`user_ref`, default `OuterRef("pk")`): a COUNT on the partial index of unread rows."""
    unread = (
        Notification.objects.filter(
            recipient=user_ref if user_ref is not None else OuterRef("pk"),
            channel=Channel.INBOX,
            read_at__isnull=True,
        )
        .order_by()
        .values("recipient")
        .annotate(unread=Count("pk"))
        .values("unread")
    )
    return Coalesce(Subquery(unread), 0)


def unread_count(*, user) -> int:
    """How many of the user's inbox messages are unread: the count read with the user at the
    start of the request when there is one (`UNREAD_SNAPSHOT`), else one COUNT on the partial
    index of unread rows. A request that reads messages calls `unread_count_forget` first."""
    snapshot = getattr(user, UNREAD_SNAPSHOT, None)
    if snapshot is not None:
        return snapshot
    return Notification.objects.filter(
        recipient=user, channel=Channel.INBOX, read_at__isnull=True
    ).count()


def unread_count_forget(user) -> None:
    """After marking messages read in this request: the badge counts again."""
    with contextlib.suppress(AttributeError):
        delattr(user, UNREAD_SNAPSHOT)


def categories_for_user(*, user) -> tuple[CategorySpec, ...]:
    """The registered categories that concern the user (staff or borrower), in page order."""
    return registry.categories(audience=Audience.STAFF if user.is_staff else Audience.BORROWER)


def preference_choices(*, user) -> dict[tuple[str, str], bool]:
    """(category, channel) -> on/off for every pair the user can choose, defaults filled in."""
    stored = {(p.category, p.channel): p.enabled for p in Preference.objects.filter(user=user)}
    choices = {}
    for category in categories_for_user(user=user):
        for channel in registry.channels_for_category(category.name):
            key = (category.name, channel.value)
            choices[key] = stored.get(key, not category.opt_in)
    return choices


def legal_categories() -> set[str]:
    """Categories holding a legal notice that always arrives (the page says so)."""
    return {
        spec.category
        for spec in registry.legal_events()
        if not registry.category(spec.category).legal_can_be_switched_off
    }


def legal_notice_labels() -> list[str]:
    """The names of the notices that always reach the inbox, in page order."""
    return [
        str(spec.label) for spec in registry.legal_events() if spec.category in legal_categories()
    ]


def outbox_for_admin() -> QuerySet[Notification]:
    return Notification.objects.select_related("recipient", "object_type")
