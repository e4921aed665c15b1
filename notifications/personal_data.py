"""notifications' part of a person's data (see accounts.data_rights): what we told them, on
which channel, to which address, and their notification settings.

Notices are kept for the retention period (they are the record of what we told whom and when);
after it, retention keeps each row's event, channel, status and dates and removes the address
and the text.
"""

from __future__ import annotations

from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.data_rights import ExportSection

from .models import Notification, Preference

REMOVED = "—"


def _when(value):
    return timezone.localtime(value).isoformat() if value else None


def export_sections(person) -> list[ExportSection]:
    sent = (
        Notification.objects.filter(recipient=person)
        .order_by("created_at", "id")
        .only(
            "event",
            "channel",
            "address",
            "subject",
            "body_text",
            "status",
            "created_at",
            "sent_at",
            "read_at",
        )
    )
    records = [
        {
            "channel": n.get_channel_display(),
            "sent_to": n.address or None,
            "subject": n.subject or None,
            "text": n.body_text,
            "status": n.get_status_display(),
            "created_at": _when(n.created_at),
            "sent_at": _when(n.sent_at),
            "read_at": _when(n.read_at),
        }
        for n in sent
    ]
    preferences = [
        {"category": p.category, "channel": p.get_channel_display(), "enabled": p.enabled}
        for p in Preference.objects.filter(user=person).order_by("category", "channel")
    ]
    labels = {
        "channel": _("Channel"),
        "sent_to": _("Sent to"),
        "subject": _("Subject"),
        "text": _("Text"),
        "status": _("Status"),
        "created_at": _("Written"),
        "sent_at": _("Sent"),
        "read_at": _("Read"),
        "category": _("Kind of news"),
        "enabled": _("On"),
    }
    return [
        ExportSection("notifications", _("Notifications we sent you"), records, labels),
        ExportSection(
            "notification_settings", _("Your notification settings"), preferences, labels
        ),
    ]


def latest_record_at(person):
    return Notification.objects.filter(recipient=person).aggregate(at=Max("created_at"))["at"]


def erase(person) -> dict[str, int]:
    """Keep each notice's event, channel, status and dates; remove address, text and context."""
    count = Notification.objects.filter(recipient=person).update(
        address="", subject="", body_text=REMOVED, body_html="", context={}, link=""
    )
    return {"notifications": count}
